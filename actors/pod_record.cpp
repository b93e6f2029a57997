#include "actors/pod_record.hpp"

#include <boost/json.hpp>

namespace payorch::actors {
namespace json = boost::json;

namespace {

json::object policy_json(const governance_policy& p) {
  return json::object{{"spending_limit", p.spending_limit.to_string()},
                      {"voting_quorum", p.voting_quorum.to_string()},
                      {"risk_tier", std::string(to_string(p.tier))}};
}

json::object pod_json(const pod_record& pod) {
  return json::object{{"pod_id", pod.pod_id},
                      {"owner_id", pod.owner_id},
                      {"name", pod.name},
                      {"currency", std::string(pod.pod_currency.code())},
                      {"policy", policy_json(pod.policy)},
                      {"created_at", pod.created_at_ms}};
}

const json::value* member(const json::object& o, std::string_view key) {
  return o.if_contains(key);
}

std::string text_of(const json::object& o, std::string_view key) {
  auto* v = member(o, key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t int_of(const json::object& o, std::string_view key) {
  auto* v = member(o, key);
  return v && v->is_int64() ? v->get_int64() : 0;
}

failure corrupt(std::string what) {
  return fail(errc::internal_error, "journal payload is not a valid pod event: " + std::move(what));
}

/// Rebuilds a pod from the fields CrowdPodCreated and snapshots share.
result<pod_record> pod_from_json(const json::object& o) {
  const auto* policy = member(o, "policy");
  if (!policy || !policy->is_object()) return corrupt("policy missing");
  const auto& p = policy->get_object();
  auto cur = currency::from_code(text_of(o, "currency"));
  if (!cur) return corrupt("currency");
  auto pol = make_policy(text_of(p, "spending_limit"), text_of(p, "voting_quorum"),
                         text_of(p, "risk_tier"), *cur);
  if (!pol) return corrupt(pol.error().detail);
  pod_record pod;
  pod.pod_id = text_of(o, "pod_id");
  pod.owner_id = text_of(o, "owner_id");
  pod.name = text_of(o, "name");
  pod.pod_currency = *cur;
  pod.policy = *pol;
  pod.created_at_ms = int_of(o, "created_at");
  pod.updated_at_ms = pod.created_at_ms;
  return pod;
}

result<json::object> parse_object(const std::string& payload) {
  json::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec || !v.is_object()) return corrupt("not a JSON object");
  return std::move(v.get_object());
}

}  // namespace

result<pod_record> decide_create(const create_pod& cmd) {
  auto cur = currency::from_code(cmd.currency);
  if (!cur) {
    return fail(errc::unknown_currency, "'" + cmd.currency + "' is not an ISO 4217 currency code",
                "currency");
  }
  auto name = validate_pod_name(cmd.name);
  if (!name) return name.error();
  auto pol =
      make_policy(cmd.policy.spending_limit, cmd.policy.voting_quorum, cmd.policy.risk_tier, *cur);
  if (!pol) return pol.error();
  pod_record pod;
  pod.pod_id = cmd.pod_id;
  pod.name = std::move(*name);
  pod.owner_id = cmd.owner_id;
  pod.pod_currency = *cur;
  pod.policy = *pol;
  pod.status = pod_status::draft;
  pod.created_at_ms = cmd.requested_at_ms;
  pod.updated_at_ms = cmd.requested_at_ms;
  return pod;
}

persistence::new_event created_event(const pod_record& pod) {
  return {std::string(pod_event::created), json::serialize(pod_json(pod)), pod.created_at_ms};
}

result<void> apply_event(std::optional<pod_record>& pod, const persistence::event_record& ev) {
  if (ev.event_type == pod_event::created) {
    if (pod) return corrupt("CrowdPodCreated on an existing pod");
    auto o = parse_object(ev.payload);
    if (!o) return o.error();
    auto rebuilt = pod_from_json(*o);
    if (!rebuilt) return rebuilt.error();
    pod = std::move(*rebuilt);
    return {};
  }
  return corrupt("unknown event type " + ev.event_type);
}

std::string encode_snapshot(const pod_record& pod) {
  auto o = pod_json(pod);
  o["status"] = std::string(to_string(pod.status));
  o["updated_at"] = pod.updated_at_ms;
  return json::serialize(o);
}

result<pod_record> decode_snapshot(const std::string& payload) {
  auto o = parse_object(payload);
  if (!o) return o.error();
  auto pod = pod_from_json(*o);
  if (!pod) return pod.error();
  auto st = pod_status_from_string(text_of(*o, "status"));
  if (!st) return corrupt("status");
  pod->status = *st;
  pod->updated_at_ms = int_of(*o, "updated_at");
  return pod;
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
  return v;
}

}  // namespace payorch::actors
