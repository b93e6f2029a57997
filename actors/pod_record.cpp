#include "actors/pod_record.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <stdexcept>

#include "actors/overloaded.hpp"
#include "domain/fx.hpp"
#include "domain/ids.hpp"
#include "domain/int128.hpp"
#include "domain/money.hpp"
#include "domain/time.hpp"
#include "persistence/hash_chain.hpp"

namespace payorch::actors {
namespace json = boost::json;

namespace {

using events = std::vector<pod_event>;

failure corrupt(std::string what) {
  return fail(errc::internal_error, "journal holds an impossible pod event: " + std::move(what));
}

std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  out.append(s);
  out.push_back('"');
  return out;
}

/// The acting member's role must allow `action`; a platform admin may do anything.
result<void> require_role(const pod_record& pod, const caller& by, pod_action action) {
  if (by.platform_admin) return {};
  const auto* m = pod.member(by.subject);
  if (!m) {
    return fail(errc::role_forbidden, in_quotes(by.subject) + " is not a member of pod " +
                                          pod.pod_id + " and may not " +
                                          std::string(to_string(action)));
  }
  if (!role_allows(m->role, action)) {
    return fail(errc::role_forbidden, "a " + std::string(to_string(m->role)) + " may not " +
                                          std::string(to_string(action)) + " in pod " + pod.pod_id);
  }
  return {};
}

/// The currency named `code`, if money can be held in it: an ISO 4217 code other than XXX
/// ("no currency", which the ledger refuses to post).
result<currency> money_currency(const std::string& code) {
  auto cur = currency::from_code(code);
  if (!cur || cur->code() == "XXX")
    return fail(errc::unknown_currency,
                "'" + code + "' is not an ISO 4217 code of a currency money can be held in",
                "currency");
  return *cur;
}

result<void> require_open(const pod_record& pod, std::string_view what) {
  if (pod.status == pod_status::closed)
    return fail(errc::pod_not_active,
                "pod " + pod.pod_id + " is CLOSED; cannot " + std::string(what));
  return {};
}

result<void> require_active(const pod_record& pod, std::string_view what) {
  if (pod.status != pod_status::active) {
    return fail(errc::pod_not_active, "pod " + pod.pod_id + " is " +
                                          std::string(to_string(pod.status)) + "; " +
                                          std::string(what) + " needs an ACTIVE pod");
  }
  return {};
}

std::size_t admin_count(const pod_record& pod) {
  return static_cast<std::size_t>(
      std::count_if(pod.members.begin(), pod.members.end(),
                    [](auto& m) { return m.second.role == member_role::admin; }));
}

member_record* find_member(pod_record& pod, const std::string& id) {
  auto i = pod.members.find(id);
  return i == pod.members.end() ? nullptr : &i->second;
}

/// Adds (`sign` +1) or takes back (-1) what payout `p`, as it stands, does to the wallet's
/// running sums: held while RESERVED, the sale gone once POSTED, the amount back once REVERSED.
void count_payout(pod_record& pod, const payout_record& p, std::int64_t sign) {
  auto& totals = pod.funds.write().payout_totals;
  auto& own = totals[std::string(p.reserved.hold_currency.code())];
  switch (p.status) {
    case payout_status::reserved:
      own.reserved_minor += sign * p.reserved.hold_minor;
      break;
    case payout_status::posted:
      own.posted_minor -= sign * p.sell_minor;
      break;
    case payout_status::reversed:
      own.posted_minor -= sign * p.sell_minor;
      totals[std::string(p.reserved.payout_currency.code())].posted_minor +=
          sign * p.reserved.amount_minor;
      break;
    case payout_status::released:
      break;
  }
}

payout_record* find_payout(pod_record& pod, const std::string& id) {
  auto* funds = pod.funds.existing();
  if (funds == nullptr) return nullptr;
  auto i = funds->payouts.find(id);
  return i == funds->payouts.end() ? nullptr : &i->second;
}

payout_record* find_payout(pod_record& pod, const std::string& id, payout_status wanted) {
  auto* p = find_payout(pod, id);
  return p == nullptr || p->status != wanted ? nullptr : p;
}

result<void> apply_created(std::optional<pod_record>& pod, const pod_created& e) {
  if (pod) return corrupt("CrowdPodCreated on an existing pod");
  pod_record p;
  p.pod_id = e.pod_id;
  p.name = e.name;
  p.owner_id = e.owner_id;
  p.pod_currency = e.pod_currency;
  p.policy = e.policy;
  p.cycle = e.cycle;
  p.created_at_ms = e.at_ms;
  p.creation_key = digest_of(e.idempotency_key);
  p.creation_fingerprint = digest_of(e.request_fingerprint);
  pod = std::move(p);
  return {};
}

/// Counts a new PLEDGED pledge at `position` in the running sums and the due index.
void count_open_pledge(pod_funds& funds, const pledge_record& p, std::size_t position) {
  funds.pledge_totals[std::string(p.pledge_currency.code())].pledged_minor += p.amount_minor;
  if (p.due_at_ms != 0) funds.open_due.emplace(p.due_at_ms, position);
}

/// Moves a PLEDGED pledge to `to`, crediting or debiting its member's reputation.
result<void> resolve_pledge(pod_record& pod, const std::string& id, pledge_status to,
                            std::int64_t at_ms) {
  auto* funds = pod.funds.existing();
  if (funds == nullptr) return corrupt("pledge " + id + " resolved in a pod without pledges");
  auto at = funds->pledge_index.find(id);
  if (at == funds->pledge_index.end() ||
      funds->pledges[at->second].status != pledge_status::pledged)
    return corrupt("pledge " + id + " resolved while not PLEDGED");
  const auto position = at->second;
  auto* p = &funds->pledges[position];
  p->status = to;
  if (to == pledge_status::settled) p->settled_at_ms = at_ms;
  auto& sums = funds->pledge_totals[std::string(p->pledge_currency.code())];
  sums.pledged_minor -= p->amount_minor;
  if (to == pledge_status::settled) sums.settled_minor += p->amount_minor;
  if (p->due_at_ms != 0) funds->open_due.erase({p->due_at_ms, position});
  if (auto* m = find_member(pod, p->user_id)) {
    if (to == pledge_status::settled) ++m->reputation.pledges_settled_on_time;
    // Nobody can settle a pledge in a SUSPENDED pod: one that falls due then is not missed. Its
    // expiry is journaled with the first write after its due time, which, for a pledge that fell
    // due during the suspension, comes before the reinstatement or closure takes effect.
    if (to == pledge_status::expired && pod.status != pod_status::suspended)
      ++m->reputation.pledges_missed;
  }
  return {};
}

result<void> apply_to(pod_record& pod, const pod_event& event) {
  return std::visit(
      overloaded{
          [](const pod_created&) -> result<void> { return corrupt("second CrowdPodCreated"); },
          [&](const member_joined& e) -> result<void> {
            if (!pod.members.emplace(e.user_id, member_record{e.role, e.at_ms, e.at_ms, {}}).second)
              return corrupt("MemberJoined twice for " + e.user_id);
            return {};
          },
          [&](const member_role_changed& e) -> result<void> {
            auto* m = find_member(pod, e.user_id);
            if (!m) return corrupt("MemberRoleChanged for a non-member");
            if (m->role == member_role::observer && e.role != member_role::observer)
              m->voting_since_ms = e.at_ms;
            m->role = e.role;
            return {};
          },
          [&](const member_removed& e) -> result<void> {
            if (pod.members.erase(e.user_id) == 0) return corrupt("MemberRemoved for a non-member");
            return {};
          },
          [&](const policy_updated& e) -> result<void> {
            pod.policy = e.policy;
            pod.policy_version = e.policy_version;
            return {};
          },
          [&](const status_changed& e) -> result<void> {
            auto next = next_status(pod.status, e.transition);
            if (!next) return corrupt(next.error().detail);
            pod.status = *next;
            return {};
          },
          [&](const funds_pledged& e) -> result<void> {
            if (pod.funds->pledge_index.count(e.pledge_id) != 0)
              return corrupt("FundsPledged twice for " + e.pledge_id);
            pledge_record p;
            p.pledge_id = e.pledge_id;
            p.user_id = e.user_id;
            p.amount_minor = e.amount_minor;
            p.pledge_currency = e.pledge_currency;
            p.cycle = e.cycle;
            p.due_at_ms = e.due_at_ms;
            p.created_at_ms = e.at_ms;
            p.idempotency_key = digest_of(e.idempotency_key);
            p.request_fingerprint = digest_of(e.request_fingerprint);
            auto& funds = pod.funds.write();
            const auto position = funds.pledges.size();
            funds.pledge_index.emplace(e.pledge_id, position);
            count_open_pledge(funds, p, position);
            funds.pledges.push_back(std::move(p));
            return {};
          },
          [&](const pledge_settled& e) {
            return resolve_pledge(pod, e.pledge_id, pledge_status::settled, e.at_ms);
          },
          [&](const pledge_expired& e) {
            return resolve_pledge(pod, e.pledge_id, pledge_status::expired, e.at_ms);
          },
          [&](const pledge_cancelled& e) {
            return resolve_pledge(pod, e.pledge_id, pledge_status::cancelled, e.at_ms);
          },
          [&](const payout_reserved& e) -> result<void> {
            payout_record p;
            p.reserved = e;
            p.updated_at_ms = e.at_ms;
            auto [at, fresh] = pod.funds.write().payouts.emplace(e.payout_id, std::move(p));
            if (!fresh) return corrupt("PayoutReserved twice for " + e.payout_id);
            count_payout(pod, at->second, +1);
            return {};
          },
          [&](const payout_posted& e) -> result<void> {
            auto* p = find_payout(pod, e.payout_id, payout_status::reserved);
            if (!p) return corrupt("PayoutPosted for a payout not RESERVED");
            count_payout(pod, *p, -1);
            p->status = payout_status::posted;
            p->sell_minor = e.sell_minor;
            p->buy_minor = e.buy_minor;
            p->rate = e.rate;
            p->quote_id = e.quote_id;
            p->updated_at_ms = e.at_ms;
            count_payout(pod, *p, +1);
            return {};
          },
          [&](const payout_released& e) -> result<void> {
            auto* p = find_payout(pod, e.payout_id, payout_status::reserved);
            if (!p) return corrupt("PayoutReleased for a payout not RESERVED");
            count_payout(pod, *p, -1);
            p->status = payout_status::released;
            p->reason = e.reason;
            p->updated_at_ms = e.at_ms;
            return {};
          },
          [&](const payout_vote_cast& e) -> result<void> {
            auto* payout = find_payout(pod, e.payout_id);
            if (payout == nullptr) return corrupt("PayoutVoteCast for an unknown payout");
            auto& voters = payout->voters;
            if (std::find(voters.begin(), voters.end(), e.user_id) != voters.end())
              return corrupt("PayoutVoteCast twice by " + e.user_id);
            voters.push_back(e.user_id);
            if (auto* m = find_member(pod, e.user_id)) ++m->reputation.votes_cast;
            return {};
          },
          [&](const payout_reversed& e) -> result<void> {
            auto* p = find_payout(pod, e.payout_id, payout_status::posted);
            if (!p) return corrupt("PayoutReversed for a payout not POSTED");
            count_payout(pod, *p, -1);
            p->status = payout_status::reversed;
            count_payout(pod, *p, +1);
            p->reason = e.reason;
            p->updated_at_ms = e.at_ms;
            return {};
          },
      },
      event);
}

std::int64_t at_of(const pod_event& e) {
  return std::visit([](const auto& x) { return x.at_ms; }, e);
}

/// Posted and pending minor units of one currency in the wallet.
struct wallet_totals {
  std::int64_t posted_minor = 0;
  std::int64_t pending_minor = 0;
  std::int64_t reserved_minor = 0;  ///< held for payouts
};

std::map<std::string, wallet_totals> totals_of(const pod_record& pod, std::int64_t now_ms) {
  std::map<std::string, wallet_totals> out;
  out[std::string(pod.pod_currency.code())];
  // Sums cannot overflow: decide(make_pledge) refuses a pledge, and a payout's reversal refuses
  // a return, that would take a currency's posted plus pending money past int64.
  for (const auto& [code, sums] : pod.funds->pledge_totals) {
    auto& t = out[code];
    t.posted_minor += sums.settled_minor;
    t.pending_minor += sums.pledged_minor;
  }
  // A pledge past its due time reads as EXPIRED before its PledgeExpired is journaled.
  for (const auto& [due, position] : pod.funds->open_due) {
    if (due > now_ms) break;
    const auto& p = pod.funds->pledges[position];
    out[std::string(p.pledge_currency.code())].pending_minor -= p.amount_minor;
  }
  // Payout amounts were checked against the wallet when reserved, so these sums stay in range.
  for (const auto& [code, sums] : pod.funds->payout_totals) {
    auto& t = out[code];
    t.posted_minor += sums.posted_minor;
    t.reserved_minor += sums.reserved_minor;
  }
  return out;
}

}  // namespace

