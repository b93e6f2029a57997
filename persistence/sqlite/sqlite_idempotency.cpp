// The idempotency records of sqlite_journal: point reads, the key scan and the purge of expired
// records. Puts are written by commit_batch, in the batch's transaction.
#include <sqlite3.h>

#include <limits>

#include "persistence/sqlite/sqlite_journal.hpp"

namespace payorch::persistence::sqlite {

result<std::optional<idempotency_record>> sqlite_journal::get_idempotency(
    std::string_view client_id, std::string_view key) {
  const reset_guard guard(select_idempotency_);
  select_idempotency_.bind_text_view(1, client_id);
  select_idempotency_.bind_text_view(2, key);
  switch (select_idempotency_.step()) {
    case step_result::row: {
      idempotency_record record;
      record.client_id = select_idempotency_.column_string(0);
      record.key = select_idempotency_.column_string(1);
      record.fingerprint = select_idempotency_.column_string(2);
      record.status = static_cast<std::int32_t>(select_idempotency_.column_int64(3));
      record.content_type = select_idempotency_.column_string(4);
      record.location = select_idempotency_.column_string(5);
      record.body = select_idempotency_.column_string(6);
      record.created_at_ms = select_idempotency_.column_int64(7);
      record.expires_at_ms = select_idempotency_.column_int64(8);
      return std::optional<idempotency_record>(std::move(record));
    }
    case step_result::done:
      return std::optional<idempotency_record>();
    default:
      return fail(errc::storage_unavailable, "read idempotency record: " + last_error(db_.get()));
  }
}

std::int64_t sqlite_journal::purge_expired(std::int64_t now_ms, std::int64_t max_rows) {
  const reset_guard guard(purge_idempotency_);
  purge_idempotency_.bind_int64(1, now_ms);
  purge_idempotency_.bind_int64(2, max_rows);
  if (purge_idempotency_.step() != step_result::done) return -1;
  return sqlite3_changes(db_.get());
}

result<std::size_t> sqlite_journal::purge_idempotency(std::int64_t now_ms, std::size_t max_rows) {
  const std::size_t bounded =
      max_rows < idempotency_purge_chunk ? max_rows : idempotency_purge_chunk;
  if (bounded == 0) return std::size_t{0};
  if (!run(begin_write_)) return fail(errc::storage_unavailable, "begin: " + last_error(db_.get()));
  const std::int64_t purged = purge_expired(now_ms, static_cast<std::int64_t>(bounded));
  if (purged < 0 || !run(commit_)) {
    const std::string why = "purge idempotency records: " + last_error(db_.get());
    rollback();
    return fail(errc::storage_unavailable, why);
  }
  return static_cast<std::size_t>(purged);
}

result<std::size_t> sqlite_journal::scan_idempotency_keys(
    std::int64_t now_ms, const std::function<bool(const idempotency_key&, std::int64_t)>& each) {
  // A range of idempotency_by_expiry (whose entries end with the rowid), resumed after the last
  // row of the previous chunk.
  std::string error;
  statement chunk(db_.get(),
                  "SELECT client_id, key, expires_at_ms, rowid FROM idempotency "
                  "WHERE (expires_at_ms, rowid) > (?1, ?2) "
                  "ORDER BY expires_at_ms, rowid LIMIT ?3",
                  &error);
  if (!chunk.valid()) return fail(errc::storage_unavailable, "scan idempotency keys: " + error);
  std::int64_t after_expiry = now_ms;
  std::int64_t after_row = std::numeric_limits<std::int64_t>::max();
  std::size_t total = 0;
  idempotency_key key;
  for (;;) {
    const reset_guard guard(chunk);
    chunk.bind_int64(1, after_expiry);
    chunk.bind_int64(2, after_row);
    chunk.bind_int64(3, static_cast<std::int64_t>(idempotency_scan_chunk));
    std::size_t rows = 0;
    step_result step;
    while ((step = chunk.step()) == step_result::row) {
      key.client_id = chunk.column_string(0);
      key.key = chunk.column_string(1);
      after_expiry = chunk.column_int64(2);
      after_row = chunk.column_int64(3);
      ++rows;
      if (!each(key, after_expiry)) return total + rows;
    }
    if (step != step_result::done)
      return fail(errc::storage_unavailable, "scan idempotency keys: " + last_error(db_.get()));
    total += rows;
    if (rows < idempotency_scan_chunk) return total;
  }
}

}  // namespace payorch::persistence::sqlite
