// Tests of the journal file's layout and upkeep: the rowid layout, files of the old layout, WAL
// checkpoints.
#include <gtest/gtest.h>

#include <filesystem>

#include "persistence/sqlite/checkpointer.hpp"
#include "persistence_test_support.hpp"

namespace payorch::persistence {
namespace {

using testing::append_one;
using testing::make_request;
using testing::numbered;
using testing::open_journal;
using testing::raw_db;
using testing::temp_dir;

// The events table exactly as builds before the rowid layout created it.
constexpr const char* old_layout = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE events (
  stream_id TEXT NOT NULL, version INTEGER NOT NULL, event_type TEXT NOT NULL, payload BLOB NOT NULL,
  recorded_at_ms INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY (stream_id, version)
) WITHOUT ROWID;
CREATE TABLE snapshots (stream_id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, payload BLOB NOT NULL)
  WITHOUT ROWID;
INSERT INTO schema_version (version) VALUES (1);
)sql";

// Goal: a new file gets a rowid events table with a unique (stream_id, version) index, still
// schema 1.
TEST(sqlite_layout, new_file_is_a_rowid_table_with_a_unique_index) {
  temp_dir dir;
  ASSERT_NE(open_journal(dir.file("j.db")), nullptr);
  raw_db raw(dir.file("j.db"));
  EXPECT_EQ(
      raw.query_text("SELECT sql FROM sqlite_master WHERE name = 'events'").find("WITHOUT ROWID"),
      std::string::npos);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM pragma_index_list('events') WHERE \"unique\" = 1"),
            1);
  EXPECT_EQ(raw.query_int("SELECT version FROM schema_version"), 1);
  // The index, not a check in code, refuses a second event with the same version.
  auto store = open_journal(dir.file("j.db"));
  append_one(*store, make_request("s", 0, 1));
  char* message = nullptr;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("j.db").string().c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "INSERT INTO events SELECT * FROM events", nullptr, nullptr, &message),
            SQLITE_OK);
  sqlite3_free(message);
  sqlite3_close(db);
}

// Goal: a file of the old WITHOUT ROWID layout opens unchanged and appends, conflicts, reads and
// verifies.
TEST(sqlite_layout, old_layout_file_keeps_working) {
  temp_dir dir;
  raw_db(dir.file("old.db")).exec(old_layout);
  {
    auto store = open_journal(dir.file("old.db"));
    ASSERT_NE(store, nullptr);
    const std::vector batch{make_request("a", 0, 2), make_request("a", 2, 1, 3),
                            make_request("a", 1, 1), make_request("", 0, 1)};
    const std::vector<append_result> results = store->append_batch(batch);
    ASSERT_EQ(results.size(), 4U);
    EXPECT_EQ(results[0].status, append_status::committed);
    EXPECT_EQ(results[1].status, append_status::committed);
    EXPECT_EQ(results[1].last_version, 3);
    EXPECT_EQ(results[2].status, append_status::version_conflict);
    EXPECT_EQ(results[2].last_version, 3);
    EXPECT_EQ(results[3].status, append_status::storage_error);
    EXPECT_TRUE(store->save_snapshot({"a", 2, "state@2"}));
    const stream_read read = store->read_stream("a");
    ASSERT_TRUE(read.ok);
    ASSERT_EQ(read.events.size(), 1U);
    EXPECT_EQ(read.events[0].version, 3);
    EXPECT_EQ(store->list_streams("", "", 10).value(), std::vector<std::string>{"a"});
    EXPECT_TRUE(store->verify().ok);
  }
  raw_db raw(dir.file("old.db"));
  EXPECT_NE(
      raw.query_text("SELECT sql FROM sqlite_master WHERE name = 'events'").find("WITHOUT ROWID"),
      std::string::npos);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM events"), 3);
}

/// Appends `batches` one-event batches of 3 KiB payloads to fresh streams; returns the largest WAL
/// seen.
std::uintmax_t append_and_watch_wal(journal_store& store, const std::filesystem::path& file,
                                    int batches) {
  std::uintmax_t largest = 0;
  const std::filesystem::path wal = file.string() + "-wal";
  for (int i = 0; i < batches; ++i) {
    append_request request{numbered("s", i), 0, {}};
    request.events.push_back({"big", std::string(3072, static_cast<char>('a' + i % 26)), i});
    EXPECT_EQ(append_one(store, std::move(request)).status, append_status::committed);
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(wal, ec);
    if (!ec && size > largest) largest = size;
  }
  return largest;
}

// Goal: with checkpoints the WAL stays near max_wal_pages; without them it holds every page
// written.
TEST(sqlite_layout, checkpoints_bound_the_wal) {
  constexpr int batches = 400;
  constexpr std::uintmax_t frame_bytes = 4096 + 24;
  temp_dir dir;
  std::string error;
  auto bounded = open_sqlite_journal(
      {.file = dir.file("bounded.db"), .checkpoint_pages = 10, .max_wal_pages = 40}, &error);
  ASSERT_NE(bounded, nullptr) << error;
  const std::uintmax_t bounded_wal =
      append_and_watch_wal(*bounded, dir.file("bounded.db"), batches);
  // Every batch writes at least one page, so an unchecked WAL would pass 400 pages.
  EXPECT_LT(bounded_wal, 200 * frame_bytes);
  EXPECT_TRUE(bounded->verify().ok);
  EXPECT_EQ(bounded->list_streams("", "", 1000).value().size(), static_cast<std::size_t>(batches));

  // A threshold of 0 hands checkpoints back to SQLite (every 1000 pages), which also works.
  auto automatic =
      open_sqlite_journal({.file = dir.file("auto.db"), .checkpoint_pages = 0}, &error);
  ASSERT_NE(automatic, nullptr) << error;
  EXPECT_GT(append_and_watch_wal(*automatic, dir.file("auto.db"), batches), bounded_wal);
  EXPECT_TRUE(automatic->verify().ok);
}

// Goal: background rounds are large (one copy of a page however many frames hold it) until the
// WAL nears its maximum; then small, so the rest the writer copies itself stays small.
TEST(sqlite_layout, checkpoint_rounds_shrink_near_the_maximum) {
  const sqlite::checkpoint_limits limits{
      .start_pages = 16000, .max_wal_pages = 64000, .tail_pages = 256};
  EXPECT_EQ(sqlite::round_pages(limits, 16000), 16000);
  EXPECT_EQ(sqlite::round_pages(limits, 47999), 16000);
  EXPECT_EQ(sqlite::round_pages(limits, 48000), 256);
  EXPECT_EQ(sqlite::round_pages(limits, 63999), 256);
  const sqlite::checkpoint_limits defaults{};
  EXPECT_EQ(defaults.start_pages, sqlite_options{}.checkpoint_pages);
  EXPECT_EQ(defaults.max_wal_pages, sqlite_options{}.max_wal_pages);
}

// Goal: a missing or unwritable file fails to open with a reason, checkpointer or not.
TEST(sqlite_layout, checkpointer_does_not_mask_open_errors) {
  temp_dir dir;
  std::string error;
  EXPECT_EQ(open_sqlite_journal({.file = dir.file("missing/j.db"), .checkpoint_pages = 10}, &error),
            nullptr);
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace payorch::persistence