request_digest digest_of(std::string_view text) {
  request_digest d{};
  if (text.empty()) return d;
  const auto full = persistence::sha256(text);
  std::copy_n(full.begin(), d.size(), d.begin());
  return d;
}

const member_record* pod_record::member(const std::string& user_id) const {
  auto i = members.find(user_id);
  return i == members.end() ? nullptr : &i->second;
}

const pledge_record* pod_record::pledge(const std::string& pledge_id) const {
  auto i = funds->pledge_index.find(pledge_id);
  return i == funds->pledge_index.end() ? nullptr : &funds->pledges[i->second];
}

pledge_status effective_status(const pledge_record& p, std::int64_t now_ms) {
  if (p.status == pledge_status::pledged && p.due_at_ms != 0 && p.due_at_ms <= now_ms)
    return pledge_status::expired;
  return p.status;
}

result<void> apply_event(std::optional<pod_record>& pod, const pod_event& event) {
  if (const auto* created = std::get_if<pod_created>(&event)) return apply_created(pod, *created);
  if (!pod) return corrupt(std::string(event_type_of(event)) + " before CrowdPodCreated");
  auto applied = apply_to(*pod, event);
  if (!applied) return applied;
  pod->updated_at_ms = std::max(pod->updated_at_ms, at_of(event));
  return {};
}

