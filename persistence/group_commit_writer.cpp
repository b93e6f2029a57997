#include "persistence/group_commit_writer.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <utility>
#include <vector>

namespace payorch::persistence {
namespace {

// Set on the writer thread so stop() can tell that a callback, not an outside thread, is calling
// it.
thread_local const group_commit_writer* current_writer = nullptr;

writer_options normalized(writer_options options) {
  if (options.max_batch_appends == 0) options.max_batch_appends = 1;
  if (options.max_wait_us < 0) options.max_wait_us = 0;
  return options;
}

std::size_t bucket_of(std::size_t batch_size) {
  for (std::size_t i = 0; i < batch_size_bounds.size(); ++i) {
    if (batch_size <= batch_size_bounds[i]) return i;
  }
  return batch_size_bounds.size();
}

template <typename... handlers>
struct overloaded : handlers... {
  using handlers::operator()...;
};
template <typename... handlers>
overloaded(handlers...) -> overloaded<handlers...>;

}  // namespace

group_commit_writer::group_commit_writer(std::unique_ptr<journal_store> store,
                                         writer_options options)
    : store_(std::move(store)),
      options_(normalized(options)),
      defers_sync_(store_ != nullptr && store_->defers_sync()) {
  assert(store_ != nullptr && "group_commit_writer needs a store");
  running_.store(true);
  if (defers_sync_) sync_thread_ = std::thread([this] { sync_loop(); });
  thread_ = std::thread([this] { loop(); });
}

group_commit_writer::~group_commit_writer() {
  assert(current_writer != this && "a group_commit_writer cannot be destroyed by its own callback");
  stop();
}

bool group_commit_writer::refuse_queueing(std::string& refusal) const {
  const bool full = options_.max_queued_appends != 0 &&
                    appends_.size() + puts_.size() >= options_.max_queued_appends;
  const bool sync_failed = sync_failed_.load(std::memory_order_acquire);
  if (!stopping_ && !full && !sync_failed) return false;
  refusal = stopping_ ? "writer stopped" : sync_failed ? sync_refusal() : "writer queue full";
  return true;
}

void group_commit_writer::submit(append_request request, std::function<void(append_result)> done) {
  std::string refusal;
  {
    std::unique_lock lock(mutex_);
    if (!refuse_queueing(refusal)) {
      appends_.push_back({std::move(request), std::move(done)});
      queued_.store(appends_.size(), std::memory_order_relaxed);
      lock.unlock();
      wake_.notify_one();
      return;
    }
  }
  rejected_.fetch_add(1, std::memory_order_relaxed);
  if (done) done({append_status::storage_error, 0, refusal});
}

void group_commit_writer::put_idempotency(idempotency_record record,
                                          std::function<void(append_result)> done) {
  std::string refusal;
  {
    std::unique_lock lock(mutex_);
    if (!refuse_queueing(refusal)) {
      puts_.push_back({std::move(record), std::move(done)});
      lock.unlock();
      wake_.notify_one();
      return;
    }
  }
  rejected_.fetch_add(1, std::memory_order_relaxed);
  if (done) done({append_status::storage_error, 0, refusal});
}

void group_commit_writer::read(std::string stream_id, std::function<void(stream_read)> done) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      side_jobs_.emplace_back(pending_read{std::move(stream_id), std::move(done)});
      lock.unlock();
      wake_.notify_one();
      return;
    }
  }
  stream_read refused;
  refused.detail = "writer stopped";
  if (done) done(std::move(refused));
}

void group_commit_writer::snapshot(snapshot_record record) {
  {
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    side_jobs_.emplace_back(std::move(record));
  }
  wake_.notify_one();
}

