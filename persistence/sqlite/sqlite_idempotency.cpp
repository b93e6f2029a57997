// The idempotency records of sqlite_journal: point reads and the purge of expired records. Puts are
// written by commit_batch, in the batch's transaction.
#include <sqlite3.h>

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

}  // namespace payorch::persistence::sqlite