result<events> decide_create(const create_pod& cmd) {
  auto cur = money_currency(cmd.currency);
  if (!cur) return cur.error();
  auto name = validate_pod_name(cmd.name);
  if (!name) return name.error();
  auto pol =
      make_policy(cmd.policy.spending_limit, cmd.policy.voting_quorum, cmd.policy.risk_tier, *cur);
  if (!pol) return pol.error();
  std::optional<contribution_cycle> cycle;
  if (!cmd.cycle.period.empty() || !cmd.cycle.starts_at.empty()) {
    auto c = make_cycle(cmd.cycle.period, cmd.cycle.starts_at);
    if (!c) return c.error();
    cycle = *c;
  }
  auto owner = validate_user_id(cmd.owner_id, "owner_id");
  if (!owner) return owner.error();
  pod_created created{
      cmd.pod_id,          cmd.owner_id,        std::move(*name),           *cur, *pol, cycle,
      cmd.requested_at_ms, cmd.idempotency.key, cmd.idempotency.fingerprint};
  member_joined creator{cmd.owner_id, member_role::admin, cmd.owner_id, cmd.requested_at_ms};
  return events{std::move(created), std::move(creator)};
}

result<events> decide(const pod_record& pod, const update_policy& cmd) {
  if (auto ok = require_role(pod, cmd.by, pod_action::change_policy); !ok) return ok.error();
  if (auto ok = require_open(pod, "change its policy"); !ok) return ok.error();
  const auto& c = cmd.changes;
  auto pol = make_policy(
      c.spending_limit.empty() ? pod.policy.spending_limit.to_string() : c.spending_limit,
      c.voting_quorum.empty() ? pod.policy.voting_quorum.to_string() : c.voting_quorum,
      c.risk_tier.empty() ? std::string(to_string(pod.policy.tier)) : c.risk_tier,
      pod.pod_currency);
  if (!pol) return pol.error();
  // The version counts changes: a PATCH that changes nothing records nothing.
  if (*pol == pod.policy) return events{};
  return events{policy_updated{*pol, pod.pod_currency, pod.policy_version + 1, cmd.by.subject,
                               cmd.requested_at_ms}};
}

result<events> decide(const pod_record& pod, const change_pod_status& cmd) {
  if (auto ok = require_role(pod, cmd.by, pod_action::change_status); !ok) return ok.error();
  auto next = next_status(pod.status, cmd.transition);
  if (!next) {
    return fail(errc::illegal_transition, "pod " + pod.pod_id + " is " +
                                              std::string(to_string(pod.status)) + ": " +
                                              next.error().detail);
  }
  if (cmd.reason.size() > 500)
    return fail(errc::invalid_argument, "reason must be at most 500 bytes", "reason");
  events out;
  if (*next == pod_status::closed) {
    const auto in_flight = static_cast<std::size_t>(
        std::count_if(pod.funds->payouts.begin(), pod.funds->payouts.end(),
                      [](const auto& p) { return p.second.status == payout_status::reserved; }));
    if (in_flight > 0 && cmd.transition == pod_transition::voluntary_closure)
      return fail(errc::illegal_transition,
                  "pod " + pod.pod_id + " has " + std::to_string(in_flight) +
                      " payout(s) in flight; close it once they finish, or force-close it");
    // Money in a CLOSED pod could never leave (payouts need ACTIVE): it leaves first, each
    // currency by a payout in that currency. A force-close keeps it, frozen.
    if (cmd.transition == pod_transition::voluntary_closure) {
      std::string held;
      for (const auto& [code, totals] : totals_of(pod, cmd.requested_at_ms)) {
        if (totals.posted_minor == 0) continue;
        held += (held.empty() ? "" : ", ") + std::to_string(totals.posted_minor) +
                " minor units of " + code;
      }
      if (!held.empty())
        return fail(errc::illegal_transition, "pod " + pod.pod_id + " still holds " + held +
                                                  "; pay it out before closing the pod");
    }
    // Money promised to a closed pod can never arrive: release every open hold first.
    for (const auto& p : pod.funds->pledges) {
      if (p.status == pledge_status::pledged)
        out.push_back(pledge_cancelled{p.pledge_id, "pod closed", cmd.requested_at_ms});
    }
    for (const auto& [id, p] : pod.funds->payouts) {
      if (p.status == payout_status::reserved)
        out.push_back(payout_released{id, "pod force-closed", cmd.requested_at_ms});
    }
  }
  out.push_back(status_changed{cmd.transition, cmd.reason, cmd.by.subject, cmd.requested_at_ms});
  return out;
}

