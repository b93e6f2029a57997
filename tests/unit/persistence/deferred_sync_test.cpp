// The group-commit writer over a store that commits without syncing (journal_store::defers_sync):
// a batch is acknowledged only after a sync that began after its commit, the next batch commits
// while the last one syncs, reads wait for the sync, and a failed sync stops the writer. The
// store is the real SQLite journal with defer_sync; only its sync is held or failed here.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>

#include "persistence/group_commit_writer.hpp"
#include "persistence_test_support.hpp"
#include "tests/support/forwarding_store.hpp"

namespace payorch::persistence {
namespace {

using payorch::testing::held_sync_store;
using payorch::testing::sync_control;
using testing::make_request;
using testing::open_journal;
using testing::temp_dir;

/// Opens a SQLite journal whose commits leave their sync to sync_committed().
std::unique_ptr<journal_store> open_deferring(const std::filesystem::path& file) {
  std::string error;
  auto store = open_sqlite_journal({.file = file, .defer_sync = true}, &error);
  EXPECT_NE(store, nullptr) << error;
  return store;
}

/// The value of `future`, failing the test rather than hanging it if none comes.
template <class T>
T value_of(std::future<T>& future) {
  EXPECT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready) << "no answer";
  return future.get();
}

/// Collects answers from any thread.
struct answers {
  std::mutex mutex;
  std::vector<std::string> order;  // stream ids in the order their answers came
  std::vector<append_status> statuses;
  std::vector<int> syncs_finished;  // the control's finished syncs when each answer came
  std::shared_ptr<sync_control> control;  // notified of every answer, so its waits see them
  std::function<void(append_result)> to(std::string stream_id) {
    return [this, stream_id = std::move(stream_id)](const append_result& r) {
      int finished = -1;
      if (control) {
        const std::lock_guard lock(control->mutex);
        finished = control->finished;
      }
      {
        const std::lock_guard lock(mutex);
        order.push_back(stream_id);
        statuses.push_back(r.status);
        syncs_finished.push_back(finished);
      }
      if (control) {
        const std::lock_guard lock(control->mutex);
        control->changed.notify_all();
      }
    };
  }
  std::size_t size() {
    const std::lock_guard lock(mutex);
    return order.size();
  }
};

/// Each test's directory, the control of its held syncs, the answers its writer gave, and the
/// writer over the held-sync journal (last, so it stops first).
class deferred_sync : public ::testing::Test {
 protected:
  deferred_sync() { got.control = control; }

  /// Starts the writer over a journal in `dir` whose syncs `control` holds.
  group_commit_writer& start(writer_options options = {}) {
    writer_.emplace(std::make_unique<held_sync_store>(open_deferring(dir.file("j.db")), control),
                    options);
    return *writer_;
  }

  temp_dir dir;
  std::shared_ptr<sync_control> control = std::make_shared<sync_control>();
  answers got;

