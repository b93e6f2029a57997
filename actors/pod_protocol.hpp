#pragma once
/// The CrowdPod protocol: commands the gateway sends, the pod actor's view, and the router.
///
/// Commands carry their input as text (amounts and decimals keep their exact source text); the
/// pod actor validates them against the domain rules, so a command from any source (HTTP, bus,
/// a peer node) meets the same checks.

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "domain/pod.hpp"

namespace payorch::actors {

/// A governance policy as submitted: decimal texts and the risk tier's name.
struct policy_input {
  std::string spending_limit;  ///< major units of the pod's currency, e.g. "5000" or "5000.00"
  std::string voting_quorum;   ///< exact decimal in (0, 1], e.g. "0.66"
  std::string risk_tier;       ///< "LOW", "STANDARD" or "HIGH"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_input& x) {
  return f(caf::meta::type_name("policy_input"), x.spending_limit, x.voting_quorum, x.risk_tier);
}

/// Who asks: the authenticated client (the token's subject) acting in the pod.
struct caller {
  std::string subject;          ///< the acting user id inside the pod (the token's `sub`)
  bool platform_admin = false;  ///< a `crowdpod:*:admin` token: ADMIN rights in every pod
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, caller& x) {
  return f(caf::meta::type_name("caller"), x.subject, x.platform_admin);
}

/// An HTTP answer as an idempotency record keeps it.
struct stored_answer {
  std::int32_t status = 0;
  std::string content_type;
  std::string location;
  std::string body;
  bool operator==(const stored_answer&) const = default;
};

/// Where an entity reports that it stored a keyed command's answer with the command's events:
/// written on the entity's thread before it replies, read by the requester after the reply.
struct answer_receipt {
  bool stored = false;
  stored_answer answer;
};

/// Renders the answer a command's reply becomes, so the entity can store it with its events
/// (one write, and no moment at which the effect is durable and its answer is not). The gateway
/// lends it, as it owns the answer's format; a command without one stores a bare claim.
template <class View>
using answer_renderer = std::function<stored_answer(const View&)>;

/// An Idempotency-Key as the entity sees it. A command carrying one claims the key with its
/// events, and with a renderer stores its answer there too; creating a pod or a pledge also
/// remembers which key made it, so a retry after a crash finds the first result instead of
/// making a second one.
struct idempotency_tag {
  std::string key;          ///< empty: the request carried none
  std::string fingerprint;  ///< hash of the request; another body with the same key is refused
  std::string client_id;    ///< whose key it is: the entity claims it with its events
  /// Set by the gateway for a keyed request; local only, never serialised (a command from
  /// elsewhere stores a claim, and its requester stores the answer later).
  std::shared_ptr<answer_receipt> receipt{};
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idempotency_tag& x) {
  return f(caf::meta::type_name("idempotency_tag"), x.key, x.fingerprint, x.client_id);
}

struct pod_view;
struct pledge_view;

/// A contribution cycle as submitted; an empty period means the pod has none.
struct cycle_input {
  std::string period;     ///< "WEEKLY" or "MONTHLY"
  std::string starts_at;  ///< RFC 3339
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cycle_input& x) {
  return f(caf::meta::type_name("cycle_input"), x.period, x.starts_at);
}

/// Creates a pod in DRAFT; the pod id is chosen by the caller so a retry names the same pod.
/// The creator (caller.subject) becomes the pod's first ADMIN member.
struct create_pod {
  std::string pod_id;
  std::string name;
  std::string currency;
  policy_input policy;
  std::string owner_id;
  std::int64_t requested_at_ms = 0;
  cycle_input cycle;
  idempotency_tag idempotency;
  answer_renderer<pod_view> render_answer{};  ///< local only, see answer_renderer
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_pod& x) {
  return f(caf::meta::type_name("create_pod"), x.pod_id, x.name, x.currency, x.policy, x.owner_id,
           x.requested_at_ms, x.cycle, x.idempotency);
}

/// Reads a pod; answered only with committed state.
struct get_pod {
  std::string pod_id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_pod& x) {
  return f(caf::meta::type_name("get_pod"), x.pod_id);
}

/// What a pod looks like from outside; decimals are exact texts.
struct pod_view {
  std::string pod_id;
  std::string name;
  std::string currency;
  std::string status;  ///< "DRAFT", "ACTIVE", "SUSPENDED" or "CLOSED"
  policy_input policy;
  std::string owner_id;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t version = 0;  ///< the pod's journal stream version
  std::int64_t policy_version = 1;
  cycle_input cycle;  ///< starts_at as RFC 3339; empty period: none
  std::int64_t member_count = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pod_view& x) {
  return f(caf::meta::type_name("pod_view"), x.pod_id, x.name, x.currency, x.status, x.policy,
           x.owner_id, x.created_at_ms, x.updated_at_ms, x.version, x.policy_version, x.cycle,
           x.member_count);
}

/// Changes some fields of the governance policy; an empty text leaves that field as it is.
struct update_policy {
  std::string pod_id;
  caller by;
  policy_input changes;
  std::int64_t requested_at_ms = 0;
  idempotency_tag idempotency{};  ///< a keyed request's answer is stored with its events
  answer_renderer<pod_view> render_answer{};  ///< local only, see answer_renderer
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, update_policy& x) {
  return f(caf::meta::type_name("update_policy"), x.pod_id, x.by, x.changes, x.requested_at_ms,
           x.idempotency);
}

/// Moves the pod through its lifecycle (activate, suspend, reinstate, close, force-close).
struct change_pod_status {
  std::string pod_id;
  caller by;
  pod_transition transition = pod_transition::policy_accepted;
  std::string reason;
  std::int64_t requested_at_ms = 0;
  idempotency_tag idempotency{};  ///< a keyed request's answer is stored with its events
  answer_renderer<pod_view> render_answer{};  ///< local only, see answer_renderer
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_pod_status& x) {
  return f(caf::meta::type_name("change_pod_status"), x.pod_id, x.by, x.transition, x.reason,
           x.requested_at_ms, x.idempotency);
}

/// One member as seen from outside.
struct member_view {
  std::string user_id;
  std::string role;
  std::int64_t joined_at_ms = 0;
  std::int64_t pledges_settled_on_time = 0;
  std::int64_t pledges_missed = 0;
  std::int64_t votes_cast = 0;
  std::int64_t reputation_score = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_view& x) {
  return f(caf::meta::type_name("member_view"), x.user_id, x.role, x.joined_at_ms,
           x.pledges_settled_on_time, x.pledges_missed, x.votes_cast, x.reputation_score);
}

/// Adds a member (role ADMIN, TREASURER, MEMBER or OBSERVER).
struct add_member {
  std::string pod_id;
  caller by;
  std::string user_id;
  std::string role;
  std::int64_t requested_at_ms = 0;
  idempotency_tag idempotency{};  ///< a keyed request's answer is stored with its events
  answer_renderer<member_view> render_answer{};  ///< local only, see answer_renderer
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, add_member& x) {
  return f(caf::meta::type_name("add_member"), x.pod_id, x.by, x.user_id, x.role, x.requested_at_ms,
           x.idempotency);
}

/// Gives a member another role.
struct change_member_role {
  std::string pod_id;
  caller by;
  std::string user_id;
  std::string role;
  std::int64_t requested_at_ms = 0;
  idempotency_tag idempotency{};  ///< a keyed request's answer is stored with its events
  answer_renderer<member_view> render_answer{};  ///< local only, see answer_renderer
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_member_role& x) {
  return f(caf::meta::type_name("change_member_role"), x.pod_id, x.by, x.user_id, x.role,
           x.requested_at_ms, x.idempotency);
}

/// Removes a member; answers the member as it was.
struct remove_member {
  std::string pod_id;
  caller by;
  std::string user_id;
  std::int64_t requested_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remove_member& x) {
  return f(caf::meta::type_name("remove_member"), x.pod_id, x.by, x.user_id, x.requested_at_ms);
}

/// Reads one member.
struct get_member {
  std::string pod_id;
  std::string user_id;
  std::int64_t requested_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_member& x) {
  return f(caf::meta::type_name("get_member"), x.pod_id, x.user_id, x.requested_at_ms);
}

/// Reads a page of members ordered by user id, after `after` (empty: from the start).
struct list_members {
  std::string pod_id;
  std::string after;
  std::int64_t limit = 50;
  std::int64_t requested_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_members& x) {
  return f(caf::meta::type_name("list_members"), x.pod_id, x.after, x.limit, x.requested_at_ms);
}

struct member_page {
  std::vector<member_view> items;
  std::string next_after;  ///< empty: this is the last page
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_page& x) {
  return f(caf::meta::type_name("member_page"), x.items, x.next_after);
}

/// One pledge as seen from outside; 0 stands for "none" in cycle and the times.
struct pledge_view {
  std::string pledge_id;
  std::string pod_id;
  std::string user_id;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string status;  ///< PLEDGED, SETTLED, EXPIRED or CANCELLED
  std::int64_t cycle = 0;
  std::int64_t due_at_ms = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t settled_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pledge_view& x) {
  return f(caf::meta::type_name("pledge_view"), x.pledge_id, x.pod_id, x.user_id, x.amount_minor,
           x.currency, x.status, x.cycle, x.due_at_ms, x.created_at_ms, x.settled_at_ms);
}

/// Promises money to the pod: a pending hold in the ledger until it is settled.
struct make_pledge {
  std::string pod_id;
  caller by;
  std::string pledge_id;  ///< chosen by the gateway (derived from the Idempotency-Key)
  std::string user_id;    ///< the pledging member
  std::int64_t amount_minor = 0;
  std::string currency;
  std::int64_t due_at_ms = 0;  ///< 0: the end of the pledge's cycle, or never without cycles
  idempotency_tag idempotency;
  std::int64_t requested_at_ms = 0;
  answer_renderer<pledge_view> render_answer{};  ///< local only, see answer_renderer
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, make_pledge& x) {
  return f(caf::meta::type_name("make_pledge"), x.pod_id, x.by, x.pledge_id, x.user_id,
           x.amount_minor, x.currency, x.due_at_ms, x.idempotency, x.requested_at_ms);
}

/// Moves a pledge's money into the pod (posts its hold): it becomes a contribution.
struct settle_pledge {
  std::string pod_id;
  caller by;
  std::string pledge_id;
  std::int64_t requested_at_ms = 0;
  idempotency_tag idempotency{};  ///< a keyed request's answer is stored with its events
  answer_renderer<pledge_view> render_answer{};  ///< local only, see answer_renderer
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, settle_pledge& x) {
  return f(caf::meta::type_name("settle_pledge"), x.pod_id, x.by, x.pledge_id, x.requested_at_ms,
           x.idempotency);
}

struct get_pledge {
  std::string pod_id;
  std::string pledge_id;
  std::int64_t requested_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_pledge& x) {
  return f(caf::meta::type_name("get_pledge"), x.pod_id, x.pledge_id, x.requested_at_ms);
}

/// Reads a page of pledges in the order they were made, after the `after`-th one.
struct list_pledges {
  std::string pod_id;
  std::string status;  ///< empty: any
  std::int64_t after = 0;
  std::int64_t limit = 50;
  std::int64_t requested_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_pledges& x) {
  return f(caf::meta::type_name("list_pledges"), x.pod_id, x.status, x.after, x.limit,
           x.requested_at_ms);
}

struct pledge_page {
  std::vector<pledge_view> items;
  std::int64_t next_after = 0;  ///< 0: this is the last page
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pledge_page& x) {
  return f(caf::meta::type_name("pledge_page"), x.items, x.next_after);
}

/// Reads the pod's balances per currency.
struct get_balance {
  std::string pod_id;
  std::int64_t requested_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_balance& x) {
  return f(caf::meta::type_name("get_balance"), x.pod_id, x.requested_at_ms);
}

/// The pod wallet's balance in one currency, in minor units.
struct currency_balance {
  std::string currency;
  std::int64_t posted_minor = 0;    ///< settled contributions
  std::int64_t pending_minor = 0;   ///< pledged, not yet settled (incoming holds)
  std::int64_t reserved_minor = 0;  ///< held for payouts (outgoing holds)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, currency_balance& x) {
  return f(caf::meta::type_name("currency_balance"), x.currency, x.posted_minor, x.pending_minor,
           x.reserved_minor);
}

/// An FX rate a balance total was converted at: 1 `base` = `rate` `quote`, known at `as_of_ms`.
struct rate_used {
  std::string base;
  std::string quote;
  std::string rate;  ///< exact decimal text
  std::int64_t as_of_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rate_used& x) {
  return f(caf::meta::type_name("rate_used"), x.base, x.quote, x.rate, x.as_of_ms);
}

struct balance_view {
  std::string pod_id;
  std::string currency;  ///< the pod's own currency
  std::vector<currency_balance> balances;
  std::int64_t version = 0;
  /// Every currency's available amount converted into the pod's currency (half-even per
  /// currency); valid only when `missing_rates` is empty and `total_out_of_range` is false.
  std::int64_t total_available_minor = 0;
  std::vector<rate_used> rates;
  std::vector<std::string> missing_rates;  ///< currencies with no rate to the pod's currency
  /// A converted amount, or their sum, does not fit in int64 minor units of the pod's currency.
  bool total_out_of_range = false;
  std::int64_t as_of_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, balance_view& x) {
  return f(caf::meta::type_name("balance_view"), x.pod_id, x.currency, x.balances, x.version,
           x.total_available_minor, x.rates, x.missing_rates, x.total_out_of_range, x.as_of_ms);
}

/// Sums one contribution cycle.
struct get_cycle {
  std::string pod_id;
  std::int64_t number = 0;
  std::int64_t requested_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_cycle& x) {
  return f(caf::meta::type_name("get_cycle"), x.pod_id, x.number, x.requested_at_ms);
}

struct cycle_member_total {
  std::string user_id;
  std::string currency;
  std::int64_t pledged_minor = 0;  ///< every pledge of the cycle but cancelled ones
  std::int64_t settled_minor = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cycle_member_total& x) {
  return f(caf::meta::type_name("cycle_member_total"), x.user_id, x.currency, x.pledged_minor,
           x.settled_minor);
}

struct cycle_view {
  std::string pod_id;
  std::int64_t number = 0;
  std::int64_t starts_at_ms = 0;
  std::int64_t ends_at_ms = 0;
  std::vector<cycle_member_total> members;  ///< by user id, then currency
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cycle_view& x) {
  return f(caf::meta::type_name("cycle_view"), x.pod_id, x.number, x.starts_at_ms, x.ends_at_ms,
           x.members);
}

/// What a payout command asks of the pod's wallet (the settlement saga's ledger steps).
enum class payout_action : std::uint8_t {
  check,    ///< validate a payout request (role, pod state, amounts) without writing anything
  reserve,  ///< hold `hold_minor` of the pod's currency (PayoutReserved, a pending transfer)
  post,     ///< post the hold: the FX sale and the payout leave the wallet (PayoutPosted)
  release,  ///< void the hold of a payout not posted (PayoutReleased)
  reverse,  ///< a posted payout came back: credit it to the wallet (PayoutReversed)
  get,      ///< read the payout
  vote,     ///< record `voter`'s vote on the payout for their reputation (once per member)
};

/// One command on a pod payout; the fields each action reads are named by it. Every action but
/// check is idempotent for one payout id: a repeat answers the payout as it is.
struct payout_command {
  std::string pod_id;
  caller by;
  std::string payout_id;
  payout_action action = payout_action::get;
  /// reserve: in the pod's currency, the amount to hold; for a payout paid from its own
  /// currency (hold_currency), the value estimated in the pod's currency (the spending limit's)
  std::int64_t hold_minor = 0;
  std::int64_t amount_minor = 0;  ///< check, reserve, post: what the beneficiary receives
  std::string currency;           ///< check, reserve: the payout's currency
  std::string beneficiary_name;   ///< check, reserve
  std::int64_t sell_minor = 0;    ///< post: pod-currency minor units the FX sale costs
  std::int64_t buy_minor = 0;     ///< post: payout-currency minor units the FX sale yields
  std::string rate;               ///< post: the locked rate (exact decimal); empty: no FX
  std::string quote_id;           ///< post: the locked quote; empty: no FX
  std::string reason;             ///< release, reverse
  std::int64_t requested_at_ms = 0;
  std::string voter;  ///< vote: the voting member
  bool approve = false;  ///< vote: the decision
  /// reserve: the wallet currency the check found would pay (the pod's or the payout's own;
  /// empty: the pod's). Naming the payout's own, the reservation chooses again as the wallet is.
  std::string hold_currency;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, payout_command& x) {
  return f(caf::meta::type_name("payout_command"), x.pod_id, x.by, x.payout_id, x.action,
           x.hold_minor, x.amount_minor, x.currency, x.beneficiary_name, x.sell_minor, x.buy_minor,
           x.rate, x.quote_id, x.reason, x.requested_at_ms, x.voter, x.approve, x.hold_currency);
}

/// A payout as the pod's wallet sees it, with the governance facts fixed when it was reserved.
struct payout_view {
  std::string payout_id;
  std::string pod_id;
  std::string status;  ///< RESERVED, POSTED, RELEASED or REVERSED; empty for a check
  std::int64_t hold_minor = 0;
  std::string hold_currency;  ///< what the payout is paid from: the pod's currency or its own
  std::string pod_currency;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::int64_t sell_minor = 0;
  std::int64_t buy_minor = 0;
  std::int64_t fx_rounding_minor = 0;  ///< buy - amount: the FX rounding kept by the FX account
  std::string rate;
  std::string quote_id;
  std::string beneficiary_name;
  std::string requested_by;
  std::string reason;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  bool above_spending_limit = false;   ///< the hold exceeds the policy's spending limit
  std::int64_t voters = 0;             ///< members who may vote (all but OBSERVERs)
  std::int64_t approvals_needed = 0;   ///< ceil(voting_quorum x voters), at least 1
  std::string risk_tier;               ///< the policy's tier: HIGH asks for an OTP step-up
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, payout_view& x) {
  return f(caf::meta::type_name("payout_view"), x.payout_id, x.pod_id, x.status, x.hold_minor,
           x.hold_currency, x.pod_currency, x.amount_minor, x.currency, x.sell_minor, x.buy_minor,
           x.fx_rounding_minor, x.rate, x.quote_id, x.beneficiary_name, x.requested_by, x.reason,
           x.created_at_ms, x.updated_at_ms, x.above_spending_limit, x.voters, x.approvals_needed,
           x.risk_tier);
}

/// A pod actor's request to be passivated; the router answers true once it forgot the actor.
struct passivate_pod {
  std::string pod_id;
  /// Commands the pod has taken so far: the router agrees only if that is every command it
  /// routed to the pod, so none waits in the pod's mailbox (or runs) as the pod is forgotten.
  std::uint32_t commands = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, passivate_pod& x) {
  return f(caf::meta::type_name("passivate_pod"), x.pod_id, x.commands);
}

/// The router's hint to a pod that no command reached it for `idle_timeout`.
struct idle_check {
  std::uint64_t generation = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idle_check& x) {
  return f(caf::meta::type_name("idle_check"), x.generation);
}

/// Asks the router how many entities are live, restarted and quarantined.
struct router_stats_request {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, router_stats_request&) {
  return f(caf::meta::type_name("router_stats_request"));
}

/// The router's counters.
struct router_stats {
  std::uint64_t live = 0;
  std::uint64_t spawned = 0;
  std::uint64_t passivated = 0;
  std::uint64_t restarted = 0;
  std::uint64_t quarantined = 0;
  /// Pods that stopped on a journal failure: forgotten, started again by their next command.
  std::uint64_t stopped_by_storage = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, router_stats& x) {
  return f(caf::meta::type_name("router_stats"), x.live, x.spawned, x.passivated, x.restarted,
           x.quarantined, x.stopped_by_storage);
}

/// Every command and query a pod answers; the pod actor and the router both speak it.
using pod_interface = caf::typed_actor<
    caf::replies_to<create_pod>::with<pod_view>, caf::replies_to<get_pod>::with<pod_view>,
    caf::replies_to<update_policy>::with<pod_view>,
    caf::replies_to<change_pod_status>::with<pod_view>,
    caf::replies_to<add_member>::with<member_view>,
    caf::replies_to<change_member_role>::with<member_view>,
    caf::replies_to<remove_member>::with<member_view>,
    caf::replies_to<get_member>::with<member_view>,
    caf::replies_to<list_members>::with<member_page>,
    caf::replies_to<make_pledge>::with<pledge_view>,
    caf::replies_to<settle_pledge>::with<pledge_view>,
    caf::replies_to<get_pledge>::with<pledge_view>,
    caf::replies_to<list_pledges>::with<pledge_page>,
    caf::replies_to<get_balance>::with<balance_view>, caf::replies_to<get_cycle>::with<cycle_view>,
    caf::replies_to<payout_command>::with<payout_view>>;

/// One live pod: its state lives only inside this actor.
using pod_actor = pod_interface::extend<caf::reacts_to<idle_check>>;

/// Routes pod commands to the pod's actor, spawning, recovering and restarting it as needed.
using pod_router_actor =
    pod_interface::extend<caf::replies_to<passivate_pod>::with<bool>,
                          caf::replies_to<router_stats_request>::with<router_stats>,
                          caf::reacts_to<caf::tick_atom>>;

}  // namespace payorch::actors
