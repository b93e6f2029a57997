#pragma once
/// The single writer thread that turns many concurrent appends (and idempotency puts) into few
/// fsyncs.

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "persistence/journal.hpp"

namespace payorch::persistence {

/// How the writer forms batches.
struct writer_options {
  std::size_t max_batch_appends = 256;  // most appends (and, apart, most puts) in one transaction
  /// Longest wait for more appends when a write wakes an idle writer and the batch is not full;
  /// writes queued during the previous commit go at once. 0 (the default) commits at once: the
  /// writes that arrive during a commit's fsync form the next batch, so batches grow with the load
  /// by themselves. Clients that each wait for their answer before the next request are only held
  /// back by a wait: in 8 s HTTP runs of 64 connections, 200 us cost pledges 5-20 % of their
  /// throughput.
  std::int64_t max_wait_us = 0;
  std::size_t max_queued_appends = 65536;  // submit()/put refuse beyond this many queued (0 = none)
};

/// Inclusive upper bounds of the batch-size histogram; one more bucket counts larger batches.
inline constexpr std::array<std::uint64_t, 9> batch_size_bounds{1, 2, 4, 8, 16, 32, 64, 128, 256};

/// How often a writer that commits nothing (idle, or serving reads alone) asks its store whether
/// it answers.
inline constexpr std::chrono::milliseconds store_probe_interval{500};

/// Counters of a writer, safe to read from any thread.
struct writer_stats {
  std::uint64_t batches = 0;  // committed or failed append transactions
  std::uint64_t appends = 0;  // append requests answered by the store
  std::uint64_t last_batch_appends = 0;
  /// Wall time of the last append batch, from its commit's start to its acknowledgement (with a
  /// deferring store, the sync and any wait for an earlier batch's sync included).
  std::int64_t last_commit_us = 0;
  bool running = false;
  /// The writer thread is waiting for work with nothing queued, so the next write wakes it from
  /// idle (and it waits up to max_wait_us for more before committing).
  bool idle = false;
  std::uint64_t queued_appends = 0;    // waiting for a batch right now
  std::uint64_t rejected_appends = 0;  // refused because the queue was full or the writer stopped
  std::uint64_t idempotency_puts = 0;  // idempotency records answered by the store
  /// False from a transaction that failed as a whole, or an idle probe that failed, until the
  /// store answers again (a writer that commits nothing, idle or serving reads alone, pings it
  /// every `store_probe_interval`).
  bool store_ok = true;
  /// batch_size_counts[i] counts batches with size in (bounds[i-1], bounds[i]]; the last entry
  /// counts batches larger than bounds.back(). Not cumulative.
  std::array<std::uint64_t, batch_size_bounds.size() + 1> batch_size_counts{};
};

/// Owns one thread and the journal store; every store call happens on that thread, except
/// sync_committed() of a store that defers_sync(), which a second thread of the writer makes.
///
/// Callbacks must not throw and should be quick. An append's callback runs only after its batch
/// is durable (or failed), so anything read after it sees the event. With a store that commits
/// without syncing (defers_sync), the writer thread writes the next batch while a second thread
/// syncs the last one, and the callbacks run on that second thread after the sync, batch by
/// batch in commit order; otherwise they run on the writer thread after the commit. Either way
/// they run on one thread at a time, never two at once.
class group_commit_writer {
 public:
  group_commit_writer(std::unique_ptr<journal_store> store, writer_options options);
  ~group_commit_writer();  // stop(): finishes queued work, then joins
  group_commit_writer(const group_commit_writer&) = delete;
  group_commit_writer& operator=(const group_commit_writer&) = delete;

  /// Queues an append; `done` gets its result once the batch is durable (or failed), on the
  /// thread that acknowledges batches (see the class comment).
  ///
  /// If the writer is stopped, its queue is full or a sync failed, `done` gets storage_error at
  /// once, on the caller's thread.
  void submit(append_request request, std::function<void(append_result)> done);

  /// Queues an idempotency record for the next batch's transaction (with the appends, one fsync);
  /// `done` gets committed or storage_error like an append's, before the after_batch hook.
  /// Refused like submit().
  void put_idempotency(idempotency_record record, std::function<void(append_result)> done);

  /// Reads a stream between batches, once every batch before it is durable; `done` runs on the
  /// writer thread (or at once with ok=false if stopped; with ok=false once a sync failed).
  void read(std::string stream_id, std::function<void(stream_read)> done);

  /// Saves a snapshot between batches; fire and forget (a failure only loses an optimisation).
  void snapshot(snapshot_record record);

  /// Runs `hook` after the callbacks of every batch (on the thread that ran them), so a caller can
  /// hand a batch's results to another thread at once instead of one by one. Replaces any earlier
  /// hook.
  void after_batch(std::function<void()> hook);

