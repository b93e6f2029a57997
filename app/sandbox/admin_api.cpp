// The sandbox's own routes: health, statistics, run-time faults and the clock. They are never
// subject to faults and need no Idempotency-Key.
#include "app/sandbox/provider_route.hpp"
#include "app/sandbox/routes.hpp"
#include "app/sandbox/state.hpp"
#include "domain/time.hpp"
#include "gateway/json_output.hpp"

namespace payorch::app::sandbox {
namespace {

using clock = std::chrono::steady_clock;
constexpr std::int64_t max_clock_advance_ms = 10LL * 366 * 24 * 3600 * 1000;

/// Reads an optional boolean member; false with `in` failed when mistyped.
std::optional<bool> optional_bool(const gateway::json_node& obj, std::string_view key,
                                  field_reader& in) {
  const auto* node = obj.find(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_bool()) {
    in.fail(bad_field(key, std::string(key) + " must be true or false"));
    return std::nullopt;
  }
  return node->as_bool();
}

/// Applies the members present in `body` to `s`.
void apply(fault_settings& s, const gateway::json_node& body, field_reader& in) {
  const auto set = [&](std::string_view key, std::int64_t max, std::int64_t& out) {
    if (body.find(key) != nullptr) out = in.integer(key, 0, max, true, out);
  };
  set("latency_ms", bounds::max_latency_ms, s.latency_ms);
  set("error_rate_bp", bounds::max_rate_bp, s.error_rate_bp);
  set("timeout_rate_bp", bounds::max_rate_bp, s.timeout_rate_bp);
  set("hang_ms", bounds::max_hang_ms, s.hang_ms);
  if (body.find("outage_ms") != nullptr) {
    const auto outage = in.integer("outage_ms", 0, bounds::max_outage_ms);
    s.outage_until = clock::now() + std::chrono::milliseconds(outage);
  }
  if (auto b = optional_bool(body, "duplicate_callbacks", in)) s.duplicate_callbacks = *b;
  if (auto b = optional_bool(body, "out_of_order_callbacks", in)) s.out_of_order_callbacks = *b;
}

wire_answer set_faults(sandbox_state& state, const gateway::exchange& ex) {
  auto body = object_body(ex.request().body());
  if (auto* bad = std::get_if<wire_answer>(&body)) return std::move(*bad);
  const auto& obj = std::get<gateway::json_node>(body);
  field_reader in(obj);
  auto which = obj.find("provider") ? in.text("provider", 16) : std::string("*");
  auto named = provider_named(which);
  if (!in.error() && which != "*" && !named)
    in.fail(bad_field("provider", "provider must be fx, kyc, sanctions, risk, rail, psp or *"));
  if (in.error()) return *in.error();
  // Checked on a copy first, so a bad field changes nothing.
  fault_settings trial = state.faults().settings(named.value_or(provider::fx));
  apply(trial, obj, in);
  if (in.error()) return *in.error();
  for (auto p : all_providers) {
    if (named && p != *named) continue;
    field_reader again(obj);
    apply(state.faults().settings(p), obj, again);
  }
  return {http::status::ok, state.faults().to_json(clock::now())};
}

std::string clock_json(sandbox_state& state) {
  gateway::json_writer w;
  w.begin_object()
      .field("now", format_rfc3339_utc(state.now_ms()))
      .field("offset_ms", state.clock_offset_ms())
      .end_object();
  return w.take();
}

wire_answer advance_clock(sandbox_state& state, const gateway::exchange& ex) {
  auto body = object_body(ex.request().body());
  if (auto* bad = std::get_if<wire_answer>(&body)) return std::move(*bad);
  field_reader in(std::get<gateway::json_node>(body));
  const auto ms = in.integer("advance_ms", 0, max_clock_advance_ms);
  if (in.error()) return *in.error();
  state.advance_clock(ms);
  return {http::status::ok, clock_json(state)};
}

/// Registers a route answered at once with `run`'s answer.
template <class F>
void add_admin(gateway::route_table& routes, http::verb method, std::string pattern, F run) {
  routes.add(method, std::move(pattern),
             [run](const gateway::exchange_ptr& ex) { reply_with(ex, run(*ex)); });
}

}  // namespace

void add_admin_routes(gateway::route_table& routes, sandbox_state& state) {
  add_admin(routes, http::verb::get, "/sandbox/health", [](const auto&) {
    return wire_answer{http::status::ok, R"({"status":"ok"})"};
  });
  add_admin(routes, http::verb::get, "/sandbox/stats", [&state](const auto&) {
    return wire_answer{http::status::ok, state.stats_json()};
  });
  add_admin(routes, http::verb::get, "/sandbox/faults", [&state](const auto&) {
    return wire_answer{http::status::ok, state.faults().to_json(clock::now())};
  });
  add_admin(routes, http::verb::post, "/sandbox/faults",
            [&state](const auto& ex) { return set_faults(state, ex); });
  add_admin(routes, http::verb::delete_, "/sandbox/faults", [&state](const auto&) {
    state.faults().clear();
    return wire_answer{http::status::ok, state.faults().to_json(clock::now())};
  });
  add_admin(routes, http::verb::get, "/sandbox/clock", [&state](const auto&) {
    return wire_answer{http::status::ok, clock_json(state)};
  });
  add_admin(routes, http::verb::post, "/sandbox/clock",
            [&state](const auto& ex) { return advance_clock(state, ex); });
}

}  // namespace payorch::app::sandbox
