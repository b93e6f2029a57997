#include "actors/pod_events.hpp"

#include <boost/json.hpp>

#include "actors/json_fields.hpp"
#include "actors/overloaded.hpp"
#include "domain/time.hpp"

namespace payorch::actors {
namespace json = boost::json;

namespace {

failure corrupt(std::string what) {
  return fail(errc::internal_error, "journal payload is not a valid pod event: " + std::move(what));
}

json::object policy_json(const governance_policy& p) {
  return json::object{{"spending_limit", p.spending_limit.to_string()},
                      {"voting_quorum", p.voting_quorum.to_string()},
                      {"risk_tier", std::string(to_string(p.tier))}};
}

/// The pod events' members: json_fields plus currencies, roles and policies.
class reader : public json_fields {
 public:
  using json_fields::json_fields;

  currency currency_of(std::string_view key) {
    auto c = currency::from_code(text(key));
    if (!c) miss(key);
    return c ? *c : currency{};
  }
  member_role role_of(std::string_view key) {
    auto r = member_role_from_string(text(key));
    if (!r) miss(key);
    return r.value_or(member_role::observer);
  }
  governance_policy policy_of(std::string_view key, currency pod_currency) {
    const auto* p = object(key);
    if (!p) {
      miss(key);
      return {};
    }
    reader pr(*p);
    auto pol = make_policy(pr.text("spending_limit"), pr.text("voting_quorum"),
                           pr.text("risk_tier"), pod_currency);
    if (!pol) {
      miss(key);
      return {};
    }
    return *pol;
  }
};

json::object encode_body(const pod_event& event) {
  return std::visit(
      overloaded{
          [](const pod_created& e) {
            json::object o{{"owner_id", e.owner_id},
                           {"name", e.name},
                           {"currency", std::string(e.pod_currency.code())},
                           {"policy", policy_json(e.policy)},
                           {"created_at", e.at_ms}};
            if (e.cycle) {
              o["cycle"] = json::object{{"period", std::string(to_string(e.cycle->period))},
                                        {"starts_at", e.cycle->starts_at_ms}};
            }
            if (!e.idempotency_key.empty()) {
              o["idempotency_key"] = e.idempotency_key;
              o["request_fingerprint"] = e.request_fingerprint;
            }
            return o;
          },
          [](const member_joined& e) {
            return json::object{{"user_id", e.user_id},
                                {"role", std::string(to_string(e.role))},
                                {"by", e.by},
                                {"joined_at", e.at_ms}};
          },
          [](const member_role_changed& e) {
            return json::object{{"user_id", e.user_id},
                                {"role", std::string(to_string(e.role))},
                                {"previous_role", std::string(to_string(e.previous))},
                                {"by", e.by},
                                {"changed_at", e.at_ms}};
          },
          [](const member_removed& e) {
            return json::object{{"user_id", e.user_id}, {"by", e.by}, {"removed_at", e.at_ms}};
          },
          [](const policy_updated& e) {
            return json::object{{"policy", policy_json(e.policy)},
                                {"currency", std::string(e.pod_currency.code())},
                                {"policy_version", e.policy_version},
                                {"by", e.by},
                                {"updated_at", e.at_ms}};
          },
          [](const status_changed& e) {
            json::object o{{"by", e.by}, {"reason", e.reason}, {"at", e.at_ms}};
            if (e.transition == pod_transition::voluntary_closure ||
                e.transition == pod_transition::force_closure)
              o["closure"] = std::string(to_string(e.transition));
            return o;
          },
          [](const funds_pledged& e) {
            json::object o{{"pledge_id", e.pledge_id},
                           {"user_id", e.user_id},
                           {"amount_minor", e.amount_minor},
                           {"currency", std::string(e.pledge_currency.code())},
                           {"cycle", e.cycle},
                           {"due_at", e.due_at_ms},
                           {"pledged_at", e.at_ms}};
            if (!e.idempotency_key.empty()) {
              o["idempotency_key"] = e.idempotency_key;
              o["request_fingerprint"] = e.request_fingerprint;
            }
            return o;
          },
          [](const pledge_settled& e) {
            return json::object{{"pledge_id", e.pledge_id}, {"by", e.by}, {"settled_at", e.at_ms}};
          },
          [](const pledge_expired& e) {
            return json::object{{"pledge_id", e.pledge_id}, {"expired_at", e.at_ms}};
          },
          [](const pledge_cancelled& e) {
            return json::object{
                {"pledge_id", e.pledge_id}, {"reason", e.reason}, {"cancelled_at", e.at_ms}};
          },
          [](const payout_reserved& e) {
            return json::object{{"payout_id", e.payout_id},
                                {"hold_minor", e.hold_minor},
                                {"hold_currency", std::string(e.hold_currency.code())},
                                {"amount_minor", e.amount_minor},
                                {"currency", std::string(e.payout_currency.code())},
                                {"beneficiary_name", e.beneficiary_name},
                                {"by", e.by},
                                {"above_spending_limit", e.above_spending_limit},
                                {"voters", e.voters},
                                {"approvals_needed", e.approvals_needed},
                                {"risk_tier", std::string(to_string(e.tier))},
                                {"reserved_at", e.at_ms}};
          },
          [](const payout_posted& e) {
            return json::object{{"payout_id", e.payout_id},
                                {"hold_minor", e.hold_minor},
                                {"hold_currency", std::string(e.hold_currency.code())},
                                {"sell_minor", e.sell_minor},
                                {"buy_minor", e.buy_minor},
                                {"amount_minor", e.amount_minor},
                                {"currency", std::string(e.payout_currency.code())},
                                {"rate", e.rate},
                                {"quote_id", e.quote_id},
                                {"posted_at", e.at_ms}};
          },
          [](const payout_released& e) {
            return json::object{
                {"payout_id", e.payout_id}, {"reason", e.reason}, {"released_at", e.at_ms}};
          },
          [](const payout_reversed& e) {
            return json::object{{"payout_id", e.payout_id},
                                {"amount_minor", e.amount_minor},
                                {"currency", std::string(e.payout_currency.code())},
                                {"reason", e.reason},
                                {"reversed_at", e.at_ms}};
          },
          [](const payout_vote_cast& e) {
            return json::object{{"payout_id", e.payout_id},
                                {"user_id", e.user_id},
                                {"decision", e.approve ? "APPROVE" : "REJECT"},
                                {"voted_at", e.at_ms}};
          },
      },
      event);
}

std::int64_t time_of(const pod_event& event) {
  return std::visit([](const auto& e) { return e.at_ms; }, event);
}

/// The event type names of status_changed, by transition.
std::string_view status_event_name(pod_transition t) {
  switch (t) {
    case pod_transition::policy_accepted:
      return "PolicyAccepted";
    case pod_transition::risk_flagged:
      return "RiskFlagged";
    case pod_transition::manual_override:
      return "ManualOverride";
    case pod_transition::voluntary_closure:
    case pod_transition::force_closure:
      return "PodClosed";
  }
  return "PodStatusChanged";
}

result<pod_event> decode_status(reader& r, std::string_view type) {
  status_changed e;
  if (type == "PolicyAccepted") {
    e.transition = pod_transition::policy_accepted;
  } else if (type == "RiskFlagged") {
    e.transition = pod_transition::risk_flagged;
  } else if (type == "ManualOverride") {
    e.transition = pod_transition::manual_override;
  } else {
    auto t = pod_transition_from_string(r.text("closure"));
    if (!t || (*t != pod_transition::voluntary_closure && *t != pod_transition::force_closure))
      return corrupt("PodClosed without a closure kind");
    e.transition = *t;
  }
  e.by = r.text("by");
  e.reason = r.optional_text("reason");
  e.at_ms = r.integer("at");
  return pod_event{e};
}

result<pod_event> decode_body(std::string_view type, const json::object& o) {
  reader r(o);
  pod_event out;
  if (type == "CrowdPodCreated") {
    pod_created e;
    e.pod_id = r.text("pod_id");
    e.owner_id = r.text("owner_id");
    e.name = r.text("name");
    e.pod_currency = r.currency_of("currency");
    e.policy = r.policy_of("policy", e.pod_currency);
    e.at_ms = r.integer("created_at");
    if (const auto* c = r.object("cycle")) {
      reader cr(*c);
      auto period = cycle_period_from_string(cr.text("period"));
      auto start = cr.integer("starts_at");
      if (!period || !cr.missing().empty()) return corrupt("cycle");
      e.cycle = contribution_cycle{*period, start};
    }
    e.idempotency_key = r.optional_text("idempotency_key");
    e.request_fingerprint = r.optional_text("request_fingerprint");
    out = std::move(e);
  } else if (type == "MemberJoined") {
    out = member_joined{r.text("user_id"), r.role_of("role"), r.text("by"), r.integer("joined_at")};
  } else if (type == "MemberRoleChanged") {
    out = member_role_changed{r.text("user_id"), r.role_of("role"), r.role_of("previous_role"),
                              r.text("by"), r.integer("changed_at")};
  } else if (type == "MemberRemoved") {
    out = member_removed{r.text("user_id"), r.text("by"), r.integer("removed_at")};
  } else if (type == "PolicyUpdated") {
    policy_updated e;
    e.pod_currency = r.currency_of("currency");
    e.policy = r.policy_of("policy", e.pod_currency);
    e.policy_version = r.integer("policy_version");
    e.by = r.text("by");
    e.at_ms = r.integer("updated_at");
    out = std::move(e);
  } else if (type == "PolicyAccepted" || type == "RiskFlagged" || type == "ManualOverride" ||
             type == "PodClosed") {
    auto e = decode_status(r, type);
    if (!e) return e;
    out = std::move(*e);
  } else if (type == "FundsPledged") {
    funds_pledged e;
    e.pledge_id = r.text("pledge_id");
    e.user_id = r.text("user_id");
    e.amount_minor = r.integer("amount_minor");
    e.pledge_currency = r.currency_of("currency");
    e.cycle = r.integer("cycle");
    e.due_at_ms = r.integer("due_at");
    e.at_ms = r.integer("pledged_at");
    e.idempotency_key = r.optional_text("idempotency_key");
    e.request_fingerprint = r.optional_text("request_fingerprint");
    out = std::move(e);
  } else if (type == "PledgeSettled") {
    out = pledge_settled{r.text("pledge_id"), r.text("by"), r.integer("settled_at")};
  } else if (type == "PledgeExpired") {
    out = pledge_expired{r.text("pledge_id"), r.integer("expired_at")};
  } else if (type == "PledgeCancelled") {
    out =
        pledge_cancelled{r.text("pledge_id"), r.optional_text("reason"), r.integer("cancelled_at")};
  } else if (type == "PayoutReserved") {
    payout_reserved e;
    e.payout_id = r.text("payout_id");
    e.hold_minor = r.integer("hold_minor");
    e.hold_currency = r.currency_of("hold_currency");
    e.amount_minor = r.integer("amount_minor");
    e.payout_currency = r.currency_of("currency");
    e.beneficiary_name = r.text("beneficiary_name");
    e.by = r.text("by");
    e.above_spending_limit = r.flag("above_spending_limit");
    e.voters = r.integer("voters");
    e.approvals_needed = r.integer("approvals_needed");
    auto tier = risk_tier_from_string(r.text("risk_tier"));
    if (!tier) return corrupt("PayoutReserved.risk_tier");
    e.tier = *tier;
    e.at_ms = r.integer("reserved_at");
    out = std::move(e);
  } else if (type == "PayoutPosted") {
    payout_posted e;
    e.payout_id = r.text("payout_id");
    e.hold_minor = r.integer("hold_minor");
    e.hold_currency = r.currency_of("hold_currency");
    e.sell_minor = r.integer("sell_minor");
    e.buy_minor = r.integer("buy_minor");
    e.amount_minor = r.integer("amount_minor");
    e.payout_currency = r.currency_of("currency");
    e.rate = r.optional_text("rate");
    e.quote_id = r.optional_text("quote_id");
    e.at_ms = r.integer("posted_at");
    out = std::move(e);
  } else if (type == "PayoutReleased") {
    out = payout_released{r.text("payout_id"), r.optional_text("reason"), r.integer("released_at")};
  } else if (type == "PayoutReversed") {
    out = payout_reversed{r.text("payout_id"), r.integer("amount_minor"), r.currency_of("currency"),
                          r.optional_text("reason"), r.integer("reversed_at")};
  } else if (type == "PayoutVoteCast") {
    const auto decision = r.text("decision");
    if (decision != "APPROVE" && decision != "REJECT") return corrupt("PayoutVoteCast.decision");
    out = payout_vote_cast{r.text("payout_id"), r.text("user_id"), decision == "APPROVE",
                           r.integer("voted_at")};
  } else {
    return corrupt("unknown event type " + std::string(type));
  }
  if (!r.missing().empty()) return corrupt(std::string(type) + "." + r.missing());
  return out;
}

}  // namespace

std::string_view event_type_of(const pod_event& event) {
  return std::visit(
      overloaded{
          [](const pod_created&) { return std::string_view{"CrowdPodCreated"}; },
          [](const member_joined&) { return std::string_view{"MemberJoined"}; },
          [](const member_role_changed&) { return std::string_view{"MemberRoleChanged"}; },
          [](const member_removed&) { return std::string_view{"MemberRemoved"}; },
          [](const policy_updated&) { return std::string_view{"PolicyUpdated"}; },
          [](const status_changed& e) { return status_event_name(e.transition); },
          [](const funds_pledged&) { return std::string_view{"FundsPledged"}; },
          [](const pledge_settled&) { return std::string_view{"PledgeSettled"}; },
          [](const pledge_expired&) { return std::string_view{"PledgeExpired"}; },
          [](const pledge_cancelled&) { return std::string_view{"PledgeCancelled"}; },
          [](const payout_reserved&) { return std::string_view{"PayoutReserved"}; },
          [](const payout_posted&) { return std::string_view{"PayoutPosted"}; },
          [](const payout_released&) { return std::string_view{"PayoutReleased"}; },
          [](const payout_reversed&) { return std::string_view{"PayoutReversed"}; },
          [](const payout_vote_cast&) { return std::string_view{"PayoutVoteCast"}; },
      },
      event);
}

persistence::new_event encode_event(const std::string& pod_id, const pod_event& event) {
  auto body = encode_body(event);
  body["pod_id"] = pod_id;
  return {std::string(event_type_of(event)), json::serialize(body), time_of(event)};
}

encoded_event encode_with_outbox(const std::string& pod_id, std::int64_t version,
                                 const pod_event& event) {
  encoded_event out;
  out.journal = encode_event(pod_id, event);
  out.outbox = {version, std::string(pod_event_subject_prefix) + out.journal.event_type};
  return out;
}

result<std::string> pod_cloud_event(const persistence::outbox_entry& entry) {
  json::error_code ec;
  auto parsed = json::parse(entry.payload, ec);
  if (ec || !parsed.is_object()) {
    return corrupt(entry.event_type + " " + entry.message_id() + " (outbox position " +
                   std::to_string(entry.position) + ") is not a JSON object");
  }
  auto& data = parsed.get_object();
  data.erase("idempotency_key");
  data.erase("request_fingerprint");
  const json::object cloud_event{
      {"specversion", "1.0"},
      {"id", entry.message_id()},
      {"source", "/pods/" + entry.stream_id},
      {"type", entry.subject},
      {"subject", entry.stream_id},
      {"time", format_rfc3339_utc(entry.recorded_at_ms)},
      {"sequence", std::to_string(entry.version)},
      {"datacontenttype", "application/json"},
      {"data", std::move(data)},
  };
  return json::serialize(cloud_event);
}

result<pod_event> decode_event(const persistence::event_record& record) {
  json::error_code ec;
  auto v = json::parse(record.payload, ec);
  if (ec || !v.is_object()) return corrupt(record.event_type + " is not a JSON object");
  return decode_body(record.event_type, v.get_object());
}

std::string wallet_account(std::string_view pod_id) {
  return "pod:" + std::string(pod_id) + ":wallet";
}

std::string payouts_account(std::string_view pod_id) {
  return "pod:" + std::string(pod_id) + ":payouts";
}

std::string member_account(std::string_view pod_id, std::string_view user_id) {
  return "pod:" + std::string(pod_id) + ":member:" + std::string(user_id);
}

namespace {

/// A posted transaction's leg, left out when zero (the ledger refuses zero postings).
void leg(ledger_command& c, std::string_view account, const currency& cur, std::int64_t amount) {
  if (amount != 0) c.postings.push_back({std::string(account), std::string(cur.code()), amount});
}

/// Posts (`post_pending`) or voids (`void_pending`) the pending hold `pending_id`.
void resolve_hold(std::vector<ledger_command>& out, const std::string& pending_id,
                  ledger_phase phase) {
  ledger_command c;
  c.transaction_id = pending_id + (phase == ledger_phase::post_pending ? ":post" : ":void");
  c.phase = phase;
  c.pending_id = pending_id;
  out.push_back(std::move(c));
}

/// The ledger moves of the payout events; false for any other event.
bool append_payout_ledger(const std::string& pod_id, const pod_event& event,
                          std::vector<ledger_command>& out) {
  if (const auto* e = std::get_if<payout_reserved>(&event)) {
    ledger_command hold;
    hold.transaction_id = e->payout_id;
    hold.phase = ledger_phase::pending;
    leg(hold, wallet_account(pod_id), e->hold_currency, -e->hold_minor);
    leg(hold, payouts_account(pod_id), e->hold_currency, e->hold_minor);
    out.push_back(std::move(hold));
    return true;
  }
  if (const auto* e = std::get_if<payout_posted>(&event)) {
    resolve_hold(out, e->payout_id, ledger_phase::post_pending);
    ledger_command send;
    send.transaction_id = e->payout_id + ":send";
    send.phase = ledger_phase::posted;
    leg(send, payouts_account(pod_id), e->hold_currency, -e->hold_minor);
    leg(send, wallet_account(pod_id), e->hold_currency, e->hold_minor - e->sell_minor);
    if (e->quote_id.empty()) {
      leg(send, rail_outbound_account, e->payout_currency, e->sell_minor);
    } else {
      leg(send, fx_position_account, e->hold_currency, e->sell_minor);
      leg(send, fx_position_account, e->payout_currency, -e->buy_minor);
      leg(send, fx_rounding_account, e->payout_currency,
          e->buy_minor - e->amount_minor);
      leg(send, rail_outbound_account, e->payout_currency, e->amount_minor);
    }
    out.push_back(std::move(send));
    return true;
  }
  if (const auto* e = std::get_if<payout_released>(&event)) {
    resolve_hold(out, e->payout_id, ledger_phase::void_pending);
    return true;
  }
  if (const auto* e = std::get_if<payout_reversed>(&event)) {
    ledger_command back;
    back.transaction_id = e->payout_id + ":reverse";
    back.phase = ledger_phase::posted;
    leg(back, rail_outbound_account, e->payout_currency, -e->amount_minor);
    leg(back, wallet_account(pod_id), e->payout_currency, e->amount_minor);
    out.push_back(std::move(back));
    return true;
  }
  return false;
}

}  // namespace

void append_ledger(const std::string& pod_id, const pod_event& event,
                   std::vector<ledger_command>& out) {
  if (const auto* e = std::get_if<funds_pledged>(&event)) {
    ledger_command hold;
    hold.transaction_id = e->pledge_id;
    hold.phase = ledger_phase::pending;
    const std::string code(e->pledge_currency.code());
    hold.postings = {{member_account(pod_id, e->user_id), code, -e->amount_minor},
                     {wallet_account(pod_id), code, e->amount_minor}};
    hold.expires_at_ms = e->due_at_ms;
    out.push_back(std::move(hold));
    return;
  }
  if (append_payout_ledger(pod_id, event, out)) return;
  if (const auto* settled = std::get_if<pledge_settled>(&event)) {
    resolve_hold(out, settled->pledge_id, ledger_phase::post_pending);
  } else if (const auto* expired = std::get_if<pledge_expired>(&event)) {
    resolve_hold(out, expired->pledge_id, ledger_phase::void_pending);
  } else if (const auto* cancelled = std::get_if<pledge_cancelled>(&event)) {
    resolve_hold(out, cancelled->pledge_id, ledger_phase::void_pending);
  }
}

}  // namespace payorch::actors
