// The keys of the [providers] section: where the outside providers are and how to call them.
#include <algorithm>
#include <array>
#include <charconv>

#include "config/key_table.hpp"

namespace payorch::config::detail {
namespace {

template <auto member>
integer_rule provider_integer(std::int64_t floor, std::int64_t ceiling) {
  return {floor, ceiling, [](settings& out, std::int64_t value) { out.providers.*member = value; },
          [](const settings& in) { return in.providers.*member; }};
}

/// A provider URL: required for `base_url`; empty allowed for one provider's own URL.
template <auto member, bool required>
text_rule provider_url_rule() {
  return {required ? "an http://host:port URL" : "an http://host:port URL, or empty for base_url",
          [](settings& out, std::string_view text) -> std::optional<std::string> {
            if (!required && text.empty()) {
              out.providers.*member = std::string();
              return std::nullopt;
            }
            if (auto problem = provider_url_problem(text)) return problem;
            out.providers.*member = std::string(text);
            return std::nullopt;
          },
          [](const settings& in) { return in.providers.*member; }, false, without_password};
}

std::optional<std::string> set_webhook_secret(settings& out, std::string_view text) {
  // Empty means unset: callbacks cannot be verified until it is configured.
  if (!text.empty() && (text.size() < limits::webhook_secret_min_bytes ||
                        text.size() > limits::webhook_secret_max_bytes)) {
    return "must be " + std::to_string(limits::webhook_secret_min_bytes) + " to " +
           std::to_string(limits::webhook_secret_max_bytes) + " bytes (got " +
           std::to_string(text.size()) + " bytes)";
  }
  out.providers.webhook_secret = std::string(text);
  return std::nullopt;
}

text_rule webhook_secret_rule() {
  return {"8 to 1024 bytes, or empty", &set_webhook_secret,
          [](const settings& in) { return in.providers.webhook_secret; }, true};
}

text_rule jitter_rule() {
  return {R"("full" or "equal")",
          [](settings& out, std::string_view text) -> std::optional<std::string> {
            if (text != "full" && text != "equal") return R"(must be "full" or "equal")";
            out.providers.jitter = std::string(text);
            return std::nullopt;
          },
          [](const settings& in) { return in.providers.jitter; }};
}

bool valid_port(std::string_view text) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc{} && end == text.data() + text.size() && text.size() <= 5 && port >= 1 &&
         port <= 65535;
}

/// What is wrong with `host[:port]` or `[v6][:port]`, if anything.
std::optional<std::string> authority_problem(std::string_view authority) {
  if (authority.empty()) return "must name a host: http://host:port";
  if (authority.find('@') != std::string_view::npos) return "must not hold a user or password";
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return "has a malformed [IPv6] host";
    const auto rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "has a malformed [IPv6] host";
    if (!rest.empty()) port = rest.substr(1);
    if (!rest.empty() && port.empty()) return "must give a port after ':'";
  } else {
    const auto colon = authority.find(':');
    if (colon == 0) return "must name a host: http://host:port";
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return "must give a port after ':'";
    }
  }
  if (!port.empty() && !valid_port(port)) return "must have a port between 1 and 65535";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> provider_url_problem(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.starts_with("https://")) return "must be an http:// URL (https is not supported yet)";
  if (!url.starts_with(scheme)) return "must be an http://host:port URL";
  if (url.size() > limits::max_provider_url_bytes) {
    return "must be at most " + std::to_string(limits::max_provider_url_bytes) + " bytes";
  }
  const bool plain = std::all_of(url.begin(), url.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) != 0x7f;
  });
  if (!plain) return "must not contain spaces or control characters";
  const auto rest = url.substr(scheme.size());
  const auto path_at = rest.find('/');
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return "must not have a query or fragment: it is a base that paths are added to";
  }
  return authority_problem(rest.substr(0, path_at));
}