bool group_commit_writer::run(std::function<void(journal_store*)> job) {
  {
    std::unique_lock lock(mutex_);
    if (stopping_ || !job || sync_failed_.load(std::memory_order_acquire)) return false;
    side_jobs_.emplace_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void group_commit_writer::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  // From a callback the writer thread cannot join itself; it drains and exits, and the owner joins.
  if (current_writer == this) return;
  const std::lock_guard join_lock(join_mutex_);
  if (thread_.joinable()) thread_.join();
  // The writer has handed over its last batch; the sync thread acknowledges it, then exits.
  {
    const std::lock_guard lock(sync_mutex_);
    sync_stopping_ = true;
  }
  sync_wake_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
}

void group_commit_writer::after_durable(std::function<void(bool durable)> then) {
  if (!then) return;
  if (defers_sync_) {
    const std::lock_guard lock(sync_mutex_);
    if (acknowledged_ < started_ && !sync_stopped_) {
      durable_waiters_.emplace_back(started_, std::move(then));
      return;
    }
  }
  then(!sync_failed_.load(std::memory_order_acquire));
}

bool group_commit_writer::await_acknowledged() {
  std::unique_lock lock(sync_mutex_);
  const std::uint64_t sequence = started_;
  synced_.wait(lock, [&] { return acknowledged_ >= sequence || sync_stopped_; });
  return !sync_failed_.load(std::memory_order_acquire);
}

void group_commit_writer::serve_side_jobs(std::deque<side_job>& jobs) {
  // Side jobs run after the commit, so a read never sees less than what was acknowledged, and,
  // when syncs are deferred, once everything it may see is durable: a stream read for a recovery
  // must not show an event a power loss could still take back. A snapshot shows nothing.
  const bool reads = std::any_of(jobs.begin(), jobs.end(), [](const side_job& job) {
    return !std::holds_alternative<snapshot_record>(job);
  });
  const bool durable = !defers_sync_ || (reads ? await_acknowledged()
                                               : !sync_failed_.load(std::memory_order_acquire));
  if (!durable) {
    // A sync failed: nothing is read or written any more (run() refuses new jobs already; those
    // taken before get null, as a refused job would).
    for (side_job& job : jobs) {
      if (auto* read = std::get_if<pending_read>(&job); read != nullptr && read->done) {
        stream_read refused;
        refused.detail = sync_refusal();
        read->done(std::move(refused));
      } else if (auto* custom = std::get_if<std::function<void(journal_store*)>>(&job)) {
        (*custom)(nullptr);
      }
    }
    return;
  }
  for (side_job& job : jobs) serve(job);
}

writer_stats group_commit_writer::stats() const {
  writer_stats out;
  out.batches = batches_.load(std::memory_order_relaxed);
  out.appends = appends_done_.load(std::memory_order_relaxed);
  out.last_batch_appends = last_batch_appends_.load(std::memory_order_relaxed);
  out.last_commit_us = last_commit_us_.load(std::memory_order_relaxed);
  out.running = running_.load(std::memory_order_relaxed);
  out.idle = idle_.load(std::memory_order_acquire);
  out.queued_appends = queued_.load(std::memory_order_relaxed);
  out.rejected_appends = rejected_.load(std::memory_order_relaxed);
  out.idempotency_puts = puts_done_.load(std::memory_order_relaxed);
  out.store_ok = store_ok_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < out.batch_size_counts.size(); ++i) {
    out.batch_size_counts[i] = batch_size_counts_[i].load(std::memory_order_relaxed);
  }
  return out;
}

void group_commit_writer::loop() {
  current_writer = this;
  work taken;
  // When the store's health was last learnt: a transaction's outcome, or a probe.
  auto last_checked = std::chrono::steady_clock::now();
  while (take_work(taken)) {
    const bool writes = !taken.appends.empty() || !taken.puts.empty();
    if (writes) {
      commit(taken);  // moves the appends and puts out; its outcome sets store_ok_
      last_checked = std::chrono::steady_clock::now();
    }
    if (!taken.side_jobs.empty()) serve_side_jobs(taken.side_jobs);
    // No transaction for a probe interval, whether idle or serving reads alone (whose failures
    // say nothing of the store's health): ask the store, so readiness notices a store that went
    // away, or came back, even when nothing is written.
    if (!writes && std::chrono::steady_clock::now() - last_checked >= store_probe_interval) {
      probe_store();
      last_checked = std::chrono::steady_clock::now();
    }
    taken.appends.clear();
    taken.puts.clear();
    taken.side_jobs.clear();
  }
  running_.store(false);
}

