// Operator routes: GET /ops/circuit-breakers, the saga listing, retries and resolutions, and
// the breakers' lines in /metrics.
#include <array>

#include "actors/runtime.hpp"
#include "actors/saga_protocol.hpp"
#include "gateway/api.hpp"
#include "gateway/ask.hpp"
#include "gateway/auth.hpp"
#include "gateway/handler_support.hpp"
#include "gateway/idempotency.hpp"
#include "gateway/json_input.hpp"
#include "gateway/json_output.hpp"
#include "gateway/saga_json.hpp"

namespace payorch::gateway {
namespace {

void list_breakers(const api_context& ctx, const exchange_ptr& ex) {
  if (!authorize_operator(ctx, ex)) return;  // answered 401 or 403
  json_writer w;
  w.begin_object().key("circuit_breakers").begin_array();
  if (ctx.circuit_breakers) {
    for (const auto& b : ctx.circuit_breakers()) {
      w.begin_object()
          .field("provider", b.provider)
          .field("state", b.state)
          .field("calls", static_cast<std::int64_t>(b.calls))
          .field("successes", static_cast<std::int64_t>(b.successes))
          .field("failures", static_cast<std::int64_t>(b.failures))
          .field("rejections", static_cast<std::int64_t>(b.rejections))
          .field("state_changes", static_cast<std::int64_t>(b.state_changes))
          .field("failures_in_window", static_cast<std::int64_t>(b.failures_in_window))
          .field("open_remaining_ms", b.open_remaining_ms)
          .end_object();
    }
  }
  w.end_array().end_object();
  ex->reply_json(http::status::ok, w.take());
}

void reply_saga(const exchange_ptr& ex, result<actors::saga_view> r) {
  if (!r) return reply_failure(ex, r.error());
  json_writer w;
  write_saga(w, *r);
  reply_body(ex, http::status::ok, w.take());
}

void list_sagas(const api_context& ctx, const exchange_ptr& ex) {
  if (!authorize_operator(ctx, ex)) return;
  auto page = page_request_of(ex->request(), {"status"});
  if (auto* p = std::get_if<problem>(&page)) return ex->reply_problem(*p);
  auto& pr = std::get<page_request>(page);
  actors::list_sagas q;
  q.after = pr.after;
  q.limit = static_cast<std::uint64_t>(pr.limit);
  for (const auto& [name, value] : pr.query)
    if (name == "status") q.status = value;
  ask<actors::saga_page>(ctx.bridge, ctx.runtime->sagas(), std::move(q),
                         [ex](result<actors::saga_page> r) {
                           if (!r) return reply_failure(ex, r.error());
                           reply_page(ex, r->items, write_saga_summary, r->next_after);
                         });
}

void read_saga(const api_context& ctx, const exchange_ptr& ex) {
  if (!authorize_operator(ctx, ex)) return;
  ask<actors::saga_view>(ctx.bridge, ctx.runtime->sagas(),
                         actors::get_saga{std::string(ex->param("saga_id"))},
                         [ex](result<actors::saga_view> r) { reply_saga(ex, std::move(r)); });
}

void retry_saga(const api_context& ctx, const exchange_ptr& ex) {
  auto who = authorize_operator(ctx, ex);
  if (!who) return;
  run_idempotent(ctx, ex, *who, false, [ctx, ex](const actors::idempotency_tag&) {
    ask<actors::saga_view>(ctx.bridge, ctx.runtime->sagas(),
                           actors::retry_saga{std::string(ex->param("saga_id"))},
                           [ex](result<actors::saga_view> r) { reply_saga(ex, std::move(r)); });
  });
}

/// What an operator may write when resolving a saga: a line or two, kept in its journal.
constexpr std::size_t max_resolution_reason_bytes = 1000;

void resolve_saga(const api_context& ctx, const exchange_ptr& ex) {
  auto who = authorize_operator(ctx, ex);
  if (!who) return;
  run_idempotent(ctx, ex, *who, false, [ctx, ex, who = *who](const actors::idempotency_tag&) {
    auto parsed = object_body(ex->request());
    if (auto* p = std::get_if<problem>(&parsed)) return ex->reply_problem(*p);
    const auto& body = std::get<json_node>(parsed);
    if (auto p = only_known(body, {"outcome", "reason"})) return ex->reply_problem(*p);
    const json_node *outcome, *reason;
    if (auto p = require(body, "outcome", json_kind::string, "outcome", outcome))
      return ex->reply_problem(*p);
    if (auto p = require(body, "reason", json_kind::string, "reason", reason))
      return ex->reply_problem(*p);
    actors::resolve_saga cmd{std::string(ex->param("saga_id")), std::string(outcome->as_string()),
                             std::string(reason->as_string()), who.subject};
    if (cmd.outcome != "COMPLETED" && cmd.outcome != "COMPENSATE")
      return ex->reply_problem(
          bad_field("outcome", "outcome must be \"COMPLETED\" or \"COMPENSATE\""));
    if (cmd.reason.empty() || cmd.reason.size() > max_resolution_reason_bytes)
      return ex->reply_problem(bad_field("reason", "reason must say what was found, in 1 to " +
                                                       std::to_string(max_resolution_reason_bytes) +
                                                       " bytes"));
    ask<actors::saga_view>(ctx.bridge, ctx.runtime->sagas(), std::move(cmd),
                           [ex](result<actors::saga_view> r) { reply_saga(ex, std::move(r)); });
  });
}

}  // namespace

void render_breaker_metrics(const std::vector<breaker_view>& breakers, std::string& out) {
  if (breakers.empty()) return;
  constexpr std::array<const char*, 3> states{"closed", "open", "half_open"};
  out +=
      "# HELP payorch_circuit_breaker_state Provider circuit breaker state (1 for the current "
      "one).\n# TYPE payorch_circuit_breaker_state gauge\n";
  for (const auto& b : breakers) {
    for (const char* s : states) {
      out += "payorch_circuit_breaker_state{provider=\"" + b.provider + "\",state=\"" + s + "\"} " +
             (b.state == s ? "1" : "0") + "\n";
    }
  }
  const auto counter = [&](const char* name, const char* help, auto field) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
    for (const auto& b : breakers)
      out += std::string(name) + "{provider=\"" + b.provider + "\"} " + std::to_string(b.*field) +
             "\n";
  };
  counter("payorch_circuit_breaker_calls_total", "Provider calls a breaker let through.",
          &breaker_view::calls);
  counter("payorch_circuit_breaker_failures_total", "Provider calls that failed.",
          &breaker_view::failures);
  counter("payorch_circuit_breaker_rejections_total",
          "Provider calls refused because the breaker was open.", &breaker_view::rejections);
}

void add_ops_routes(route_table& routes, const api_context& ctx) {
  routes.add(http::verb::get, "/ops/circuit-breakers",
             [ctx](const exchange_ptr& ex) { list_breakers(ctx, ex); });
  routes.add(http::verb::get, "/ops/sagas", [ctx](const exchange_ptr& ex) { list_sagas(ctx, ex); });
  routes.add(http::verb::get, "/ops/sagas/{saga_id}",
             [ctx](const exchange_ptr& ex) { read_saga(ctx, ex); });
  routes.add(http::verb::post, "/ops/sagas/{saga_id}/retry",
             [ctx](const exchange_ptr& ex) { retry_saga(ctx, ex); });
  routes.add(http::verb::post, "/ops/sagas/{saga_id}/resolve",
             [ctx](const exchange_ptr& ex) { resolve_saga(ctx, ex); });
}

}  // namespace payorch::gateway
