// The risk provider: a rule-based score of one payout (risk_rules.hpp).
#include "app/sandbox/provider_route.hpp"
#include "app/sandbox/risk_rules.hpp"
#include "app/sandbox/routes.hpp"
#include "app/sandbox/state.hpp"
#include "gateway/json_output.hpp"

namespace payorch::app::sandbox {
namespace {

wire_answer score(const gateway::exchange& ex) {
  auto body = object_body(ex.request().body());
  if (auto* bad = std::get_if<wire_answer>(&body)) return std::move(*bad);
  field_reader in(std::get<gateway::json_node>(body));
  risk_input input;
  in.text("reference", 128);
  input.amount_minor = in.integer("amount_minor", 0, INT64_MAX);
  auto c = in.currency_code("currency");
  in.country("country");
  input.kyc_status = in.one_of("kyc_status", {"APPROVED", "PENDING", "REJECTED"});
  input.sanctions_result = in.one_of("sanctions_result", {"CLEAR", "POSSIBLE_MATCH", "HIT"});
  input.payouts_today = in.integer("payouts_today", 0, 1'000'000, false);
  if (in.error()) return *in.error();
  input.amount_currency = *c;
  const auto assessed = assess_risk(input);
  gateway::json_writer w;
  w.begin_object()
      .field("score", static_cast<std::int64_t>(assessed.score))
      .field("level", assessed.level);
  w.key("reasons").begin_array();
  for (const auto& reason : assessed.reasons) w.string(reason);
  w.end_array().end_object();
  return {http::status::ok, w.take()};
}

}  // namespace

void add_risk_routes(gateway::route_table& routes, sandbox_state& state) {
  add_provider_route(routes, state, provider::risk, http::verb::post, "/risk/v1/scores", score);
}

}  // namespace payorch::app::sandbox
