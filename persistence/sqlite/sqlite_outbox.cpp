// The outbox of sqlite_journal: checking and writing an append's messages, and the relay's reads,
// marks and purges.
//
// A request's messages are checked first (shape, and that each names one of the request's events,
// once), so a refusal writes nothing and needs no savepoint; as event versions are unique, so are
// the messages, and no index or look-up checks them. A row holds the event's stream and version
// and the subject only: the relay's read joins the event. Rows are inserted after the request's
// events and ledger rows; a failing insert then rolls the whole batch back.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "persistence/outbox_rules.hpp"
#include "persistence/sqlite/sqlite_journal.hpp"

namespace payorch::persistence::sqlite {
namespace {

// The LEFT JOIN keeps a row whose event is gone, so the read can report it instead of skipping it.
constexpr std::string_view outbox_columns =
    "o.position, o.stream_id, o.version, o.subject, o.published_at_ms, e.event_type, e.payload, "
    "e.recorded_at_ms";

outbox_entry entry_from_row(const statement& row) {
  outbox_entry entry;
  entry.position = row.column_int64(0);
  entry.stream_id = row.column_string(1);
  entry.version = row.column_int64(2);
  entry.subject = row.column_string(3);
  if (!row.column_null(4)) entry.published_at_ms = row.column_int64(4);  // NULL until marked
  entry.event_type = row.column_string(5);
  entry.payload = row.column_string(6);
  entry.recorded_at_ms = row.column_int64(7);
  return entry;
}

}  // namespace

bool sqlite_journal::prepare_outbox_statements(std::string* error) {
  sqlite3* db = db_.get();
  const auto prepare = [&](statement& target, std::string_view sql) {
    target = statement(db, sql, error);
    return target.valid();
  };
  const auto select = [](std::string_view outbox, std::string_view where) {
    return "SELECT " + std::string(outbox_columns) + " FROM " + std::string(outbox) +
           " LEFT JOIN events AS e ON e.stream_id = o.stream_id AND e.version = o.version " +
           std::string(where) + " ORDER BY o.position LIMIT ?2";
  };
  // The reads and the purge name their partial indexes: without statistics the planner might walk
  // the table by rowid instead, through every published (or unpublished) row kept.
  return prepare(insert_outbox_,
                 "INSERT INTO outbox (stream_id, version, subject) VALUES (?1, ?2, ?3)") &&
         prepare(read_outbox_, select("outbox AS o", "WHERE o.position > ?1")) &&
         prepare(read_outbox_unpublished_,
                 select("outbox AS o INDEXED BY outbox_unpublished",
                        "WHERE o.published_at_ms IS NULL AND o.position > ?1")) &&
         prepare(mark_outbox_,
                 "UPDATE outbox SET published_at_ms = ?2 WHERE position = ?1 AND "
                 "published_at_ms IS NULL") &&
         prepare(purge_outbox_,
                 "DELETE FROM outbox WHERE position IN (SELECT position FROM outbox "
                 "INDEXED BY outbox_by_published WHERE published_at_ms IS NOT NULL AND "
                 "published_at_ms < ?1 ORDER BY published_at_ms LIMIT ?2)");
}

// ---- inside commit_batch ----

std::optional<sqlite_journal::request_outcome> sqlite_journal::check_outbox(
    const append_request& request) {
  if (std::string why = malformed_outbox(request); !why.empty())
    return request_outcome{outbox_refusal(std::move(why)), false};
  return std::nullopt;
}

std::optional<sqlite_journal::request_outcome> sqlite_journal::write_outbox(
    const append_request& request) {
  for (const outbox_message& message : request.outbox) {
    const reset_guard guard(insert_outbox_);
    insert_outbox_.bind_text_view(1, request.stream_id);
    insert_outbox_.bind_int64(2, message.version);
    insert_outbox_.bind_text_view(3, message.subject);
    if (insert_outbox_.step() != step_result::done)
      return abort_with("insert outbox message " + request.stream_id + ":" +
                        std::to_string(message.version));
  }
  return std::nullopt;
}

// ---- the relay's side ----

result<std::vector<outbox_entry>> sqlite_journal::read_outbox(std::int64_t after_position,
                                                              std::size_t limit,
                                                              bool unpublished_only) {
  std::vector<outbox_entry> entries;
  if (limit == 0) return entries;
  statement& read = unpublished_only ? read_outbox_unpublished_ : read_outbox_;
  const reset_guard guard(read);
  read.bind_int64(1, after_position);
  read.bind_int64(2, page_limit(limit));
  for (;;) {
    switch (read.step()) {
      case step_result::row:
        if (read.column_null(5)) {
          return fail(errc::storage_unavailable,
                      "read outbox: the row at position " + std::to_string(read.column_int64(0)) +
                          " names event " + read.column_string(1) + ":" +
                          std::to_string(read.column_int64(2)) + ", which is missing");
        }
        entries.push_back(entry_from_row(read));
        break;
      case step_result::done:
        return entries;
      default:
        return fail(errc::storage_unavailable, "read outbox: " + last_error(db_.get()));
    }
  }
}

result<std::size_t> sqlite_journal::mark_outbox_published(std::span<const std::int64_t> positions,
                                                          std::int64_t published_at_ms) {
  if (positions.empty()) return std::size_t{0};
  if (!run(begin_write_)) return fail(errc::storage_unavailable, "begin: " + last_error(db_.get()));
  std::size_t changed = 0;
  for (const std::int64_t position : positions) {
    const reset_guard guard(mark_outbox_);
    mark_outbox_.bind_int64(1, position);
    mark_outbox_.bind_int64(2, published_at_ms);
    if (mark_outbox_.step() != step_result::done) {
      const std::string why = "mark outbox published: " + last_error(db_.get());
      rollback();
      return fail(errc::storage_unavailable, why);
    }
    changed += static_cast<std::size_t>(sqlite3_changes(db_.get()));
  }
  if (!run(commit_)) {
    const std::string why = "commit outbox marks: " + last_error(db_.get());
    rollback();
    return fail(errc::storage_unavailable, why);
  }
  // A relay that was told "marked" must not send the rows again after a power loss. (A purge
  // lost that way only runs again; a snapshot only saves a replay.)
  if (result<void> synced = sync_committed(); !synced) return synced.error();
  return changed;
}

result<std::size_t> sqlite_journal::purge_outbox(std::int64_t published_before_ms,
                                                 std::size_t max_rows) {
  const std::size_t bounded = std::min(max_rows, outbox_purge_chunk);
  if (bounded == 0) return std::size_t{0};
  if (!run(begin_write_)) return fail(errc::storage_unavailable, "begin: " + last_error(db_.get()));
  bool purged = false;
  {
    const reset_guard guard(purge_outbox_);
    purge_outbox_.bind_int64(1, published_before_ms);
    purge_outbox_.bind_int64(2, static_cast<std::int64_t>(bounded));
    purged = purge_outbox_.step() == step_result::done;
  }
  const auto deleted = static_cast<std::size_t>(sqlite3_changes(db_.get()));
  if (!purged || !run(commit_)) {
    const std::string why = "purge outbox: " + last_error(db_.get());
    rollback();
    return fail(errc::storage_unavailable, why);
  }
  return deleted;
}

}  // namespace payorch::persistence::sqlite
