#include "actors/journal_backend.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <limits>
#include <mutex>
#include <thread>

#include "persistence/group_commit_writer.hpp"
#include "persistence/idempotency_filter.hpp"

namespace payorch::actors {
namespace {

using record_answer = result<std::optional<persistence::idempotency_record>>;
using record_callback = std::function<void(record_answer)>;

/// The most idempotency look-ups the reader answers with one read.
constexpr std::size_t max_keys_per_read = 256;

/// One idempotency look-up waiting for the reader.
struct key_lookup {
  persistence::idempotency_key key;
  record_callback done;
};

/// One thread serving lookup jobs in order against its own store connection. Idempotency
/// look-ups waiting together are read at once, in one call, before the next job.
class reader_thread {
 public:
  using job = journal_backend::lookup_job;
  using answer = std::function<void(bool durable)>;

  /// `after_durable` gets each read's answer and calls it once what the read may have seen is
  /// durable (see journal_backend::lookup_job).
  reader_thread(std::unique_ptr<persistence::journal_store> store,
                std::function<void(answer)> after_durable)
      : store_(std::move(store)),
        after_durable_(std::move(after_durable)),
        thread_([this] { loop(); }) {}

  ~reader_thread() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  reader_thread(const reader_thread&) = delete;
  reader_thread& operator=(const reader_thread&) = delete;

  void post(job j) {
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) {
        // Refused: answered below, outside the lock.
      } else {
        jobs_.push_back(std::move(j));
        j = nullptr;
      }
    }
    if (!j) {
      // Notified after unlocking, so the reader, once woken, does not block at once on the
      // mutex this thread still holds (two context switches instead of one per look-up).
      wake_.notify_one();
      return;
    }
    if (auto refused = j(nullptr)) refused(true);
  }

  void post(key_lookup k) {
    {
      const std::lock_guard lock(mutex_);
      if (!stopping_) {
        keys_.push_back(std::move(k));
        k.done = nullptr;
      }
    }
    if (!k.done) {
      wake_.notify_one();  // after unlocking, as in post(job)
      return;
    }
    k.done(not_running());
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    std::vector<key_lookup> keys;
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty() || !keys_.empty(); });
      if (jobs_.empty() && keys_.empty()) return;  // stopping and drained
      if (!keys_.empty()) {
        const std::size_t n = std::min(keys_.size(), max_keys_per_read);
        keys.assign(std::make_move_iterator(keys_.begin()),
                    std::make_move_iterator(keys_.begin() + static_cast<std::ptrdiff_t>(n)));
        keys_.erase(keys_.begin(), keys_.begin() + static_cast<std::ptrdiff_t>(n));
        lock.unlock();
        read_keys(keys);
        keys.clear();
        lock.lock();
      }
      if (jobs_.empty()) continue;
      auto next = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      if (auto reply = next(store_.get())) after_durable_(std::move(reply));
      lock.lock();
    }
  }

  /// Reads the records of `keys` in one call and answers each look-up once they are durable.
  void read_keys(std::vector<key_lookup>& keys) {
    std::vector<persistence::idempotency_key> names;
    names.reserve(keys.size());
    for (const auto& k : keys) names.push_back(k.key);
    auto records = store_->get_idempotency_records(names);
    after_durable_([keys = std::move(keys), records = std::move(records)](bool durable) mutable {
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (!durable) {
          keys[i].done(not_durable());
        } else if (!records) {
          keys[i].done(records.error());
        } else if (i < records->size()) {
          keys[i].done(std::move((*records)[i]));
        } else {
          keys[i].done(fail(errc::internal_error, "the store answered fewer keys than asked"));
        }
      }
    });
  }

  std::unique_ptr<persistence::journal_store> store_;
  std::function<void(answer)> after_durable_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> jobs_;
  std::deque<key_lookup> keys_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

class threaded_backend final : public journal_backend {
 public:
  threaded_backend(std::shared_ptr<persistence::group_commit_writer> writer,
                   std::unique_ptr<persistence::journal_store> reader,
                   std::shared_ptr<persistence::idempotency_filter> known_keys,
                   std::unique_ptr<persistence::journal_store> key_source)
      : writer_(std::move(writer)) {
    if (reader) {
      // The writer outlives the reader thread (members are destroyed in reverse order).
      reader_ = std::make_unique<reader_thread>(
          std::move(reader), [writer = writer_.get()](reader_thread::answer answer) {
            writer->after_durable(std::move(answer));
          });
    }
    if (!known_keys || !key_source) return;
    known_keys_ = std::move(known_keys);
    // Every key stored so far, expired ones too (the filter drops those by the caller's clock),
    // read on a thread and connection of its own so look-ups and page reads never wait for it.
    // Until this is done, or if it fails, the filter answers "maybe" and look-ups go on.
    loader_ = std::thread([this, source = std::move(key_source)] {
      try {
        const auto scanned = source->scan_idempotency_keys(
            std::numeric_limits<std::int64_t>::min(),
            [&](const persistence::idempotency_key& key, std::int64_t expires_at_ms) {
              known_keys_->add(key.client_id, key.key, expires_at_ms);
              return !stopping_.load(std::memory_order_relaxed);
            });
        if (scanned && !stopping_.load()) known_keys_->mark_ready();
      } catch (...) {
        // Out of memory while loading: the filter stays "maybe" for every key.
      }
    });
  }

  ~threaded_backend() override {
    stopping_.store(true);
    if (loader_.joinable()) loader_.join();
  }

  threaded_backend(const threaded_backend&) = delete;
  threaded_backend& operator=(const threaded_backend&) = delete;

