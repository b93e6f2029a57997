#pragma once
/// The deterministic actor fixture: payorch's actor runtime on CAF's test_coordinator.
///
/// No threads and no sleeps: the test drives the scheduler with `run()` and moves virtual time
/// with `advance_time()`. The journal is a real SQLite file behind a backend that answers inline
/// and can be told to fail the next appends.

#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/errors.hpp"
#include "actors/runtime.hpp"
#include "actors/type_ids.hpp"
#include "domain/result.hpp"
#include "persistence/journal.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::testing {

/// Wraps an inline backend and fails the next `fail_next_appends` appends with storage_error.
class faulty_backend final : public actors::journal_backend {
 public:
  explicit faulty_backend(std::shared_ptr<actors::journal_backend> inner)
      : inner_(std::move(inner)) {}

  void submit(persistence::append_request req,
              std::function<void(persistence::append_result)> done) override {
    if (hang_next_appends > 0) {
      --hang_next_appends;
      hung.push_back(std::move(done));  // never answered, as with a stuck disk
      return;
    }
    if (fail_next_appends > 0) {
      --fail_next_appends;
      done({persistence::append_status::storage_error, 0, "injected storage fault"});
      return;
    }
    if (refuse_ledger_of_next_appends > 0) {
      --refuse_ledger_of_next_appends;
      done({persistence::append_status::ledger_rejected, 0, "injected ledger refusal"});
      return;
    }
    inner_->submit(std::move(req), std::move(done));
  }
  void read(std::string stream_id, std::function<void(persistence::stream_read)> done) override {
    inner_->read(std::move(stream_id), std::move(done));
  }
  void snapshot(persistence::snapshot_record snap) override {
    ++snapshots;
    inner_->snapshot(std::move(snap));
  }
  actors::journal_health health() const override { return inner_->health(); }
  void query(std::function<void(persistence::journal_store*)> job) override {
    inner_->query(std::move(job));
  }
  void put_idempotency(persistence::idempotency_record record,
                       std::function<void(persistence::append_result)> done) override {
    inner_->put_idempotency(std::move(record), std::move(done));
  }

  int snapshots = 0;  ///< snapshots passed on
  int fail_next_appends = 0;
  int refuse_ledger_of_next_appends = 0;  ///< answered ledger_rejected, as for a pod's bug
  int hang_next_appends = 0;
  std::vector<std::function<void(persistence::append_result)>> hung;

 private:
  std::shared_ptr<actors::journal_backend> inner_;
};

class actor_fixture : public ::testing::Test {
 protected:
  actor_fixture() { start(); }

  /// (Re)starts the runtime over the same journal file, as a process restart would.
  void start() {
    runtime_.reset();
    std::string error;
    auto store = persistence::open_sqlite_journal({.file = dir_.file("journal.sqlite")}, &error);
    if (!store) throw std::runtime_error(error);
    backend_ = std::make_shared<faulty_backend>(actors::make_inline_backend(std::move(store)));
    options_.deterministic = true;
    runtime_ = actors::actor_runtime::start(options_, backend_);
    sched().run();
  }

  caf::actor_system& sys() { return runtime_->system(); }

  caf::scheduler::test_coordinator& sched() {
    return dynamic_cast<caf::scheduler::test_coordinator&>(sys().scheduler());
  }

  /// Sends `msg` to `target`, runs the scheduler until idle and returns the reply.
  template <class Reply, class Handle, class Message>
  result<Reply> ask(const Handle& target, Message msg) {
    caf::scoped_actor self{sys()};
    auto handle = self->request(target, caf::infinite, std::move(msg));
    sched().run();
    std::optional<result<Reply>> out;
    handle.receive([&](Reply& r) { out.emplace(std::move(r)); },
                   [&](caf::error& e) { out.emplace(actors::to_failure(e)); });
    return std::move(*out);
  }

  /// Moves virtual time forward and runs everything that became due.
  void advance(std::chrono::milliseconds by) {
    sched().advance_time(by);
    sched().run();
  }

  temp_dir dir_{"payorch-actors"};
  actors::runtime_options options_;
  std::shared_ptr<faulty_backend> backend_;
  std::unique_ptr<actors::actor_runtime> runtime_;
};

}  // namespace payorch::testing
