// Versioned schema migrations of the SQLite journal.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <optional>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/sqlite/schema.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::persistence {
namespace {

using sqlite::migration;

/// A raw connection to a journal file, closed at scope end.
struct raw_db {
  explicit raw_db(const std::filesystem::path& file) { sqlite3_open(file.c_str(), &db); }
  ~raw_db() { sqlite3_close(db); }
  std::vector<std::int64_t> applied() const {
    std::vector<std::int64_t> out;
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT version FROM schema_migrations ORDER BY version", -1, &s,
                       nullptr);
    while (s && sqlite3_step(s) == SQLITE_ROW) out.push_back(sqlite3_column_int64(s, 0));
    sqlite3_finalize(s);
    return out;
  }
  /// Applies the first `n` migrations, as a build of that schema version left the file.
  bool migrate_to(std::size_t n, std::string* error) {
    std::string report;
    return sqlite::run_migrations(db, sqlite::sqlite_migrations().first(n), true, &report, error);
  }
  /// Runs `sql`; SQLite's result code.
  int exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }
  /// The first column of the first row as an integer; -1 without a row.
  std::int64_t count(const char* sql) const {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
    const std::int64_t n = s && sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return n;
  }
  bool has_table(const char* name) const {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1", -1, &s,
                       nullptr);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    const bool found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return found;
  }
  sqlite3* db = nullptr;
};

