// Tests of the group-commit writer: acknowledgement after commit, batching, reads, errors and
// shutdown.
#include "persistence/group_commit_writer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "persistence_test_support.hpp"
#include "tests/support/forwarding_store.hpp"

namespace payorch::persistence {
namespace {

using testing::make_request;
using testing::numbered;
using testing::open_journal;
using testing::raw_db;
using testing::temp_dir;

/// Holds the writer thread inside a callback until released, so later work queues up
/// deterministically.
class writer_gate {
 public:
  /// The callback to pass to submit(); it blocks the writer thread until release().
  std::function<void(append_result)> hold() {
    return [this](const append_result&) {
      entered_.set_value();
      released_future_.wait();
    };
  }
  void wait_until_held() { entered_.get_future().wait(); }
  void release() { released_.set_value(); }

 private:
  std::promise<void> entered_;
  std::promise<void> released_;
  std::shared_future<void> released_future_ = released_.get_future().share();
};

/// Returns once the writer thread waits for work with nothing queued (`idle`), so the next write
/// wakes it from idle, or once it has woken (`!idle`); false if that took more than 30 s.
bool wait_until_idle(const group_commit_writer& writer, bool idle = true) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (writer.stats().idle != idle) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

/// A store whose every transaction fails, to see how the writer reports storage errors.
class failing_store final : public journal_store {
 public:
  batch_results commit_batch(std::span<const append_request> batch,
                             std::span<const idempotency_record> records) override {
    const append_result fire{append_status::storage_error, 0, "disk on fire"};
    return {std::vector<append_result>(batch.size(), fire),
            std::vector<append_result>(records.size(), fire), true};
  }
  stream_read read_stream(std::string_view) override { return {false, "disk on fire", {}, {}}; }
  result<std::vector<event_record>> read_events(std::string_view, std::int64_t,
                                                std::size_t) override {
    return fail(errc::storage_unavailable, "disk on fire");
  }
  bool save_snapshot(const snapshot_record&) override { return false; }
  result<std::vector<std::string>> list_streams(std::string_view, std::string_view,
                                                std::size_t) override {
    return fail(errc::storage_unavailable, "disk on fire");
  }
  verify_report verify() override { return {}; }
  result<std::vector<ledger_entry>> read_ledger(std::string_view, std::int64_t,
                                                std::size_t) override {
    return fail(errc::storage_unavailable, "disk on fire");
  }
  result<std::vector<account_balance>> read_balances(std::string_view, std::size_t) override {
    return fail(errc::storage_unavailable, "disk on fire");
  }
  result<std::optional<idempotency_record>> get_idempotency(std::string_view,
                                                            std::string_view) override {
    return fail(errc::storage_unavailable, "disk on fire");
  }
  result<std::size_t> purge_idempotency(std::int64_t, std::size_t) override {
    return fail(errc::storage_unavailable, "disk on fire");
  }
  result<std::vector<outbox_entry>> read_outbox(std::int64_t, std::size_t, bool) override {
    return fail(errc::storage_unavailable, "disk on fire");
  }
  result<std::size_t> mark_outbox_published(std::span<const std::int64_t>, std::int64_t) override {
    return fail(errc::storage_unavailable, "disk on fire");
  }
  result<std::size_t> purge_outbox(std::int64_t, std::size_t) override {
    return fail(errc::storage_unavailable, "disk on fire");
  }
};

/// Submits and waits for the answer (the writer thread delivers it).
append_result submit_and_wait(group_commit_writer& writer, append_request request) {
  std::promise<append_result> answer;
  writer.submit(std::move(request),
                [&answer](append_result result) { answer.set_value(std::move(result)); });
  return answer.get_future().get();
}

stream_read read_and_wait(group_commit_writer& writer, const std::string& stream_id) {
  std::promise<stream_read> answer;
  writer.read(stream_id, [&answer](stream_read read) { answer.set_value(std::move(read)); });
  return answer.get_future().get();
}

// Goal: when `done` runs, the event is already committed and visible to another connection.
TEST(group_commit_writer, acknowledges_only_after_commit) {
  temp_dir dir;
  std::mutex mutex;
  std::vector<std::pair<append_status, std::int64_t>>
      seen;  // status, rows visible to a second connection
  {
    group_commit_writer writer(open_journal(dir.file("j.db")), {});
    for (int i = 0; i < 5; ++i) {
      const std::string stream = numbered("s", i);
      writer.submit(make_request(stream, 0, 1), [&, stream](const append_result& result) {
        raw_db other(dir.file("j.db"));
        const std::int64_t rows =
            other.query_int("SELECT count(*) FROM events WHERE stream_id = '" + stream + "'");
        const std::lock_guard lock(mutex);
        seen.emplace_back(result.status, rows);
      });
    }
  }  // the destructor drains the queue and joins
  ASSERT_EQ(seen.size(), 5U);
  for (const auto& [status, rows] : seen) {
    EXPECT_EQ(status, append_status::committed);
    EXPECT_EQ(rows, 1);
  }
}

// Goal: a read submitted after an acknowledged append sees it, and a snapshot sent before the read
// too.
TEST(group_commit_writer, reads_see_acknowledged_appends_and_snapshots) {
  temp_dir dir;
  group_commit_writer writer(open_journal(dir.file("j.db")), {});
  EXPECT_TRUE(read_and_wait(writer, "s").events.empty());
  const append_result result = submit_and_wait(writer, make_request("s", 0, 3));
  ASSERT_EQ(result.status, append_status::committed);
  stream_read read = read_and_wait(writer, "s");
  ASSERT_TRUE(read.ok);
  EXPECT_EQ(read.events.size(), 3U);

  writer.snapshot({"s", 2, "state@2"});
  writer.snapshot({"s", 9, "beyond the stream: dropped"});
  read = read_and_wait(writer, "s");
  ASSERT_TRUE(read.snapshot.has_value());
  EXPECT_EQ(read.snapshot->version, 2);
  ASSERT_EQ(read.events.size(), 1U);
  EXPECT_EQ(read.events[0].version, 3);
}

// Goal: a stale append comes back as version_conflict with the stream's real version.
TEST(group_commit_writer, passes_version_conflicts_through) {
  temp_dir dir;
  group_commit_writer writer(open_journal(dir.file("j.db")), {});
  ASSERT_EQ(submit_and_wait(writer, make_request("s", 0, 2)).status, append_status::committed);
  const append_result stale = submit_and_wait(writer, make_request("s", 1, 1));
  EXPECT_EQ(stale.status, append_status::version_conflict);
  EXPECT_EQ(stale.last_version, 2);
}

// Goal: when the store fails, every request of the batch is answered with storage_error.
TEST(group_commit_writer, store_failure_answers_every_request) {
  std::mutex mutex;
  std::vector<append_result> answers;
  std::vector<bool> read_ok;
  {
    group_commit_writer writer(std::make_unique<failing_store>(), {});
    for (int i = 0; i < 10; ++i) {
      writer.submit(make_request(numbered("s", i), 0, 1), [&](append_result result) {
        const std::lock_guard lock(mutex);
        answers.push_back(std::move(result));
      });
    }
    writer.read("s0", [&](const stream_read& read) {
      const std::lock_guard lock(mutex);
      read_ok.push_back(read.ok);
    });
    writer.stop();
    EXPECT_EQ(writer.stats().appends, 10U);
    EXPECT_FALSE(writer.stats().store_ok);  // readiness follows the store
  }
  ASSERT_EQ(answers.size(), 10U);
  for (const append_result& answer : answers) {
    EXPECT_EQ(answer.status, append_status::storage_error);
    EXPECT_EQ(answer.detail, "disk on fire");
  }
  EXPECT_EQ(read_ok, std::vector<bool>{false});
}

// Goal: a request refused for its own input (here an empty stream id) does not make the store
// look unwell; readiness follows the store, not the clients.
TEST(group_commit_writer, a_refused_request_leaves_the_store_ok) {
  temp_dir dir;
  group_commit_writer writer(open_journal(dir.file("j.db")), {});
  EXPECT_EQ(submit_and_wait(writer, make_request("", 0, 1)).status, append_status::storage_error);
  EXPECT_TRUE(writer.stats().store_ok);
}

/// A store that stops answering when told: pings fail and reads find nothing.
class switchable_store final : public payorch::testing::forwarding_store {
 public:
  switchable_store(std::unique_ptr<journal_store> inner, std::shared_ptr<std::atomic<bool>> up)
      : forwarding_store(std::move(inner)), up_(std::move(up)) {}
  bool ping() override { return up_->load() && forwarding_store::ping(); }
  stream_read read_stream(std::string_view stream_id) override {
    if (!up_->load()) return {false, "the store does not answer", {}, {}};
    return forwarding_store::read_stream(stream_id);
  }

