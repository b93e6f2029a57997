// Operator routes: GET /ops/circuit-breakers, and the breakers' lines in /metrics.
#include <array>

#include "gateway/api.hpp"
#include "gateway/auth.hpp"
#include "gateway/json_output.hpp"

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
}

}  // namespace payorch::gateway
