#pragma once
/// Circuit breakers: stop calling a provider that keeps failing, then probe it carefully.
///
/// Deterministic: time comes from an injected clock, so tests drive it by hand.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace payorch::adapters {

/// Where a breaker stands.
enum class breaker_state {
  closed,     ///< calls go through; failures are counted
  open,       ///< calls are refused at once
  half_open,  ///< a few probe calls go through to see whether the provider is back
};

/// "closed", "open" or "half_open".
std::string_view to_string(breaker_state state) noexcept;

/// When a breaker opens and how it recovers.
struct breaker_options {
  /// Failures within `window` that open the breaker (with `failure_rate_percent`).
  std::uint32_t failure_threshold = 5;
  /// How far back failures count.
  std::chrono::milliseconds window{10000};
  /// How long an open breaker refuses calls before it lets probes through.
  std::chrono::milliseconds open_duration{5000};
  /// Probe calls a half-open breaker lets through; all must succeed for it to close.
  std::uint32_t half_open_probes = 1;
  /// The failures must also be at least this share of the calls that ended within `window`,
  /// in percent: a provider failing one call in five keeps its breaker closed (retries cover
  /// it), one failing most calls does not. 1 opens on the count of failures alone.
  std::uint32_t failure_rate_percent = 50;

  bool operator==(const breaker_options&) const = default;
};

/// The clock breakers read; the default is std::chrono::steady_clock::now.
using steady_clock_fn = std::function<std::chrono::steady_clock::time_point()>;

/// A breaker's state and counters at one moment, for `/ops/circuit-breakers` and `/metrics`.
struct breaker_snapshot {
  std::string name;
  breaker_state state = breaker_state::closed;
  std::uint64_t calls = 0;          ///< calls let through
  std::uint64_t successes = 0;      ///< calls reported as succeeded
  std::uint64_t failures = 0;       ///< calls reported as failed
  std::uint64_t rejections = 0;     ///< calls refused
  std::uint64_t state_changes = 0;  ///< transitions since the breaker was made
  std::uint32_t failures_in_window = 0;
  /// How much longer an open breaker refuses calls; zero unless open.
  std::chrono::milliseconds open_remaining{0};

  bool operator==(const breaker_snapshot&) const = default;
};

/// Leave to make one call: check `allowed`, then report the outcome with the same permit.
///
/// The permit remembers the breaker's state generation, so the outcome of a call let through
/// before the breaker last changed state is counted but moves nothing.
struct breaker_permit {
  bool allowed = false;
  std::uint64_t generation = 0;
};

/// Closed → open after `failure_threshold` failures within `window` that are also at least
/// `failure_rate_percent` of the outcomes in that window (counted in ten buckets of
/// window / 10); open refuses calls for
/// `open_duration`; then half-open lets exactly `half_open_probes` calls through: a failure
/// re-opens it, and as many successes as probes close it. Safe to use from any thread.
class circuit_breaker {
 public:
  circuit_breaker(std::string name, breaker_options options, steady_clock_fn clock = {});

  /// Asks to make one call; a refused permit counts a rejection and must not be reported.
  breaker_permit try_acquire();
  void record_success(const breaker_permit& permit);
  void record_failure(const breaker_permit& permit);

  breaker_state state() const;
  breaker_snapshot snapshot() const;
  const std::string& name() const { return name_; }
  const breaker_options& options() const { return options_; }

 private:
  using time_point = std::chrono::steady_clock::time_point;

  void refresh(time_point now);  // open → half_open once open_duration has passed
  void move_to(breaker_state next, time_point now);
  void forget_old_failures(time_point now);
  /// Counts one outcome in the bucket of `now`; the share of failures over the window.
  void count_outcome(time_point now, bool failed);
  bool failure_rate_reached(time_point now) const;

  const std::string name_;
  const breaker_options options_;
  const steady_clock_fn clock_;
  mutable std::mutex mutex_;
  breaker_state state_ = breaker_state::closed;
  std::uint64_t generation_ = 0;
  std::deque<time_point> recent_failures_;
  /// Outcomes per tenth of the window, for the failure rate.
  struct bucket {
    std::int64_t index = -1;  ///< time since the epoch / (window / 10); -1: unused
    std::uint64_t outcomes = 0;
    std::uint64_t failures = 0;
  };
  std::array<bucket, 10> buckets_{};
  time_point opened_at_{};
  std::uint32_t probes_let_through_ = 0;
  std::uint32_t probes_succeeded_ = 0;
  breaker_snapshot counters_;
};

/// One breaker per provider name, made on first use with the registry's options.
class breaker_registry {
 public:
  explicit breaker_registry(breaker_options defaults, steady_clock_fn clock = {});

  /// The breaker of `provider`; the reference stays valid for the registry's life.
  circuit_breaker& get(std::string_view provider);

  /// Every breaker's snapshot, sorted by name.
  std::vector<breaker_snapshot> snapshots() const;

 private:
  const breaker_options defaults_;
  const steady_clock_fn clock_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<circuit_breaker>, std::less<>> breakers_;
};

}  // namespace payorch::adapters