  /// Runs `then(true)` once every batch whose transaction began before the call is durable (and,
  /// with a store that defers syncs, acknowledged), so that a read made just before on another
  /// connection, which sees a batch as soon as it commits, showed nothing a power loss could still
  /// take back: at once on the caller's thread if they are (always, when the store syncs as it
  /// commits), else on the sync thread after their sync. `then(false)` instead if a sync failed
  /// (what was committed may not be durable). Never blocks; `then` must not throw.
  void after_durable(std::function<void(bool durable)> then);

  /// Runs `job` on the writer thread between batches, for store calls the writer does not wrap,
  /// once every batch before it is durable; `job` gets null instead of the store if a sync failed
  /// meanwhile.
  ///
  /// Returns false (and never runs `job`) if the writer is stopped, or a sync failed.
  bool run(std::function<void(journal_store*)> job);

  /// Answers everything already queued, then joins the thread; later calls are refused. Idempotent.
  void stop();

  [[nodiscard]] writer_stats stats() const;

 private:
  struct pending_append {
    append_request request;
    std::function<void(append_result)> done;
  };
  struct pending_put {
    idempotency_record record;
    std::function<void(append_result)> done;
  };
  struct pending_read {
    std::string stream_id;
    std::function<void(stream_read)> done;
  };
  using side_job = std::variant<pending_read, snapshot_record, std::function<void(journal_store*)>>;
  struct work {
    std::deque<pending_append> appends;
    std::deque<pending_put> puts;
    std::deque<side_job> side_jobs;
  };

  /// A batch that committed (or failed) and waits for the sync that makes it durable.
  struct committed_batch {
    std::deque<pending_append> appends;
    std::deque<pending_put> puts;
    batch_results results;
    std::chrono::steady_clock::time_point started;
    std::uint64_t sequence = 0;
  };

  void loop();
  void sync_loop();
  bool take_work(work& taken);
  /// Asks the store whether it answers again, after a failed transaction.
  void probe_store();
  void commit(work& taken);
  /// Counts the batch, records the store's health, then runs the callbacks and the hook.
  void acknowledge(committed_batch& batch);
  /// Serves the side jobs taken with a batch, once what they may read is durable.
  void serve_side_jobs(std::deque<side_job>& jobs);
  /// Blocks the writer thread until every batch handed to the store so far is acknowledged
  /// (deferred syncs only); false if a sync failed.
  bool await_acknowledged();
  bool refuse_queueing(std::string& refusal) const;  // with mutex_ held
  /// What every write, read and job gets once a sync failed (sync_failed_ set).
  std::string sync_refusal() const;
  void serve(side_job& job);
  void record_batch(std::size_t size, std::int64_t commit_us);

  std::unique_ptr<journal_store> store_;  // touched only by the writer thread while it runs
  const writer_options options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending_append> appends_;  // guarded by mutex_
  std::deque<pending_put> puts_;        // guarded by mutex_
  std::deque<side_job> side_jobs_;      // guarded by mutex_
  bool stopping_ = false;               // guarded by mutex_
  bool last_round_wrote_ = false;       // the last work taken held writes (writer thread only)
  std::function<void()> after_batch_;   // guarded by mutex_

  std::mutex join_mutex_;
  std::thread thread_;

  // Only for a store that defers_sync(): the second thread and what it syncs.
  const bool defers_sync_;
  std::mutex sync_mutex_;
  std::condition_variable sync_wake_;    // the sync thread waits for batches here
  std::condition_variable synced_;  // the writer waits here for syncs (side jobs, backpressure)
  std::deque<committed_batch> to_sync_;  // guarded by sync_mutex_
  std::size_t unsynced_writes_ = 0;      // appends and puts in to_sync_ (guarded by sync_mutex_)
  std::uint64_t started_ = 0;            // batches handed to commit_batch (guarded by sync_mutex_)
  std::uint64_t acknowledged_ = 0;       // batches whose callbacks ran (guarded by sync_mutex_)
  /// after_durable callers waiting for batches up to their sequence (guarded by sync_mutex_).
  std::deque<std::pair<std::uint64_t, std::function<void(bool)>>> durable_waiters_;
  bool sync_stopping_ = false;           // guarded by sync_mutex_
  bool sync_stopped_ = false;            // guarded by sync_mutex_
  /// Set once a sync failed: what was committed may not be durable, so the writer answers every
  /// later write with storage_error and readiness stays down until the process restarts.
  std::atomic<bool> sync_failed_{false};
  std::string sync_failure_;  // written once by the sync thread before sync_failed_ is set
  std::thread sync_thread_;

  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> appends_done_{0};
  std::atomic<std::uint64_t> last_batch_appends_{0};
  std::atomic<std::int64_t> last_commit_us_{0};
  std::atomic<bool> running_{false};
  std::atomic<bool> idle_{false};
  std::atomic<bool> store_ok_{true};
  std::atomic<std::uint64_t> queued_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> puts_done_{0};
  std::array<std::atomic<std::uint64_t>, batch_size_bounds.size() + 1> batch_size_counts_{};
};

}  // namespace payorch::persistence