 private:
  std::optional<group_commit_writer> writer_;
};

TEST_F(deferred_sync, the_store_defers_only_when_asked) {
  EXPECT_TRUE(open_deferring(dir.file("a.db"))->defers_sync());
  std::string error;
  EXPECT_FALSE(open_sqlite_journal({.file = dir.file("b.db")}, &error)->defers_sync());
  // Without synchronous=FULL no commit is synced (only checkpoints are), so nothing is deferred.
  EXPECT_FALSE(
      open_sqlite_journal({.file = dir.file("c.db"), .synchronous_full = false, .defer_sync = true},
                          &error)
          ->defers_sync());
  auto store = open_deferring(dir.file("d.db"));
  ASSERT_EQ(store->append_batch(std::vector{make_request("pod_a", 0, 2)}).front().status,
            append_status::committed);
  EXPECT_TRUE(store->sync_committed().has_value());
  // Through a symbolic link SQLite keeps the WAL beside the file the link names, and that is
  // the file to sync.
  std::filesystem::create_directory(dir.file("real"));
  std::filesystem::create_symlink(dir.file("real") / "e.db", dir.file("e.db"));
  auto linked = open_deferring(dir.file("e.db"));
  ASSERT_EQ(linked->append_batch(std::vector{make_request("pod_a", 0, 1)}).front().status,
            append_status::committed);
  const result<void> synced = linked->sync_committed();
  EXPECT_TRUE(synced.has_value()) << synced.error().detail;
  EXPECT_TRUE(std::filesystem::exists(dir.file("real") / "e.db-wal"));
}

// Goal: after a failed sync, whoever asked for it, the store commits nothing more: a batch is
// refused as storage_error rather than written to a WAL that is not known to reach the disk,
// and a ping says the store is not there.
TEST_F(deferred_sync, a_failed_sync_refuses_every_later_batch) {
  auto store = open_deferring(dir.file("f.db"));
  ASSERT_EQ(store->append_batch(std::vector{make_request("pod_a", 0, 1)}).front().status,
            append_status::committed);
  EXPECT_TRUE(store->ping());
  // The WAL gone from under the store: its sync cannot open it, and fails.
  std::filesystem::remove(dir.file("f.db-wal"));
  ASSERT_FALSE(store->sync_committed().has_value());
  EXPECT_FALSE(store->ping());  // so readiness says not ready
  const auto refused = store->append_batch(std::vector{make_request("pod_b", 0, 1)});
  ASSERT_EQ(refused.size(), 1U);
  EXPECT_EQ(refused.front().status, append_status::storage_error);
  EXPECT_NE(refused.front().detail.find("to sync it"), std::string::npos) << refused.front().detail;
}

// Goal: no answer before the sync that follows its commit, and the writer commits the next batch
// while the last one is still syncing.
TEST_F(deferred_sync, answers_wait_for_the_sync_while_the_next_batch_commits) {
  group_commit_writer& writer = start();
  writer.submit(make_request("pod_a", 0, 1), got.to("pod_a"));
  ASSERT_TRUE(
      control->wait_for([&] { return control->entered == 1; }));  // pod_a committed, sync held
  EXPECT_EQ(got.size(), 0U) << "answered before its batch was synced";

  writer.submit(make_request("pod_b", 0, 1), got.to("pod_b"));
  ASSERT_TRUE(
      control->wait_for([&] { return control->commits == 2; }));  // committed during the held sync
  EXPECT_EQ(got.size(), 0U);

  control->allow(1);  // pod_a's sync; pod_b needs a sync that began after its commit
  ASSERT_TRUE(control->wait_for([&] { return control->entered == 2; }));
  EXPECT_EQ(control->commits_at_sync, 2);
  EXPECT_EQ(got.size(), 1U);
  control->allow(1);
  writer.stop();
  ASSERT_EQ(got.order, (std::vector<std::string>{"pod_a", "pod_b"}));
  EXPECT_EQ(got.statuses, (std::vector{append_status::committed, append_status::committed}));
  EXPECT_EQ(writer.stats().batches, 2U);
  EXPECT_TRUE(writer.stats().store_ok);
}

// Goal: a read waits until what it may see is synced: a stream read on the writer, and an answer
// handed to after_durable (what a reader connection's answers go through).
TEST_F(deferred_sync, reads_wait_for_the_sync_of_what_they_may_see) {
  group_commit_writer& writer = start();
  writer.submit(make_request("pod_a", 0, 3), got.to("pod_a"));
  ASSERT_TRUE(control->wait_for([&] { return control->entered == 1; }));

  std::promise<stream_read> read;
  writer.read("pod_a", [&](stream_read r) { read.set_value(std::move(r)); });
  std::promise<bool> answered;
  // Runs after pod_a's callback: a read's answer never overtakes the batch it may have seen.
  writer.after_durable([&](bool durable) { answered.set_value(durable && got.size() == 1); });
  auto answer_done = answered.get_future();
  // Registered while pod_a's sync is held: it cannot have run, on this thread or another.
  EXPECT_EQ(answer_done.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  auto read_done = read.get_future();

  control->allow(1);
  EXPECT_TRUE(value_of(answer_done));
  const stream_read r = value_of(read_done);
  EXPECT_EQ(control->finished_at_read, 1) << "the stream was read before the sync returned";
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.events.size(), 3U);
  EXPECT_EQ(got.size(), 1U);  // answered before the read was served

  // With nothing waiting for a sync, an answer runs at once on the caller's thread.
  bool at_once = false;
  writer.after_durable([&](bool durable) { at_once = durable; });
  EXPECT_TRUE(at_once);
  control->allow(100);
}

// Goal: a failed sync answers its batches storage_error, also one committed while it ran,
// refuses every later write and read, and keeps the store reported unwell: what was committed
// may not be durable, so only a restart may go on.
TEST_F(deferred_sync, a_failed_sync_fails_its_batch_and_stops_writing) {
  control->fail = true;
  group_commit_writer& writer = start();
  writer.submit(make_request("pod_a", 0, 1), got.to("pod_a"));
  ASSERT_TRUE(control->wait_for([&] { return control->entered == 1; }));
  writer.submit(make_request("pod_b", 0, 1), got.to("pod_b"));  // commits while the sync runs
  ASSERT_TRUE(control->wait_for([&] { return control->commits == 2; }));
  control->allow(100);
  ASSERT_TRUE(control->wait_for([&] { return got.size() == 2; }));
  EXPECT_EQ(got.statuses,
            (std::vector{append_status::storage_error, append_status::storage_error}));
  EXPECT_EQ(control->entered, 1) << "no sync is tried after one failed";
  EXPECT_FALSE(writer.stats().store_ok);

  std::promise<append_result> later;
  writer.submit(make_request("pod_c", 0, 1), [&](append_result r) { later.set_value(r); });
  auto later_done = later.get_future();
  const append_result refused = value_of(later_done);
  EXPECT_EQ(refused.status, append_status::storage_error);
  EXPECT_NE(refused.detail.find("sync refused by the test"), std::string::npos) << refused.detail;
  std::promise<stream_read> read;
  writer.read("pod_a", [&](stream_read r) { read.set_value(std::move(r)); });
  auto read_done = read.get_future();
  EXPECT_FALSE(value_of(read_done).ok);
  bool durable = true;
  writer.after_durable([&](bool d) { durable = d; });
  EXPECT_FALSE(durable);
  EXPECT_FALSE(writer.run([](journal_store*) {}));
  writer.stop();
  EXPECT_EQ(control->commits, 2) << "nothing is written once a sync failed";
  EXPECT_FALSE(writer.stats().store_ok);
}

// Goal: writes that committed and wait for their sync count against max_queued_appends: a
// stalled disk stops the writer from committing more, as when it synced each batch itself.
TEST_F(deferred_sync, writes_waiting_for_a_sync_hold_the_writer_back) {
  group_commit_writer& writer = start({.max_batch_appends = 1, .max_queued_appends = 2});
  writer.submit(make_request("pod_0", 0, 1), got.to("pod_0"));
  ASSERT_TRUE(control->wait_for([&] { return control->entered == 1; }));  // pod_0 syncs, held
  writer.submit(make_request("pod_1", 0, 1), got.to("pod_1"));
  ASSERT_TRUE(control->wait_for([&] { return control->commits == 2; }));
  writer.submit(make_request("pod_2", 0, 1), got.to("pod_2"));
  ASSERT_TRUE(control->wait_for([&] { return control->commits == 3; }));
  // Two writes wait for a sync now: the writer waits before committing pod_3. The bound is a
  // limit, not a timing: a writer that did not wait would commit pod_3 well within it.
  writer.submit(make_request("pod_3", 0, 1), got.to("pod_3"));
  {
    std::unique_lock lock(control->mutex);
    EXPECT_FALSE(control->changed.wait_for(lock, std::chrono::milliseconds(50),
                                           [&] { return control->commits == 4; }));
  }
  control->allow(100);
  ASSERT_TRUE(control->wait_for([&] { return got.size() == 4; }));
  EXPECT_EQ(control->commits, 4);
  for (append_status s : got.statuses) EXPECT_EQ(s, append_status::committed);
}

// Goal: stop() acknowledges every batch it drains, after its sync.
TEST_F(deferred_sync, stop_acknowledges_every_batch_after_its_sync) {
  control->allowed = 1000;
  group_commit_writer& writer = start({.max_batch_appends = 3});
  for (int i = 0; i < 20; ++i)
    writer.submit(make_request(testing::numbered("pod_", i), 0, 1),
                  got.to(testing::numbered("pod_", i)));
  writer.stop();
  EXPECT_EQ(got.size(), 20U);
  for (append_status s : got.statuses) EXPECT_EQ(s, append_status::committed);
  for (int finished : got.syncs_finished) EXPECT_GE(finished, 1) << "answered before any sync";
  EXPECT_EQ(open_journal(dir.file("j.db"))->verify().events_checked, 20);
}

}  // namespace
}  // namespace payorch::persistence
