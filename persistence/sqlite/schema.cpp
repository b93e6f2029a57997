#include "persistence/sqlite/schema.hpp"

#include <sqlite3.h>

#include <climits>

#include "persistence/sqlite/statement.hpp"

namespace payorch::persistence::sqlite {
namespace {

// `events` is an ordinary rowid table: appends land on its last page, in order, and only the small
// entry of the unique (stream_id, version) index goes to a random page (pod ids are random). The
// WITHOUT ROWID layout of earlier builds clustered whole events by stream, so every append rewrote
// a random 4 KiB leaf and split it often: about 2.5 WAL pages per event against about 1 now. The
// unique index is what makes two events with the same version impossible even if a check raced.
// Files created with the old layout keep it and keep working: no statement depends on the layout.
constexpr std::string_view create_tables = R"sql(
BEGIN IMMEDIATE;
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
COMMIT;
)sql";

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

bool prepare_database(sqlite3* db, const sqlite_options& options, std::string* error) {
  const auto timeout_ms = options.busy_timeout_ms < 0 ? 0 : options.busy_timeout_ms;
  sqlite3_busy_timeout(db, static_cast<int>(timeout_ms > INT_MAX ? INT_MAX : timeout_ms));
  if (!enable_wal(db, error)) return false;
  const std::string_view sync =
      options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (!exec(db, sync, error)) return false;
  if (!tune_connection(db, options, error)) return false;
  if (!exec(db, create_tables, error)) {
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  return check_schema_version(db, error);
}

}  // namespace payorch::persistence::sqlite
