#pragma once
/// The SQLite implementation of journal_store (internal; callers use open_sqlite_journal).

#include <optional>
#include <string>

#include "persistence/journal.hpp"
#include "persistence/sqlite/checkpointer.hpp"
#include "persistence/sqlite/statement.hpp"

namespace payorch::persistence::sqlite {

/// Builds an event from a row whose columns are the events table's, in declaration order.
event_record event_from_row(const statement& row);

/// A journal in one SQLite file, with every statement prepared once at open.
class sqlite_journal final : public journal_store {
 public:
  /// Opens the file, applies the schema and prepares the statements; null with `*error` on failure.
  static std::unique_ptr<sqlite_journal> open(const sqlite_options& options, std::string* error);
  ~sqlite_journal() override;
  sqlite_journal(const sqlite_journal&) = delete;
  sqlite_journal& operator=(const sqlite_journal&) = delete;

  std::vector<append_result> append_batch(std::span<const append_request> batch) override;
  stream_read read_stream(std::string_view stream_id) override;
  std::vector<event_record> read_events(std::string_view stream_id, std::int64_t after_version,
                                        std::size_t limit) override;
  bool save_snapshot(const snapshot_record& snapshot) override;
  std::vector<std::string> list_streams(std::string_view prefix, std::string_view after,
                                        std::size_t limit) override;
  verify_report verify() override;

 private:
  struct stream_head {
    std::int64_t version = 0;
    std::string hash;
  };
  /// One request's result, or the news that the whole batch must be rolled back.
  struct request_outcome {
    append_result result;
    bool abort_batch = false;
  };

  explicit sqlite_journal(connection_ptr db) : db_(std::move(db)) {}
  bool prepare_statements(std::string* error);

  request_outcome append_one(const append_request& request);
  request_outcome abort_with(std::string_view what);
  /// Inserts the request's events after `head`: done, key_violation if the first one's version was
  /// taken (then nothing was written), or error.
  step_result insert_events(const append_request& request, stream_head head);
  std::optional<stream_head> read_head(std::string_view stream_id);
  bool collect_events(std::string_view stream_id, std::int64_t after_version, std::int64_t limit,
                      std::vector<event_record>& out);
  bool run(statement& stmt);
  void rollback() noexcept;

  connection_ptr db_;
  statement begin_write_;
  statement begin_read_;
  statement commit_;
  statement rollback_;
  statement select_head_;
  statement insert_event_;
  statement select_events_;
  statement select_snapshot_;
  statement upsert_snapshot_;
  statement list_streams_;
  statement select_all_events_;
  // Declared last so it stops (and closes its connection) before the writer's connection closes.
  std::unique_ptr<checkpointer> checkpointer_;  // null: SQLite's automatic checkpoint
};

}  // namespace payorch::persistence::sqlite
