#include "adapters/provider_setup.hpp"

#include "config/settings.hpp"

namespace payorch::adapters {

namespace {
using std::chrono::milliseconds;
}  // namespace

// config has checked every value against limits.hpp, so the narrowing casts below are exact.

retry_policy retry_policy_from(const config::provider_settings& settings) {
  retry_policy policy;
  policy.max_attempts = static_cast<std::uint32_t>(settings.max_attempts);
  policy.initial_backoff = milliseconds(settings.initial_backoff_ms);
  policy.max_backoff = milliseconds(settings.max_backoff_ms);
  policy.multiplier = static_cast<std::uint32_t>(settings.backoff_multiplier);
  policy.jitter = settings.jitter == "equal" ? jitter_kind::equal : jitter_kind::full;
  policy.per_attempt_timeout = milliseconds(settings.timeout_ms);
  return policy;
}

breaker_options breaker_options_from(const config::provider_settings& settings) {
  breaker_options options;
  options.failure_threshold = static_cast<std::uint32_t>(settings.breaker_failures);
  options.window = milliseconds(settings.breaker_window_ms);
  options.open_duration = milliseconds(settings.breaker_open_ms);
  options.half_open_probes = static_cast<std::uint32_t>(settings.breaker_half_open_probes);
  options.failure_rate_percent =
      static_cast<std::uint32_t>(settings.breaker_failure_rate_percent);
  return options;
}

http_client_options http_options_from(const config::provider_settings& settings) {
  http_client_options options;
  options.max_idle_per_host = static_cast<std::size_t>(settings.max_idle_per_host);
  options.idle_timeout = milliseconds(settings.idle_timeout_ms);
  return options;
}

}  // namespace payorch::adapters
