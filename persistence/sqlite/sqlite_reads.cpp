// The read side and snapshots of sqlite_journal.
#include <limits>

#include "persistence/sqlite/sqlite_journal.hpp"

namespace payorch::persistence::sqlite {
namespace {

std::int64_t clamp_limit(std::size_t limit) {
  constexpr auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(limit > max ? max : limit);
}

/// The smallest string greater than every string that starts with `prefix`, or none if unbounded.
std::optional<std::string> prefix_upper_bound(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xffU) bound.pop_back();
  if (bound.empty()) return std::nullopt;
  bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1U);
  return bound;
}

}  // namespace

std::int64_t page_limit(std::size_t limit) {
  return static_cast<std::int64_t>(limit < max_page_rows ? limit : max_page_rows);
}

void bind_prefix_range(statement& stmt, int index, std::string_view prefix) {
  stmt.bind_text(index, prefix);
  if (const std::optional<std::string> upper = prefix_upper_bound(prefix)) {
    stmt.bind_text(index + 1, *upper);
  } else {
    stmt.bind_blob(index + 1, {});  // an empty BLOB sorts after every TEXT: no upper bound
  }
}

bool sqlite_journal::collect_events(std::string_view stream_id, std::int64_t after_version,
                                    std::int64_t limit, std::vector<event_record>& out) {
  const reset_guard guard(select_events_);
  select_events_.bind_text(1, stream_id);
  select_events_.bind_int64(2, after_version);
  select_events_.bind_int64(3, limit);
  for (;;) {
    switch (select_events_.step()) {
      case step_result::row:
        out.push_back(event_from_row(select_events_));
        break;
      case step_result::done:
        return true;
      default:
        return false;
    }
  }
}

stream_read sqlite_journal::read_stream(std::string_view stream_id) {
  stream_read read;
  // One read transaction so the snapshot and the tail come from the same state of the file.
  if (!run(begin_read_)) {
    read.detail = "begin: " + last_error(db_.get());
    return read;
  }
  std::int64_t after_version = 0;
  {
    const reset_guard guard(select_snapshot_);
    select_snapshot_.bind_text(1, stream_id);
    const step_result step = select_snapshot_.step();
    if (step == step_result::row) {
      after_version = select_snapshot_.column_int64(0);
      read.snapshot =
          snapshot_record{std::string(stream_id), after_version, select_snapshot_.column_string(1)};
    } else if (step != step_result::done) {
      read.detail = "read snapshot: " + last_error(db_.get());
      rollback();
      return read;
    }
  }
  if (!collect_events(stream_id, after_version, -1, read.events)) {
    read.detail = "read events: " + last_error(db_.get());
    read.snapshot.reset();
    read.events.clear();
    rollback();
    return read;
  }
  run(commit_);  // ends a read-only transaction; nothing to lose if it fails
  read.ok = true;
  return read;
}

result<std::vector<event_record>> sqlite_journal::read_events(std::string_view stream_id,
                                                              std::int64_t after_version,
                                                              std::size_t limit) {
  std::vector<event_record> events;
  if (limit == 0) return events;
  if (!collect_events(stream_id, after_version, clamp_limit(limit), events))
    return fail(errc::storage_unavailable, "read events: " + last_error(db_.get()));
  return events;
}

bool sqlite_journal::save_snapshot(const snapshot_record& snapshot) {
  if (snapshot.stream_id.empty() || snapshot.version < 1) return false;
  if (!run(begin_write_)) return false;
  // A snapshot past the last event would make read_stream skip events that do not exist yet.
  const std::optional<stream_head> head = read_head(snapshot.stream_id);
  if (!head || snapshot.version > head->version) {
    rollback();
    return false;
  }
  bool stored = false;
  {
    const reset_guard guard(upsert_snapshot_);
    upsert_snapshot_.bind_text(1, snapshot.stream_id);
    upsert_snapshot_.bind_int64(2, snapshot.version);
    upsert_snapshot_.bind_blob(3, snapshot.payload);
    stored = upsert_snapshot_.step() == step_result::done;
  }
  if (!stored || !run(commit_)) {
    rollback();
    return false;
  }
  return true;
}

result<std::vector<std::string>> sqlite_journal::list_streams(std::string_view prefix,
                                                              std::string_view after,
                                                              std::size_t limit) {
  std::vector<std::string> streams;
  if (limit == 0) return streams;
  const reset_guard guard(list_streams_);
  list_streams_.bind_text(1, after);
  bind_prefix_range(list_streams_, 2, prefix);
  list_streams_.bind_int64(4, clamp_limit(limit));
  for (;;) {
    switch (list_streams_.step()) {
      case step_result::row:
        streams.push_back(list_streams_.column_string(0));
        break;
      case step_result::done:
        return streams;
      default:
        return fail(errc::storage_unavailable, "list streams: " + last_error(db_.get()));
    }
  }
}

}  // namespace payorch::persistence::sqlite
