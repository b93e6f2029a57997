#pragma once
/// The `[providers]` settings turned into the adapters' option types.

#include <array>
#include <string_view>

#include "adapters/circuit_breaker.hpp"
#include "adapters/http_client.hpp"
#include "adapters/retry_policy.hpp"
#include "config/fwd.hpp"

namespace payorch::adapters {

/// The provider names, as breakers and `provider_settings::url_of` know them.
inline constexpr std::array<std::string_view, 6> provider_names{"fx",   "kyc",  "sanctions",
                                                                "risk", "rail", "psp"};

/// max_attempts, backoffs, multiplier, jitter and timeout_ms of `[providers]`.
retry_policy retry_policy_from(const config::provider_settings& settings);

/// The breaker_* keys of `[providers]`.
breaker_options breaker_options_from(const config::provider_settings& settings);

/// max_idle_per_host and idle_timeout_ms of `[providers]`.
http_client_options http_options_from(const config::provider_settings& settings);

}  // namespace payorch::adapters
