// What only the SQLite outbox has: a batch that fails after writing rolls its outbox rows back, the
// table's own constraints, and how the rows are stored.
#include <gtest/gtest.h>

#include "store_conformance.hpp"

namespace payorch::persistence::testing {
namespace {

/// A new stream's first event and the message announcing it ("<stream_id>:1").
append_request with_message(const std::string& stream_id) {
  append_request request = make_request(stream_id, 0, 1);
  request.outbox.push_back({1, "crowdpay.crowdpod.v1.PodCreated"});
  return request;
}

// Goal: when an insert fails after earlier requests of the batch wrote their events and messages,
// the whole batch is rolled back: every answer is storage_error and no row of it stays.
TEST(sqlite_outbox, a_failed_transaction_writes_nothing) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  ASSERT_NE(store, nullptr);
  raw_db(dir.file("j.db"))
      .exec(
          "CREATE TRIGGER outbox_boom BEFORE INSERT ON outbox WHEN NEW.stream_id = 'boom' "
          "BEGIN SELECT RAISE(ABORT, 'boom'); END");
  const batch_results failed =
      store->commit_batch(std::vector<append_request>{with_message("a"), with_message("boom")}, {});
  EXPECT_TRUE(failed.transaction_failed);
  ASSERT_EQ(failed.appends.size(), 2U);
  for (const append_result& result : failed.appends)
    EXPECT_EQ(result.status, append_status::storage_error) << result.detail;
  EXPECT_TRUE(store->read_events("a", 0, 5).value().empty());
  EXPECT_TRUE(store->read_outbox(0, 10, false)->empty());

  // The store goes on: the same first request commits alone, with its message.
  EXPECT_EQ(append_one(*store, with_message("a")).status, append_status::committed);
  EXPECT_EQ(store->read_outbox(0, 10, false)->size(), 1U);
}

// Goal: the table refuses rows the code never writes (empty subject, a version below 1), as a
// second line behind the checks in code. A row holds no copy of its event, and there is no index on
// (stream_id, version): messages name their events, whose versions are unique, so a repeat cannot
// come from the store.
TEST(sqlite_outbox, schema_refuses_impossible_rows) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(append_one(*store, with_message("s")).status, append_status::committed);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("j.db").string().c_str(), &db), SQLITE_OK);
  const auto refused = [db](const char* sql) {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_CONSTRAINT;
  };
  EXPECT_TRUE(refused("INSERT INTO outbox (stream_id, version, subject) VALUES ('s', 0, 'x')"));
  EXPECT_TRUE(refused("INSERT INTO outbox (stream_id, version, subject) VALUES ('s', 1, '')"));
  EXPECT_FALSE(refused("INSERT INTO outbox (stream_id, version, subject) VALUES ('s', 1, 'x')"));
  sqlite3_close(db);

  raw_db raw(dir.file("j.db"));
  EXPECT_EQ(raw.query_text("SELECT group_concat(name, ',') FROM pragma_table_info('outbox')"),
            "position,stream_id,version,subject,published_at_ms");
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM pragma_index_list('outbox') WHERE origin = 'u'"),
            0);
}

// Goal: a row whose event is gone (the file was changed behind the store's back) fails the read,
// naming the row and the event, instead of being skipped (a relay would move its cursor past it)
// or sent without its event.
TEST(sqlite_outbox, a_row_without_its_event_fails_the_read) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(append_one(*store, with_message("a")).status, append_status::committed);
  ASSERT_EQ(append_one(*store, with_message("b")).status, append_status::committed);
  raw_db(dir.file("j.db")).exec("DELETE FROM events WHERE stream_id = 'b'");
  const auto read = store->read_outbox(0, 10, false);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, errc::storage_unavailable);
  EXPECT_NE(read.error().detail.find("names event b:1, which is missing"), std::string::npos)
      << read.error().detail;
  const auto before = store->read_outbox(0, 1, true);  // the row before it still reads
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ(before->size(), 1U);
  EXPECT_EQ(before->front().message_id(), "a:1");
}

// Goal: the outbox's two indexes are partial: one holds only unsent rows (the relay's read), the
// other only published ones (the purge), so neither walks rows it skips. (The store names them in
// its statements with INDEXED BY, so it would not open without them.)
TEST(sqlite_outbox, indexes_hold_only_the_rows_they_serve) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  ASSERT_NE(store, nullptr);
  append_request request = make_request("s", 0, 3);
  for (std::int64_t version = 1; version <= 3; ++version) request.outbox.push_back({version, "x"});
  ASSERT_EQ(append_one(*store, request).status, append_status::committed);
  const auto rows = store->read_outbox(0, 10, false);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 3U);
  ASSERT_EQ(*store->mark_outbox_published(std::vector<std::int64_t>{rows->front().position}, 5),
            1U);

  raw_db raw(dir.file("j.db"));
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                          "('outbox_unpublished', 'outbox_by_published') AND sql LIKE '%WHERE%'"),
            2);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM outbox INDEXED BY outbox_unpublished "
                          "WHERE published_at_ms IS NULL"),
            2);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM outbox INDEXED BY outbox_by_published "
                          "WHERE published_at_ms IS NOT NULL"),
            1);
}

}  // namespace
}  // namespace payorch::persistence::testing