 private:
  std::shared_ptr<std::atomic<bool>> up_;
};

// Goal: readiness follows the store while the writer only serves reads (a recovering pod's, say):
// reads arriving more often than the probe interval do not keep it from asking the store, so a
// store that went away is noticed, and so is its return, with no write at all.
TEST(group_commit_writer, readiness_follows_the_store_under_reads_alone) {
  temp_dir dir;
  auto up = std::make_shared<std::atomic<bool>>(true);
  group_commit_writer writer(std::make_unique<switchable_store>(open_journal(dir.file("j.db")), up),
                             {});
  // Reads one after the other (each waits for the last) until store_ok says `wanted`; false if
  // that took more than 30 s.
  const auto read_until = [&](bool wanted) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (writer.stats().store_ok != wanted) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::promise<void> answered;
      writer.read("s0", [&](const stream_read&) { answered.set_value(); });
      answered.get_future().wait();
    }
    return true;
  };
  EXPECT_EQ(submit_and_wait(writer, make_request("s0", 0, 1)).status, append_status::committed);
  up->store(false);
  EXPECT_TRUE(read_until(false)) << "the store went away and readiness never noticed";
  up->store(true);
  EXPECT_TRUE(read_until(true)) << "the store came back and readiness never noticed";
}

// Goal: many threads submitting at once each get every append acknowledged exactly once, in shared
// batches.
TEST(group_commit_writer, concurrent_submitters_share_batches) {
  constexpr int threads = 8;
  constexpr int per_thread = 100;
  temp_dir dir;
  std::mutex mutex;
  std::map<std::pair<std::string, std::int64_t>, int> acks;
  int failures = 0;
  writer_gate gate;
  group_commit_writer writer(open_journal(dir.file("j.db")), {});
  // While the gate holds the writer thread, every submission below queues up behind it.
  writer.submit(make_request("gate", 0, 1), gate.hold());
  gate.wait_until_held();

  std::vector<std::thread> submitters;
  for (int t = 0; t < threads; ++t) {
    submitters.emplace_back([&, t] {
      const std::string stream = numbered("t", t);
      for (int v = 1; v <= per_thread; ++v) {
        writer.submit(make_request(stream, v - 1, 1, v), [&, stream](const append_result& result) {
          const std::lock_guard lock(mutex);
          if (result.status != append_status::committed) ++failures;
          ++acks[{stream, result.last_version}];
        });
      }
    });
  }
  for (std::thread& submitter : submitters) submitter.join();
  EXPECT_EQ(writer.stats().queued_appends, static_cast<std::uint64_t>(threads * per_thread));
  gate.release();
  writer.stop();

  EXPECT_EQ(failures, 0);
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(threads * per_thread));
  for (const auto& [key, count] : acks) EXPECT_EQ(count, 1) << key.first << " v" << key.second;
  const writer_stats stats = writer.stats();
  EXPECT_EQ(stats.appends, static_cast<std::uint64_t>(threads * per_thread + 1));
  EXPECT_GT(stats.appends, 2 * stats.batches);  // batches hold more than one append on average
  EXPECT_EQ(std::accumulate(stats.batch_size_counts.begin(), stats.batch_size_counts.end(),
                            std::uint64_t{0}),
            stats.batches);
  EXPECT_FALSE(stats.running);
  EXPECT_EQ(stats.queued_appends, 0U);

  std::string error;
  const verify_report report = open_journal(dir.file("j.db"))->verify();
  EXPECT_TRUE(report.ok) << report.detail;
  EXPECT_EQ(report.events_checked, threads * per_thread + 1);
}

