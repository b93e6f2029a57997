#include "persistence/sqlite/schema.hpp"

#include <sqlite3.h>

#include <array>
#include <climits>
#include <vector>

#include "persistence/sqlite/statement.hpp"

namespace payorch::persistence::sqlite {
namespace {

// `events` is an ordinary rowid table: appends land on its last page, in order, and only the small
// entry of the unique (stream_id, version) index goes to a random page (pod ids are random). The
// WITHOUT ROWID layout of earlier builds clustered whole events by stream, so every append rewrote
// a random 4 KiB leaf and split it often: about 2.5 WAL pages per event against about 1 now. The
// unique index is what makes two events with the same version impossible even if a check raced.
// Files created with the old layout keep it and keep working: no statement depends on the layout.
//
// The ledger and idempotency tables came later; CREATE ... IF NOT EXISTS adds them to older files,
// and older builds ignore them, so schema_version stays 1.
// - ledger_entries: one row per posting; entry_id is the rowid, and since rows are never deleted it
//   only grows (no AUTOINCREMENT needed) and serves as the page cursor. Its index on (account,
//   entry_id) served reads by account prefix until migration 5 put it on the account's scope.
//   A pending transaction's rows are consecutive, so
//   ledger_pending keeps their entry_id range instead of an index on transaction_id.
// - ledger_pending: pending transactions by id, PENDING until posted or voided (then the rows'
//   phase changes too).
// - ledger_balances: per (account, currency), kept in step with the rows in the same transaction.
// - idempotency: a rowid table with a unique key, because a row holds a whole response body (too
//   big for a WITHOUT ROWID table); the expiry index lets the purge find old rows cheaply.
// The CHECKs catch a bug in the code, never a user's input: that is checked before writing, as a
// failing statement would roll back the whole batch.
constexpr std::string_view journal_tables = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  stream_id      TEXT    NOT NULL,
  version        INTEGER NOT NULL,
  event_type     TEXT    NOT NULL,
  payload        BLOB    NOT NULL,
  recorded_at_ms INTEGER NOT NULL,
  prev_hash      TEXT    NOT NULL,
  hash           TEXT    NOT NULL,
  UNIQUE (stream_id, version)
);
CREATE TABLE IF NOT EXISTS snapshots (
  stream_id TEXT    NOT NULL PRIMARY KEY,
  version   INTEGER NOT NULL,
  payload   BLOB    NOT NULL
) WITHOUT ROWID;
INSERT INTO schema_version (version) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM schema_version);
)sql";

