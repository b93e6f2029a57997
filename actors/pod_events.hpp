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

using pod_event =
    std::variant<pod_created, member_joined, member_role_changed, member_removed, policy_updated,
                 status_changed, funds_pledged, pledge_settled, pledge_expired, pledge_cancelled>;

/// The journal's name of an event ("CrowdPodCreated", "FundsPledged", ...).
std::string_view event_type_of(const pod_event& event);

/// The event as a journal record of pod `pod_id` (the payload names the pod, as the contract's
/// events do).
persistence::new_event encode_event(const std::string& pod_id, const pod_event& event);

/// The bus's name for pod events: a CloudEvent's `type` and NATS subject are this prefix plus
/// the journal's event name (`crowdpay.crowdpod.v1.FundsPledged`).
inline constexpr std::string_view pod_event_subject_prefix = "crowdpay.crowdpod.v1.";

/// One decided event as the journal stores it and as the outbox publishes it.
struct encoded_event {
  persistence::new_event journal;
  persistence::outbox_message outbox;
};

/// Encodes `event`, which will be version `version` of pod `pod_id`'s stream, for the journal
/// and for the outbox.
///
/// The outbox message is a structured CloudEvents 1.0 document: `id` `{pod_id}:{version}` (stable,
/// so a consumer recognises a republished event), `source` `/pods/{pod_id}`, `subject` the pod
/// id, `type` the subject name, `time`, `sequence` (the stream version) and `data` the journal
/// payload without the creating request's idempotency key and fingerprint, which stay internal.
encoded_event encode_with_outbox(const std::string& pod_id, std::int64_t version,
                                 const pod_event& event);

/// The typed event of a journal record; internal_error if the record is not a valid pod event.
result<pod_event> decode_event(const persistence::event_record& record);

/// The ledger moves an event makes, in the same transaction as the event itself:
/// FundsPledged opens a pending hold (the member's source -amount, the pod wallet +amount),
/// PledgeSettled posts it, PledgeExpired and PledgeCancelled void it.
void append_ledger(const std::string& pod_id, const pod_event& event,
                   std::vector<ledger_command>& out);

/// The pod wallet's ledger account.
std::string wallet_account(std::string_view pod_id);
/// The account a member's pledges to the pod are drawn from.
std::string member_account(std::string_view pod_id, std::string_view user_id);

}  // namespace payorch::actors
