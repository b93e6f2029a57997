#pragma once
/// Where the journal actor sends appends: the group-commit thread, or an inline store for tests.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "persistence/journal.hpp"

namespace payorch::persistence {
class group_commit_writer;
}

namespace payorch::actors {

/// Health figures of the backend, read by `/health/deps` and `/metrics` from any thread.
struct journal_health {
  bool running = false;
  std::uint64_t batches = 0;
  std::uint64_t appends = 0;
  std::uint64_t last_batch_appends = 0;
  std::int64_t last_commit_us = 0;
  /// Batch-size histogram: inclusive upper bounds, and counts per bound plus one overflow count.
  std::vector<std::uint64_t> batch_size_bounds;
  std::vector<std::uint64_t> batch_size_buckets;
};

/// A durable sink for appends and a source of stream reads; callbacks may run on any thread.
class journal_backend {
 public:
  virtual ~journal_backend() = default;
  /// Appends; `done` runs once the append's batch is durable (or failed as a whole).
  virtual void submit(persistence::append_request req,
                      std::function<void(persistence::append_result)> done) = 0;
  /// Reads a stream; ordered after every append submitted before it.
  virtual void read(std::string stream_id, std::function<void(persistence::stream_read)> done) = 0;
  /// Stores a snapshot; failures are only logged, since the events stay the source of truth.
  virtual void snapshot(persistence::snapshot_record snap) = 0;
  virtual journal_health health() const = 0;
  /// Runs `hook` after the callbacks of every batch (on the thread that ran them). Backends that
  /// answer inline have no batches and ignore it.
  virtual void after_batch(std::function<void()> /*hook*/) {}
};

/// The production backend: the group-commit writer thread over a journal store.
std::shared_ptr<journal_backend> make_threaded_backend(
    std::shared_ptr<persistence::group_commit_writer> writer);

/// A backend that runs every call synchronously on the caller's thread; for deterministic tests.
std::shared_ptr<journal_backend> make_inline_backend(
    std::unique_ptr<persistence::journal_store> store);

}  // namespace payorch::actors
