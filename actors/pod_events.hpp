#pragma once
/// The CrowdPod events: what the pod journals, typed, and their JSON payloads.
///
/// A command's decision yields typed events; the pod actor applies them to its state directly
/// and journals their JSON. Recovery decodes the same JSON back into typed events and applies
/// them with the same function, so live state and recovered state cannot drift apart. Names
/// follow the CrowdPod contract (`CrowdPodCreated`, `PolicyAccepted`, `MemberJoined`,
/// `FundsPledged`, `PledgeSettled`, `PodClosed`) plus the ones the extra actions need.
/// Payloads carry the document's fields; decimals are exact strings, times Unix milliseconds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/currency.hpp"
#include "domain/cycle.hpp"
#include "domain/ledger.hpp"
#include "domain/membership.hpp"
#include "domain/pod.hpp"
#include "domain/result.hpp"
#include "persistence/journal.hpp"

namespace payorch::actors {

struct pod_created {
  std::string pod_id, owner_id, name;
  currency pod_currency;
  governance_policy policy;
  std::optional<contribution_cycle> cycle;
  std::int64_t at_ms = 0;
  std::string idempotency_key, request_fingerprint;  ///< of the creating request, if it had one
};

struct member_joined {
  std::string user_id;
  member_role role = member_role::member;
  std::string by;
  std::int64_t at_ms = 0;
};

struct member_role_changed {
  std::string user_id;
  member_role role = member_role::member;
  member_role previous = member_role::member;
  std::string by;
  std::int64_t at_ms = 0;
};

struct member_removed {
  std::string user_id;
  std::string by;
  std::int64_t at_ms = 0;
};

struct policy_updated {
  governance_policy policy;
  currency pod_currency;  ///< the currency the spending limit is in
  std::int64_t policy_version = 0;
  std::string by;
  std::int64_t at_ms = 0;
};

/// A lifecycle move: PolicyAccepted, RiskFlagged, ManualOverride, or PodClosed (with the
/// closure kind: VoluntaryClosure or ForceClosure).
struct status_changed {
  pod_transition transition = pod_transition::policy_accepted;
  std::string reason;
  std::string by;
  std::int64_t at_ms = 0;
};

struct funds_pledged {
  std::string pledge_id, user_id;
  std::int64_t amount_minor = 0;
  currency pledge_currency;
  std::int64_t cycle = 0;      ///< 0: the pod has no cycle covering the pledge
  std::int64_t due_at_ms = 0;  ///< 0: never due
  std::int64_t at_ms = 0;
  std::string idempotency_key, request_fingerprint;
};

struct pledge_settled {
  std::string pledge_id;
  std::string by;
  std::int64_t at_ms = 0;
};

/// A pledge left unsettled past its due time.
struct pledge_expired {
  std::string pledge_id;
  std::int64_t at_ms = 0;
};

/// A pledge voided because the pod closed before it was settled.
struct pledge_cancelled {
  std::string pledge_id;
  std::string reason;
  std::int64_t at_ms = 0;
};

/// Money of the pod's currency held for a payout: a pending transfer from the wallet to the
/// pod's payouts-in-flight account. The governance facts the settlement saga follows are fixed
/// here, when the payout is reserved.
struct payout_reserved {
  std::string payout_id;
  std::int64_t hold_minor = 0;  ///< in the pod's currency
  currency hold_currency;
  std::int64_t amount_minor = 0;  ///< what the beneficiary receives
  currency payout_currency;
  std::string beneficiary_name;
  std::string by;
  bool above_spending_limit = false;
  std::int64_t voters = 0;
  std::int64_t approvals_needed = 0;
  risk_tier tier = risk_tier::standard;
  std::int64_t at_ms = 0;
};

/// The hold posted: `sell_minor` of the pod's currency left the wallet, the rest of the hold
/// came back, and `amount_minor` of the payout's currency went out on the rail. With FX, the
/// sale went through the FX position account, and `buy_minor - amount_minor` (the conversion's
/// rounding) stays in the FX rounding account, so every currency sums to zero.
struct payout_posted {
  std::string payout_id;
  std::int64_t hold_minor = 0;
  currency hold_currency;
  std::int64_t sell_minor = 0;
  std::int64_t buy_minor = 0;
  std::int64_t amount_minor = 0;
  currency payout_currency;
  std::string rate;      ///< empty: no FX
  std::string quote_id;  ///< empty: no FX
  std::int64_t at_ms = 0;
};

/// The hold of a payout that never left, voided.
struct payout_released {
  std::string payout_id;
  std::string reason;
  std::int64_t at_ms = 0;
};

/// A posted payout the rail returned: its amount is credited to the wallet, in the payout's
/// currency (the FX sale is not undone).
struct payout_reversed {
  std::string payout_id;
  std::int64_t amount_minor = 0;
  currency payout_currency;
  std::string reason;
  std::int64_t at_ms = 0;
};

/// A member's vote on a payout above the spending limit, counted in their reputation.
struct payout_vote_cast {
  std::string payout_id;
  std::string user_id;
  bool approve = false;
  std::int64_t at_ms = 0;
};

using pod_event =
    std::variant<pod_created, member_joined, member_role_changed, member_removed, policy_updated,
                 status_changed, funds_pledged, pledge_settled, pledge_expired, pledge_cancelled,
                 payout_reserved, payout_posted, payout_released, payout_reversed,
                 payout_vote_cast>;

/// The journal's name of an event ("CrowdPodCreated", "FundsPledged", ...).
std::string_view event_type_of(const pod_event& event);

/// The event as a journal record of pod `pod_id` (the payload names the pod, as the contract's
/// events do).
persistence::new_event encode_event(const std::string& pod_id, const pod_event& event);

/// The bus's name for pod events: a CloudEvent's `type` and NATS subject are this prefix plus
/// the journal's event name (`crowdpay.crowdpod.v1.FundsPledged`).
inline constexpr std::string_view pod_event_subject_prefix = "crowdpay.crowdpod.v1.";

/// One decided event as the journal stores it, and the outbox message that announces it.
struct encoded_event {
  persistence::new_event journal;
  persistence::outbox_message outbox;
};

/// Encodes `event`, which will be version `version` of pod `pod_id`'s stream, for the journal,
/// with its outbox message (subject `pod_event_subject_prefix` + the event name). The message
/// holds no copy of the event: the relay renders it with pod_cloud_event from the outbox row and
/// the event read with it.
encoded_event encode_with_outbox(const std::string& pod_id, std::int64_t version,
                                 const pod_event& event);

/// The message an outbox row of a pod stream publishes, as a structured CloudEvents 1.0 document:
/// `id` `{pod_id}:{version}` (stable, so a consumer recognises a republished event), `source`
/// `/pods/{pod_id}`, `subject` the pod id, `type` the row's subject, `time`, `sequence` (the stream
/// version) and `data` the journal payload without the creating request's idempotency key and
/// fingerprint, which stay internal. internal_error if the event's payload is not a JSON object.
result<std::string> pod_cloud_event(const persistence::outbox_entry& entry);

/// The typed event of a journal record; internal_error if the record is not a valid pod event.
result<pod_event> decode_event(const persistence::event_record& record);

/// The ledger moves an event makes, in the same transaction as the event itself:
/// FundsPledged opens a pending hold (the member's source -amount, the pod wallet +amount),
/// PledgeSettled posts it, PledgeExpired and PledgeCancelled void it. PayoutReserved holds
/// wallet -> payouts; PayoutPosted posts that hold and moves the money out (see payout_posted);
/// PayoutReleased voids the hold; PayoutReversed credits the wallet from the rail.
void append_ledger(const std::string& pod_id, const pod_event& event,
                   std::vector<ledger_command>& out);

/// The pod's payouts-in-flight account: holds move here, then out.
std::string payouts_account(std::string_view pod_id);
/// Platform accounts a payout's postings use: the FX desk's position, the FX rounding kept from
/// conversions, and money sent out on the rails.
inline constexpr std::string_view fx_position_account = "platform:fx:position";
inline constexpr std::string_view fx_rounding_account = "platform:fx:rounding";
inline constexpr std::string_view rail_outbound_account = "platform:rail:outbound";

/// The pod wallet's ledger account.
std::string wallet_account(std::string_view pod_id);
/// The account a member's pledges to the pod are drawn from.
std::string member_account(std::string_view pod_id, std::string_view user_id);

}  // namespace payorch::actors
