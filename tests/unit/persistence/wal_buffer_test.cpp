// The VFS that gathers a connection's WAL writes (persistence/sqlite/wal_buffer.hpp): whatever a
// commit wrote is in the files when COMMIT returns, other connections read it, and transactions
// bigger than its buffer or the page cache, or rolled back after spilling, leave a sound file.
#include "persistence/sqlite/wal_buffer.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "persistence/sqlite/statement.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::persistence::sqlite {
namespace {

/// The bytes of row `id`: `size` bytes that differ from row to row and along the row.
std::string body_of(std::int64_t id, std::size_t size) {
  std::string body(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    body[i] = static_cast<char>((static_cast<std::uint64_t>(id) * 131 + i * 7) & 0xff);
  return body;
}

/// A connection in WAL mode with synchronous=FULL (or `synchronous`), through the gathering VFS or
/// the default one.
struct db {
  db(const std::filesystem::path& file, bool gathering, int cache_kib = 2000,
     const std::string& synchronous = "FULL") {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    EXPECT_EQ(open_connection(file.string(), flags, conn, gathering ? wal_buffer_vfs() : nullptr),
              SQLITE_OK);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=" + synchronous);
    exec("PRAGMA wal_autocheckpoint=0");  // the WAL keeps every commit until told otherwise
    exec("PRAGMA cache_size=-" + std::to_string(cache_kib));
  }
  void exec(const std::string& sql) {
    char* message = nullptr;
    ASSERT_EQ(sqlite3_exec(conn.get(), sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
        << sql << ": " << (message ? message : "");
  }
  /// Inserts rows [first, first + count) of `size` bytes each (in the open transaction, if any).
  void insert(std::int64_t first, std::int64_t count, std::size_t size) {
    statement insert(conn.get(), "INSERT INTO t (id, body) VALUES (?1, ?2)", nullptr);
    for (std::int64_t id = first; id < first + count; ++id) {
      const std::string body = body_of(id, size);
      insert.bind_int64(1, id);
      insert.bind_blob(2, body);
      ASSERT_EQ(insert.step(), step_result::done);
      insert.reset();
    }
  }
  /// Inserts the rows in a transaction of their own and commits it.
  void commit_rows(std::int64_t first, std::int64_t count, std::size_t size) {
    exec("BEGIN IMMEDIATE");
    insert(first, count, size);
    exec("COMMIT");
  }
  /// How many rows there are, after checking that each holds its own bytes.
  std::int64_t checked_rows() {
    statement select(conn.get(), "SELECT id, body FROM t ORDER BY id", nullptr);
    std::int64_t rows = 0;
    while (select.step() == step_result::row) {
      const std::int64_t id = select.column_int64(0);
      const std::string body = select.column_string(1);
      EXPECT_EQ(body, body_of(id, body.size())) << "row " << id;
      ++rows;
    }
    return rows;
  }
  std::string integrity() {
    statement check(conn.get(), "PRAGMA integrity_check", nullptr);
    return check.step() == step_result::row ? check.column_string(0) : "no answer";
  }
  connection_ptr conn;
};

/// What a crash would leave with the writer still open: the files of t.db copied as they are
/// now, opened again (SQLite recovers the copy from its WAL).
std::unique_ptr<db> copy_of_files(testing::temp_dir& dir) {
  for (const char* suffix : {"", "-wal"}) {
    std::filesystem::copy_file(dir.file(std::string("t.db") + suffix),
                               dir.file(std::string("copy.db") + suffix));
  }
  return std::make_unique<db>(dir.file("copy.db"), false);
}

/// Whatever a commit wrote is in the files when COMMIT returns, and nothing of a transaction
/// still open: a copy of the files holds exactly the committed rows.
void expect_commits_in_the_files(const std::string& synchronous) {
  testing::temp_dir dir;
  db writer(dir.file("t.db"), true, 2000, synchronous);
  writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  writer.commit_rows(0, 300, 2500);
  writer.exec("BEGIN IMMEDIATE");
  writer.insert(300, 10, 2500);  // not committed: must not be in the copy
  const auto recovered = copy_of_files(dir);
  EXPECT_EQ(recovered->checked_rows(), 300);
  EXPECT_EQ(recovered->integrity(), "ok");
  writer.exec("ROLLBACK");
}

/// Another connection reads every commit as soon as COMMIT returns: small ones, one bigger than
/// the buffer and the cache (it spills mid-way), and a small one after it.
void expect_readers_see_every_commit(const std::string& synchronous) {
  testing::temp_dir dir;
  db writer(dir.file("t.db"), true, 2000, synchronous);
  writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  db reader(dir.file("t.db"), false);
  for (std::int64_t round = 0; round < 40; ++round) {
    writer.commit_rows(round * 25, 25, 3000);
    ASSERT_EQ(reader.checked_rows(), (round + 1) * 25) << "after commit " << round;
  }
  writer.commit_rows(1000, 2000, 3000);
  EXPECT_EQ(reader.checked_rows(), 3000);
  writer.commit_rows(3000, 1, 10);
  EXPECT_EQ(reader.checked_rows(), 3001);
  EXPECT_EQ(reader.integrity(), "ok");
}

TEST(wal_buffer, the_vfs_is_registered_once_under_one_name) {
  const char* name = wal_buffer_vfs();
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(wal_buffer_vfs(), name);
  EXPECT_NE(sqlite3_vfs_find(name), nullptr);
  EXPECT_NE(sqlite3_vfs_find(nullptr), sqlite3_vfs_find(name)) << "it must not become the default";
}

TEST(wal_buffer, another_connection_reads_every_commit_at_once) {
  expect_readers_see_every_commit("FULL");
}

// With synchronous=NORMAL SQLite never syncs at a commit: the frames go to the file when the
// commit frame is written, before SQLite publishes them (the journal then syncs the WAL itself,
// from another thread, before it acknowledges the batch).
TEST(wal_buffer, without_a_sync_at_commit_another_connection_reads_every_commit_at_once) {
  expect_readers_see_every_commit("NORMAL");
}

TEST(wal_buffer, without_a_sync_at_commit_a_commit_is_in_the_files_when_commit_returns) {
  expect_commits_in_the_files("NORMAL");
}

// A transaction that spills its cache and then changes a spilled page again makes SQLite write
// that page over its frame and stamp the frames after it again at commit, the commit frame's
// header last: that write must reach the file too, or a copy (what a crash leaves) would stop
// before the transaction, which a sync after COMMIT was meant to make durable.
TEST(wal_buffer, without_a_sync_at_commit_a_restamped_commit_is_in_the_files) {
  testing::temp_dir dir;
  db writer(dir.file("t.db"), true, 64, "NORMAL");  // a 64 KiB cache: the transaction spills
  writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  writer.commit_rows(0, 10, 100);
  writer.exec("BEGIN IMMEDIATE");
  writer.insert(10, 400, 2000);
  {
    statement update(writer.conn.get(), "UPDATE t SET body = ?2 WHERE id = ?1", nullptr);
    for (std::int64_t id = 10; id < 60; ++id) {  // pages written out by the spill
      const std::string body = body_of(id, 1500);
      update.bind_int64(1, id);
      update.bind_blob(2, body);
      ASSERT_EQ(update.step(), step_result::done);
      update.reset();
    }
  }
  writer.exec("COMMIT");
  const auto recovered = copy_of_files(dir);
  EXPECT_EQ(recovered->checked_rows(), 410);
  EXPECT_EQ(recovered->integrity(), "ok");
}

TEST(wal_buffer, a_commit_is_in_the_files_when_commit_returns) {
  expect_commits_in_the_files("FULL");
}

TEST(wal_buffer, transactions_bigger_than_the_buffer_and_the_cache_are_whole) {
  // 12 MiB in one transaction over a 256 KiB page cache: SQLite spills pages to the WAL before
  // the commit and reads some back, and the buffer (4 MiB) fills several times.
  testing::temp_dir dir;
  {
    db writer(dir.file("t.db"), true, 256);
    writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
    writer.exec("BEGIN IMMEDIATE");
    writer.insert(0, 3000, 4000);
    writer.exec("UPDATE t SET body = body WHERE id % 7 = 0");  // rewrites pages already spilled
    writer.exec("COMMIT");
    db reader(dir.file("t.db"), false);
    EXPECT_EQ(reader.checked_rows(), 3000);
    EXPECT_EQ(reader.integrity(), "ok");
  }
  db reopened(dir.file("t.db"), false);
  EXPECT_EQ(reopened.checked_rows(), 3000);
}

TEST(wal_buffer, a_rolled_back_spill_leaves_only_what_was_committed) {
  testing::temp_dir dir;
  db writer(dir.file("t.db"), true, 256);
  writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  writer.commit_rows(0, 10, 1000);
  writer.exec("BEGIN IMMEDIATE");
  writer.insert(10, 2000, 4000);  // spills, then goes
  writer.exec("ROLLBACK");
  writer.commit_rows(5000, 40, 2000);
  const auto recovered = copy_of_files(dir);
  db reader(dir.file("t.db"), false);
  EXPECT_EQ(reader.checked_rows(), 50);
  EXPECT_EQ(reader.integrity(), "ok");
  EXPECT_EQ(recovered->checked_rows(), 50);
  EXPECT_EQ(recovered->integrity(), "ok");
}

TEST(wal_buffer, checkpoints_and_wal_restarts_keep_every_row) {
  testing::temp_dir dir;
  db writer(dir.file("t.db"), true);
  writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  db other(dir.file("t.db"), false);
  for (std::int64_t round = 0; round < 6; ++round) {
    writer.commit_rows(round * 100, 100, 1500);
    // The writer's next transaction starts the WAL over after a full checkpoint by either side.
    if (round % 2 == 0)
      other.exec("PRAGMA wal_checkpoint(RESTART)");
    else
      writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  EXPECT_EQ(other.checked_rows(), 600);
  EXPECT_EQ(other.integrity(), "ok");
}

}  // namespace
}  // namespace payorch::persistence::sqlite
