// Tests of verify(): clean journals pass, and each kind of tampering names the first broken event.
#include <gtest/gtest.h>

#include "persistence_test_support.hpp"

namespace payorch::persistence {
namespace {

using testing::make_request;
using testing::open_journal;
using testing::raw_db;
using testing::temp_dir;

/// A journal with streams "a" (3 events) and "b" (4 events), and a raw connection to tamper with
/// it.
class tampered_journal : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_journal(dir_.file("j.db"));
    ASSERT_NE(store_, nullptr);
    store_->append_batch(std::vector{make_request("a", 0, 3), make_request("b", 0, 4)});
    raw_ = std::make_unique<raw_db>(dir_.file("j.db"));
  }

  /// Runs verify and checks that it names `stream_id`/`version` after `intact` good events.
  void expect_broken_at(const std::string& stream_id, std::int64_t version, std::int64_t intact) {
    const verify_report report = store_->verify();
    EXPECT_FALSE(report.ok);
    ASSERT_TRUE(report.first_broken.has_value()) << report.detail;
    EXPECT_EQ(report.first_broken->stream_id, stream_id);
    EXPECT_EQ(report.first_broken->version, version);
    EXPECT_EQ(report.events_checked, intact);
    EXPECT_NE(report.detail.find(stream_id + " version " + std::to_string(version)),
              std::string::npos)
        << report.detail;
  }

  temp_dir dir_;
  std::unique_ptr<journal_store> store_;
  std::unique_ptr<raw_db> raw_;
};

// Goal: an untouched journal verifies and counts every stream and event.
TEST_F(tampered_journal, clean_journal_is_ok) {
  const verify_report report = store_->verify();
  EXPECT_TRUE(report.ok) << report.detail;
  EXPECT_EQ(report.streams_checked, 2);
  EXPECT_EQ(report.events_checked, 7);
  EXPECT_FALSE(report.first_broken.has_value());
}

// Goal: an empty journal verifies trivially.
TEST(journal_verify, empty_journal_is_ok) {
  temp_dir dir;
  const verify_report report = open_journal(dir.file("j.db"))->verify();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.streams_checked, 0);
  EXPECT_EQ(report.events_checked, 0);
}

// Goal: an edited payload is caught at that event, which is reported with the tampered contents.
TEST_F(tampered_journal, edited_payload_is_named) {
  raw_->exec("UPDATE events SET payload = 'forged' WHERE stream_id = 'b' AND version = 2");
  expect_broken_at("b", 2, 4);
  EXPECT_EQ(store_->verify().first_broken->payload, "forged");
}

// Goal: a rewritten hash is caught at that event even though its contents are original.
TEST_F(tampered_journal, rewritten_hash_is_named) {
  raw_->exec("UPDATE events SET hash = '" + std::string(64, 'f') +
             "' WHERE stream_id = 'a' AND version = 1");
  expect_broken_at("a", 1, 0);
}

// Goal: an event whose prev_hash no longer links to its predecessor is named.
TEST_F(tampered_journal, broken_link_is_named) {
  raw_->exec("UPDATE events SET prev_hash = '" + std::string(64, '0') +
             "' WHERE stream_id = 'b' AND version = 3");
  expect_broken_at("b", 3, 5);
}

// Goal: a deleted event shows up as a version gap at the next event.
TEST_F(tampered_journal, deleted_event_is_a_gap) {
  raw_->exec("DELETE FROM events WHERE stream_id = 'a' AND version = 2");
  expect_broken_at("a", 3, 1);
}

// Goal: a stream whose first event was deleted does not start at version 1 and is caught.
TEST_F(tampered_journal, missing_first_event_is_named) {
  raw_->exec("DELETE FROM events WHERE stream_id = 'b' AND version = 1");
  expect_broken_at("b", 2, 3);
}

// Goal: verify stops at the first break even when later streams are broken too.
TEST_F(tampered_journal, reports_only_the_first_break) {
  raw_->exec("UPDATE events SET event_type = 'forged' WHERE stream_id = 'b' AND version = 4");
  raw_->exec("UPDATE events SET recorded_at_ms = 1 WHERE stream_id = 'a' AND version = 3");
  expect_broken_at("a", 3, 2);
}

}  // namespace
}  // namespace payorch::persistence
