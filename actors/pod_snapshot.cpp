// Snapshots of a pod's whole state (see pod_record.hpp): JSON with exact decimal strings.
#include <boost/json.hpp>

#include "actors/pod_record.hpp"
#include "domain/ids.hpp"

namespace payorch::actors {
namespace json = boost::json;

namespace {

failure corrupt(std::string what) {
  return fail(errc::internal_error, "snapshot is not a valid pod state: " + std::move(what));
}

const json::value* at(const json::object& o, std::string_view key) {
  return o.if_contains(key);
}

bool read(const json::object& o, std::string_view key, std::string& out) {
  auto* v = at(o, key);
  if (!v || !v->is_string()) return false;
  out = std::string(v->get_string());
  return true;
}

bool read(const json::object& o, std::string_view key, std::int64_t& out) {
  auto* v = at(o, key);
  if (!v || !v->is_int64()) return false;
  out = v->get_int64();
  return true;
}

std::string digest_hex(const request_digest& d) {
  return hex_encode({reinterpret_cast<const char*>(d.data()), d.size()});
}

/// `<key>_digest` as 32 hex digits; snapshots written before digests keep the text under `key`,
/// and older ones still have neither (all zero: no key). False when present but malformed.
bool read_digest(const json::object& o, std::string_view key, request_digest& out) {
  out = {};
  if (const auto* v = at(o, std::string(key) + "_digest")) {
    if (!v->is_string()) return false;
    const std::string_view text = v->get_string();
    const auto bytes = hex_decode(text);
    // Only the lower-case spelling digest_hex writes: anything else was not written here.
    if (!bytes || bytes->size() != out.size() || hex_encode(*bytes) != text) return false;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>((*bytes)[i]);
    return true;
  }
  if (const auto* v = at(o, key)) {
    if (!v->is_string()) return false;
    out = digest_of(std::string_view(v->get_string()));
  }
  return true;
}

json::object member_json(const std::string& id, const member_record& m) {
  return json::object{{"user_id", id},
                      {"role", std::string(to_string(m.role))},
                      {"joined_at", m.joined_at_ms},
                      {"voting_since", m.voting_since_ms},
                      {"settled_on_time", m.reputation.pledges_settled_on_time},
                      {"missed", m.reputation.pledges_missed},
                      {"votes", m.reputation.votes_cast}};
}

/// Appends one pledge as a JSON object. Written directly rather than through a `json::object`:
/// a pod's pledges are most of a large snapshot, and building a DOM for each cost ~1.4 µs.
void append_pledge_json(std::string& out, const pledge_record& p) {
  auto field = [&out](std::string_view name) {
    out += '"';
    out += name;
    out += "\":";
  };
  auto number = [&](std::string_view name, std::int64_t v) {
    field(name);
    out += std::to_string(v);
    out += ',';
  };
  auto word = [&](std::string_view name, std::string_view v) {  // needs no escaping
    field(name);
    out += '"';
    out += v;
    out += "\",";
  };
  out += '{';
  field("pledge_id");
  out += json::serialize(json::string_view(p.pledge_id));
  out += ',';
  field("user_id");
  out += json::serialize(json::string_view(p.user_id));
  out += ',';
  number("amount_minor", p.amount_minor);
  word("currency", p.pledge_currency.code());
  word("status", to_string(p.status));
  number("cycle", p.cycle);
  number("due_at", p.due_at_ms);
  number("created_at", p.created_at_ms);
  number("settled_at", p.settled_at_ms);
  word("idempotency_key_digest", digest_hex(p.idempotency_key));
  field("request_fingerprint_digest");
  out += '"';
  out += digest_hex(p.request_fingerprint);
  out += "\"}";
}

bool read_member(const json::object& o, pod_record& pod) {
  std::string id, role;
  member_record m;
  if (!read(o, "user_id", id) || !read(o, "role", role) || !read(o, "joined_at", m.joined_at_ms) ||
      !read(o, "settled_on_time", m.reputation.pledges_settled_on_time) ||
      !read(o, "missed", m.reputation.pledges_missed) || !read(o, "votes", m.reputation.votes_cast))
    return false;
  auto r = member_role_from_string(role);
  if (!r) return false;
  m.role = *r;
  // A snapshot from before the field cannot say when an OBSERVER was promoted: it is refused,
  // and the pod is rebuilt from its events, which can.
  if (!read(o, "voting_since", m.voting_since_ms)) return false;
  return pod.members.emplace(std::move(id), m).second;
}

bool read_pledge(const json::object& o, pod_record& pod) {
  pledge_record p;
  std::string code, status;
  if (!read(o, "pledge_id", p.pledge_id) || !read(o, "user_id", p.user_id) ||
      !read(o, "amount_minor", p.amount_minor) || !read(o, "currency", code) ||
      !read(o, "status", status) || !read(o, "cycle", p.cycle) || !read(o, "due_at", p.due_at_ms) ||
      !read(o, "created_at", p.created_at_ms) || !read(o, "settled_at", p.settled_at_ms) ||
      !read_digest(o, "idempotency_key", p.idempotency_key) ||
      !read_digest(o, "request_fingerprint", p.request_fingerprint))
    return false;
  auto cur = currency::from_code(code);
  auto st = pledge_status_from_string(status);
  if (!cur || !st) return false;
  p.pledge_currency = *cur;
  p.status = *st;
  auto& funds = pod.funds.write();
  if (!funds.pledge_index.emplace(p.pledge_id, funds.pledges.size()).second) return false;
  funds.pledges.push_back(std::move(p));
  return true;
}

/// A payout: its PayoutReserved payload (the event codec's) and how far it got.
json::object payout_json(const std::string& pod_id, const payout_record& p) {
  return json::object{{"reserved", encode_event(pod_id, pod_event{p.reserved}).payload},
                      {"status", std::string(to_string(p.status))},
                      {"sell_minor", p.sell_minor},
                      {"buy_minor", p.buy_minor},
                      {"rate", p.rate},
                      {"quote_id", p.quote_id},
                      {"reason", p.reason},
                      {"updated_at", p.updated_at_ms},
                      {"voters", json::array(p.voters.begin(), p.voters.end())}};
}

bool read_payout(const json::object& o, pod_record& pod) {
  payout_record p;
  std::string reserved, status;
  if (!read(o, "reserved", reserved) || !read(o, "status", status) ||
      !read(o, "sell_minor", p.sell_minor) || !read(o, "buy_minor", p.buy_minor) ||
      !read(o, "rate", p.rate) || !read(o, "quote_id", p.quote_id) ||
      !read(o, "reason", p.reason) || !read(o, "updated_at", p.updated_at_ms))
    return false;
  persistence::event_record record;
  record.event_type = "PayoutReserved";
  record.payload = std::move(reserved);
  auto event = decode_event(record);
  auto st = payout_status_from_string(status);
  if (!event || !st || !std::holds_alternative<payout_reserved>(*event)) return false;
  p.reserved = std::get<payout_reserved>(std::move(*event));
  p.status = *st;
  if (const auto* voters = at(o, "voters"); voters && voters->is_array()) {
    for (const auto& v : voters->get_array()) {
      if (!v.is_string()) return false;
      p.voters.emplace_back(v.get_string());
    }
  }
  auto id = p.reserved.payout_id;
  return pod.funds.write().payouts.emplace(std::move(id), std::move(p)).second;
}

}  // namespace

std::string encode_snapshot(const pod_record& pod) {
  json::object o{{"pod_id", pod.pod_id},
                 {"name", pod.name},
                 {"owner_id", pod.owner_id},
                 {"currency", std::string(pod.pod_currency.code())},
                 {"policy", json::object{{"spending_limit", pod.policy.spending_limit.to_string()},
                                         {"voting_quorum", pod.policy.voting_quorum.to_string()},
                                         {"risk_tier", std::string(to_string(pod.policy.tier))}}},
                 {"policy_version", pod.policy_version},
                 {"status", std::string(to_string(pod.status))},
                 {"created_at", pod.created_at_ms},
                 {"updated_at", pod.updated_at_ms},
                 {"creation_key_digest", digest_hex(pod.creation_key)},
                 {"creation_fingerprint_digest", digest_hex(pod.creation_fingerprint)}};
  if (pod.cycle) {
    o["cycle"] = json::object{{"period", std::string(to_string(pod.cycle->period))},
                              {"starts_at", pod.cycle->starts_at_ms}};
  }
  json::array members;
  for (const auto& [id, m] : pod.members) members.push_back(member_json(id, m));
  o["members"] = std::move(members);
  if (!pod.funds->payouts.empty()) {
    json::array payouts;
    for (const auto& [id, p] : pod.funds->payouts) payouts.push_back(payout_json(pod.pod_id, p));
    o["payouts"] = std::move(payouts);
  }
  // The pledges go last, appended as text before the object's closing brace.
  auto out = json::serialize(o);
  out.pop_back();
  out.reserve(out.size() + 300 * pod.funds->pledges.size() + 16);
  out += ",\"pledges\":[";
  const auto& pledges = pod.funds->pledges;
  for (std::size_t i = 0; i < pledges.size(); ++i) {
    if (i != 0) out += ',';
    append_pledge_json(out, pledges[i]);
  }
  out += "]}";
  return out;
}

result<pod_record> decode_snapshot(const std::string& payload) {
  json::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec || !v.is_object()) return corrupt("not a JSON object");
  const auto& o = v.get_object();
  pod_record pod;
  std::string code, status;
  if (!read(o, "pod_id", pod.pod_id) || !read(o, "name", pod.name) ||
      !read(o, "owner_id", pod.owner_id) || !read(o, "currency", code) ||
      !read(o, "status", status) || !read(o, "created_at", pod.created_at_ms) ||
      !read(o, "updated_at", pod.updated_at_ms))
    return corrupt("pod fields");
  auto cur = currency::from_code(code);
  auto st = pod_status_from_string(status);
  if (!cur || !st) return corrupt("currency or status");
  pod.pod_currency = *cur;
  pod.status = *st;
  // Fields added after the first snapshots were written default when absent.
  read(o, "policy_version", pod.policy_version);
  if (!read_digest(o, "creation_key", pod.creation_key) ||
      !read_digest(o, "creation_fingerprint", pod.creation_fingerprint))
    return corrupt("creation digests");
  const auto* pol = at(o, "policy");
  if (!pol || !pol->is_object()) return corrupt("policy");
  std::string limit, quorum, tier;
  read(pol->get_object(), "spending_limit", limit);
  read(pol->get_object(), "voting_quorum", quorum);
  read(pol->get_object(), "risk_tier", tier);
  auto policy = make_policy(limit, quorum, tier, *cur);
  if (!policy) return corrupt(policy.error().detail);
  pod.policy = *policy;
  if (const auto* c = at(o, "cycle"); c && c->is_object()) {
    std::string period;
    std::int64_t start = 0;
    read(c->get_object(), "period", period);
    auto p = cycle_period_from_string(period);
    if (!p || !read(c->get_object(), "starts_at", start)) return corrupt("cycle");
    pod.cycle = contribution_cycle{*p, start};
  }
  if (const auto* ms = at(o, "members"); ms && ms->is_array()) {
    for (const auto& m : ms->get_array())
      if (!m.is_object() || !read_member(m.get_object(), pod)) return corrupt("member");
  }
  if (const auto* ps = at(o, "pledges"); ps && ps->is_array()) {
    for (const auto& p : ps->get_array())
      if (!p.is_object() || !read_pledge(p.get_object(), pod)) return corrupt("pledge");
  }
  if (const auto* ps = at(o, "payouts"); ps && ps->is_array()) {
    for (const auto& p : ps->get_array())
      if (!p.is_object() || !read_payout(p.get_object(), pod)) return corrupt("payout");
  }
  recount_funds(pod);
  return pod;
}

}  // namespace payorch::actors
