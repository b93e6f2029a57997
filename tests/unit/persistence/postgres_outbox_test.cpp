// What only the PostgreSQL outbox has: a failed batch rolls its outbox rows back, text the server
// cannot store is refused up front, and a message inserted by another process while the batch
// ran, or stored without its event, ends as a refusal of that request alone.
#include <gtest/gtest.h>

#include <future>
#include <pqxx/pqxx>

#include "persistence/hash_chain.hpp"
#include "postgres_store_test.hpp"
#include "store_conformance.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace payorch::persistence::testing {
namespace {

class postgres_outbox : public postgres_store_test {
 protected:
  std::vector<std::string> stored_ids() {
    std::vector<std::string> ids;
    const auto rows = store_->read_outbox(0, max_page_rows, false);
    EXPECT_TRUE(rows.has_value());
    if (rows) {
      for (const outbox_entry& row : *rows) ids.push_back(row.message_id());
    }
    return ids;
  }
};

/// A new stream's first event and the message announcing it ("<stream_id>:1").
append_request with_message(const std::string& stream_id,
                            std::string subject = "crowdpay.crowdpod.v1.PodCreated") {
  append_request request = make_request(stream_id, 0, 1);
  request.outbox.push_back({1, std::move(subject)});
  return request;
}

// Goal: when a statement fails at the end of the batch, the whole batch is rolled back: every
// answer is storage_error and none of its events or messages stays.
TEST_F(postgres_outbox, a_failed_transaction_writes_nothing) {
  side_exec(
      "CREATE FUNCTION outbox_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.stream_id = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$; "
      "CREATE TRIGGER outbox_boom BEFORE INSERT ON outbox FOR EACH ROW "
      "EXECUTE FUNCTION outbox_boom()");
  const batch_results failed = store_->commit_batch(
      std::vector<append_request>{with_message("a"), with_message("boom")}, {});
  EXPECT_TRUE(failed.transaction_failed);
  ASSERT_EQ(failed.appends.size(), 2U);
  for (const append_result& result : failed.appends)
    EXPECT_EQ(result.status, append_status::storage_error) << result.detail;
  EXPECT_TRUE(store_->read_events("a", 0, 5).value().empty());
  EXPECT_TRUE(stored_ids().empty());

  EXPECT_EQ(append_one(*store_, with_message("a")).status, append_status::committed);
  EXPECT_EQ(stored_ids(), std::vector<std::string>{"a:1"});
}

// Goal: a message subject that is not UTF-8 text without NUL refuses its request alone; event
// payloads, read with their messages, are bytes and take anything.
TEST_F(postgres_outbox, text_the_server_cannot_store_is_refused_alone) {
  append_request binary_payload = with_message("s3");
  binary_payload.events[0].payload = std::string("\0\xff", 2);
  const batch_results results = store_->commit_batch(
      std::vector<append_request>{with_message("s1", std::string("a\0b", 3)),
                                  with_message("s2", "bad\xff"), binary_payload},
      {});
  ASSERT_EQ(results.appends.size(), 3U);
  EXPECT_EQ(results.appends[0].status, append_status::storage_error);
  EXPECT_NE(results.appends[0].detail.find("outbox"), std::string::npos)
      << results.appends[0].detail;
  EXPECT_EQ(results.appends[1].status, append_status::storage_error);
  EXPECT_EQ(results.appends[2].status, append_status::committed) << results.appends[2].detail;
  const auto rows = store_->read_outbox(0, 10, false);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ(rows->front().payload, std::string("\0\xff", 2));
  EXPECT_TRUE(store_->read_events("s1", 0, 5).value().empty());
}

// Goal: when another process commits the same event with its message between the batch's reads
// and its insert, the batch is retried and that request ends as version_conflict with nothing of
// it stored: its message id names its event, so the events' unique key settles the race. The
// others of the batch commit.
TEST_F(postgres_outbox, a_racing_event_and_its_message_end_as_version_conflict) {
  pqxx::connection side(uri_);
  pqxx::work racing(side);
  const std::string hash = event_hash({genesis_hash, "mine", 1, "Raced", 7, "theirs"});
  racing.exec_params("INSERT INTO events VALUES ('mine', 1, 'Raced', 'theirs'::bytea, 7, $1, $2)",
                     std::string(genesis_hash), hash);
  racing.exec("INSERT INTO outbox (stream_id, version, subject) VALUES ('mine', 1, 'x')");
  // The store cannot see the uncommitted rows, so its insert waits on the key until we commit.
  std::future<batch_results> committed = std::async(std::launch::async, [this] {
    return store_->commit_batch(
        std::vector<append_request>{with_message("mine"), with_message("other")}, {});
  });
  const bool store_waits = wait_for_lock_waiter();
  racing.commit();
  const batch_results results = committed.get();
  EXPECT_TRUE(store_waits);
  ASSERT_EQ(results.appends.size(), 2U);
  EXPECT_EQ(results.appends[0].status, append_status::version_conflict)
      << results.appends[0].detail;
  EXPECT_EQ(results.appends[1].status, append_status::committed) << results.appends[1].detail;
  EXPECT_FALSE(results.transaction_failed);
  EXPECT_EQ(stored_ids(), (std::vector<std::string>{"mine:1", "other:1"}));
  const auto rows = store_->read_outbox(0, 10, false);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2U);
  EXPECT_EQ(rows->front().payload, "theirs");
}

// Goal: an outbox row naming an event that is not there (written by something else than the store)
// refuses only the request whose message names that event; the batch's other requests commit and
// the stray row stays as it was. Reading it fails, naming it, instead of skipping it.
TEST_F(postgres_outbox, a_stray_message_id_refuses_its_request_alone) {
  side_exec("INSERT INTO outbox (stream_id, version, subject) VALUES ('stray', 1, 'x')");
  const batch_results results =
      store_->commit_batch(std::vector<append_request>{with_message("first"), with_message("stray"),
                                                       with_message("last")},
                           {});
  ASSERT_EQ(results.appends.size(), 3U);
  EXPECT_EQ(results.appends[0].status, append_status::committed) << results.appends[0].detail;
  EXPECT_EQ(results.appends[1].status, append_status::storage_error);
  EXPECT_NE(results.appends[1].detail.find("stray:1 is taken"), std::string::npos)
      << results.appends[1].detail;
  EXPECT_EQ(results.appends[2].status, append_status::committed) << results.appends[2].detail;
  EXPECT_FALSE(results.transaction_failed);
  EXPECT_TRUE(store_->read_events("stray", 0, 5).value().empty());
  const auto read = store_->read_outbox(0, 10, false);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, errc::storage_unavailable);
  EXPECT_NE(read.error().detail.find("names event stray:1, which is missing"), std::string::npos)
      << read.error().detail;
  const auto after_stray = store_->read_outbox(1, 10, false);  // the stray row is position 1
  ASSERT_TRUE(after_stray.has_value());
  ASSERT_EQ(after_stray->size(), 2U);
  EXPECT_EQ(after_stray->at(0).message_id(), "first:1");
  EXPECT_EQ(after_stray->at(1).message_id(), "last:1");
}

}  // namespace
}  // namespace payorch::persistence::testing
