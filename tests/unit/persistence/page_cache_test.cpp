// The page cache over SQLite's own (persistence/sqlite/page_cache.hpp): random inserts park pages
// under the pending-byte page's number, and the end of each transaction then no longer walks the
// whole cache; a truncation that removes pages (a rolled-back growth, a VACUUM that shrinks the
// file) still reaches SQLite's cache, and the file stays sound.
#include "persistence/sqlite/page_cache.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "persistence/sqlite/statement.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::persistence::sqlite {
namespace {

// Other tests of this binary open SQLite directly; when the whole binary runs in one process, the
// cache must be installed before the first of them starts SQLite up.
const bool configured_first = (configure_sqlite(), true);

/// A key that lands on a random page of the index: the row's id, scrambled.
std::string key_of(std::int64_t id) {
  std::uint64_t x = static_cast<std::uint64_t>(id) * 0x9E3779B97F4A7C15ULL;
  x ^= x >> 31;
  return std::to_string(x);
}

/// A connection in WAL mode with a table whose index takes random keys.
struct db {
  explicit db(const std::filesystem::path& file) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    EXPECT_EQ(open_connection(file.string(), flags, conn), SQLITE_OK);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA cache_size=-32000");
    exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, body TEXT NOT NULL)");
  }
  void exec(const std::string& sql) {
    char* message = nullptr;
    ASSERT_EQ(sqlite3_exec(conn.get(), sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
        << sql << ": " << (message ? message : "");
  }
  /// Inserts rows [first, first + count) in the open transaction, if any.
  void insert(std::int64_t first, std::int64_t count) {
    statement insert(conn.get(), "INSERT INTO t (id, k, body) VALUES (?1, ?2, ?3)", nullptr);
    for (std::int64_t id = first; id < first + count; ++id) {
      insert.bind_int64(1, id);
      insert.bind_text(2, key_of(id));
      insert.bind_text(3, std::string(200, static_cast<char>('a' + id % 26)));
      ASSERT_EQ(insert.step(), step_result::done);
      insert.reset();
    }
  }
  /// Commits `transactions` transactions of `rows` rows each, from row `first`.
  void commit_rows(std::int64_t first, int transactions, std::int64_t rows) {
    for (int i = 0; i < transactions; ++i) {
      exec("BEGIN IMMEDIATE");
      insert(first + i * rows, rows);
      exec("COMMIT");
    }
  }
  std::int64_t single(const std::string& sql) {
    statement query(conn.get(), sql, nullptr);
    return query.step() == step_result::row ? query.column_int64(0) : -1;
  }
  std::string integrity() {
    statement check(conn.get(), "PRAGMA integrity_check", nullptr);
    return check.step() == step_result::row ? check.column_string(0) : "no answer";
  }
  connection_ptr conn;
};

page_cache_counts since(const page_cache_counts& start) {
  const page_cache_counts now = page_cache_totals();
  return {now.parked - start.parked, now.truncations - start.truncations,
          now.forwarded - start.forwarded};
}

TEST(page_cache, random_inserts_end_their_transactions_without_walking_the_cache) {
  testing::temp_dir dir;
  db d(dir.path() / "t.sqlite");
  d.commit_rows(0, 10, 100);  // an index deep enough for splits to swap page numbers
  const page_cache_counts start = page_cache_totals();
  d.commit_rows(1000, 300, 20);
  const page_cache_counts counts = since(start);
  EXPECT_GT(counts.parked, 0U) << "no split parked a page: the test no longer tests anything";
  EXPECT_GE(counts.truncations, 300U);
  // SQLite's cache walks every bucket when a page is parked above the end; here only a growing
  // file's ends were asked for, and none holds a page to remove.
  EXPECT_LT(counts.forwarded * 10, counts.truncations);
  EXPECT_EQ(d.integrity(), "ok");
  EXPECT_EQ(d.single("SELECT count(*) FROM t"), 7000);
}

TEST(page_cache, a_rolled_back_growth_drops_its_pages) {
  testing::temp_dir dir;
  db d(dir.path() / "t.sqlite");
  d.commit_rows(0, 5, 100);
  const std::int64_t pages = d.single("PRAGMA page_count");
  const page_cache_counts start = page_cache_totals();
  d.exec("BEGIN IMMEDIATE");
  d.insert(500, 3000);
  ASSERT_GT(d.single("PRAGMA page_count"), pages + 100);
  d.exec("ROLLBACK");
  EXPECT_GE(since(start).forwarded, 1U) << "the pages past the old end stayed in the cache";
  EXPECT_EQ(d.single("PRAGMA page_count"), pages);
  EXPECT_EQ(d.single("SELECT count(*) FROM t"), 500);
  d.commit_rows(500, 20, 50);  // the same page numbers again, with other content
  EXPECT_EQ(d.integrity(), "ok");
  EXPECT_EQ(d.single("SELECT count(*) FROM t"), 1500);
}

TEST(page_cache, a_vacuum_that_shrinks_the_file_leaves_it_sound) {
  testing::temp_dir dir;
  db d(dir.path() / "t.sqlite");
  d.commit_rows(0, 20, 200);
  d.exec("DELETE FROM t WHERE id % 10 <> 0");
  const std::int64_t before = d.single("PRAGMA page_count");
  const page_cache_counts start = page_cache_totals();
  d.exec("VACUUM");
  EXPECT_LT(d.single("PRAGMA page_count"), before / 2);
  EXPECT_GE(since(start).forwarded, 1U);
  EXPECT_EQ(d.integrity(), "ok");
  EXPECT_EQ(d.single("SELECT count(*) FROM t"), 400);
  d.commit_rows(4000, 5, 100);
  EXPECT_EQ(d.integrity(), "ok");
  EXPECT_EQ(d.single("SELECT count(*) FROM t"), 900);
}

}  // namespace
}  // namespace payorch::persistence::sqlite