// Goal: batches never exceed max_batch_appends and the histogram buckets them by size.
TEST(group_commit_writer, respects_max_batch_and_fills_histogram) {
  temp_dir dir;
  writer_gate gate;
  group_commit_writer writer(open_journal(dir.file("j.db")),
                             {.max_batch_appends = 4, .max_wait_us = 0});
  writer.submit(make_request("gate", 0, 1), gate.hold());
  gate.wait_until_held();
  for (int i = 0; i < 10; ++i) writer.submit(make_request(numbered("s", i), 0, 1), {});
  gate.release();
  writer.stop();

  const writer_stats stats = writer.stats();
  EXPECT_EQ(stats.batches, 4U);  // 1 (gate), then 4, 4, 2
  EXPECT_EQ(stats.appends, 11U);
  EXPECT_EQ(stats.last_batch_appends, 2U);
  EXPECT_EQ(stats.batch_size_counts[0], 1U);  // size 1
  EXPECT_EQ(stats.batch_size_counts[1], 1U);  // size 2
  EXPECT_EQ(stats.batch_size_counts[2], 2U);  // sizes 3..4
  EXPECT_EQ(stats.batch_size_counts.back(), 0U);
  EXPECT_GE(stats.last_commit_us, 0);
}

// Goal: the wait for more appends applies only to a writer woken from idle; what queued while a
// batch was committing goes at once, however long the configured wait.
TEST(group_commit_writer, a_busy_writer_does_not_wait_for_more) {
  temp_dir dir;
  writer_gate gate;
  group_commit_writer writer(open_journal(dir.file("j.db")),
                             {.max_batch_appends = 2, .max_wait_us = 600'000'000});
  // Two appends fill the first batch, so it commits without its wait; the first holds the writer.
  writer.submit(make_request("gate", 0, 1), gate.hold());
  writer.submit(make_request("pair", 0, 1), {});
  gate.wait_until_held();
  std::promise<append_result> queued_while_busy;
  writer.submit(make_request("late", 0, 1),
                [&](append_result result) { queued_while_busy.set_value(std::move(result)); });
  gate.release();
  auto answer = queued_while_busy.get_future();
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "a batch of one waited for more appends behind a busy writer";
  EXPECT_EQ(answer.get().status, append_status::committed);
  EXPECT_EQ(writer.stats().batches, 2U);
}

