#include "domain/membership.hpp"

#include <algorithm>
#include <array>

namespace payorch {
namespace {

constexpr std::array<std::string_view, 4> role_names{"ADMIN", "TREASURER", "MEMBER", "OBSERVER"};

bool is_user_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '@' || c == '-';
}

}  // namespace

std::string_view to_string(member_role role) noexcept {
  const auto i = static_cast<std::size_t>(role);
  return i < role_names.size() ? role_names[i] : std::string_view{"UNKNOWN"};
}

std::optional<member_role> member_role_from_string(std::string_view text) noexcept {
  for (std::size_t i = 0; i < role_names.size(); ++i)
    if (role_names[i] == text) return static_cast<member_role>(i);
  return std::nullopt;
}

result<member_role> parse_member_role(std::string_view text, std::string param) {
  if (auto r = member_role_from_string(text)) return *r;
  return fail(errc::invalid_role,
              param + " must be one of ADMIN, TREASURER, MEMBER, OBSERVER (got \"" +
                  std::string(text.substr(0, 40)) + "\")",
              param);
}

std::string_view to_string(pod_action action) noexcept {
  switch (action) {
    case pod_action::change_policy:
      return "change the policy";
    case pod_action::manage_members:
      return "manage members";
    case pod_action::change_status:
      return "change the pod's status";
    case pod_action::pledge:
      return "pledge";
    case pod_action::settle_pledge:
      return "settle pledges";
    case pod_action::request_payout:
      return "request payouts";
    case pod_action::vote:
      return "vote";
    case pod_action::pledge_for_member:
      return "pledge in another member's name";
  }
  return "act";
}

bool role_allows(member_role role, pod_action action) noexcept {
  switch (action) {
    case pod_action::change_policy:
    case pod_action::manage_members:
    case pod_action::change_status:
      return role == member_role::admin;
    case pod_action::pledge:
    case pod_action::vote:
      return role != member_role::observer;
    case pod_action::settle_pledge:
    case pod_action::request_payout:
    case pod_action::pledge_for_member:
      return role == member_role::admin || role == member_role::treasurer;
  }
  return false;
}

result<std::string> validate_user_id(std::string_view text, std::string param) {
  if (text.empty() || text.size() > max_user_id_bytes ||
      !std::all_of(text.begin(), text.end(), is_user_id_char)) {
    return fail(errc::invalid_argument,
                param + " must be 1 to 128 characters of letters, digits and . _ : @ -", param);
  }
  return std::string(text);
}

std::int64_t reputation_score(const reputation_counters& c) noexcept {
  // Counters are bounded by the number of events a pod can hold, far below where these
  // products overflow; clamp each term anyway so a corrupt counter cannot wrap the score.
  auto term = [](std::int64_t count, std::int64_t weight) {
    return std::clamp<std::int64_t>(count, 0, 1'000'000) * weight;
  };
  const std::int64_t raw =
      50 + term(c.pledges_settled_on_time, 5) - term(c.pledges_missed, 15) + term(c.votes_cast, 1);
  return std::clamp<std::int64_t>(raw, 0, 100);
}

}  // namespace payorch
