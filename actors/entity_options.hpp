#pragma once
/// Tunables of entity actors and their router, taken from the configuration.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace payorch::adapters {
class fx_rate_source;
}

namespace payorch::actors {

struct entity_options {
  /// An entity with no command for this long passivates (its state stays in the journal).
  std::chrono::milliseconds idle_timeout{60'000};
  /// A snapshot is written after every this many events of a stream (or, for a pod with more
  /// than four times as many records, after a quarter of its record count).
  std::int64_t snapshot_every_events = 100;
  /// A crashing entity is restarted at most this often within `restart_window`...
  std::size_t max_restarts = 5;
  std::chrono::milliseconds restart_window{10'000};
  /// ...after which it is quarantined (answers entity_unavailable) until the window passes.
  /// An append or read the journal writer has not answered within this long is failed by the
  /// journal actor (storage_unavailable), so the entity restarts from the journal instead of
  /// waiting forever on a stuck disk.
  std::chrono::milliseconds journal_timeout{30'000};
  /// Where balance totals get their FX rates; null: totals cover the pod's own currency only.
  std::shared_ptr<const adapters::fx_rate_source> fx_rates;
};

}  // namespace payorch::actors