constexpr std::string_view ledger_tables = R"sql(
CREATE TABLE IF NOT EXISTS ledger_entries (
  entry_id       INTEGER PRIMARY KEY,
  transaction_id TEXT    NOT NULL,
  account        TEXT    NOT NULL,
  currency       TEXT    NOT NULL,
  amount_minor   INTEGER NOT NULL CHECK (amount_minor <> 0),
  phase          TEXT    NOT NULL CHECK (phase IN ('POSTED', 'PENDING', 'VOIDED')),
  stream_id      TEXT    NOT NULL,
  stream_version INTEGER NOT NULL,
  recorded_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_entries_by_account ON ledger_entries (account, entry_id);
CREATE TABLE IF NOT EXISTS ledger_pending (
  transaction_id TEXT    NOT NULL PRIMARY KEY,
  state          TEXT    NOT NULL CHECK (state IN ('PENDING', 'POSTED', 'VOIDED')),
  expires_at_ms  INTEGER NOT NULL,
  first_entry_id INTEGER NOT NULL,
  last_entry_id  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_balances (
  account           TEXT    NOT NULL,
  currency          TEXT    NOT NULL,
  posted_minor      INTEGER NOT NULL,
  pending_in_minor  INTEGER NOT NULL CHECK (pending_in_minor >= 0),
  pending_out_minor INTEGER NOT NULL CHECK (pending_out_minor >= 0),
  PRIMARY KEY (account, currency)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idempotency (
  client_id     TEXT    NOT NULL,
  key           TEXT    NOT NULL,
  fingerprint   TEXT    NOT NULL,
  status        INTEGER NOT NULL,
  content_type  TEXT    NOT NULL,
  location      TEXT    NOT NULL,
  body          BLOB    NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  UNIQUE (client_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_by_expiry ON idempotency (expires_at_ms);
)sql";

// The outbox: messages to publish, written in the transaction of the events they announce, read
// by a relay in position order and kept after publication so consumers can replay.
// - position is AUTOINCREMENT: purging may delete the newest rows, and a plain rowid would then
//   hand their positions out again, so a relay's "after position" cursor would skip new rows.
// - outbox_unpublished holds only rows still to send, so the relay's "unpublished after
//   position" read walks those alone; outbox_by_published holds only published rows, so the
//   purge finds the oldest of them without walking the unsent ones.
constexpr std::string_view outbox_tables = R"sql(
CREATE TABLE IF NOT EXISTS outbox (
  position        INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id      TEXT    NOT NULL UNIQUE CHECK (message_id <> ''),
  stream_id       TEXT    NOT NULL,
  subject         TEXT    NOT NULL CHECK (subject <> ''),
  payload         BLOB    NOT NULL,
  created_at_ms   INTEGER NOT NULL,
  published_at_ms INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (position) WHERE published_at_ms IS NULL;
CREATE INDEX IF NOT EXISTS outbox_by_published ON outbox (published_at_ms)
  WHERE published_at_ms IS NOT NULL;
)sql";

// Version 4 drops the outbox's UNIQUE (message_id), which cost every message a random page of its
// own index and a look-up: an id names its request's event ("<stream_id>:<version>"), checked
// before writing, and event versions are unique already. SQLite cannot drop a constraint's index,
// so the table is copied. The sequence is carried over, so positions purged at the end are still
// never handed out again.
constexpr std::string_view outbox_without_id_index = R"sql(
CREATE TABLE outbox_next (
  position        INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id      TEXT    NOT NULL CHECK (message_id <> ''),
  stream_id       TEXT    NOT NULL,
  subject         TEXT    NOT NULL CHECK (subject <> ''),
  payload         BLOB    NOT NULL,
  created_at_ms   INTEGER NOT NULL,
  published_at_ms INTEGER
);
INSERT INTO outbox_next (position, message_id, stream_id, subject, payload, created_at_ms,
                         published_at_ms)
  SELECT position, message_id, stream_id, subject, payload, created_at_ms, published_at_ms
  FROM outbox ORDER BY position;
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'outbox_next', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox_next');
UPDATE sqlite_sequence
  SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0))
  WHERE name = 'outbox_next';
DROP TABLE outbox;
ALTER TABLE outbox_next RENAME TO outbox;
CREATE INDEX outbox_unpublished ON outbox (position) WHERE published_at_ms IS NULL;
CREATE INDEX outbox_by_published ON outbox (published_at_ms)
  WHERE published_at_ms IS NOT NULL;
)sql";

// Version 5 indexes ledger entries by their account's scope (ledger_scope_sql) instead of the
// account: a pledge's two postings (the member's account and the wallet) then land on one index
// page instead of two random ones, and a pod's whole ledger is one range read in entry order.
constexpr std::string_view ledger_scope_index = R"sql(
DROP INDEX IF EXISTS ledger_entries_by_account;
CREATE INDEX IF NOT EXISTS ledger_entries_by_scope ON ledger_entries (
  substr(account, 1, instr(account, ':') + instr(substr(account, instr(account, ':') + 1), ':')),
  entry_id);
)sql";
static_assert(ledger_scope_index.find(ledger_scope_sql) != std::string_view::npos,
              "the index must be on the expression the reads spell");