bool group_commit_writer::take_work(work& taken) {
  std::unique_lock lock(mutex_);
  const auto has_work = [this] {
    return stopping_ || !appends_.empty() || !puts_.empty() || !side_jobs_.empty();
  };
  // Writes already queued here arrived during the last commit: under load, that is the batch.
  // After a round that committed nothing (a probe, or reads alone) the writer counts as idle
  // even if a write is already queued: it did not arrive behind a commit.
  const bool was_idle = (appends_.empty() && puts_.empty()) || !last_round_wrote_;
  idle_.store(!has_work(), std::memory_order_release);
  const bool woken = wake_.wait_for(lock, store_probe_interval, has_work);
  idle_.store(false, std::memory_order_relaxed);
  if (!woken) {
    last_round_wrote_ = false;  // idle for a while: the next write wakes the writer from idle
    return true;                // time to probe the store
  }
  const bool writes = !appends_.empty() || !puts_.empty();
  if (!writes && side_jobs_.empty()) return false;  // stopping and drained
  const std::size_t max = options_.max_batch_appends;
  const auto full = [&] { return appends_.size() >= max || puts_.size() >= max; };
  if (writes && was_idle && !full() && options_.max_wait_us > 0 && !stopping_) {
    // Woken from idle by the first write: a short wait lets concurrent writers share this
    // batch's fsync. A busy writer skips it, as waiting would only delay what is queued.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::microseconds(options_.max_wait_us);
    wake_.wait_until(lock, deadline, [&] { return stopping_ || full(); });
  }
  const std::size_t count = appends_.size() < max ? appends_.size() : max;
  for (std::size_t i = 0; i < count; ++i) {
    taken.appends.push_back(std::move(appends_.front()));
    appends_.pop_front();
  }
  const std::size_t put_count = puts_.size() < max ? puts_.size() : max;
  for (std::size_t i = 0; i < put_count; ++i) {
    taken.puts.push_back(std::move(puts_.front()));
    puts_.pop_front();
  }
  taken.side_jobs.swap(side_jobs_);
  queued_.store(appends_.size(), std::memory_order_relaxed);
  last_round_wrote_ = !taken.appends.empty() || !taken.puts.empty();
  return true;
}

void group_commit_writer::commit(work& taken) {
  committed_batch batch{
      std::move(taken.appends), std::move(taken.puts), {}, std::chrono::steady_clock::now(), 0};
  taken.appends.clear();
  taken.puts.clear();
  std::vector<append_request> requests;
  requests.reserve(batch.appends.size());
  for (pending_append& pending : batch.appends) requests.push_back(std::move(pending.request));
  std::vector<idempotency_record> records;
  records.reserve(batch.puts.size());
  for (pending_put& put : batch.puts) records.push_back(std::move(put.record));

  if (defers_sync_) {
    std::unique_lock lock(sync_mutex_);
    // Committed writes that wait for their sync count against the queue's bound, so a stalled
    // disk holds the writer back as it did when the writer synced each batch itself.
    if (options_.max_queued_appends != 0) {
      synced_.wait(
          lock, [this] { return unsynced_writes_ < options_.max_queued_appends || sync_stopped_; });
    }
    batch.sequence = ++started_;
  }
  if (sync_failed_.load(std::memory_order_acquire)) {
    // Queued before a sync failed: nothing more is written once durability is in doubt.
    const std::string why = sync_refusal();
    batch.results = {
        std::vector<append_result>(requests.size(), {append_status::storage_error, 0, why}),
        std::vector<append_result>(records.size(), {append_status::storage_error, 0, why}), true};
  } else {
    batch.results = store_->commit_batch(requests, records);
  }
  assert(batch.results.appends.size() == batch.appends.size() &&
         "journal_store must answer every request");
  assert(batch.results.idempotency.size() == records.size() &&
         "journal_store must answer every put");
  const append_result unanswered{append_status::storage_error, 0, "store gave no answer"};
  batch.results.appends.resize(batch.appends.size(), unanswered);
  batch.results.idempotency.resize(records.size(), unanswered);
  if (!defers_sync_) {
    acknowledge(batch);
    return;
  }
  {
    const std::lock_guard lock(sync_mutex_);
    unsynced_writes_ += batch.appends.size() + batch.puts.size();
    to_sync_.push_back(std::move(batch));
  }
  sync_wake_.notify_one();
}