std::vector<key_spec> provider_keys() {
  namespace l = limits;
  using p = provider_settings;
  return {
      {"providers.base_url", "base URL of every provider without its own URL below",
       provider_url_rule<&p::base_url, true>(), "PAYORCH_PROVIDERS"},
      {"providers.fx", "the FX provider's own base URL; empty uses base_url",
       provider_url_rule<&p::fx, false>()},
      {"providers.kyc", "the KYC provider's own base URL; empty uses base_url",
       provider_url_rule<&p::kyc, false>()},
      {"providers.sanctions",
       "the sanctions screening provider's own base URL; empty uses base_url",
       provider_url_rule<&p::sanctions, false>()},
      {"providers.risk", "the risk provider's own base URL; empty uses base_url",
       provider_url_rule<&p::risk, false>()},
      {"providers.rail", "the bank rail's own base URL; empty uses base_url",
       provider_url_rule<&p::rail, false>()},
      {"providers.psp", "the card PSP's own base URL; empty uses base_url",
       provider_url_rule<&p::psp, false>()},
      {"providers.webhook_secret", "key that signs provider callbacks (HMAC-SHA256)",
       webhook_secret_rule()},
      {"providers.timeout_ms", "deadline of one attempt of a provider call, in ms",
       provider_integer<&p::timeout_ms>(l::provider_timeout_ms_floor,
                                        l::provider_timeout_ms_ceiling)},
      {"providers.max_attempts", "attempts of one provider call, the first included",
       provider_integer<&p::max_attempts>(l::provider_max_attempts_floor,
                                          l::provider_max_attempts_ceiling)},
      {"providers.initial_backoff_ms", "wait before the second attempt, before jitter, in ms",
       provider_integer<&p::initial_backoff_ms>(l::provider_initial_backoff_ms_floor,
                                                l::provider_initial_backoff_ms_ceiling)},
      {"providers.max_backoff_ms", "longest wait between attempts, before jitter, in ms",
       provider_integer<&p::max_backoff_ms>(l::provider_max_backoff_ms_floor,
                                            l::provider_max_backoff_ms_ceiling)},
      {"providers.backoff_multiplier", "each wait is this many times the one before",
       provider_integer<&p::backoff_multiplier>(l::provider_backoff_multiplier_floor,
                                                l::provider_backoff_multiplier_ceiling)},
      {"providers.jitter", "spread of each wait: full or equal", jitter_rule()},
      {"providers.breaker_failures", "failures within breaker_window_ms that open a breaker",
       provider_integer<&p::breaker_failures>(l::breaker_failures_floor,
                                              l::breaker_failures_ceiling)},
      {"providers.breaker_window_ms", "how far back a breaker counts failures, in ms",
       provider_integer<&p::breaker_window_ms>(l::breaker_window_ms_floor,
                                               l::breaker_window_ms_ceiling)},
      {"providers.breaker_failure_rate_percent",
       "share of the window's calls, in percent, the failures must also reach to open a breaker",
       provider_integer<&p::breaker_failure_rate_percent>(l::breaker_failure_rate_percent_floor,
                                                          l::breaker_failure_rate_percent_ceiling)},
      {"providers.breaker_open_ms", "how long an open breaker refuses calls, in ms",
       provider_integer<&p::breaker_open_ms>(l::breaker_open_ms_floor, l::breaker_open_ms_ceiling)},
      {"providers.breaker_half_open_probes", "probe calls a half-open breaker lets through",
       provider_integer<&p::breaker_half_open_probes>(l::breaker_half_open_probes_floor,
                                                      l::breaker_half_open_probes_ceiling)},
      {"providers.max_idle_per_host", "idle keep-alive connections kept per provider host",
       provider_integer<&p::max_idle_per_host>(l::provider_max_idle_per_host_floor,
                                               l::provider_max_idle_per_host_ceiling)},
      {"providers.idle_timeout_ms", "idle time after which a provider connection is closed, in ms",
       provider_integer<&p::idle_timeout_ms>(l::provider_idle_timeout_ms_floor,
                                             l::provider_idle_timeout_ms_ceiling)},
  };
}

}  // namespace payorch::config::detail