// Goal: a writer woken from idle waits for more appends until its batch is full, so writers that
// arrive together share one commit.
TEST(group_commit_writer, an_idle_writer_gathers_appends_until_the_batch_is_full) {
  temp_dir dir;
  group_commit_writer writer(open_journal(dir.file("j.db")),
                             {.max_batch_appends = 3, .max_wait_us = 600'000'000});
  ASSERT_TRUE(wait_until_idle(writer));
  std::vector<std::future<append_result>> answers;
  for (int i = 0; i < 3; ++i) {
    auto answer = std::make_shared<std::promise<append_result>>();
    answers.push_back(answer->get_future());
    writer.submit(make_request(numbered("g", i), 0, 1),
                  [answer](append_result result) { answer->set_value(std::move(result)); });
    // The others arrive after the first has woken the writer: without its wait, it would have
    // taken the first alone by then.
    if (i == 0) ASSERT_TRUE(wait_until_idle(writer, false));
  }
  for (auto& answer : answers) {
    ASSERT_EQ(answer.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_EQ(answer.get().status, append_status::committed);
  }
  const writer_stats stats = writer.stats();
  EXPECT_EQ(stats.batches, 1U) << "the first append was committed without waiting for the rest";
  EXPECT_EQ(stats.last_batch_appends, 3U);
}

// Goal: the wait ends at max_wait_us even when the batch never fills: a lone append is committed
// on its own instead of waiting for company that does not come.
TEST(group_commit_writer, a_lone_append_commits_when_the_wait_runs_out) {
  temp_dir dir;
  group_commit_writer writer(open_journal(dir.file("j.db")),
                             {.max_batch_appends = 64, .max_wait_us = 20'000});
  ASSERT_TRUE(wait_until_idle(writer));
  std::promise<append_result> lone;
  writer.submit(make_request("lone", 0, 1),
                [&](append_result result) { lone.set_value(std::move(result)); });
  auto answer = lone.get_future();
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "an append that cannot fill its batch waited past max_wait_us";
  EXPECT_EQ(answer.get().status, append_status::committed);
  const writer_stats stats = writer.stats();
  EXPECT_EQ(stats.batches, 1U);
  EXPECT_EQ(stats.last_batch_appends, 1U);
}
// Goal: a full queue refuses at once with storage_error instead of growing without bound.
TEST(group_commit_writer, full_queue_refuses) {
  temp_dir dir;
  writer_gate gate;
  group_commit_writer writer(open_journal(dir.file("j.db")), {.max_queued_appends = 2});
  writer.submit(make_request("gate", 0, 1), gate.hold());
  gate.wait_until_held();
  std::vector<append_status> answers;  // only the refusal arrives before release, on this thread
  writer.submit(make_request("a", 0, 1), {});
  writer.submit(make_request("b", 0, 1), {});
  writer.submit(make_request("c", 0, 1), [&](const append_result& result) {
    answers.push_back(result.status);
    EXPECT_EQ(result.detail, "writer queue full");
  });
  EXPECT_EQ(answers, std::vector{append_status::storage_error});
  EXPECT_EQ(writer.stats().rejected_appends, 1U);
  gate.release();
  writer.stop();
  EXPECT_EQ(writer.stats().appends, 3U);
}

// Goal: stop() answers queued work, then refuses new work on the caller's thread; stopping twice is
// fine.
TEST(group_commit_writer, stop_drains_then_refuses) {
  temp_dir dir;
  group_commit_writer writer(open_journal(dir.file("j.db")), {});
  int committed = 0;  // written on the writer thread, read after the join in stop()
  for (int i = 0; i < 50; ++i) {
    writer.submit(make_request("s", i, 1, i + 1), [&](const append_result& result) {
      if (result.status == append_status::committed) ++committed;
    });
  }
  writer.stop();
  EXPECT_EQ(committed, 50);
  EXPECT_FALSE(writer.stats().running);

  const auto caller = std::this_thread::get_id();
  std::thread::id answered_on;
  append_result refused;
  writer.submit(make_request("s", 50, 1), [&](append_result result) {
    answered_on = std::this_thread::get_id();
    refused = std::move(result);
  });
  EXPECT_EQ(answered_on, caller);
  EXPECT_EQ(refused.status, append_status::storage_error);
  EXPECT_EQ(refused.detail, "writer stopped");

  stream_read read;
  read.ok = true;
  writer.read("s", [&](stream_read result) { read = std::move(result); });
  EXPECT_FALSE(read.ok);
  EXPECT_FALSE(writer.run([](journal_store*) {}));
  writer.snapshot({"s", 10, "dropped"});
  writer.stop();
  EXPECT_EQ(writer.stats().rejected_appends, 1U);
}

// Goal: a callback may stop its own writer without deadlocking; the owner's destructor joins.
TEST(group_commit_writer, stop_from_a_callback) {
  temp_dir dir;
  auto writer =
      std::make_unique<group_commit_writer>(open_journal(dir.file("j.db")), writer_options{});
  std::promise<append_status> stopped;
  writer->submit(make_request("s", 0, 1), [&](const append_result& result) {
    writer->stop();
    stopped.set_value(result.status);
  });
  EXPECT_EQ(stopped.get_future().get(), append_status::committed);
  writer.reset();
}

// Goal: run() hands the store to a job on the writer thread, for calls the writer does not wrap.
TEST(group_commit_writer, run_executes_on_the_writer_thread) {
  temp_dir dir;
  group_commit_writer writer(open_journal(dir.file("j.db")), {});
  ASSERT_EQ(submit_and_wait(writer, make_request("pay-1", 0, 2)).status, append_status::committed);
  std::promise<std::pair<std::thread::id, std::vector<std::string>>> answer;
  EXPECT_TRUE(writer.run([&](journal_store* store) {
    ASSERT_NE(store, nullptr);
    answer.set_value({std::this_thread::get_id(), store->list_streams("pay-", "", 10).value()});
  }));
  const auto [thread, streams] = answer.get_future().get();
  EXPECT_NE(thread, std::this_thread::get_id());
  EXPECT_EQ(streams, std::vector<std::string>{"pay-1"});
  EXPECT_FALSE(writer.run({}));  // an empty job is a caller bug and is refused
}

append_result put_and_wait(group_commit_writer& writer, idempotency_record record) {
  std::promise<append_result> answer;
  writer.put_idempotency(std::move(record),
                         [&answer](append_result result) { answer.set_value(std::move(result)); });
  return answer.get_future().get();
}

idempotency_record record_for(std::string key) {
  return {"client", std::move(key), "fp", 201, "application/json", "", "{}", 1000, 2000};
}

// Goal: an idempotency put rides in the same transaction as the appends queued with it, and its
// answer comes after that commit, after the appends' answers.
TEST(group_commit_writer, puts_share_the_batch_with_appends) {
  temp_dir dir;
  writer_gate gate;
  group_commit_writer writer(open_journal(dir.file("j.db")), {.max_wait_us = 0});
  writer.submit(make_request("gate", 0, 1), gate.hold());
  gate.wait_until_held();
  std::vector<std::string> order;  // written on the writer thread, read after stop() joined
  writer.submit(make_request("a", 0, 1), [&](const append_result& r) {
    order.push_back("append:" + std::to_string(static_cast<int>(r.status)));
  });
  writer.put_idempotency(record_for("k1"), [&](const append_result& r) {
    order.push_back("put:" + std::to_string(static_cast<int>(r.status)));
  });
  writer.put_idempotency(record_for(""), [&](const append_result& r) {
    order.push_back("bad put:" + std::to_string(static_cast<int>(r.status)));
  });
  gate.release();
  writer.stop();
  EXPECT_EQ(order, (std::vector<std::string>{"append:0", "put:0", "bad put:2"}));
  const writer_stats stats = writer.stats();
  EXPECT_EQ(stats.batches, 2U);  // the gate's, then one for the append and both puts
  EXPECT_EQ(stats.idempotency_puts, 2U);
  auto reopened = open_journal(dir.file("j.db"));
  EXPECT_TRUE(reopened->get_idempotency("client", "k1")->has_value());
}

// Goal: a put alone is committed and then readable through run(); a failing store answers it with
// storage_error; a stopped writer refuses it on the caller's thread.
TEST(group_commit_writer, puts_alone_fail_and_refuse_like_appends) {
  temp_dir dir;
  {
    group_commit_writer writer(open_journal(dir.file("j.db")), {});
    EXPECT_EQ(put_and_wait(writer, record_for("k")).status, append_status::committed);
    std::promise<bool> found;
    ASSERT_TRUE(writer.run([&](journal_store* store) {
      found.set_value(store != nullptr && store->get_idempotency("client", "k")->has_value());
    }));
    EXPECT_TRUE(found.get_future().get());
    EXPECT_EQ(writer.stats().batches, 0U);  // puts alone are not append batches
    writer.stop();
    const auto caller = std::this_thread::get_id();
    std::thread::id answered_on;
    append_result refused;
    writer.put_idempotency(record_for("late"), [&](append_result r) {
      answered_on = std::this_thread::get_id();
      refused = std::move(r);
    });
    EXPECT_EQ(answered_on, caller);
    EXPECT_EQ(refused.detail, "writer stopped");
    EXPECT_EQ(writer.stats().rejected_appends, 1U);
  }
  group_commit_writer failing(std::make_unique<failing_store>(), {});
  const append_result failed = put_and_wait(failing, record_for("k"));
  EXPECT_EQ(failed.status, append_status::storage_error);
  EXPECT_EQ(failed.detail, "disk on fire");
}

}  // namespace
}  // namespace payorch::persistence

namespace payorch::persistence {
namespace {

// Goal: the after-batch hook runs once per batch, after every callback of that batch.
TEST(group_commit_writer, after_batch_hook_follows_each_batch_callbacks) {
  testing::temp_dir dir;
  group_commit_writer writer(testing::open_journal(dir.file("j.db")), {});
  std::mutex mutex;
  std::size_t answered = 0;
  std::vector<std::size_t> answered_at_hook;
  writer.after_batch([&] {
    const std::lock_guard<std::mutex> lock(mutex);
    answered_at_hook.push_back(answered);
  });
  for (int i = 0; i < 3; ++i) {
    std::promise<void> done;
    writer.submit(testing::make_request("s" + std::to_string(i), 0, 1), [&](append_result r) {
      EXPECT_EQ(r.status, append_status::committed);
      const std::lock_guard<std::mutex> lock(mutex);
      ++answered;
      done.set_value();
    });
    done.get_future().wait();
  }
  writer.stop();
  const std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(answered_at_hook.size(), 3U);  // one batch each, since each waited for its answer
  EXPECT_EQ(answered_at_hook, (std::vector<std::size_t>{1, 2, 3}));
}

}  // namespace
}  // namespace payorch::persistence
