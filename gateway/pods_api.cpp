#include <random>

#include "actors/pod_protocol.hpp"
#include "actors/runtime.hpp"
#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "gateway/api.hpp"
#include "gateway/ask.hpp"
#include "gateway/json_input.hpp"
#include "gateway/json_output.hpp"

namespace payorch::gateway {
namespace {

problem bad_field(std::string param, std::string detail) {
  return make_problem(http::status::bad_request, "invalid_field", std::move(detail),
                      std::move(param));
}

/// Reads a required member of `kind` from `obj`; a problem naming `param` when absent or mistyped.
std::optional<problem> require(const json_node& obj, std::string_view key, json_kind kind,
                               const std::string& param, const json_node*& out) {
  out = obj.find(key);
  static constexpr const char* names[] = {"null",     "a boolean", "a number",
                                          "a string", "an array",  "an object"};
  if (!out) return bad_field(param, param + " is required");
  if (out->kind() != kind)
    return bad_field(param, param + " must be " + names[static_cast<int>(kind)]);
  return std::nullopt;
}

/// Rejects members the schema does not know, so a misspelt field is not silently ignored.
std::optional<problem> only_known(const json_node& obj,
                                  std::initializer_list<std::string_view> keys,
                                  std::string_view prefix) {
  for (const auto& [name, value] : obj.members()) {
    bool known = false;
    for (auto k : keys) known = known || k == name;
    if (!known) {
      std::string param = std::string(prefix) + name;
      return bad_field(param, "unknown field " + param);
    }
  }
  return std::nullopt;
}

/// Decodes the body of POST /pods into a command, or the problem with it.
std::variant<actors::create_pod, problem> decode_create(const http_request& req) {
  auto parsed = parse_json(req.body());
  if (!parsed.value)
    return make_problem(http::status::bad_request, "malformed_json",
                        "the body is not valid JSON: " + parsed.error->message);
  const json_node& body = *parsed.value;
  if (body.kind() != json_kind::object)
    return make_problem(http::status::bad_request, "malformed_json",
                        "the body must be a JSON object");
  if (auto p = only_known(body, {"name", "currency", "policy"}, "")) return *p;
  const json_node *name, *currency, *policy, *limit, *quorum, *tier;
  if (auto p = require(body, "name", json_kind::string, "name", name)) return *p;
  if (auto p = require(body, "currency", json_kind::string, "currency", currency)) return *p;
  if (auto p = require(body, "policy", json_kind::object, "policy", policy)) return *p;
  if (auto p = only_known(*policy, {"spending_limit", "voting_quorum", "risk_tier"}, "policy."))
    return *p;
  if (auto p =
          require(*policy, "spending_limit", json_kind::number, "policy.spending_limit", limit))
    return *p;
  if (auto p = require(*policy, "voting_quorum", json_kind::number, "policy.voting_quorum", quorum))
    return *p;
  if (auto p = require(*policy, "risk_tier", json_kind::string, "policy.risk_tier", tier))
    return *p;
  actors::create_pod cmd;
  cmd.name = std::string(name->as_string());
  cmd.currency = std::string(currency->as_string());
  cmd.policy.spending_limit = std::string(limit->number_text());
  cmd.policy.voting_quorum = std::string(quorum->number_text());
  cmd.policy.risk_tier = std::string(tier->as_string());
  return cmd;
}

std::string new_pod_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return pod_id::from_random(rng()).str();
}

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
      .end_object();
  w.field("owner_id", v.owner_id)
      .field("created_at", format_rfc3339_utc(v.created_at_ms))
      .field("updated_at", format_rfc3339_utc(v.updated_at_ms))
      .field("version", v.version)
      .end_object();
}

void create(const api_context& ctx, const exchange_ptr& ex) {
  auto decoded = decode_create(ex->request());
  if (auto* p = std::get_if<problem>(&decoded)) return ex->reply_problem(*p);
  auto cmd = std::get<actors::create_pod>(std::move(decoded));
  cmd.pod_id = new_pod_id();
  // Until clients authenticate, the creator is recorded as anonymous.
  cmd.owner_id = "anonymous";
  cmd.requested_at_ms = ctx.now_ms();
  ask<actors::pod_view>(ctx.bridge, ctx.runtime->pods(), std::move(cmd),
                        [ex](result<actors::pod_view> r) {
                          if (!r) return ex->reply_problem(problem_from(r.error()));
                          json_writer w;
                          w.begin_object()
                              .field("pod_id", r->pod_id)
                              .field("status", r->status)
                              .field("created_at", format_rfc3339_utc(r->created_at_ms))
                              .end_object();
                          http_response res{http::status::created, ex->request().version()};
                          res.set(http::field::content_type, "application/json");
                          res.set(http::field::location, "/pods/" + r->pod_id);
                          res.body() = w.take();
                          ex->reply(std::move(res));
                        });
}

void read(const api_context& ctx, const exchange_ptr& ex) {
  auto id = pod_id::parse(ex->param("pod_id"));
  if (!id)
    return ex->reply_problem(make_problem(http::status::not_found, "not_found",
                                          "no pod " + std::string(ex->param("pod_id")), "pod_id"));
  ask<actors::pod_view>(ctx.bridge, ctx.runtime->pods(), actors::get_pod{id->str()},
                        [ex](result<actors::pod_view> r) {
                          if (!r) return ex->reply_problem(problem_from(r.error()));
                          json_writer w;
                          write_pod(w, *r);
                          ex->reply_json(http::status::ok, w.take());
                        });
}

}  // namespace

void add_pod_routes(route_table& routes, const api_context& ctx) {
  routes.add(http::verb::post, "/pods", [ctx](const exchange_ptr& ex) { create(ctx, ex); });
  routes.add(http::verb::get, "/pods/{pod_id}", [ctx](const exchange_ptr& ex) { read(ctx, ex); });
}

}  // namespace payorch::gateway