  void submit(persistence::append_request req,
              std::function<void(persistence::append_result)> done) override {
    writer_->submit(std::move(req), std::move(done));
  }

  void read(std::string stream_id, std::function<void(persistence::stream_read)> done) override {
    writer_->read(std::move(stream_id), std::move(done));
  }

  void snapshot(persistence::snapshot_record snap) override { writer_->snapshot(std::move(snap)); }

  void query(std::function<void(persistence::journal_store*)> job) override {
    // run() drops a job it refuses, so the job is shared to still answer with null then.
    auto shared =
        std::make_shared<std::function<void(persistence::journal_store*)>>(std::move(job));
    if (!writer_->run([shared](persistence::journal_store* store) { (*shared)(store); }))
      (*shared)(nullptr);
  }

  void lookup(lookup_job job) override {
    if (!reader_) return journal_backend::lookup(std::move(job));
    reader_->post(std::move(job));
  }

  void lookup_idempotency(persistence::idempotency_key key, record_callback done) override {
    if (!reader_) return journal_backend::lookup_idempotency(std::move(key), std::move(done));
    reader_->post(key_lookup{std::move(key), std::move(done)});
  }

  void put_idempotency(persistence::idempotency_record record,
                       std::function<void(persistence::append_result)> done) override {
    writer_->put_idempotency(std::move(record), std::move(done));
  }

  bool remember_idempotency_key(const persistence::idempotency_key& key, std::int64_t expires_at_ms,
                                std::int64_t now_ms) override {
    return known_keys_ && known_keys_->remember(key.client_id, key.key, expires_at_ms, now_ms);
  }

  void after_batch(std::function<void()> hook) override { writer_->after_batch(std::move(hook)); }

  journal_health health() const override {
    auto s = writer_->stats();
    journal_health h;
    h.running = s.running;
    h.store_ok = s.store_ok;
    h.batches = s.batches;
    h.appends = s.appends;
    h.last_batch_appends = s.last_batch_appends;
    h.last_commit_us = s.last_commit_us;
    h.batch_size_bounds.assign(persistence::batch_size_bounds.begin(),
                               persistence::batch_size_bounds.end());
    h.batch_size_buckets.assign(s.batch_size_counts.begin(), s.batch_size_counts.end());
    h.idempotency_puts = s.idempotency_puts;
    if (known_keys_) {
      const auto k = known_keys_->stats();
      h.key_filter_ready = k.ready;
      h.key_filter_keys = k.keys;
      h.key_filter_bytes = k.bytes;
      h.lookups_skipped = k.skipped;
    }
    return h;
  }

 private:
  std::shared_ptr<persistence::group_commit_writer> writer_;
  std::unique_ptr<reader_thread> reader_;
  std::shared_ptr<persistence::idempotency_filter> known_keys_;
  std::atomic<bool> stopping_{false};
  std::thread loader_;  // last: starts once the members above exist
};

class inline_backend final : public journal_backend {
 public:
  explicit inline_backend(std::unique_ptr<persistence::journal_store> store)
      : store_(std::move(store)) {}

  void submit(persistence::append_request req,
              std::function<void(persistence::append_result)> done) override {
    auto results = store_->append_batch(std::span<const persistence::append_request>(&req, 1));
    ++batches_;
    ++appends_;
    done(std::move(results.front()));
  }

  void read(std::string stream_id, std::function<void(persistence::stream_read)> done) override {
    done(store_->read_stream(stream_id));
  }

  void snapshot(persistence::snapshot_record snap) override { store_->save_snapshot(snap); }

  void query(std::function<void(persistence::journal_store*)> job) override { job(store_.get()); }

  void put_idempotency(persistence::idempotency_record record,
                       std::function<void(persistence::append_result)> done) override {
    auto results =
        store_->commit_batch({}, std::span<const persistence::idempotency_record>(&record, 1));
    ++puts_;
    done(std::move(results.idempotency.front()));
  }

  journal_health health() const override {
    journal_health h;
    h.idempotency_puts = puts_;
    h.running = true;
    h.batches = batches_;
    h.appends = appends_;
    h.last_batch_appends = 1;
    h.batch_size_bounds = {1};
    h.batch_size_buckets = {batches_, 0};
    return h;
  }

 private:
  std::unique_ptr<persistence::journal_store> store_;
  std::uint64_t batches_ = 0;
  std::uint64_t appends_ = 0;
  std::uint64_t puts_ = 0;
};

}  // namespace

void journal_backend::lookup_idempotency(persistence::idempotency_key key, record_callback done) {
  lookup([key = std::move(key), done = std::move(done)](persistence::journal_store* store) {
    if (store == nullptr) return answer_when_durable(not_running(), done);
    return answer_when_durable(store->get_idempotency(key.client_id, key.key), done);
  });
}

failure not_running() {
  return fail(errc::storage_unavailable, "the journal is not running");
}

failure not_durable() {
  return fail(errc::storage_unavailable, "the journal could not make its writes durable");
}

std::shared_ptr<journal_backend> make_threaded_backend(
    std::shared_ptr<persistence::group_commit_writer> writer,
    std::unique_ptr<persistence::journal_store> reader,
    std::shared_ptr<persistence::idempotency_filter> known_keys,
    std::unique_ptr<persistence::journal_store> key_source) {
  return std::make_shared<threaded_backend>(std::move(writer), std::move(reader),
                                            std::move(known_keys), std::move(key_source));
}

std::shared_ptr<journal_backend> make_inline_backend(
    std::unique_ptr<persistence::journal_store> store) {
  return std::make_shared<inline_backend>(std::move(store));
}

}  // namespace payorch::actors
