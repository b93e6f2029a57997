#pragma once
/// Contribution cycles: a pod's periodic funding window, and the pledge lifecycle.
///
/// Cycle 1 starts at the pod's `starts_at`; cycle n covers [start(n), start(n + 1)). A weekly
/// cycle is 7 days; a monthly one is a calendar month in UTC (from Jan 31 the next starts on
/// Feb 28/29, then Mar 31: each start is `starts_at` plus n - 1 months, clamped).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace payorch {

/// How often a pod's funding window repeats; spelled "WEEKLY" or "MONTHLY".
enum class cycle_period : std::uint8_t { weekly, monthly };

std::string_view to_string(cycle_period period) noexcept;
std::optional<cycle_period> cycle_period_from_string(std::string_view text) noexcept;

/// A pod's contribution cycle definition.
struct contribution_cycle {
  cycle_period period = cycle_period::monthly;
  std::int64_t starts_at_ms = 0;

  /// When cycle `n` (>= 1) starts, in Unix ms.
  std::int64_t start_of(std::int64_t n) const noexcept;
  /// The cycle holding `at_ms`, or nullopt before the first cycle starts.
  std::optional<std::int64_t> number_at(std::int64_t at_ms) const noexcept;
  /// The last cycle that ends by 9999-12-31T23:59:59.999Z, the last time RFC 3339 can write;
  /// 0 when none does.
  std::int64_t last_number() const noexcept;

  friend bool operator==(const contribution_cycle&, const contribution_cycle&) = default;
};

/// Builds a cycle from its JSON fields; invalid_cycle naming "cycle.period" or
/// "cycle.starts_at" when one is wrong.
result<contribution_cycle> make_cycle(std::string_view period_text,
                                      std::string_view starts_at_text);

/// Highest cycle number a request may name; about 19,000 years of weekly cycles.
inline constexpr std::int64_t max_cycle_number = 1'000'000;

/// Where a pledge is in its life: PLEDGED until settled, expired (past due, unsettled) or
/// cancelled (the pod closed first). Only PLEDGED moves.
enum class pledge_status : std::uint8_t { pledged, settled, expired, cancelled };

std::string_view to_string(pledge_status status) noexcept;
std::optional<pledge_status> pledge_status_from_string(std::string_view text) noexcept;

}  // namespace payorch
