#pragma once
/// How often and how patiently a provider call is repeated, and which answers are worth it.
///
/// Pure and deterministic: the random numbers come from a generator the caller seeds, and
/// nothing here sleeps or reads a clock.

#include <chrono>
#include <cstdint>
#include <random>
#include <string_view>

namespace payorch::adapters {

struct http_answer;

/// How the wait before a retry is spread, so that many callers do not retry in lockstep.
enum class jitter_kind {
  full,   ///< uniform in [0, backoff]
  equal,  ///< backoff/2 plus uniform in [0, backoff/2]
};

/// "full" or "equal".
std::string_view to_string(jitter_kind kind) noexcept;

/// Attempts, waits and per-attempt deadline of one logical provider call.
struct retry_policy {
  /// Attempts in all, the first included; 1 means no retry.
  std::uint32_t max_attempts = 3;
  /// The wait before the second attempt, before jitter.
  std::chrono::milliseconds initial_backoff{100};
  /// No wait is longer than this, before jitter.
  std::chrono::milliseconds max_backoff{2000};
  /// Each further wait is this many times the previous one (1 keeps it constant).
  std::uint32_t multiplier = 2;
  jitter_kind jitter = jitter_kind::full;
  /// The deadline of each attempt: connect, write and read.
  std::chrono::milliseconds per_attempt_timeout{2000};

  /// The capped wait after failed attempt `attempt` (1-based), before jitter:
  /// min(max_backoff, initial_backoff * multiplier^(attempt-1)).
  std::chrono::milliseconds base_backoff(std::uint32_t attempt) const;

  /// The wait after failed attempt `attempt` (1-based), jittered with one draw from `random`.
  std::chrono::milliseconds backoff_for(std::uint32_t attempt, std::mt19937_64& random) const;

  bool operator==(const retry_policy&) const = default;
};

/// What an answer means for the call that got it.
enum class call_class {
  success,    ///< 2xx
  retryable,  ///< 429, 5xx other than 501 and 505, a timeout or a lost connection
  final,      ///< any other answer (400, 404, 409, 422, ...) or a malformed URL
};

/// "success", "retryable" or "final".
std::string_view to_string(call_class value) noexcept;

/// The class of `answer` under the conventions of docs/providers.md.
call_class classify(const http_answer& answer) noexcept;

}  // namespace payorch::adapters
