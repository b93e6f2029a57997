#pragma once
/// The CrowdPod lifecycle state machine, its governance policy and name rules.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/currency.hpp"
#include "domain/decimal.hpp"
#include "domain/money.hpp"
#include "domain/result.hpp"

namespace payorch {

/// Where a pod is in its life; the wire and journal spell it in upper case ("ACTIVE").
enum class pod_status : std::uint8_t { draft, active, suspended, closed };

/// "DRAFT", "ACTIVE", "SUSPENDED" or "CLOSED".
std::string_view to_string(pod_status value) noexcept;
/// The status spelled exactly (upper case) by `text`, or nullopt.
std::optional<pod_status> pod_status_from_string(std::string_view text) noexcept;

/// An event that moves a pod between statuses; spelled in PascalCase ("PolicyAccepted").
enum class pod_transition : std::uint8_t {
  policy_accepted,
  risk_flagged,
  voluntary_closure,
  manual_override,
  force_closure,
};

/// "PolicyAccepted", "RiskFlagged", "VoluntaryClosure", "ManualOverride" or "ForceClosure".
std::string_view to_string(pod_transition transition) noexcept;
/// The transition spelled exactly by `text`, or nullopt.
std::optional<pod_transition> pod_transition_from_string(std::string_view text) noexcept;

/// The status after applying `t` in status `from`, or illegal_transition.
///
/// The only legal moves: DRAFT -PolicyAccepted-> ACTIVE, ACTIVE -RiskFlagged-> SUSPENDED,
/// ACTIVE -VoluntaryClosure-> CLOSED, SUSPENDED -ManualOverride-> ACTIVE and
/// SUSPENDED -ForceClosure-> CLOSED. CLOSED is final.
result<pod_status> next_status(pod_status from, pod_transition t);

/// How closely a pod's payments are watched; spelled "LOW", "STANDARD", "HIGH".
enum class risk_tier : std::uint8_t { low, standard, high };

std::string_view to_string(risk_tier tier) noexcept;
/// The tier spelled exactly (upper case) by `text`, or nullopt.
std::optional<risk_tier> risk_tier_from_string(std::string_view text) noexcept;

/// The rules a pod's members agreed on; build it with make_policy so it is valid.
struct governance_policy {
  decimal spending_limit;  ///< Major units of the pod currency, >= 0.
  decimal voting_quorum;   ///< Share of members needed, in (0, 1].
  risk_tier tier = risk_tier::standard;

  /// The spending limit as money of `pod_currency` (the currency make_policy checked it
  /// against); too_many_decimals or amount_overflow for any other currency that cannot hold it.
  result<money> spending_limit_in(currency pod_currency) const;

  friend bool operator==(const governance_policy&, const governance_policy&) = default;
};

/// Validates and builds a policy from its JSON text fields.
///
/// spending_limit_text: a JSON number in major units, >= 0, with no more decimals than
/// the pod currency has and within int64 minor units; else invalid_spending_limit (param
/// "policy.spending_limit"). voting_quorum_text: an exact decimal in (0, 1]; else
/// invalid_quorum ("policy.voting_quorum"). risk_tier_text: "LOW", "STANDARD" or "HIGH";
/// else unknown_risk_tier ("policy.risk_tier"). Fields are checked in that order.
result<governance_policy> make_policy(std::string_view spending_limit_text,
                                      std::string_view voting_quorum_text,
                                      std::string_view risk_tier_text, currency pod_currency);

/// Longest pod name, in UTF-8 bytes after trimming.
inline constexpr std::size_t max_pod_name_bytes = 200;

/// The name with leading and trailing ASCII whitespace trimmed, or invalid_name (param
/// "name") when the rest is empty, longer than 200 bytes, not valid UTF-8, or holds a
/// control character (U+0000..U+001F, U+007F..U+009F).
result<std::string> validate_pod_name(std::string_view name);

}  // namespace payorch