void group_commit_writer::sync_loop() {
  current_writer = this;
  for (;;) {
    std::deque<committed_batch> group;
    {
      std::unique_lock lock(sync_mutex_);
      sync_wake_.wait(lock, [this] { return sync_stopping_ || !to_sync_.empty(); });
      if (to_sync_.empty()) break;  // stopping, and every batch is acknowledged
      group.swap(to_sync_);
      unsynced_writes_ = 0;
    }
    // One sync for every batch that committed meanwhile: the WAL holds them in commit order.
    const bool committed = std::any_of(group.begin(), group.end(), [](const committed_batch& b) {
      return !b.results.transaction_failed;
    });
    if (committed && !sync_failed_.load(std::memory_order_acquire)) {
      if (result<void> synced = store_->sync_committed(); !synced) {
        sync_failure_ = synced.error().detail;
        sync_failed_.store(true, std::memory_order_release);
      }
    }
    if (sync_failed_.load(std::memory_order_acquire)) {
      // Committed but maybe not durable: the outcome is unknown, as for a failed commit.
      const std::string why = sync_refusal();
      for (committed_batch& batch : group) {
        if (batch.results.transaction_failed) continue;
        for (append_result& r : batch.results.appends)
          if (r.status == append_status::committed) r = {append_status::storage_error, 0, why};
        for (append_result& r : batch.results.idempotency)
          if (r.status == append_status::committed) r = {append_status::storage_error, 0, why};
        batch.results.transaction_failed = true;
      }
    }
    for (committed_batch& batch : group) acknowledge(batch);
    std::deque<std::pair<std::uint64_t, std::function<void(bool)>>> ready;
    {
      const std::lock_guard lock(sync_mutex_);
      acknowledged_ = group.back().sequence;
      while (!durable_waiters_.empty() && durable_waiters_.front().first <= acknowledged_) {
        ready.push_back(std::move(durable_waiters_.front()));
        durable_waiters_.pop_front();
      }
    }
    synced_.notify_all();
    const bool durable = !sync_failed_.load(std::memory_order_acquire);
    for (auto& [sequence, then] : ready) then(durable);
  }
  std::deque<std::pair<std::uint64_t, std::function<void(bool)>>> rest;
  {
    const std::lock_guard lock(sync_mutex_);
    sync_stopped_ = true;
    rest.swap(durable_waiters_);  // every batch is acknowledged: the writer stopped first
  }
  synced_.notify_all();
  const bool durable = !sync_failed_.load(std::memory_order_acquire);
  for (auto& [sequence, then] : rest) then(durable);
}

void group_commit_writer::acknowledge(committed_batch& batch) {
  const auto elapsed = std::chrono::steady_clock::now() - batch.started;
  // The histogram and counters describe append transactions; one with only puts is not one.
  if (!batch.appends.empty()) {
    record_batch(batch.appends.size(),
                 std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
  }
  puts_done_.fetch_add(batch.puts.size(), std::memory_order_relaxed);
  // Only a transaction that failed as a whole says the store is unwell; a request refused for
  // its own input does not.
  store_ok_.store(!batch.results.transaction_failed, std::memory_order_relaxed);

  for (std::size_t i = 0; i < batch.appends.size(); ++i) {
    if (batch.appends[i].done) batch.appends[i].done(std::move(batch.results.appends[i]));
  }
  for (std::size_t i = 0; i < batch.puts.size(); ++i) {
    if (batch.puts[i].done) batch.puts[i].done(std::move(batch.results.idempotency[i]));
  }
  std::function<void()> hook;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    hook = after_batch_;
  }
  if (hook) hook();
}

std::string group_commit_writer::sync_refusal() const {
  return "journal sync failed, restart payorch: " + sync_failure_;
}

void group_commit_writer::probe_store() {
  store_ok_.store(store_->ping() && !sync_failed_.load(std::memory_order_acquire),
                  std::memory_order_relaxed);
}

void group_commit_writer::after_batch(std::function<void()> hook) {
  const std::lock_guard<std::mutex> lock(mutex_);
  after_batch_ = std::move(hook);
}

void group_commit_writer::serve(side_job& job) {
  std::visit(overloaded{
                 [this](pending_read& read) {
                   stream_read result = store_->read_stream(read.stream_id);
                   if (read.done) read.done(std::move(result));
                 },
                 [this](snapshot_record& record) { store_->save_snapshot(record); },
                 [this](std::function<void(journal_store*)>& custom) { custom(store_.get()); },
             },
             job);
}

void group_commit_writer::record_batch(std::size_t size, std::int64_t commit_us) {
  batches_.fetch_add(1, std::memory_order_relaxed);
  appends_done_.fetch_add(size, std::memory_order_relaxed);
  last_batch_appends_.store(size, std::memory_order_relaxed);
  last_commit_us_.store(commit_us, std::memory_order_relaxed);
  batch_size_counts_[bucket_of(size)].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace payorch::persistence