TEST(sqlite_migrations, a_new_journal_records_every_migration) {
  testing::temp_dir dir{"payorch-migrate"};
  std::string error;
  ASSERT_TRUE(open_sqlite_journal({.file = dir.file("j.sqlite")}, &error)) << error;
  raw_db db(dir.file("j.sqlite"));
  EXPECT_EQ(db.applied(), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(sqlite_migrations, migrating_twice_changes_nothing) {
  testing::temp_dir dir{"payorch-migrate"};
  std::string report, error;
  ASSERT_TRUE(migrate_sqlite(dir.file("j.sqlite"), &report, &error)) << error;
  EXPECT_NE(report.find("applied migration 1 (events and snapshots), 2"), std::string::npos)
      << report;
  ASSERT_TRUE(migrate_sqlite(dir.file("j.sqlite"), &report, &error)) << error;
  EXPECT_NE(report.find("up to date"), std::string::npos) << report;
  EXPECT_TRUE(open_sqlite_journal({.file = dir.file("j.sqlite")}, &error)) << error;
}

TEST(sqlite_migrations, a_failing_migration_is_rolled_back_and_named) {
  testing::temp_dir dir{"payorch-migrate"};
  raw_db db(dir.file("j.sqlite"));
  std::vector<migration> list(sqlite::sqlite_migrations().begin(),
                              sqlite::sqlite_migrations().end());
  const int bad_version = list.back().version + 1;
  list.push_back(
      {bad_version, "broken step", "CREATE TABLE half_done (x); SELECT * FROM no_such_table;"});
  std::string report, error;
  EXPECT_FALSE(sqlite::run_migrations(db.db, list, true, &report, &error));
  EXPECT_NE(error.find("migration " + std::to_string(bad_version) + " (broken step) failed"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("no_such_table"), std::string::npos) << error;
  EXPECT_FALSE(db.has_table("half_done"));  // its first statement was rolled back too
  EXPECT_EQ(db.applied(), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));  // the earlier ones stay
}

TEST(sqlite_migrations, check_only_refuses_to_open_with_pending_migrations) {
  testing::temp_dir dir{"payorch-migrate"};
  {
    raw_db db(dir.file("j.sqlite"));
    std::string error;
    ASSERT_TRUE(db.migrate_to(1, &error)) << error;
  }
  std::string error;
  EXPECT_FALSE(
      open_sqlite_journal({.file = dir.file("j.sqlite"), .apply_migrations = false}, &error));
  EXPECT_NE(error.find("2 (ledger and idempotency records)"), std::string::npos) << error;
  EXPECT_NE(error.find("payorch migrate"), std::string::npos) << error;
  EXPECT_TRUE(open_sqlite_journal({.file = dir.file("j.sqlite")}, &error)) << error;
}

TEST(sqlite_migrations, a_journal_from_before_versioned_migrations_is_adopted) {
  testing::temp_dir dir{"payorch-migrate"};
  {
    raw_db db(dir.file("j.sqlite"));
    // Builds before versioned migrations created the tables of the first two.
    for (const auto& m : sqlite::sqlite_migrations().first(2))
      ASSERT_EQ(db.exec(std::string(m.sql).c_str()), SQLITE_OK);
    EXPECT_FALSE(db.has_table("schema_migrations"));
  }
  std::string error;
  ASSERT_TRUE(open_sqlite_journal({.file = dir.file("j.sqlite")}, &error)) << error;
  raw_db db(dir.file("j.sqlite"));
  EXPECT_EQ(db.applied(), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
}

// Goal: a journal at version 2 (events, ledger, idempotency; written by a build before the
// outbox) is refused while the outbox migration is pending, then gains the table when migrated,
// keeping its events, and takes outbox messages.
TEST(sqlite_migrations, a_journal_at_version_2_gains_the_outbox) {
  testing::temp_dir dir{"payorch-migrate"};
  {
    raw_db db(dir.file("j.sqlite"));
    std::string error;
    ASSERT_TRUE(db.migrate_to(2, &error)) << error;
    // An older build's data: an event written before the outbox existed.
    ASSERT_EQ(db.exec("INSERT INTO events VALUES ('old', 1, 'Old', X'7b7d', 5, "
                      "'0000000000000000000000000000000000000000000000000000000000000000', "
                      "'h')"),
              SQLITE_OK);
    EXPECT_FALSE(db.has_table("outbox"));
  }
  std::string error;
  EXPECT_FALSE(
      open_sqlite_journal({.file = dir.file("j.sqlite"), .apply_migrations = false}, &error));
  EXPECT_NE(error.find("3 (outbox)"), std::string::npos) << error;

  auto store = open_sqlite_journal({.file = dir.file("j.sqlite")}, &error);
  ASSERT_NE(store, nullptr) << error;
  raw_db db(dir.file("j.sqlite"));
  EXPECT_TRUE(db.has_table("outbox"));
  EXPECT_EQ(db.applied(), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(store->read_events("old", 0, 10).value().size(), 1U);
  append_request request{"new", 0, {{"Created", "{}", 7}}};
  request.outbox.push_back({1, "crowdpay.crowdpod.v1.PodCreated"});
  const append_result result = store->append_batch(std::vector<append_request>{request}).at(0);
  EXPECT_EQ(result.status, append_status::committed) << result.detail;
  const auto rows = store->read_outbox(0, 10, false);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ(rows->front().message_id(), "new:1");
  EXPECT_EQ(rows->front().recorded_at_ms, 7);
}

// Goal: migration 4 takes the UNIQUE index off the outbox's message_id of a journal at version 3,
// and migration 6 turns the id into the event's version; every row keeps its position and
// publication, and the position sequence is kept too: a row purged from the end does not get its
// position handed out again.
TEST(sqlite_migrations, a_journal_at_version_3_loses_the_message_id_index_and_keeps_its_rows) {
  testing::temp_dir dir{"payorch-migrate"};
  {
    raw_db db(dir.file("j.sqlite"));
    std::string error;
    ASSERT_TRUE(db.migrate_to(3, &error)) << error;
    // Three events and their messages as an older build wrote them; the first message published,
    // the last purged.
    for (int version = 1; version <= 3; ++version) {
      const std::string event = "INSERT INTO events VALUES ('old', " + std::to_string(version) +
                                ", 'Old', X'7b7d', 5, 'p', 'h')";
      ASSERT_EQ(db.exec(event.c_str()), SQLITE_OK);
    }
    ASSERT_EQ(db.exec("INSERT INTO outbox (message_id, stream_id, subject, payload, "
                      "created_at_ms, published_at_ms) VALUES "
                      "('old:1', 'old', 's', X'01', 5, 9), ('old:2', 'old', 's', X'02', 6, "
                      "NULL), ('old:3', 'old', 's', X'03', 7, NULL);"
                      "DELETE FROM outbox WHERE message_id = 'old:3';"),
              SQLITE_OK);
    ASSERT_EQ(db.count("SELECT count(*) FROM pragma_index_list('outbox') WHERE origin = 'u'"), 1);
  }
  std::string error;
  auto store = open_sqlite_journal({.file = dir.file("j.sqlite")}, &error);
  ASSERT_NE(store, nullptr) << error;
  {
    raw_db db(dir.file("j.sqlite"));
    EXPECT_EQ(db.applied(), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(db.count("SELECT count(*) FROM pragma_index_list('outbox') WHERE origin = 'u'"), 0);
    EXPECT_EQ(db.count("SELECT count(*) FROM pragma_index_list('outbox')"), 2);  // partial ones
  }
  const auto kept = store->read_outbox(0, 10, false);
  ASSERT_TRUE(kept.has_value());
  ASSERT_EQ(kept->size(), 2U);
  EXPECT_EQ(kept->at(0).position, 1);
  EXPECT_EQ(kept->at(0).message_id(), "old:1");
  EXPECT_EQ(kept->at(0).payload, "{}");  // the event's, read with the row
  EXPECT_EQ(kept->at(1).version, 2);
  EXPECT_EQ(kept->at(0).published_at_ms, std::optional<std::int64_t>(9));
  EXPECT_EQ(kept->at(1).position, 2);
  EXPECT_FALSE(kept->at(1).published_at_ms.has_value());

  append_request request{"new", 0, {{"Created", "{}", 8}}};
  request.outbox.push_back({1, "crowdpay.crowdpod.v1.PodCreated"});
  ASSERT_EQ(store->append_batch(std::vector<append_request>{request}).at(0).status,
            append_status::committed);
  const auto rows = store->read_outbox(2, 10, false);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ(rows->front().position, 4);  // 3 was the purged row's
}

// Goal: migration 6 reads each older row's version from its message id whatever the stream id
// holds (a colon included) and however many digits the version has, and drops the copy of the
// event and the creation time.
TEST(sqlite_migrations, a_journal_at_version_5_has_its_outbox_rows_name_their_events) {
  testing::temp_dir dir{"payorch-migrate"};
  {
    raw_db db(dir.file("j.sqlite"));
    std::string error;
    ASSERT_TRUE(db.migrate_to(5, &error)) << error;
    for (const char* row :
         {"('a:b', 12, 'Twelfth', X'3132', 5, 'p', 'h')", "('c', 3, 'Third', X'33', 6, 'p', 'h')"})
      ASSERT_EQ(db.exec((std::string("INSERT INTO events VALUES ") + row).c_str()), SQLITE_OK);
    ASSERT_EQ(db.exec("INSERT INTO outbox (message_id, stream_id, subject, payload, "
                      "created_at_ms, published_at_ms) VALUES "
                      "('a:b:12', 'a:b', 's12', X'ff', 5, NULL), ('c:3', 'c', 's3', X'ff', 6, 8)"),
              SQLITE_OK);
  }
  std::string error;
  auto store = open_sqlite_journal({.file = dir.file("j.sqlite")}, &error);
  ASSERT_NE(store, nullptr) << error;
  const auto rows = store->read_outbox(0, 10, false);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2U);
  EXPECT_EQ(rows->at(0).stream_id, "a:b");
  EXPECT_EQ(rows->at(0).version, 12);
  EXPECT_EQ(rows->at(0).subject, "s12");
  EXPECT_EQ(rows->at(0).event_type, "Twelfth");
  EXPECT_EQ(rows->at(0).payload, "12");
  EXPECT_EQ(rows->at(1).message_id(), "c:3");
  EXPECT_EQ(rows->at(1).recorded_at_ms, 6);
  EXPECT_EQ(rows->at(1).published_at_ms, std::optional<std::int64_t>(8));
  raw_db db(dir.file("j.sqlite"));
  EXPECT_EQ(db.count("SELECT count(*) FROM pragma_table_info('outbox') WHERE name IN "
                     "('message_id', 'payload', 'created_at_ms')"),
            0);
}

// Goal: an older row whose message id names no stored event of its stream (another stream's id,
// a version written with a leading zero, an event that is not there) fails migration 6, which
// leaves the file at version 5 with every row as it was; once the row is dealt with, it applies.
TEST(sqlite_migrations, an_outbox_row_without_its_event_stops_migration_6) {
  for (const char* stray :
       {"('other:1', 's', 'x', X'00', 5, NULL)", "('s:01', 's', 'x', X'00', 5, NULL)",
        "('s:2', 's', 'x', X'00', 5, NULL)"}) {
    SCOPED_TRACE(stray);
    testing::temp_dir dir{"payorch-migrate"};
    {
      raw_db db(dir.file("j.sqlite"));
      std::string error;
      ASSERT_TRUE(db.migrate_to(5, &error)) << error;
      ASSERT_EQ(db.exec("INSERT INTO events VALUES ('s', 1, 'First', X'7b7d', 5, 'p', 'h')"),
                SQLITE_OK);
      ASSERT_EQ(db.exec("INSERT INTO outbox (message_id, stream_id, subject, payload, "
                        "created_at_ms, published_at_ms) VALUES ('s:1', 's', 'x', X'00', 5, NULL)"),
                SQLITE_OK);
      const std::string row =
          std::string(
              "INSERT INTO outbox (message_id, stream_id, subject, payload, created_at_ms, "
              "published_at_ms) VALUES ") +
          stray;
      ASSERT_EQ(db.exec(row.c_str()), SQLITE_OK);
    }
    std::string error;
    EXPECT_EQ(open_sqlite_journal({.file = dir.file("j.sqlite")}, &error), nullptr);
    EXPECT_NE(error.find("migration 6 (outbox rows name their event) failed"), std::string::npos)
        << error;
    raw_db db(dir.file("j.sqlite"));
    EXPECT_EQ(db.applied(), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(db.count("SELECT count(*) FROM outbox WHERE message_id IS NOT NULL"), 2);
    ASSERT_EQ(db.exec("DELETE FROM outbox WHERE message_id <> 's:1'"), SQLITE_OK);
    EXPECT_NE(open_sqlite_journal({.file = dir.file("j.sqlite")}, &error), nullptr) << error;
  }
}

}  // namespace
}  // namespace payorch::persistence
