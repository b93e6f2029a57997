#include "persistence/postgres/pg_journal.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <string_view>
#include <vector>

#include "persistence/hash_chain.hpp"
#include "persistence/idempotency_sql.hpp"
#include "persistence/postgres/migrations.hpp"

namespace payorch::persistence::postgres {
namespace {

append_result storage_failure(std::string detail) {
  return {append_status::storage_error, 0, std::move(detail)};
}

batch_results fail_batch(std::size_t appends, std::size_t records, const std::string& why) {
  const append_result failed = storage_failure("batch rolled back: " + why);
  return {std::vector<append_result>(appends, failed), std::vector<append_result>(records, failed),
          true};
}

/// Whether a record can be stored; the reason if not.
std::string malformed_record(const idempotency_record& record) {
  if (record.client_id.empty() || record.key.empty())
    return "invalid idempotency record: empty client_id or key";
  if (record.expires_at_ms <= record.created_at_ms)
    return "invalid idempotency record: expires before it is created";
  if (!storable_text(record.client_id) || !storable_text(record.key))
    return "invalid idempotency record: client_id or key is not UTF-8 text without NUL";
  return {};
}

/// The head of the statements that write idempotency records from nine arrays (byte fields as
/// hex text); write_records fills them.
constexpr std::string_view records_from_arrays =
    "INSERT INTO idempotency (client_id, key, fingerprint, status, content_type, "
    "location, body, created_at_ms, expires_at_ms) "
    "SELECT c, k, decode(f, 'hex'), s, decode(ct, 'hex'), decode(l, 'hex'), "
    "decode(b, 'hex'), t, e FROM unnest($1::text[], $2::text[], $3::text[], "
    "$4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[]) "
    "AS u(c, k, f, s, ct, l, b, t, e) ";

}  // namespace

void purge_records(pqxx::work& txn, std::int64_t newest_ms) {
  // Purging with the records written bounds the table by the traffic that fills it, and needs
  // no clock here.
  if (newest_ms == std::numeric_limits<std::int64_t>::min()) return;
  txn.exec_prepared("purge_idempotency", newest_ms,
                    static_cast<std::int64_t>(idempotency_purge_chunk));
}

void write_records(pqxx::work& txn, std::span<const idempotency_record* const> records) {
  if (records.empty()) return;
  std::map<std::pair<std::string_view, std::string_view>, const idempotency_record*> one;
  for (const idempotency_record* record : records)
    one.try_emplace({record->client_id, record->key}, record);
  std::vector<std::string_view> clients, keys, fingerprints, types, locations, bodies;
  std::vector<std::string> hex;  // owns the hex texts the views point at; reserved below
                                 // for all of them, so it never reallocates under the views
  std::vector<std::int64_t> statuses, created, expires;
  hex.reserve(one.size() * 4);
  for (const auto& [id, record] : one) {
    clients.push_back(record->client_id);
    keys.push_back(record->key);
    for (auto* field :
         {&record->fingerprint, &record->content_type, &record->location, &record->body})
      hex.push_back(hex_encode(*field));
    fingerprints.push_back(hex[hex.size() - 4]);
    types.push_back(hex[hex.size() - 3]);
    locations.push_back(hex[hex.size() - 2]);
    bodies.push_back(hex[hex.size() - 1]);
    statuses.push_back(record->status);
    created.push_back(record->created_at_ms);
    expires.push_back(record->expires_at_ms);
  }
  txn.exec_prepared("store_idempotency", text_array(clients), text_array(keys),
                    text_array(fingerprints), int_array(statuses), text_array(types),
                    text_array(locations), text_array(bodies), int_array(created),
                    int_array(expires));
}

/// How a batch's statements are planned: once per connection, as index probes. Each statement
/// of a batch looks keys up (or inserts rows) for at most a batch's worth of keys, so a nested
/// loop over the unique index is the right plan at any table size, and planning it again at
/// every execution, as the session's force_custom_plan does, cost the server's writer process
/// a tenth of its time (HTTP pledges on PostgreSQL: 110 -> 86-94 us of server CPU each). With
/// sequential scans, hash and merge joins off, the plan cached at the first batch, even on empty
/// tables, is that nested loop (tests/unit/persistence/postgres_journal_test.cpp checks every
/// prepared statement's plan). SET LOCAL: reads outside batches keep their custom plans (a LIKE
/// prefix needs its argument to use an index).
const char* const batch_planning =
    "SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_seqscan = off; "
    "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off";

/// Every statement the store runs more than once, prepared once per connection.
std::vector<std::string> prepare_statements(pqxx::connection& conn) {
  std::vector<std::string> names;
  const statement_preparer prepare{conn, names};
  prepare("heads",
          "SELECT s.id, e.version, e.hash FROM unnest($1::text[]) AS s(id) "
          "CROSS JOIN LATERAL (SELECT version, hash FROM events WHERE stream_id = s.id "
          "ORDER BY version DESC LIMIT 1) AS e");
  prepare("insert_events",
          "INSERT INTO events (stream_id, version, event_type, payload, recorded_at_ms, "
          "prev_hash, hash) SELECT s, v, t, decode(p, 'hex'), r, ph, h FROM "
          "unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], "
          "$6::text[], $7::text[]) AS u(s, v, t, p, r, ph, h)");
  // ORDER BY ordinality: entry ids follow the order of the commands and their postings (the
  // sequence hands one session ascending values), which is how the batch learns each new pending
  // transaction's range of ids from the ids returned.
  prepare("insert_entries",
          "INSERT INTO ledger_entries (transaction_id, account, currency, amount_minor, "
          "phase, stream_id, stream_version, recorded_at_ms) SELECT t, a, c, m, ph, s, v, r "
          "FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], "
          "$6::text[], $7::bigint[], $8::bigint[]) WITH ORDINALITY "
          "AS u(t, a, c, m, ph, s, v, r, n) ORDER BY n RETURNING entry_id, transaction_id");
  prepare("insert_pendings",
          "INSERT INTO ledger_pending (transaction_id, state, expires_at_ms, first_entry_id, "
          "last_entry_id) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], "
          "$4::bigint[], $5::bigint[])");
  prepare("resolve_pendings",
          "UPDATE ledger_pending p SET state = u.st FROM unnest($1::text[], $2::text[]) "
          "AS u(t, st) WHERE p.transaction_id = u.t AND p.state = 'PENDING'");
  // A pending transaction's rows lie in its range of entry ids; rows of other sessions' batches
  // may lie there too (their ids interleave), so the transaction id is checked as well.
  prepare("resolve_entries",
          "UPDATE ledger_entries e SET phase = u.st FROM unnest($1::text[], $2::text[]) "
          "AS u(t, st) JOIN ledger_pending p ON p.transaction_id = u.t "
          "WHERE e.entry_id BETWEEN p.first_entry_id AND p.last_entry_id "
          "AND e.transaction_id = u.t AND e.phase = 'PENDING'");
  prepare("update_balances",
          "UPDATE ledger_balances b SET posted_minor = u.p, pending_in_minor = u.i, "
          "pending_out_minor = u.o FROM unnest($1::text[], $2::text[], $3::bigint[], "
          "$4::bigint[], $5::bigint[]) AS u(a, c, p, i, o) "
          "WHERE b.account = u.a AND b.currency = u.c");
  prepare("add_balances",
          "INSERT INTO ledger_balances (account, currency, posted_minor, pending_in_minor, "
          "pending_out_minor) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], "
          "$4::bigint[], $5::bigint[]) ON CONFLICT (account, currency) DO UPDATE SET "
          "posted_minor = ledger_balances.posted_minor + excluded.posted_minor, "
          "pending_in_minor = ledger_balances.pending_in_minor + excluded.pending_in_minor, "
          "pending_out_minor = ledger_balances.pending_out_minor + "
          "excluded.pending_out_minor");
  // FOR UPDATE: another process resolving the same transaction or moving the same balance waits
  // for this batch, so neither overwrites the other's figures.
  prepare("select_pending",
          "SELECT state, expires_at_ms FROM ledger_pending WHERE transaction_id = $1 "
          "FOR UPDATE");
  prepare("select_pending_rows",
          "SELECT e.account, e.currency, e.amount_minor FROM ledger_pending p "
          "JOIN ledger_entries e ON e.entry_id BETWEEN p.first_entry_id AND p.last_entry_id "
          "WHERE p.transaction_id = $1 AND e.transaction_id = $1 AND e.phase = 'PENDING' "
          "ORDER BY e.entry_id");
  prepare("prefetch_pendings",
          "SELECT transaction_id, state, expires_at_ms FROM ledger_pending "
          "WHERE transaction_id = ANY($1::text[]) ORDER BY transaction_id FOR UPDATE");
  // LATERAL with OFFSET 0 keeps the pending transactions the outer side: joined on the
  // transaction id as well, the planner would otherwise walk every ledger row to find theirs.
  prepare("prefetch_pending_rows",
          "SELECT p.transaction_id, e.account, e.currency, e.amount_minor FROM ledger_pending p "
          "CROSS JOIN LATERAL (SELECT entry_id, account, currency, amount_minor "
          "FROM ledger_entries WHERE entry_id BETWEEN p.first_entry_id AND p.last_entry_id "
          "AND transaction_id = p.transaction_id AND phase = 'PENDING' OFFSET 0) AS e "
          "WHERE p.transaction_id = ANY($1::text[]) ORDER BY e.entry_id");
  prepare("prefetch_balances",
          "SELECT b.account, b.currency, b.posted_minor, b.pending_in_minor, "
          "b.pending_out_minor FROM ledger_balances b JOIN unnest($1::text[], $2::text[]) "
          "AS u(a, c) ON b.account = u.a AND b.currency = u.c "
          "ORDER BY b.account, b.currency FOR UPDATE OF b");
  prepare("select_balance",
          "SELECT posted_minor, pending_in_minor, pending_out_minor FROM ledger_balances "
          "WHERE account = $1 AND currency = $2 FOR UPDATE");
  // Every record a batch writes with its events (claims and answers), and then every record it
  // puts, in one statement each (byte fields as hex text): one round trip for the batch instead
  // of one per record.
  prepare("store_idempotency", std::string(records_from_arrays) + std::string(record_upsert_sql));
  // Every keyed request looks its key up once: prepared, it is parsed once per connection.
  prepare("select_idempotency",
          "SELECT client_id, key, fingerprint, status, content_type, location, body, "
          "created_at_ms, expires_at_ms FROM idempotency WHERE client_id = $1 AND key = $2");
  // The look-ups of concurrent requests in one round trip. LATERAL: each key is one probe of the
  // unique index, whatever the planner thinks of the arrays' size.
  prepare("select_idempotency_records",
          "SELECT u.n, i.client_id, i.key, i.fingerprint, i.status, i.content_type, "
          "i.location, i.body, i.created_at_ms, i.expires_at_ms "
          "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(c, k, n) "
          "CROSS JOIN LATERAL (SELECT * FROM idempotency WHERE client_id = u.c AND key = u.k) "
          "AS i");
  // SKIP LOCKED: processes sharing the database purge at once without waiting for each other or
  // deadlocking (which would fail the whole batch, appends included); a row another transaction
  // holds is left for a later purge.
  prepare("purge_idempotency",
          "DELETE FROM idempotency WHERE (client_id, key) IN (SELECT client_id, key "
          "FROM idempotency WHERE expires_at_ms <= $1 ORDER BY expires_at_ms LIMIT $2 "
          "FOR UPDATE SKIP LOCKED)");
  prepare("taken_message_ids",
          "SELECT o.stream_id || ':' || o.version FROM outbox o JOIN unnest($1::text[], "
          "$2::bigint[]) AS m(s, v) ON o.stream_id = m.s AND o.version = m.v");
  prepare("select_events",
          "SELECT stream_id, version, event_type, payload, recorded_at_ms, prev_hash, hash "
          "FROM events WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3");
  prepare_outbox_statements(prepare);
  return names;
}

std::unique_ptr<postgres_journal> postgres_journal::open(const postgres_options& options,
                                                         std::string* error) {
  if (options.uri.empty()) {
    if (error != nullptr) *error = "postgres_options.uri is empty";
    return nullptr;
  }
  if (!sha256_available()) {
    // Found now rather than at the first append, in the writer thread.
    if (error != nullptr) *error = "OpenSSL offers no SHA-256, which the event hashes need";
    return nullptr;
  }
  // Connecting to a server that does not answer fails too, after about a statement timeout.
  postgres_options own = options;
  own.uri = with_connect_timeout(options.uri, std::chrono::milliseconds(std::max<std::int64_t>(
                                                  options.statement_timeout_ms, 0)));
  const bool schema_ready =
      own.apply_migrations
          ? migrate_postgres(own.uri, nullptr, error)
          : postgres::check_migrations(own.uri, postgres::builtin_migrations(), error);
  if (!schema_ready) return nullptr;
  std::unique_ptr<postgres_journal> journal(new postgres_journal(std::move(own)));
  if (!journal->ensure_connected(error)) return nullptr;
  return journal;
}

bool postgres_journal::ensure_connected(std::string* error) {
  if (connection_ != nullptr && connection_->is_open()) return true;
  connection_.reset();
  try {
    auto conn = std::make_unique<pqxx::connection>(options_.uri);
    const auto watched = watchdog_.arm(conn->sock());  // ends before `conn` does
    postgres::require_utf8_database(*conn);
    pqxx::nontransaction setup(*conn);
    setup.exec("SET client_encoding = 'UTF8'");
    const std::int64_t timeout_ms = std::max<std::int64_t>(options_.statement_timeout_ms, 0);
    setup.exec("SET statement_timeout = " + std::to_string(timeout_ms));
    // Every commit waits for its WAL flush, whatever the server's default.
    setup.exec("SET synchronous_commit = on");
    // Plan every execution with its own arguments and the tables' current size. A generic plan
    // is cached after five runs, while the tables are still small (a fresh store): a seq scan
    // then stayed the plan of a look-up as the table grew (the outbox id check of earlier
    // builds made each batch slower with every message stored: 15 ms a batch after 40,000 pods).
    // Batches plan differently (batch_planning).
    setup.exec("SET plan_cache_mode = force_custom_plan");
    setup.commit();
    prepare_statements(*conn);
    connection_ = std::move(conn);
    return true;
  } catch (const std::exception& e) {
    if (error != nullptr) *error = std::string("connect: ") + e.what();
    return false;
  }
}

bool postgres_journal::ping() {
  if (!ensure_connected(nullptr)) return false;
  try {
    const auto watched = watchdog_.arm(connection_->sock());
    pqxx::nontransaction probe(*connection_);
    probe.exec("SELECT 1");
    return true;
  } catch (const std::exception&) {
    connection_.reset();  // the next call reconnects
    return false;
  }
}

batch_results postgres_journal::commit_batch(std::span<const append_request> appends,
                                             std::span<const idempotency_record> records) {
  if (appends.empty() && records.empty()) return {};
  // A unique violation means another process committed one of our versions (or pending ids)
  // between our reads and our insert, a new hold reuses a stored id (the first attempt does not
  // read them), or a stray outbox row holds one of our message ids. The batch is rolled back and
  // tried once more with fresh reads (message ids and new holds' ids included), which turns the
  // race into version_conflict (or already_exists) and a taken id into a refusal, for the
  // requests concerned; a second violation fails the batch.
  for (int attempt = 0;; ++attempt) {
    bool retry = false;
    abort_reason_.clear();
    std::optional<batch_results> done = guarded(
        "commit batch",
        [&](pqxx::connection& conn) -> std::optional<batch_results> {
          try {
            pqxx::work txn(conn);
            txn.exec(batch_planning);
            std::optional<batch_results> results = run_batch(txn, appends, records, attempt != 0);
            if (results) txn.commit();
            return results;
          } catch (const pqxx::unique_violation&) {
            if (attempt != 0) throw;
            retry = true;
            return std::nullopt;
          } catch (const pqxx::in_doubt_error& e) {
            // The connection broke during COMMIT: the batch may or may not have landed. Running
            // it again would answer committed appends as conflicts; report the doubt instead.
            abort_reason_ = std::string("commit outcome unknown: ") + e.what();
            return std::nullopt;
          }
        },
        [&](std::string why) -> std::optional<batch_results> {
          abort_reason_ = std::move(why);
          return std::nullopt;
        });
    if (done) return std::move(*done);
    if (!retry) return fail_batch(appends.size(), records.size(), abort_reason_);
  }
}

std::optional<batch_results> postgres_journal::run_batch(
    pqxx::work& txn, std::span<const append_request> appends,
    std::span<const idempotency_record> records, bool retry) {
  batch_results results;
  batch_writer writer(txn);
  writer.load_heads(appends);
  if (retry) writer.load_taken_message_ids(appends);
  writer.prefetch_ledger(appends, retry);
  results.appends.reserve(appends.size());
  for (const append_request& request : appends) {
    bool abort = false;
    append_result result = writer.append(request, abort);
    if (abort) {
      abort_reason_ = result.detail;
      return std::nullopt;
    }
    results.appends.push_back(std::move(result));
  }
  writer.flush();
  // The newest record written (a claim or answer with its events, or a put), for the purge.
  std::int64_t newest_ms = writer.newest_claim_ms();
  if (records.empty()) {
    purge_records(txn, newest_ms);
    return results;
  }
  // The first put of a key is kept, as the conflict clause would keep it one statement later.
  std::vector<const idempotency_record*> stored;
  stored.reserve(records.size());
  for (const idempotency_record& record : records) {
    if (std::string why = malformed_record(record); !why.empty()) {
      results.idempotency.push_back(storage_failure(std::move(why)));
      continue;
    }
    stored.push_back(&record);
    newest_ms = std::max(newest_ms, record.created_at_ms);
    results.idempotency.push_back({append_status::committed, 0, {}});
  }
  write_records(txn, stored);
  purge_records(txn, newest_ms);
  return results;
}

}  // namespace payorch::persistence::postgres

namespace payorch::persistence {

std::unique_ptr<journal_store> open_postgres_journal(const postgres_options& options,
                                                     std::string* error) {
  return postgres::postgres_journal::open(options, error);
}

}  // namespace payorch::persistence
