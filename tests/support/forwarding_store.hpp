#pragma once
/// Journal stores for tests that watch or hold another store: `forwarding_store` passes every
/// call to the store it wraps (derive and override what to watch), and `held_sync_store` counts
/// the commits of a store that defers its syncs and holds each sync until the test allows it.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

#include "persistence/journal.hpp"

namespace payorch::testing {

/// Passes every call to `inner`.
class forwarding_store : public persistence::journal_store {
 public:
  explicit forwarding_store(std::unique_ptr<persistence::journal_store> inner)
      : inner_(std::move(inner)) {}

  persistence::batch_results commit_batch(
      std::span<const persistence::append_request> appends,
      std::span<const persistence::idempotency_record> records) override {
    return inner_->commit_batch(appends, records);
  }
  persistence::stream_read read_stream(std::string_view stream_id) override {
    return inner_->read_stream(stream_id);
  }
  result<std::vector<persistence::event_record>> read_events(std::string_view stream_id,
                                                             std::int64_t after_version,
                                                             std::size_t limit) override {
    return inner_->read_events(stream_id, after_version, limit);
  }
  bool save_snapshot(const persistence::snapshot_record& snapshot) override {
    return inner_->save_snapshot(snapshot);
  }
  result<std::vector<std::string>> list_streams(std::string_view prefix, std::string_view after,
                                                std::size_t limit) override {
    return inner_->list_streams(prefix, after, limit);
  }
  persistence::verify_report verify() override { return inner_->verify(); }
  bool ping() override { return inner_->ping(); }
  bool defers_sync() const override { return inner_->defers_sync(); }
  result<void> sync_committed() override { return inner_->sync_committed(); }
  result<std::vector<persistence::ledger_entry>> read_ledger(std::string_view account_prefix,
                                                             std::int64_t after_entry_id,
                                                             std::size_t limit) override {
    return inner_->read_ledger(account_prefix, after_entry_id, limit);
  }
  result<std::vector<account_balance>> read_balances(std::string_view account_prefix,
                                                     std::size_t limit) override {
    return inner_->read_balances(account_prefix, limit);
  }
  result<std::optional<persistence::idempotency_record>> get_idempotency(
      std::string_view client_id, std::string_view key) override {
    return inner_->get_idempotency(client_id, key);
  }
  result<std::vector<std::optional<persistence::idempotency_record>>> get_idempotency_records(
      std::span<const persistence::idempotency_key> keys) override {
    return inner_->get_idempotency_records(keys);
  }
  result<std::size_t> scan_idempotency_keys(
      std::int64_t now_ms,
      const std::function<bool(const persistence::idempotency_key&, std::int64_t)>& each) override {
    return inner_->scan_idempotency_keys(now_ms, each);
  }
  result<std::size_t> purge_idempotency(std::int64_t now_ms, std::size_t max_rows) override {
    return inner_->purge_idempotency(now_ms, max_rows);
  }
  result<std::vector<persistence::outbox_entry>> read_outbox(std::int64_t after_position,
                                                             std::size_t limit,
                                                             bool unpublished_only) override {
    return inner_->read_outbox(after_position, limit, unpublished_only);
  }
  result<std::size_t> mark_outbox_published(std::span<const std::int64_t> positions,
                                            std::int64_t published_at_ms) override {
    return inner_->mark_outbox_published(positions, published_at_ms);
  }
  result<std::size_t> purge_outbox(std::int64_t published_before_ms,
                                   std::size_t max_rows) override {
    return inner_->purge_outbox(published_before_ms, max_rows);
  }

 private:
  std::unique_ptr<persistence::journal_store> inner_;
};

/// What a test lets a held_sync_store's syncs do, and what they and the commits did.
struct sync_control {
  std::mutex mutex;
  std::condition_variable changed;
  int entered = 0;            // syncs begun
  int finished = 0;           // syncs returned
  int allowed = 0;            // syncs that may finish
  int commits = 0;            // commit_batch calls finished
  bool fail = false;          // the syncs fail
  int commits_at_sync = 0;    // commits finished when the last sync began
  int finished_at_read = -1;  // syncs returned when the last stream read began

  /// Waits until `done` holds; false after 30 s (a bound only, so that a broken writer fails its
  /// test instead of hanging it).
  [[nodiscard]] bool wait_for(const std::function<bool()>& done) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(30), done);
  }
  void allow(int syncs) {
    const std::lock_guard lock(mutex);
    allowed += syncs;
    changed.notify_all();
  }
};

/// Forwards to a store that defers its syncs; counts commits, and holds each sync until allowed.
class held_sync_store final : public forwarding_store {
 public:
  held_sync_store(std::unique_ptr<persistence::journal_store> inner,
                  std::shared_ptr<sync_control> control)
      : forwarding_store(std::move(inner)), control_(std::move(control)) {}

  result<void> sync_committed() override {
    std::unique_lock lock(control_->mutex);
    const int mine = ++control_->entered;
    control_->commits_at_sync = control_->commits;
    control_->changed.notify_all();
    control_->changed.wait(lock, [&] { return control_->allowed >= mine; });
    result<void> synced =
        control_->fail ? result<void>(fail(errc::storage_unavailable, "sync refused by the test"))
                       : forwarding_store::sync_committed();
    ++control_->finished;
    control_->changed.notify_all();
    return synced;
  }
  persistence::batch_results commit_batch(
      std::span<const persistence::append_request> appends,
      std::span<const persistence::idempotency_record> records) override {
    persistence::batch_results results = forwarding_store::commit_batch(appends, records);
    const std::lock_guard lock(control_->mutex);
    ++control_->commits;
    control_->changed.notify_all();
    return results;
  }
  persistence::stream_read read_stream(std::string_view stream_id) override {
    {
      const std::lock_guard lock(control_->mutex);
      control_->finished_at_read = control_->finished;
    }
    return forwarding_store::read_stream(stream_id);
  }

 private:
  std::shared_ptr<sync_control> control_;
};

}  // namespace payorch::testing