// Version 6 stores no copy of the event in its outbox row: a row names its event (stream_id,
// version) and the relay reads the event with it (sqlite_outbox.cpp renders nothing; the entity's
// code does). The copy was most of a row's bytes, and building and writing it cost about a sixth
// of a pod create's CPU. The message id "<stream_id>:<version>" gives the version of older rows;
// created_at_ms goes, as the event's own time dates the message. A row whose id is not of that
// form or names no stored event (older builds did not check either) gets no version, and the NOT
// NULL constraint then fails the migration, which leaves the file as it was: it would otherwise
// announce another event, or stop every later read (docs/operations.md says how to find it).
constexpr std::string_view outbox_names_its_event = R"sql(
CREATE TABLE outbox_next (
  position        INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id       TEXT    NOT NULL,
  version         INTEGER NOT NULL CHECK (version > 0),
  subject         TEXT    NOT NULL CHECK (subject <> ''),
  published_at_ms INTEGER
);
INSERT INTO outbox_next (position, stream_id, version, subject, published_at_ms)
  SELECT position, stream_id,
         CASE WHEN message_id = stream_id || ':' || v AND
                   EXISTS (SELECT 1 FROM events e WHERE e.stream_id = o.stream_id AND e.version = v)
              THEN v END,
         subject, published_at_ms
  FROM (SELECT *, CAST(substr(message_id, length(stream_id) + 2) AS INTEGER) AS v FROM outbox) AS o
  ORDER BY position;
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'outbox_next', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox_next');
UPDATE sqlite_sequence
  SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0))
  WHERE name = 'outbox_next';
DROP TABLE outbox;
ALTER TABLE outbox_next RENAME TO outbox;
CREATE INDEX outbox_unpublished ON outbox (position) WHERE published_at_ms IS NULL;
CREATE INDEX outbox_by_published ON outbox (published_at_ms)
  WHERE published_at_ms IS NOT NULL;
)sql";

/// The journal's schema, in order. Each migration runs in a transaction of its own with its
/// row in schema_migrations; statements use IF NOT EXISTS, so files made before migrations were
/// versioned (which already hold the tables) simply record them as applied.
constexpr std::array<migration, 6> journal_migrations{{
    {1, "events and snapshots", journal_tables},
    {2, "ledger and idempotency records", ledger_tables},
    {3, "outbox", outbox_tables},
    {4, "outbox without the message id index", outbox_without_id_index},
    {5, "ledger entries indexed by account scope", ledger_scope_index},
    {6, "outbox rows name their event", outbox_names_its_event},
}};

bool enable_wal(sqlite3* db, std::string* error) {
  statement pragma(db, "PRAGMA journal_mode=WAL", error);
  if (!pragma.valid()) return false;
  if (pragma.step() != step_result::row) {
    if (error != nullptr) *error = "cannot set journal_mode: " + last_error(db);
    return false;
  }
  const std::string mode = pragma.column_string(0);
  if (mode != "wal") {
    if (error != nullptr) *error = "journal_mode is '" + mode + "', expected 'wal'";
    return false;
  }
  return true;
}

bool check_schema_version(sqlite3* db, std::string* error) {
  statement query(db, "SELECT count(*), min(version), max(version) FROM schema_version", error);
  if (!query.valid()) return false;
  if (query.step() != step_result::row) {
    if (error != nullptr) *error = "cannot read schema_version: " + last_error(db);
    return false;
  }
  const std::int64_t rows = query.column_int64(0);
  const std::int64_t low = query.column_int64(1);
  const std::int64_t high = query.column_int64(2);
  if (rows != 1 || low != schema_version || high != schema_version) {
    if (error != nullptr) {
      *error = "unsupported schema_version " + std::to_string(high) + " (this build reads " +
               std::to_string(schema_version) + ")";
    }
    return false;
  }
  return true;
}

/// Sizes the page cache and keeps temporary structures in memory.
bool tune_connection(sqlite3* db, const sqlite_options& options, std::string* error) {
  // A negative cache_size is in KiB. The whole unique index should fit: each append reads a random
  // index page, and a cache miss is a pread on the writer thread.
  const std::int64_t kib = options.cache_kib > 0 ? options.cache_kib : 2000;
  if (!exec(db, "PRAGMA cache_size=-" + std::to_string(kib), error)) return false;
  if (!exec(db, "PRAGMA temp_store=MEMORY", error)) return false;
  return true;
}

}  // namespace

