// The card PSP: authorizations with partial captures, refunds and voids, each change posted
// as a signed webhook {"type": "authorization.<status>", "data": <authorization>}.
//
// States: AUTHORIZED → PARTIALLY_CAPTURED → CAPTURED → PARTIALLY_REFUNDED → REFUNDED, and
// AUTHORIZED → VOIDED; DECLINED is final. Captures need AUTHORIZED or PARTIALLY_CAPTURED,
// refunds something captured and no void; a void needs nothing captured.
#include <memory>

#include "app/sandbox/provider_route.hpp"
#include "app/sandbox/routes.hpp"
#include "app/sandbox/state.hpp"
#include "gateway/json_output.hpp"

namespace payorch::app::sandbox {
namespace {

constexpr std::int64_t max_amount_minor = 1'000'000'000'000'000;  // 10^15

struct authorization {
  std::string authorization_id;
  std::string reference;
  std::string status;
  std::string decline_reason;
  std::int64_t amount_minor = 0;
  currency amount_currency;
  std::int64_t captured_minor = 0;
  std::int64_t refunded_minor = 0;
  std::string callback_url;
  int changes = 0;  ///< numbers the webhooks, so each change has its own webhook-id
};

using authorizations = bounded_table<authorization>;

std::string authorization_json(const authorization& a) {
  gateway::json_writer w;
  w.begin_object()
      .field("authorization_id", a.authorization_id)
      .field("reference", a.reference)
      .field("status", a.status)
      .field("amount_minor", a.amount_minor)
      .field("currency", a.amount_currency.code())
      .field("captured_minor", a.captured_minor)
      .field("refunded_minor", a.refunded_minor);
  if (!a.decline_reason.empty()) w.field("decline_reason", a.decline_reason);
  return w.end_object().take();
}

/// Posts the authorization's new state to its callback URL.
void notify(sandbox_state& state, authorization& a) {
  std::string type = "authorization.";
  for (char c : a.status)
    type.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  gateway::json_writer w;
  w.begin_object().field("type", type).key("data").raw_value(authorization_json(a)).end_object();
  ++a.changes;
  state.send_callback(provider::psp, a.callback_url,
                      "wh_" + a.authorization_id + "_" + std::to_string(a.changes), w.take());
}

wire_answer authorize(authorizations& table, sandbox_state& state, const gateway::exchange& ex) {
  auto body = object_body(ex.request().body());
  if (auto* bad = std::get_if<wire_answer>(&body)) return std::move(*bad);
  field_reader in(std::get<gateway::json_node>(body));
  authorization a;
  a.reference = in.text("reference", 128);
  a.amount_minor = in.integer("amount_minor", 1, max_amount_minor);
  auto c = in.currency_code("currency");
  auto token = in.text("card_token", 128);
  a.callback_url = in.callback_url("callback_url");
  if (in.error()) return *in.error();
  a.amount_currency = *c;
  a.authorization_id = state.new_id("auth_");
  if (token == "tok_decline") {
    a.status = "DECLINED";
    a.decline_reason = "do_not_honor";
  } else if (token == "tok_insufficient") {
    a.status = "DECLINED";
    a.decline_reason = "insufficient_funds";
  } else {
    a.status = "AUTHORIZED";
  }
  const auto id = a.authorization_id;  // not from `a`: argument order is unspecified
  auto& stored = table.put(id, std::move(a));
  notify(state, stored);
  return {http::status::created, authorization_json(stored)};
}

wire_answer wrong_state(const authorization& a, std::string_view action) {
  return error_answer(http::status::conflict, "invalid_state",
                      "cannot " + std::string(action) + " authorization " + a.authorization_id +
                          " in status " + a.status);
}

wire_answer exceeds(std::int64_t remaining) {
  return error_answer(
      http::status::conflict, "amount_exceeds_remaining",
      "amount_minor is more than the " + std::to_string(remaining) + " minor units that remain",
      "amount_minor");
}

wire_answer capture(authorization& a, field_reader& in) {
  const auto amount = in.integer("amount_minor", 1, max_amount_minor);
  if (in.error()) return *in.error();
  if (a.status != "AUTHORIZED" && a.status != "PARTIALLY_CAPTURED")
    return wrong_state(a, "capture");
  const auto remaining = a.amount_minor - a.captured_minor;
  if (amount > remaining) return exceeds(remaining);
  a.captured_minor += amount;
  a.status = a.captured_minor == a.amount_minor ? "CAPTURED" : "PARTIALLY_CAPTURED";
  return {http::status::ok, {}};
}

wire_answer refund(authorization& a, field_reader& in) {
  const auto amount = in.integer("amount_minor", 1, max_amount_minor);
  if (in.error()) return *in.error();
  if (a.captured_minor == 0 || a.status == "REFUNDED") return wrong_state(a, "refund");
  const auto remaining = a.captured_minor - a.refunded_minor;
  if (amount > remaining) return exceeds(remaining);
  a.refunded_minor += amount;
  a.status = a.refunded_minor == a.captured_minor ? "REFUNDED" : "PARTIALLY_REFUNDED";
  return {http::status::ok, {}};
}

wire_answer void_it(authorization& a, field_reader&) {
  if (a.status == "VOIDED") return {http::status::ok, {}};
  if (a.status != "AUTHORIZED") return wrong_state(a, "void");
  a.status = "VOIDED";
  return {http::status::ok, {}};
}

/// Runs `change` on the authorization in the path; a change that succeeds is answered with
/// the authorization and posted as a webhook if the status or amounts moved.
template <class F>
wire_answer change_authorization(authorizations& table, sandbox_state& state,
                                 const gateway::exchange& ex, bool allow_empty, F change) {
  auto body = object_body(ex.request().body(), allow_empty);
  if (auto* bad = std::get_if<wire_answer>(&body)) return std::move(*bad);
  auto* a = table.find(std::string(ex.param("authorization_id")));
  if (a == nullptr) return not_found("authorization", ex.param("authorization_id"));
  field_reader in(std::get<gateway::json_node>(body));
  const auto before = authorization_json(*a);
  auto answer = change(*a, in);
  if (answer.status != http::status::ok) return answer;
  if (authorization_json(*a) != before) notify(state, *a);
  return {http::status::ok, authorization_json(*a)};
}

}  // namespace

void add_psp_routes(gateway::route_table& routes, sandbox_state& state) {
  auto table = std::make_shared<authorizations>();
  const auto p = provider::psp;
  add_provider_route(routes, state, p, http::verb::post, "/psp/v1/authorizations",
                     [table, &state](const auto& ex) { return authorize(*table, state, ex); });
  const struct {
    const char* suffix;
    bool allow_empty;
    wire_answer (*change)(authorization&, field_reader&);
  } actions[] = {{"captures", false, capture}, {"refunds", false, refund}, {"void", true, void_it}};
  for (const auto& action : actions) {
    add_provider_route(routes, state, p, http::verb::post,
                       std::string("/psp/v1/authorizations/{authorization_id}/") + action.suffix,
                       [table, &state, action](const auto& ex) {
                         return change_authorization(*table, state, ex, action.allow_empty,
                                                     action.change);
                       });
  }
  add_provider_route(routes, state, p, http::verb::get, "/psp/v1/authorizations/{authorization_id}",
                     [table](const gateway::exchange& ex) {
                       const auto* a = table->find(std::string(ex.param("authorization_id")));
                       if (a == nullptr)
                         return not_found("authorization", ex.param("authorization_id"));
                       return wire_answer{http::status::ok, authorization_json(*a)};
                     });
}

}  // namespace payorch::app::sandbox