result<events> decide(const pod_record& pod, const add_member& cmd) {
  if (auto ok = require_role(pod, cmd.by, pod_action::manage_members); !ok) return ok.error();
  if (auto ok = require_open(pod, "add members"); !ok) return ok.error();
  auto user = validate_user_id(cmd.user_id, "user_id");
  if (!user) return user.error();
  auto role = parse_member_role(cmd.role, "role");
  if (!role) return role.error();
  if (pod.member(*user))
    return fail(errc::already_exists,
                in_quotes(*user) + " is already a member of pod " + pod.pod_id, "user_id");
  if (pod.members.size() >= max_members_per_pod)
    return fail(errc::invalid_argument, "pod " + pod.pod_id + " already has the most members (" +
                                            std::to_string(max_members_per_pod) + ")");
  return events{member_joined{*user, *role, cmd.by.subject, cmd.requested_at_ms}};
}

result<events> decide(const pod_record& pod, const change_member_role& cmd) {
  if (auto ok = require_role(pod, cmd.by, pod_action::manage_members); !ok) return ok.error();
  if (auto ok = require_open(pod, "change roles"); !ok) return ok.error();
  auto role = parse_member_role(cmd.role, "role");
  if (!role) return role.error();
  const auto* m = pod.member(cmd.user_id);
  if (!m)
    return fail(errc::not_found, "no member " + in_quotes(cmd.user_id) + " in pod " + pod.pod_id,
                "user_id");
  if (m->role == *role) return events{};
  if (m->role == member_role::admin && admin_count(pod) == 1)
    return fail(errc::illegal_transition,
                "the last ADMIN of pod " + pod.pod_id + " cannot be demoted", "role");
  return events{
      member_role_changed{cmd.user_id, *role, m->role, cmd.by.subject, cmd.requested_at_ms}};
}

result<events> decide(const pod_record& pod, const remove_member& cmd) {
  if (auto ok = require_role(pod, cmd.by, pod_action::manage_members); !ok) return ok.error();
  if (auto ok = require_open(pod, "remove members"); !ok) return ok.error();
  const auto* m = pod.member(cmd.user_id);
  if (!m)
    return fail(errc::not_found, "no member " + in_quotes(cmd.user_id) + " in pod " + pod.pod_id,
                "user_id");
  if (m->role == member_role::admin && admin_count(pod) == 1)
    return fail(errc::illegal_transition,
                "the last ADMIN of pod " + pod.pod_id + " cannot be removed", "user_id");
  // Money a member promised is theirs to send: leaving cancels their open pledges (their holds
  // are voided), so none is settled later in the name of someone outside the pod.
  events out;
  for (const auto& p : pod.funds->pledges)
    if (p.status == pledge_status::pledged && p.user_id == cmd.user_id)
      out.push_back(pledge_cancelled{p.pledge_id, "member removed", cmd.requested_at_ms});
  out.push_back(member_removed{cmd.user_id, cmd.by.subject, cmd.requested_at_ms});
  return out;
}

result<events> decide(const pod_record& pod, const make_pledge& cmd) {
  if (auto ok = require_active(pod, "pledging"); !ok) return ok.error();
  auto user = validate_user_id(cmd.user_id, "user_id");
  if (!user) return user.error();
  const auto* m = pod.member(*user);
  if (!m)
    return fail(errc::not_found, "no member " + in_quotes(*user) + " in pod " + pod.pod_id,
                "user_id");
  if (!role_allows(m->role, pod_action::pledge))
    return fail(errc::role_forbidden,
                "a " + std::string(to_string(m->role)) + " may not pledge in pod " + pod.pod_id,
                "user_id");
  // A member pledges for themselves; an ADMIN or TREASURER may record a pledge for another (a
  // pledge that expires unsettled costs its member reputation).
  if (cmd.by.subject != *user) {
    if (auto ok = require_role(pod, cmd.by, pod_action::pledge_for_member); !ok) return ok.error();
  }
  if (cmd.amount_minor <= 0)
    return fail(errc::invalid_amount, "amount_minor must be a positive integer", "amount_minor");
  auto cur = money_currency(cmd.currency);
  if (!cur) return cur.error();
  if (pod.funds->pledges.size() >= max_pledges_per_pod)
    return fail(errc::invalid_argument, "pod " + pod.pod_id + " holds the most pledges (" +
                                            std::to_string(max_pledges_per_pod) + ")");
  // Posted plus pending of this currency must stay within int64: overflow is an error.
  std::int64_t held = 0;
  if (auto t = pod.funds->pledge_totals.find(cur->code());
      t != pod.funds->pledge_totals.end() &&
      __builtin_add_overflow(t->second.pledged_minor, t->second.settled_minor, &held))
    return fail(errc::amount_overflow, "the pod's balance would overflow", "amount_minor");
  std::int64_t ceiling = 0;  // the currency's posted money once every pledge of it settled
  if (__builtin_add_overflow(held, cmd.amount_minor, &ceiling))
    return fail(errc::amount_overflow, "the pod's balance would overflow", "amount_minor");
  // Payouts returned in this currency are posted money too: a return credits the payout's
  // currency without a pledge (what payouts sold only lowers it).
  if (auto x = pod.funds->payout_totals.find(cur->code());
      x != pod.funds->payout_totals.end() && x->second.posted_minor > 0 &&
      __builtin_add_overflow(ceiling, x->second.posted_minor, &ceiling))
    return fail(errc::amount_overflow, "the pod's balance would overflow", "amount_minor");
  std::int64_t cycle = 0, due = cmd.due_at_ms;
  if (pod.cycle) {
    if (auto n = pod.cycle->number_at(cmd.requested_at_ms)) {
      cycle = *n;
      if (due == 0) due = pod.cycle->start_of(*n + 1);
    }
  }
  if (cmd.due_at_ms != 0 && cmd.due_at_ms <= cmd.requested_at_ms)
    return fail(errc::invalid_argument, "due_at must be in the future", "due_at");
  return events{funds_pledged{cmd.pledge_id, *user, cmd.amount_minor, *cur, cycle, due,
                              cmd.requested_at_ms, cmd.idempotency.key,
                              cmd.idempotency.fingerprint}};
}

