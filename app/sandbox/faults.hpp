#pragma once
/// Fault injection: per provider latency, error rate, held answers ("timeouts"), outages and
/// callback disorder, with every random choice drawn from seeded streams.
///
/// Each provider has its own stream seeded from the sandbox's seed, and every call of that
/// provider draws exactly two numbers from it (one for the error roll, one for the timeout
/// roll) whatever the settings, so for one seed the same sequence of calls fails the same way.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "app/sandbox/options.hpp"
#include "app/sandbox/provider.hpp"
#include "app/sandbox/random.hpp"

namespace payorch::app::sandbox {

/// The faults of one provider.
struct fault_settings {
  std::int64_t latency_ms = 0;
  std::int64_t error_rate_bp = 0;
  std::int64_t timeout_rate_bp = 0;
  std::int64_t hang_ms = 10000;
  std::chrono::steady_clock::time_point outage_until{};
  bool duplicate_callbacks = false;
  bool out_of_order_callbacks = false;
};

/// What happens to one call.
struct fault_decision {
  enum class kind { pass, outage, error, hang };
  kind what = kind::pass;
  std::chrono::milliseconds delay{0};  ///< before the answer: latency, plus hang_ms for a hang
};

class fault_plan {
 public:
  using clock = std::chrono::steady_clock;

  /// Every provider starts with the faults of `options`.
  explicit fault_plan(const sandbox_options& options, clock::time_point now);

  /// Draws the fate of the next call of `p`.
  fault_decision draw(provider p, clock::time_point now);

  fault_settings& settings(provider p) { return settings_[index_of(p)]; }
  const fault_settings& settings(provider p) const { return settings_[index_of(p)]; }

  /// Every provider back to no faults (the random streams go on).
  void clear();

  /// `{"fx": {...}, ...}` with each provider's settings and `outage_remaining_ms`.
  std::string to_json(clock::time_point now) const;

 private:
  std::array<fault_settings, all_providers.size()> settings_;
  std::array<seeded_stream, all_providers.size()> streams_;
};

}  // namespace payorch::app::sandbox
