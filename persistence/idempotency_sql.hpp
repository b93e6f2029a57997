#pragma once
/// SQL both stores share for idempotency records (SQLite and PostgreSQL spell upserts alike).

#include <string_view>

namespace payorch::persistence {

/// The conflict clause of every record written, whether an append carries it with its events (a
/// claim, or the whole answer) or a put stores an answer afterwards: it replaces an expired
/// record, and an answer replaces the claim of the same request; any other row of the key (a
/// live answer, another request's claim) is kept. So the first answer a key got is the one its
/// retries replay, even when a retry ran again because its look-up came before that answer's
/// commit (a write answered 503 after its time ran out may still commit).
inline constexpr std::string_view record_upsert_sql =
    "ON CONFLICT (client_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, "
    "status = excluded.status, content_type = excluded.content_type, "
    "location = excluded.location, body = excluded.body, "
    "created_at_ms = excluded.created_at_ms, expires_at_ms = excluded.expires_at_ms "
    "WHERE idempotency.expires_at_ms <= excluded.created_at_ms OR (idempotency.status = 0 AND "
    "excluded.status <> 0 AND idempotency.fingerprint = excluded.fingerprint)";

}  // namespace payorch::persistence
