#pragma once
/// Where the journal actor sends appends, idempotency puts and reads: the group-commit thread, or
/// an inline store for tests.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "persistence/journal.hpp"

namespace payorch::persistence {
class group_commit_writer;
class idempotency_filter;
}

namespace payorch::actors {

/// Health figures of the backend, read by `/health/deps` and `/metrics` from any thread.
struct journal_health {
  bool running = false;
  bool store_ok =
      true;  ///< false while the store fails every transaction (e.g. its server is down)
  std::uint64_t batches = 0;
  std::uint64_t appends = 0;
  std::uint64_t last_batch_appends = 0;
  std::int64_t last_commit_us = 0;
  /// Batch-size histogram: inclusive upper bounds, and counts per bound plus one overflow count.
  std::vector<std::uint64_t> batch_size_bounds;
  std::vector<std::uint64_t> batch_size_buckets;
  /// Idempotency records stored by a put of their own (answers written with their events, as
  /// the pod's keyed commands do, are not counted).
  std::uint64_t idempotency_puts = 0;
  /// The idempotency key filter (see idempotency_filter.hpp): whether it answers yet, what it
  /// holds, and how many look-ups it spared. All 0 for a backend without one.
  bool key_filter_ready = false;
  std::uint64_t key_filter_keys = 0;
  std::uint64_t key_filter_bytes = 0;
  std::uint64_t lookups_skipped = 0;
};

/// A durable sink for appends and a source of reads; callbacks may run on any thread.
///
/// `query` and `put_idempotency` have defaults that answer "unavailable", so a wrapper that only
/// forwards the older calls still compiles; forward them too to serve pages and idempotency.
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
  /// Runs `job` against the store after every append submitted before it: on the writer thread
  /// between batches, or at once for an inline backend. `job` gets null when it cannot run (the
  /// writer stopped, or this backend has no store to offer) and must answer its requester anyway.
  virtual void query(std::function<void(persistence::journal_store*)> job) { job(nullptr); }
  /// A read for `lookup`: it reads from the store (null when none can run it) and returns how to
  /// answer its requester. The backend calls that answer with `true` once everything the read may
  /// have seen is durable (a reader connection sees a batch as soon as it commits, which may be
  /// before it is synced), or with `false` if that can no longer be (a sync failed).
  using lookup_job = std::function<std::function<void(bool durable)>(persistence::journal_store*)>;
  /// Runs `job` against a store that sees every committed batch but need not wait for appends
  /// still queued: a separate reader connection when the backend has one, so page reads and
  /// idempotency lookups never queue behind group commits. Defaults to `query`.
  virtual void lookup(lookup_job job) {
    query([job = std::move(job)](persistence::journal_store* store) { job(store)(true); });
  }
  /// Reads the idempotency record of `key` like `lookup` would; `done` gets it (null if none) or
  /// the store's error. Look-ups that wait for the reader together are read in one call of
  /// journal_store::get_idempotency_records (one round trip to a server store).
  virtual void lookup_idempotency(
      persistence::idempotency_key key,
      std::function<void(result<std::optional<persistence::idempotency_record>>)> done);
  /// Notes that a record of `key` may be stored from now on (it expires at `expires_at_ms`).
  /// True when no record of the key that is live at `now_ms` can be stored already, so its
  /// look-up may be skipped. A backend without a filter of the stored keys answers false.
  virtual bool remember_idempotency_key(const persistence::idempotency_key& /*key*/,
                                        std::int64_t /*expires_at_ms*/, std::int64_t /*now_ms*/) {
    return false;
  }
  /// Stores an idempotency record in the next batch's transaction; `done` runs once that batch is
  /// durable (committed) or failed (storage_error).
  virtual void put_idempotency(persistence::idempotency_record /*record*/,
                               std::function<void(persistence::append_result)> done) {
    done({persistence::append_status::storage_error, 0,
          "this journal backend does not store idempotency records"});
  }
  /// Runs `hook` after the callbacks of every batch (on the thread that ran them). Backends that
  /// answer inline have no batches and ignore it.
  virtual void after_batch(std::function<void()> /*hook*/) {}
};

/// The failure a request answers when no store can run it (the writer stopped).
failure not_running();
/// The failure a look-up answers when what it read could not be made durable (a sync failed).
failure not_durable();

/// The answer a `journal_backend::lookup_job` returns for what it read (a result, or a failure):
/// `done(read)` once what the read may have seen is durable, otherwise `done(not_durable())`.
template <class Read, class Done>
std::function<void(bool)> answer_when_durable(Read read, Done done) {
  return [read = std::move(read), done = std::move(done)](bool durable) mutable {
    if (durable) {
      done(std::move(read));
    } else {
      done(not_durable());
    }
  };
}

/// The production backend: the group-commit writer thread over a journal store.
/// `reader` (optional) is a second connection to the same journal; `lookup` jobs run on a thread
/// of their own against it. `known_keys` (optional; only for a journal that this process alone
/// writes) answers remember_idempotency_key once a thread of its own has read every stored key
/// from `key_source` (another connection, closed when done); without a source it stays "maybe".
std::shared_ptr<journal_backend> make_threaded_backend(
    std::shared_ptr<persistence::group_commit_writer> writer,
    std::unique_ptr<persistence::journal_store> reader = nullptr,
    std::shared_ptr<persistence::idempotency_filter> known_keys = nullptr,
    std::unique_ptr<persistence::journal_store> key_source = nullptr);

/// A backend that runs every call synchronously on the caller's thread; for deterministic tests.
std::shared_ptr<journal_backend> make_inline_backend(
    std::unique_ptr<persistence::journal_store> store);

}  // namespace payorch::actors
