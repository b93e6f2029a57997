#pragma once
/// Who may do what inside a pod: member roles, the role matrix and the reputation score.
///
/// The matrix is the second gate: the gateway first checks the token's scope
/// (`crowdpod:{pod_id}:{read|write|admin}`), then the pod checks the acting member's role here.
/// Reading needs no role; moving money never allows an OBSERVER.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace payorch {

/// A member's role in one pod; spelled "ADMIN", "TREASURER", "MEMBER", "OBSERVER".
enum class member_role : std::uint8_t { admin, treasurer, member, observer };

std::string_view to_string(member_role role) noexcept;
/// The role spelled exactly (upper case) by `text`, or nullopt.
std::optional<member_role> member_role_from_string(std::string_view text) noexcept;
/// The role named by `text`, or invalid_role naming `param`.
result<member_role> parse_member_role(std::string_view text, std::string param);

/// Everything a member can ask a pod to do that changes it.
enum class pod_action : std::uint8_t {
  change_policy,      ///< PATCH the governance policy
  manage_members,     ///< add a member, change a role, remove a member
  change_status,      ///< activate, suspend, reinstate, close, force-close
  pledge,             ///< promise money (the pledging member acts)
  settle_pledge,      ///< move a pledge's money into the pod
  request_payout,     ///< money out of the pod (the settlement saga)
  vote,               ///< approve or reject a payout above the spending limit
  pledge_for_member,  ///< record a pledge in another member's name (the recorder acts)
};

std::string_view to_string(pod_action action) noexcept;

/// The role matrix:
///
/// | action          | ADMIN | TREASURER | MEMBER | OBSERVER |
/// |-----------------|-------|-----------|--------|----------|
/// | change_policy   | yes   |           |        |          |
/// | manage_members  | yes   |           |        |          |
/// | change_status   | yes   |           |        |          |
/// | pledge          | yes   | yes       | yes    |          |
/// | settle_pledge   | yes   | yes       |        |          |
/// | request_payout  | yes   | yes       |        |          |
/// | vote            | yes   | yes       | yes    |          |
/// | pledge_for_member | yes | yes       |        |          |
bool role_allows(member_role role, pod_action action) noexcept;

/// Longest user id, in bytes.
inline constexpr std::size_t max_user_id_bytes = 128;

/// `text` if it is a valid user id: 1..128 bytes of [A-Za-z0-9._:@-]; else invalid_argument
/// naming `param`.
result<std::string> validate_user_id(std::string_view text, std::string param);

/// What a member did that the reputation score counts.
struct reputation_counters {
  std::int64_t pledges_settled_on_time = 0;  ///< settled before their due time (or with none)
  std::int64_t pledges_missed = 0;           ///< expired unsettled (not while SUSPENDED)
  std::int64_t votes_cast = 0;

  friend bool operator==(const reputation_counters&, const reputation_counters&) = default;
};

/// The reputation score, 0..100: 50 to start, +5 per pledge settled on time, -15 per pledge
/// missed, +1 per vote cast, clamped to the range. Missing one pledge costs three kept ones.
std::int64_t reputation_score(const reputation_counters& counters) noexcept;

}  // namespace payorch
