#include "gateway/pod_json.hpp"

#include <algorithm>

#include "domain/time.hpp"
#include "gateway/handler_support.hpp"

namespace payorch::gateway {

void write_pod(json_writer& w, const actors::pod_view& v) {
  w.begin_object()
      .field("pod_id", v.pod_id)
      .field("name", v.name)
      .field("currency", v.currency)
      .field("status", v.status);
  w.key("policy")
      .begin_object()
      .key("spending_limit")
      .raw_number(v.policy.spending_limit)
      .key("voting_quorum")
      .raw_number(v.policy.voting_quorum)
      .field("risk_tier", v.policy.risk_tier)
      .field("version", v.policy_version)
      .end_object();
  w.field("owner_id", v.owner_id);
  w.key("cycle");
  if (v.cycle.period.empty()) {
    w.null();
  } else {
    w.begin_object()
        .field("period", v.cycle.period)
        .field("starts_at", v.cycle.starts_at)
        .end_object();
  }
  w.field("member_count", v.member_count)
      .field("created_at", format_rfc3339_utc(v.created_at_ms))
      .field("updated_at", format_rfc3339_utc(v.updated_at_ms))
      .field("version", v.version)
      .end_object();
}

void write_member(json_writer& w, const actors::member_view& v) {
  w.begin_object()
      .field("user_id", v.user_id)
      .field("role", v.role)
      .field("joined_at", format_rfc3339_utc(v.joined_at_ms));
  w.key("reputation")
      .begin_object()
      .field("score", v.reputation_score)
      .field("pledges_settled_on_time", v.pledges_settled_on_time)
      .field("pledges_missed", v.pledges_missed)
      .field("votes_cast", v.votes_cast)
      .end_object();
  w.end_object();
}

void write_pledge(json_writer& w, const actors::pledge_view& v) {
  w.begin_object()
      .field("pledge_id", v.pledge_id)
      .field("pod_id", v.pod_id)
      .field("user_id", v.user_id)
      .field("amount_minor", v.amount_minor)
      .field("currency", v.currency)
      .field("status", v.status);
  w.key("cycle");
  if (v.cycle == 0)
    w.null();
  else
    w.integer(v.cycle);
  write_time_or_null(w, "due_at", v.due_at_ms);
  w.field("created_at", format_rfc3339_utc(v.created_at_ms));
  write_time_or_null(w, "settled_at", v.settled_at_ms);
  w.end_object();
}

void write_balance(json_writer& w, const actors::balance_view& v) {
  w.begin_object().field("pod_id", v.pod_id).field("currency", v.currency);
  w.key("balances").begin_array();
  for (const auto& b : v.balances) {
    w.begin_object()
        .field("currency", b.currency)
        .field("posted_minor", b.posted_minor)
        .field("pending_minor", b.pending_minor)
        .field("reserved_minor", b.reserved_minor)
        .field("available_minor", b.posted_minor - b.reserved_minor)
        .end_object();
  }
  w.end_array();
  w.key("total").begin_object().field("currency", v.currency);
  w.key("available_minor");
  if (v.missing_rates.empty() && !v.total_out_of_range)
    w.integer(v.total_available_minor);
  else
    w.null();
  w.key("missing_rates").begin_array();
  for (const auto& m : v.missing_rates) w.string(m);
  w.end_array().field("out_of_range", v.total_out_of_range).end_object();
  w.key("rates").begin_array();
  for (const auto& r : v.rates) {
    w.begin_object()
        .field("base", r.base)
        .field("quote", r.quote)
        .field("rate", r.rate)
        .field("as_of", format_rfc3339_utc(r.as_of_ms))
        .end_object();
  }
  w.end_array();
  w.field("as_of", format_rfc3339_utc(v.as_of_ms)).field("version", v.version).end_object();
}

void write_cycle(json_writer& w, const actors::cycle_view& v) {
  w.begin_object()
      .field("pod_id", v.pod_id)
      .field("cycle", v.number)
      .field("starts_at", format_rfc3339_utc(v.starts_at_ms))
      .field("ends_at", format_rfc3339_utc(v.ends_at_ms));
  // Per-currency totals first, then each member's share.
  std::vector<std::pair<std::string, std::pair<std::int64_t, std::int64_t>>> totals;
  for (const auto& m : v.members) {
    auto it = std::find_if(totals.begin(), totals.end(),
                           [&](const auto& t) { return t.first == m.currency; });
    if (it == totals.end()) it = totals.insert(totals.end(), {m.currency, {0, 0}});
    it->second.first += m.pledged_minor;
    it->second.second += m.settled_minor;
  }
  w.key("currency_totals").begin_array();
  for (const auto& [code, t] : totals) {
    w.begin_object()
        .field("currency", code)
        .field("pledged_minor", t.first)
        .field("settled_minor", t.second)
        .end_object();
  }
  w.end_array();
  w.key("members").begin_array();
  for (const auto& m : v.members) {
    w.begin_object()
        .field("user_id", m.user_id)
        .field("currency", m.currency)
        .field("pledged_minor", m.pledged_minor)
        .field("settled_minor", m.settled_minor)
        .end_object();
  }
  w.end_array().end_object();
}

}  // namespace payorch::gateway