std::string_view ledger_scope(std::string_view account) {
  const auto first = account.find(':');
  if (first == std::string_view::npos) return {};
  const auto second = account.find(':', first + 1);
  return account.substr(0, (second == std::string_view::npos ? first : second) + 1);
}

std::span<const migration> sqlite_migrations() {
  return journal_migrations;
}

bool run_migrations(sqlite3* db, std::span<const migration> migrations, bool apply,
                    std::string* report, std::string* error) {
  // Only applying makes the table: a check leaves a file without one (empty, or older than
  // migrations) as it found it, with every migration pending.
  bool has_table = false;
  {
    statement look(db,
                   "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                   "name = 'schema_migrations'",
                   error);
    if (!look.valid()) return false;
    const step_result found = look.step();
    if (found != step_result::row && found != step_result::done) {
      if (error) *error = "read the schema: " + std::string(sqlite3_errmsg(db));
      return false;
    }
    has_table = found == step_result::row;
  }
  if (!has_table && apply &&
      !exec(db,
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)",
            error))
    return false;
  std::vector<const migration*> pending;
  for (const auto& m : migrations) {
    if (!has_table) {
      pending.push_back(&m);
      continue;
    }
    statement applied(db, "SELECT 1 FROM schema_migrations WHERE version = ?1", error);
    if (!applied.valid()) return false;
    applied.bind_int64(1, m.version);
    if (applied.step() != step_result::row) pending.push_back(&m);
  }
  if (pending.empty()) {
    if (report)
      *report =
          "the schema is up to date (" + std::to_string(migrations.size()) + " migrations applied)";
    return true;
  }
  auto named = [](const migration& m) {
    return std::to_string(m.version) + " (" + std::string(m.name) + ")";
  };
  if (!apply) {
    std::string list;
    for (const auto* m : pending) list += (list.empty() ? "" : ", ") + named(*m);
    if (error) *error = "schema migrations pending: " + list + "; run `payorch migrate`";
    return false;
  }
  std::string done;
  for (const auto* m : pending) {
    std::string why;
    const std::string record =
        "INSERT INTO schema_migrations (version, name, applied_at_ms) "
        "VALUES (" +
        std::to_string(m->version) + ", '" + std::string(m->name) +
        "', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))";
    if (!exec(db, "BEGIN IMMEDIATE", &why) || !exec(db, m->sql, &why) || !exec(db, record, &why) ||
        !exec(db, "COMMIT", &why)) {
      exec(db, "ROLLBACK", nullptr);
      if (error)
        *error = "migration " + named(*m) + " failed and was rolled back, the schema is as it " +
                 "was before it: " + why;
      return false;
    }
    done += (done.empty() ? "" : ", ") + named(*m);
  }
  if (report) *report = "applied migration " + done;
  return true;
}

bool prepare_database(sqlite3* db, const sqlite_options& options, std::string* error) {
  const auto timeout_ms = options.busy_timeout_ms < 0 ? 0 : options.busy_timeout_ms;
  sqlite3_busy_timeout(db, static_cast<int>(timeout_ms > INT_MAX ? INT_MAX : timeout_ms));
  // Without migrations, a journal that needs one is refused before anything (the WAL mode
  // included) is written to it.
  if (!options.apply_migrations && !run_migrations(db, journal_migrations, false, nullptr, error))
    return false;
  if (!enable_wal(db, error)) return false;
  const std::string_view sync =
      options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (!exec(db, sync, error)) return false;
  if (!tune_connection(db, options, error)) return false;
  std::string report;
  if (options.apply_migrations && !run_migrations(db, journal_migrations, true, &report, error))
    return false;
  return check_schema_version(db, error);
}

}  // namespace payorch::persistence::sqlite
