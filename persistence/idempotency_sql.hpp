#pragma once
/// SQL both stores share for idempotency records (SQLite and PostgreSQL spell upserts alike).

#include <string_view>

namespace payorch::persistence {

/// The conflict clause of a put: the record replaces whatever the key had.
inline constexpr std::string_view record_upsert_sql =
    "ON CONFLICT (client_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, "
    "status = excluded.status, content_type = excluded.content_type, "
    "location = excluded.location, body = excluded.body, "
    "created_at_ms = excluded.created_at_ms, expires_at_ms = excluded.expires_at_ms ";

/// Follows record_upsert_sql for the record an append writes with its events (its claim, or its
/// whole answer): it replaces an expired record, and an answer replaces the claim of the same
/// request; any other row of the key (a live answer, another request's claim) is kept.
inline constexpr std::string_view claim_condition_sql =
    "WHERE idempotency.expires_at_ms <= excluded.created_at_ms OR (idempotency.status = 0 AND "
    "excluded.status <> 0 AND idempotency.fingerprint = excluded.fingerprint)";

}  // namespace payorch::persistence
