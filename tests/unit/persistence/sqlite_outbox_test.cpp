// What only the SQLite outbox has: a batch that fails after writing rolls its outbox rows back, the
// table's own constraints, and how the rows are stored.
#include <gtest/gtest.h>

#include "store_conformance.hpp"

namespace payorch::persistence::testing {
namespace {

/// A new stream's first event and the message announcing it ("<stream_id>:1").
append_request with_message(const std::string& stream_id) {
  append_request request = make_request(stream_id, 0, 1);
  request.outbox.push_back({stream_id + ":1", "crowdpay.crowdpod.v1.PodCreated", "{}"});
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
          "CREATE TRIGGER outbox_boom BEFORE INSERT ON outbox WHEN NEW.message_id = 'boom:1' "
          "BEGIN SELECT RAISE(ABORT, 'boom'); END");
  const batch_results failed =
      store->commit_batch(std::vector<append_request>{with_message("a"), with_message("boom")}, {});
  EXPECT_TRUE(failed.transaction_failed);
  ASSERT_EQ(failed.appends.size(), 2U);
  for (const append_result& result : failed.appends)
    EXPECT_EQ(result.status, append_status::storage_error) << result.detail;
  EXPECT_TRUE(store->read_events("a", 0, 5).empty());
  EXPECT_TRUE(store->read_outbox(0, 10, false)->empty());

  // The store goes on: the same first request commits alone, with its message.
  EXPECT_EQ(append_one(*store, with_message("a")).status, append_status::committed);
  EXPECT_EQ(store->read_outbox(0, 10, false)->size(), 1U);
}

// Goal: the table refuses rows the code never writes (empty id or subject), as a second line
// behind the checks in code, and keeps payloads as BLOBs. It has no index on message_id: ids name
// their events, whose versions are unique, so a repeat cannot come from the store.
TEST(sqlite_outbox, schema_refuses_impossible_rows) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  ASSERT_NE(store, nullptr);
  append_request request = with_message("s");
  request.outbox[0].payload = std::string("{\"a\":\0}", 7);
  ASSERT_EQ(append_one(*store, request).status, append_status::committed);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("j.db").string().c_str(), &db), SQLITE_OK);
  const auto refused = [db](const char* sql) {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_CONSTRAINT;
  };
  EXPECT_TRUE(
      refused("INSERT INTO outbox (message_id, stream_id, subject, payload, created_at_ms) "
              "VALUES ('', 's', 'x', X'00', 0)"));
  EXPECT_TRUE(
      refused("INSERT INTO outbox (message_id, stream_id, subject, payload, created_at_ms) "
              "VALUES ('m2', 's', '', X'00', 0)"));
  EXPECT_FALSE(
      refused("INSERT INTO outbox (message_id, stream_id, subject, payload, created_at_ms) "
              "VALUES ('m2', 's', 'x', X'00', 0)"));
  sqlite3_close(db);

  raw_db raw(dir.file("j.db"));
  EXPECT_EQ(raw.query_text("SELECT typeof(payload) FROM outbox WHERE message_id = 's:1'"), "blob");
  EXPECT_EQ(raw.query_int("SELECT length(payload) FROM outbox WHERE message_id = 's:1'"), 7);
  EXPECT_EQ(raw.query_int("SELECT created_at_ms FROM outbox WHERE message_id = 's:1'"), 1001);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM pragma_index_list('outbox') WHERE origin = 'u'"),
            0);
}

// Goal: the outbox's two indexes are partial: one holds only unsent rows (the relay's read), the
// other only published ones (the purge), so neither walks rows it skips. (The store names them in
// its statements with INDEXED BY, so it would not open without them.)
TEST(sqlite_outbox, indexes_hold_only_the_rows_they_serve) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  ASSERT_NE(store, nullptr);
  append_request request = make_request("s", 0, 3);
  for (const char* id : {"s:1", "s:2", "s:3"}) request.outbox.push_back({id, "x", "{}"});
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
