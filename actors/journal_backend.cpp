#include "actors/journal_backend.hpp"

#include "persistence/group_commit_writer.hpp"

namespace payorch::actors {
namespace {

class threaded_backend final : public journal_backend {
 public:
  explicit threaded_backend(std::shared_ptr<persistence::group_commit_writer> writer)
      : writer_(std::move(writer)) {}

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
    if (!writer_->run([shared](persistence::journal_store& store) { (*shared)(&store); }))
      (*shared)(nullptr);
  }

  void put_idempotency(persistence::idempotency_record record,
                       std::function<void(persistence::append_result)> done) override {
    writer_->put_idempotency(std::move(record), std::move(done));
  }

  void after_batch(std::function<void()> hook) override { writer_->after_batch(std::move(hook)); }

  journal_health health() const override {
    auto s = writer_->stats();
    journal_health h;
    h.running = s.running;
    h.batches = s.batches;
    h.appends = s.appends;
    h.last_batch_appends = s.last_batch_appends;
    h.last_commit_us = s.last_commit_us;
    h.batch_size_bounds.assign(persistence::batch_size_bounds.begin(),
                               persistence::batch_size_bounds.end());
    h.batch_size_buckets.assign(s.batch_size_counts.begin(), s.batch_size_counts.end());
    return h;
  }

 private:
  std::shared_ptr<persistence::group_commit_writer> writer_;
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
    done(std::move(results.idempotency.front()));
  }

  journal_health health() const override {
    journal_health h;
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
};

}  // namespace

std::shared_ptr<journal_backend> make_threaded_backend(
    std::shared_ptr<persistence::group_commit_writer> writer) {
  return std::make_shared<threaded_backend>(std::move(writer));
}

std::shared_ptr<journal_backend> make_inline_backend(
    std::unique_ptr<persistence::journal_store> store) {
  return std::make_shared<inline_backend>(std::move(store));
}

}  // namespace payorch::actors
