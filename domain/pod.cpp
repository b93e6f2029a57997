#include "domain/pod.hpp"

#include <array>
#include <cstddef>

namespace payorch {
namespace {

constexpr std::array<std::string_view, 4> status_names{"DRAFT", "ACTIVE", "SUSPENDED", "CLOSED"};
constexpr std::array<std::string_view, 5> transition_names{
    "PolicyAccepted", "RiskFlagged", "VoluntaryClosure", "ManualOverride", "ForceClosure"};
constexpr std::array<std::string_view, 3> tier_names{"LOW", "STANDARD", "HIGH"};

// Index of `text` in `names` as enum E, or nullopt.
template <class E, std::size_t N>
std::optional<E> from_names(const std::array<std::string_view, N>& names,
                            std::string_view text) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, E value) noexcept {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? names[index] : std::string_view{"UNKNOWN"};
}

constexpr const char* spending_limit_param = "policy.spending_limit";
constexpr const char* quorum_param = "policy.voting_quorum";

result<decimal> parse_spending_limit(std::string_view text, currency pod_currency) {
  const auto limit = decimal::parse(text);
  if (!limit) {
    return fail(errc::invalid_spending_limit, "spending_limit must be a decimal number",
                spending_limit_param);
  }
  if (limit->is_negative()) {
    return fail(errc::invalid_spending_limit, "spending_limit must not be negative",
                spending_limit_param);
  }
  const auto minor = limit->to_minor_units(pod_currency.exponent());
  if (!minor) {
    return fail(errc::invalid_spending_limit,
                minor.error().code == errc::too_many_decimals
                    ? "spending_limit has more decimals than " + std::string(pod_currency.code()) +
                          " allows"
                    : std::string("spending_limit is too large"),
                spending_limit_param);
  }
  return *limit;
}

result<decimal> parse_quorum(std::string_view text) {
  const auto quorum = decimal::parse(text);
  if (!quorum)
    return fail(errc::invalid_quorum, "voting_quorum must be a decimal number", quorum_param);
  if (quorum->is_negative() || quorum->is_zero() || *quorum > decimal{1, 0}) {
    return fail(errc::invalid_quorum, "voting_quorum must be greater than 0 and at most 1",
                quorum_param);
  }
  return *quorum;
}

// Length of the UTF-8 sequence starting at s[i] and its code point; 0 when malformed
// (overlong forms, surrogates and values past U+10FFFF are malformed).
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned lead = byte(i);
  std::size_t length = 0;
  unsigned low = 0x80;
  unsigned high = 0xBF;
  if (lead < 0x80) {
    cp = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    cp = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    cp = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const unsigned b = byte(i + k);
    if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF)) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  return length;
}

constexpr bool is_control(char32_t cp) noexcept {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

constexpr bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::string_view to_string(pod_status value) noexcept {
  return name_of(status_names, value);
}

std::optional<pod_status> pod_status_from_string(std::string_view text) noexcept {
  return from_names<pod_status>(status_names, text);
}

std::string_view to_string(pod_transition transition) noexcept {
  return name_of(transition_names, transition);
}

std::optional<pod_transition> pod_transition_from_string(std::string_view text) noexcept {
  return from_names<pod_transition>(transition_names, text);
}

std::string_view to_string(risk_tier tier) noexcept {
  return name_of(tier_names, tier);
}

std::optional<risk_tier> risk_tier_from_string(std::string_view text) noexcept {
  return from_names<risk_tier>(tier_names, text);
}

result<pod_status> next_status(pod_status from, pod_transition t) {
  using enum pod_status;
  using enum pod_transition;
  if (from == draft && t == policy_accepted) return active;
  if (from == active && t == risk_flagged) return suspended;
  if (from == active && t == voluntary_closure) return closed;
  if (from == suspended && t == manual_override) return active;
  if (from == suspended && t == force_closure) return closed;
  return fail(errc::illegal_transition, "transition " + std::string(to_string(t)) +
                                            " is not allowed in state " +
                                            std::string(to_string(from)));
}

result<money> governance_policy::spending_limit_in(currency pod_currency) const {
  const auto minor = spending_limit.to_minor_units(pod_currency.exponent());
  if (!minor) return minor.error();
  return money::of_minor(*minor, pod_currency);
}

result<governance_policy> make_policy(std::string_view spending_limit_text,
                                      std::string_view voting_quorum_text,
                                      std::string_view risk_tier_text, currency pod_currency) {
  auto limit = parse_spending_limit(spending_limit_text, pod_currency);
  if (!limit) return limit.error();
  auto quorum = parse_quorum(voting_quorum_text);
  if (!quorum) return quorum.error();
  const auto tier = risk_tier_from_string(risk_tier_text);
  if (!tier) {
    return fail(errc::unknown_risk_tier, "risk_tier must be one of LOW, STANDARD, HIGH",
                "policy.risk_tier");
  }
  return governance_policy{*limit, *quorum, *tier};
}

result<std::string> validate_pod_name(std::string_view name) {
  while (!name.empty() && is_ascii_space(name.front())) name.remove_prefix(1);
  while (!name.empty() && is_ascii_space(name.back())) name.remove_suffix(1);
  if (name.empty()) return fail(errc::invalid_name, "name must not be blank", "name");
  if (name.size() > max_pod_name_bytes) {
    return fail(errc::invalid_name, "name must be at most 200 UTF-8 bytes", "name");
  }
  for (std::size_t i = 0; i < name.size();) {
    char32_t cp = 0;
    const std::size_t length = decode_utf8(name, i, cp);
    if (length == 0) return fail(errc::invalid_name, "name is not valid UTF-8", "name");
    if (is_control(cp))
      return fail(errc::invalid_name, "name contains a control character", "name");
    i += length;
  }
  return std::string(name);
}

}  // namespace payorch