result<events> decide(const pod_record& pod, const settle_pledge& cmd) {
  if (auto ok = require_role(pod, cmd.by, pod_action::settle_pledge); !ok) return ok.error();
  if (auto ok = require_active(pod, "settling"); !ok) return ok.error();
  const auto* p = pod.pledge(cmd.pledge_id);
  if (!p)
    return fail(errc::not_found, "no pledge " + cmd.pledge_id + " in pod " + pod.pod_id,
                "pledge_id");
  const auto status = effective_status(*p, cmd.requested_at_ms);
  if (status != pledge_status::pledged) {
    return fail(errc::illegal_transition, "pledge " + p->pledge_id + " is " +
                                              std::string(to_string(status)) +
                                              "; only a PLEDGED pledge can be settled");
  }
  return events{pledge_settled{p->pledge_id, cmd.by.subject, cmd.requested_at_ms}};
}

namespace {

/// The wallet's available amount of `cur` (posted minus reserved for payouts).
std::int64_t available_in(const pod_record& pod, const currency& cur, std::int64_t now_ms) {
  auto totals = totals_of(pod, now_ms);
  auto i = totals.find(std::string(cur.code()));
  return i == totals.end() ? 0 : i->second.posted_minor - i->second.reserved_minor;
}

/// The wallet currency a payout in `payout_cur` is paid from: the payout's own currency when it
/// is the pod's, or when the wallet has at least the amount of it available (then nothing is
/// sold), else the pod's. A check says which it would be; a reservation chooses again, as the
/// wallet is now (another payout may have drawn on that currency since the check), unless it
/// names the pod's currency (sagas started before there was a choice name none: the pod's).
/// The saga follows the reservation's answer (`hold_currency`).
result<currency> funding_of(const pod_record& pod, const payout_command& cmd,
                            const currency& payout_cur) {
  if (cmd.action != payout_action::check) {
    if (cmd.hold_currency.empty()) return pod.pod_currency;
    auto named = currency::from_code(cmd.hold_currency);
    if (!named || !(*named == pod.pod_currency || *named == payout_cur))
      return fail(errc::invalid_argument,
                  "a payout is paid from the pod's currency or from its own", "hold_currency");
    if (*named == pod.pod_currency) return pod.pod_currency;
  }
  if (payout_cur == pod.pod_currency ||
      available_in(pod, payout_cur, cmd.requested_at_ms) >= cmd.amount_minor)
    return payout_cur;
  return pod.pod_currency;
}

/// ceil(quorum x voters), at least 1; quorum is in (0, 1] so this never exceeds `voters` + 1.
std::int64_t approvals_for(const decimal& quorum, std::int64_t voters) {
  if (voters <= 0) return 1;
  const detail::int128 scale = detail::pow10_128(quorum.scale);
  const detail::int128 product = static_cast<detail::int128>(quorum.coefficient) * voters;
  auto needed = static_cast<std::int64_t>((product + scale - 1) / scale);
  return std::max<std::int64_t>(needed, 1);
}

/// insufficient_funds unless the wallet has `needed` of `cur` available.
result<void> require_available(const pod_record& pod, std::int64_t needed, const currency& cur,
                               std::int64_t now_ms) {
  const auto available = available_in(pod, cur, now_ms);
  if (needed <= available) return {};
  return fail(errc::insufficient_funds,
              "pod " + pod.pod_id + " has " + std::to_string(available) + " minor units of " +
                  std::string(cur.code()) + " available; the payout needs " +
                  std::to_string(needed),
              "amount_minor");
}

/// The reserved event a payout request would make, after checking everything about it but the
/// wallet's balance.
result<payout_reserved> payout_request(const pod_record& pod, const payout_command& cmd) {
  if (auto ok = require_role(pod, cmd.by, pod_action::request_payout); !ok) return ok.error();
  if (auto ok = require_active(pod, "paying out"); !ok) return ok.error();
  if (auto id = payout_id::parse(cmd.payout_id); !id)
    return fail(id.error().code, id.error().detail, "payout_id");
  auto cur = money_currency(cmd.currency);
  if (!cur) return cur.error();
  if (cmd.amount_minor <= 0)
    return fail(errc::invalid_amount, "amount_minor must be a positive integer", "amount_minor");
  // A bank transfer (ISO 20022) carries at most 18 digits: refused here, not at the rail.
  if (cmd.amount_minor > 999'999'999'999'999'999)
    return fail(errc::invalid_amount, "amount_minor must have at most 18 digits", "amount_minor");
  const auto name_size = cmd.beneficiary_name.size();
  if (name_size == 0 || name_size > 140)
    return fail(errc::invalid_argument, "beneficiary.name must be 1 to 140 bytes",
                "beneficiary.name");
  auto funding = funding_of(pod, cmd, *cur);
  if (!funding) return funding.error();
  payout_reserved e;
  e.payout_id = cmd.payout_id;
  // Paid from its own currency, a payout holds its amount; sold from the pod's, what the
  // caller estimated the sale at.
  e.hold_minor = *funding == *cur ? cmd.amount_minor : cmd.hold_minor;
  e.hold_currency = *funding;
  e.amount_minor = cmd.amount_minor;
  e.payout_currency = *cur;
  e.beneficiary_name = cmd.beneficiary_name;
  e.by = cmd.by.subject;
  e.voters = static_cast<std::int64_t>(
      std::count_if(pod.members.begin(), pod.members.end(),
                    [](const auto& m) { return m.second.role != member_role::observer; }));
  e.approvals_needed = approvals_for(pod.policy.voting_quorum, e.voters);
  // In the pod's currency the amount counts against the limit; in another, what the caller
  // estimated it at in the pod's currency (the sale it would take), whichever currency pays.
  const std::int64_t in_pod_currency = *cur == pod.pod_currency ? cmd.amount_minor : cmd.hold_minor;
  auto limit = pod.policy.spending_limit_in(pod.pod_currency);
  e.above_spending_limit = limit && in_pod_currency > limit->amount_minor();
  e.tier = pod.policy.tier;
  e.at_ms = cmd.requested_at_ms;
  return e;
}

result<events> decide_reserve(const pod_record& pod, const payout_command& cmd) {
  // A retry of a reservation (same payout, amount and currency) finds it, whatever has changed
  // since: the hold it asks for (a fresh rate), the pod's state or the requester's role. Else an
  // attempt whose answer was lost could never learn that its money is held.
  if (auto i = pod.funds->payouts.find(cmd.payout_id); i != pod.funds->payouts.end()) {
    const auto& r = i->second.reserved;
    if (r.amount_minor == cmd.amount_minor && r.payout_currency.code() == cmd.currency)
      return events{};
    return fail(errc::already_exists, "payout " + cmd.payout_id + " was reserved with other amounts",
                "payout_id");
  }
  auto request = payout_request(pod, cmd);
  if (!request) return request.error();
  if (cmd.hold_minor <= 0)
    return fail(errc::invalid_amount, "the hold must be a positive amount", "hold_minor");
  if (request->payout_currency == pod.pod_currency && cmd.hold_minor != cmd.amount_minor)
    return fail(errc::invalid_amount, "a payout in the pod's currency holds exactly its amount",
                "hold_minor");
  if (pod.funds->payouts.size() >= max_payouts_per_pod)
    return fail(errc::invalid_argument, "pod " + pod.pod_id + " already has the most payouts (" +
                                            std::to_string(max_payouts_per_pod) + ")");
  if (auto ok =
          require_available(pod, request->hold_minor, request->hold_currency, cmd.requested_at_ms);
      !ok)
    return ok.error();
  return events{std::move(*request)};
}

result<events> decide_post(const pod_record& pod, const payout_record& p,
                           const payout_command& cmd) {
  if (p.status == payout_status::posted || p.status == payout_status::reversed) return events{};
  if (p.status != payout_status::reserved)
    return fail(errc::illegal_transition, "payout " + p.reserved.payout_id + " is " +
                                              std::string(to_string(p.status)) +
                                              "; only a RESERVED payout can be posted");
  // Money leaves only an ACTIVE pod: one suspended (a risk flag) or closed since the hold was
  // made refuses the posting, and the saga's compensation releases the hold.
  if (auto ok = require_active(pod, "posting a payout"); !ok) return ok.error();
  const auto& r = p.reserved;
  const bool fx = !(r.payout_currency == r.hold_currency);
  if (cmd.sell_minor <= 0 || cmd.sell_minor > r.hold_minor)
    return fail(errc::invalid_amount, "the sale must be positive and within the hold of " +
                                          std::to_string(r.hold_minor),
                "sell_minor");
  if (!fx && (cmd.sell_minor != r.amount_minor || !cmd.quote_id.empty()))
    return fail(errc::invalid_amount, "a payout in the pod's currency posts exactly its amount",
                "sell_minor");
  if (fx && (cmd.quote_id.empty() || cmd.rate.empty()))
    return fail(errc::invalid_argument, "a payout in another currency needs its locked quote",
                "quote_id");
  if (fx && cmd.buy_minor < r.amount_minor)
    return fail(errc::invalid_amount, "the FX sale buys less than the payout's amount",
                "buy_minor");
  payout_posted e;
  e.payout_id = r.payout_id;
  e.hold_minor = r.hold_minor;
  e.hold_currency = r.hold_currency;
  e.sell_minor = cmd.sell_minor;
  e.buy_minor = fx ? cmd.buy_minor : cmd.sell_minor;
  e.amount_minor = r.amount_minor;
  e.payout_currency = r.payout_currency;
  e.rate = fx ? cmd.rate : std::string{};
  e.quote_id = fx ? cmd.quote_id : std::string{};
  e.at_ms = cmd.requested_at_ms;
  return events{std::move(e)};
}

}  // namespace

result<events> decide(const pod_record& pod, const payout_command& cmd) {
  if (cmd.action == payout_action::check) {
    auto request = payout_request(pod, cmd);
    if (!request) return request.error();
    // Paid from its own currency the cost is known now (and funding_of found it available);
    // sold from the pod's, it is known at reservation.
    if (request->payout_currency == pod.pod_currency) {
      if (auto ok = require_available(pod, cmd.amount_minor, pod.pod_currency, cmd.requested_at_ms);
          !ok)
        return ok.error();
    }
    return events{};
  }
  if (cmd.action == payout_action::reserve) return decide_reserve(pod, cmd);
  auto i = pod.funds->payouts.find(cmd.payout_id);
  if (i == pod.funds->payouts.end())
    return fail(errc::not_found, "no payout " + cmd.payout_id + " in pod " + pod.pod_id,
                "payout_id");
  const auto& p = i->second;
  if (cmd.reason.size() > 500)
    return fail(errc::invalid_argument, "reason must be at most 500 bytes", "reason");
  switch (cmd.action) {
    case payout_action::post:
      return decide_post(pod, p, cmd);
    case payout_action::release:
      // Nothing is held any more once a payout was posted, released or reversed.
      if (p.status != payout_status::reserved) return events{};
      return events{payout_released{cmd.payout_id, cmd.reason, cmd.requested_at_ms}};
    case payout_action::vote: {
      if (std::find(p.voters.begin(), p.voters.end(), cmd.voter) != p.voters.end())
        return events{};  // one vote per member: a repeat records nothing
      const auto* m = pod.member(cmd.voter);
      if (!m)
        return fail(errc::not_found, "no member " + in_quotes(cmd.voter) + " in pod " + pod.pod_id,
                    "user_id");
      if (!role_allows(m->role, pod_action::vote))
        return fail(errc::role_forbidden, in_quotes(cmd.voter) + " may not vote in pod " + pod.pod_id,
                    "user_id");
      if (m->joined_at_ms > p.reserved.at_ms)
        return fail(errc::role_forbidden, "this member joined after the payout's hold was made",
                    "user_id");
      if (m->voting_since_ms > p.reserved.at_ms)
        return fail(errc::role_forbidden,
                    "this member was an OBSERVER when the payout's hold was made", "user_id");
      return events{payout_vote_cast{cmd.payout_id, cmd.voter, cmd.approve, cmd.requested_at_ms}};
    }
    case payout_action::reverse:
      if (p.status == payout_status::reversed) return events{};
      if (p.status != payout_status::posted)
        return fail(errc::illegal_transition, "payout " + cmd.payout_id + " is " +
                                                  std::string(to_string(p.status)) +
                                                  "; only a POSTED payout can be reversed");
      {
        // Pending pledges of that currency may still settle into the same posted balance.
        const auto totals = totals_of(pod, cmd.requested_at_ms);
        const auto t = totals.find(std::string(p.reserved.payout_currency.code()));
        std::int64_t sum = 0;
        if (t != totals.end() &&
            (__builtin_add_overflow(t->second.posted_minor, t->second.pending_minor, &sum) ||
             __builtin_add_overflow(sum, p.reserved.amount_minor, &sum)))
          return fail(errc::amount_overflow, "crediting the payout back would overflow the wallet",
                      "amount_minor");
      }
      return events{payout_reversed{cmd.payout_id, p.reserved.amount_minor,
                                    p.reserved.payout_currency, cmd.reason, cmd.requested_at_ms}};
    default:
      return events{};
  }
}

void recount_funds(pod_record& pod) {
  if (pod.funds->pledges.empty() && pod.funds->payouts.empty()) return;
  auto& funds = pod.funds.write();
  funds.pledge_totals.clear();
  funds.open_due.clear();
  for (std::size_t i = 0; i < funds.pledges.size(); ++i) {
    const auto& p = funds.pledges[i];
    // Every currency ever pledged has its row, as when the pledges were applied one by one
    // (a currency whose pledges all expired still shows in the balance, at zero).
    auto& sums = funds.pledge_totals[std::string(p.pledge_currency.code())];
    if (p.status == pledge_status::pledged) {
      count_open_pledge(funds, p, i);
    } else if (p.status == pledge_status::settled) {
      sums.settled_minor += p.amount_minor;
    }
  }
  funds.payout_totals.clear();
  for (const auto& [id, p] : funds.payouts) count_payout(pod, p, +1);
}

std::string_view to_string(payout_status s) noexcept {
  switch (s) {
    case payout_status::reserved:
      return "RESERVED";
    case payout_status::posted:
      return "POSTED";
    case payout_status::released:
      return "RELEASED";
    case payout_status::reversed:
      return "REVERSED";
  }
  return "UNKNOWN";
}

std::optional<payout_status> payout_status_from_string(std::string_view text) noexcept {
  for (auto s : {payout_status::reserved, payout_status::posted, payout_status::released,
                 payout_status::reversed})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

namespace {

payout_view governance_view(const pod_record& pod, const payout_reserved& r) {
  payout_view v;
  v.payout_id = r.payout_id;
  v.pod_id = pod.pod_id;
  v.hold_minor = r.hold_minor;
  v.hold_currency = std::string(r.hold_currency.code());
  v.pod_currency = std::string(pod.pod_currency.code());
  v.amount_minor = r.amount_minor;
  v.currency = std::string(r.payout_currency.code());
  v.beneficiary_name = r.beneficiary_name;
  v.requested_by = r.by;
  v.created_at_ms = r.at_ms;
  v.updated_at_ms = r.at_ms;
  v.above_spending_limit = r.above_spending_limit;
  v.voters = r.voters;
  v.approvals_needed = r.approvals_needed;
  v.risk_tier = std::string(to_string(r.tier));
  return v;
}

}  // namespace

payout_view view_of(const pod_record& pod, const payout_record& p) {
  auto v = governance_view(pod, p.reserved);
  v.status = std::string(to_string(p.status));
  v.sell_minor = p.sell_minor;
  v.buy_minor = p.buy_minor;
  if (p.status == payout_status::posted || p.status == payout_status::reversed)
    v.fx_rounding_minor = p.quote_id.empty() ? 0 : p.buy_minor - p.reserved.amount_minor;
  v.rate = p.rate;
  v.quote_id = p.quote_id;
  v.reason = p.reason;
  v.updated_at_ms = p.updated_at_ms;
  return v;
}

payout_view check_view(const pod_record& pod, const payout_command& cmd) {
  auto request = payout_request(pod, cmd);
  return request ? governance_view(pod, *request) : payout_view{};
}

std::vector<pod_event> expire_due_pledges(const pod_record& pod, std::int64_t now_ms) {
  // In the order the pledges were made, as the journal always had them.
  std::vector<std::size_t> due;
  for (const auto& [at_ms, position] : pod.funds->open_due) {
    if (at_ms > now_ms) break;
    due.push_back(position);
  }
  std::sort(due.begin(), due.end());
  std::vector<pod_event> out;
  out.reserve(due.size());
  for (auto position : due)
    out.push_back(pledge_expired{pod.funds->pledges[position].pledge_id, now_ms});
  return out;
}

pod_view view_of(const pod_record& pod, std::int64_t version) {
  pod_view v;
  v.pod_id = pod.pod_id;
  v.name = pod.name;
  v.currency = std::string(pod.pod_currency.code());
  v.status = std::string(to_string(pod.status));
  v.policy = {pod.policy.spending_limit.to_string(), pod.policy.voting_quorum.to_string(),
              std::string(to_string(pod.policy.tier))};
  v.owner_id = pod.owner_id;
  v.created_at_ms = pod.created_at_ms;
  v.updated_at_ms = pod.updated_at_ms;
  v.version = version;
  v.policy_version = pod.policy_version;
  if (pod.cycle) {
    v.cycle.period = std::string(to_string(pod.cycle->period));
    v.cycle.starts_at = format_rfc3339_utc(pod.cycle->starts_at_ms);
  }
  v.member_count = static_cast<std::int64_t>(pod.members.size());
  return v;
}

member_view view_of(const pod_record& pod, const std::string& user_id, std::int64_t now_ms) {
  member_view v;
  const auto* m = pod.member(user_id);
  if (!m) return v;
  v.user_id = user_id;
  v.role = std::string(to_string(m->role));
  v.joined_at_ms = m->joined_at_ms;
  auto counters = m->reputation;
  // Pledges past due but not yet journaled as expired count as missed already, unless the pod is
  // SUSPENDED: their expiry will then be journaled while it is, and not count (resolve_pledge).
  for (const auto& [due, position] : pod.funds->open_due) {
    if (due > now_ms || pod.status == pod_status::suspended) break;
    if (pod.funds->pledges[position].user_id == user_id) ++counters.pledges_missed;
  }
  v.pledges_settled_on_time = counters.pledges_settled_on_time;
  v.pledges_missed = counters.pledges_missed;
  v.votes_cast = counters.votes_cast;
  v.reputation_score = reputation_score(counters);
  return v;
}

pledge_view view_of(const pod_record& pod, const pledge_record& p, std::int64_t now_ms) {
  return {p.pledge_id,
          pod.pod_id,
          p.user_id,
          p.amount_minor,
          std::string(p.pledge_currency.code()),
          std::string(to_string(effective_status(p, now_ms))),
          p.cycle,
          p.due_at_ms,
          p.created_at_ms,
          p.settled_at_ms};
}

member_page page_of(const pod_record& pod, const list_members& q) {
  member_page page;
  auto it = q.after.empty() ? pod.members.begin() : pod.members.upper_bound(q.after);
  for (; it != pod.members.end() && static_cast<std::int64_t>(page.items.size()) < q.limit; ++it)
    page.items.push_back(view_of(pod, it->first, q.requested_at_ms));
  if (it != pod.members.end() && !page.items.empty()) page.next_after = page.items.back().user_id;
  return page;
}

result<pledge_page> page_of(const pod_record& pod, const list_pledges& q) {
  std::optional<pledge_status> wanted;
  if (!q.status.empty()) {
    wanted = pledge_status_from_string(q.status);
    if (!wanted)
      return fail(errc::invalid_argument, "status must be PLEDGED, SETTLED, EXPIRED or CANCELLED",
                  "status");
  }
  pledge_page page;
  auto i = static_cast<std::size_t>(std::max<std::int64_t>(q.after, 0));
  for (; i < pod.funds->pledges.size(); ++i) {
    if (static_cast<std::int64_t>(page.items.size()) == q.limit) break;
    const auto& p = pod.funds->pledges[i];
    if (wanted && effective_status(p, q.requested_at_ms) != *wanted) continue;
    page.items.push_back(view_of(pod, p, q.requested_at_ms));
  }
  // A full page has a next one only if another pledge matches: go to it (a page of none would
  // tell the client nothing but "the end").
  while (wanted && i < pod.funds->pledges.size() &&
         effective_status(pod.funds->pledges[i], q.requested_at_ms) != *wanted)
    ++i;
  // `i` is the position of the next pledge to look at; a cursor of i resumes there.
  if (i < pod.funds->pledges.size()) page.next_after = static_cast<std::int64_t>(i);
  return page;
}

balance_view balance_of(const pod_record& pod, std::int64_t version, std::int64_t now_ms,
                        const adapters::fx_rate_source* rates) {
  balance_view v;
  v.pod_id = pod.pod_id;
  v.currency = std::string(pod.pod_currency.code());
  v.version = version;
  v.as_of_ms = now_ms;
  detail::int128 total = 0;  // the sum is checked once, so its order does not matter
  for (const auto& [code, t] : totals_of(pod, now_ms)) {
    v.balances.push_back({code, t.posted_minor, t.pending_minor, t.reserved_minor});
    const std::int64_t available = t.posted_minor - t.reserved_minor;
    std::int64_t converted = available;
    // Nothing available needs no rate: a currency whose pledges all expired, or that was paid
    // out, must not leave the total unknown for want of one.
    if (code != v.currency && available != 0) {
      auto quote = rates ? rates->rate(code, v.currency) : std::nullopt;
      auto from = currency::from_code(code);
      auto rate = quote && from ? fx_rate::parse(*from, pod.pod_currency, quote->rate)
                                : result<fx_rate>(fail(errc::invalid_rate, "no rate"));
      if (!rate) {
        v.missing_rates.push_back(code);
        continue;
      }
      v.rates.push_back({code, v.currency, quote->rate, quote->as_of_ms});
      auto conv = convert(money::of_minor(available, *from), *rate);
      if (!conv) {  // the rate exists; the amount it gives does not fit
        v.total_out_of_range = true;
        continue;
      }
      converted = conv->converted.amount_minor();
    }
    total += converted;  // at most a few hundred currencies: 128 bits cannot overflow
  }
  if (!detail::fits_int64(total)) v.total_out_of_range = true;
  if (!v.total_out_of_range) v.total_available_minor = static_cast<std::int64_t>(total);
  return v;
}

result<cycle_view> cycle_of(const pod_record& pod, const get_cycle& q) {
  if (!pod.cycle)
    return fail(errc::not_found, "pod " + pod.pod_id + " has no contribution cycle", "cycle");
  // Past the last cycle RFC 3339 can date, a cycle's times would not be true.
  const std::int64_t last = std::min(max_cycle_number, pod.cycle->last_number());
  if (q.number < 1 || q.number > last)
    return fail(errc::invalid_cycle,
                "the cycle number must be between 1 and " + std::to_string(last), "n");
  cycle_view v;
  v.pod_id = pod.pod_id;
  v.number = q.number;
  v.starts_at_ms = pod.cycle->start_of(q.number);
  v.ends_at_ms = pod.cycle->start_of(q.number + 1);
  std::map<std::pair<std::string, std::string>, cycle_member_total> sums;
  // The currency totals the answer shows too: expired pledges count here, though no longer in
  // the pod's balance, so these sums are checked on their own.
  std::map<std::string, std::int64_t, std::less<>> totals;
  for (const auto& p : pod.funds->pledges) {
    if (p.cycle != q.number || p.status == pledge_status::cancelled) continue;
    const std::string code(p.pledge_currency.code());
    auto& t = sums[{p.user_id, code}];
    t.user_id = p.user_id;
    t.currency = code;
    if (__builtin_add_overflow(t.pledged_minor, p.amount_minor, &t.pledged_minor) ||
        __builtin_add_overflow(totals[code], p.amount_minor, &totals[code]))
      return fail(errc::amount_overflow,
                  "cycle " + std::to_string(q.number) + "'s pledges in " + code +
                      " add up past the largest amount payorch counts",
                  "cycle");
    if (p.status == pledge_status::settled) t.settled_minor += p.amount_minor;  // <= pledged
  }
  for (auto& [key, t] : sums) v.members.push_back(std::move(t));
  return v;
}

}  // namespace payorch::actors
