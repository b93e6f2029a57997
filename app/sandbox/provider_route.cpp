#include "app/sandbox/provider_route.hpp"

#include "app/sandbox/state.hpp"

namespace payorch::app::sandbox {
namespace {

/// The first answer to `ex` under its Idempotency-Key, computing and storing it if new; a
/// stored answer counts as a replay.
wire_answer idempotent_answer(sandbox_state& state, provider p, const gateway::exchange& ex,
                              const provider_handler& run) {
  const auto& req = ex.request();
  auto key_field = req.find("Idempotency-Key");
  if (key_field == req.end() || key_field->value().empty() || key_field->value().size() > 255)
    return error_answer(http::status::bad_request, "missing_idempotency_key",
                        "every POST needs an Idempotency-Key header of 1 to 255 bytes",
                        "Idempotency-Key");
  const std::string key(key_field->value());
  std::string endpoint = std::string(req.method_string()) + " " + std::string(req.target());
  auto& answers = state.answers(p);
  if (const auto* stored = answers.find(key)) {
    ++state.stats(p).replays;
    if (stored->endpoint != endpoint)
      return error_answer(http::status::unprocessable_entity, "idempotency_key_reused",
                          "this Idempotency-Key was first used for " + stored->endpoint,
                          "Idempotency-Key");
    return stored->answer;
  }
  auto answer = run(ex);
  answers.put(key, {std::move(endpoint), answer});
  return answer;
}

wire_answer unavailable(provider p, bool outage) {
  return error_answer(http::status::service_unavailable, outage ? "outage" : "unavailable",
                      std::string("the sandbox injected ") + (outage ? "an outage" : "an error") +
                          " into " + std::string(name_of(p)));
}

}  // namespace

void reply_with(const gateway::exchange_ptr& ex, wire_answer answer) {
  ex->reply_json(answer.status, std::move(answer.body));
}

void add_provider_route(gateway::route_table& routes, sandbox_state& state, provider p,
                        http::verb method, std::string pattern, provider_handler run,
                        std::string body_type) {
  auto handler = [&state, p, method, run = std::move(run)](const gateway::exchange_ptr& ex) {
    auto& stats = state.stats(p);
    ++stats.calls;
    const auto fate = state.faults().draw(p, std::chrono::steady_clock::now());
    wire_answer answer;
    using kind = fault_decision::kind;
    if (fate.what == kind::outage || fate.what == kind::error) {
      ++(fate.what == kind::outage ? stats.outage_rejections : stats.injected_errors);
      answer = unavailable(p, fate.what == kind::outage);
    } else if (method == http::verb::post) {
      answer = idempotent_answer(state, p, *ex, run);
    } else {
      answer = run(*ex);
    }
    if (fate.what == kind::hang) ++stats.injected_timeouts;
    if (fate.delay.count() <= 0) return reply_with(ex, std::move(answer));
    state.after(fate.delay,
                [ex, answer = std::move(answer)]() mutable { reply_with(ex, std::move(answer)); });
  };
  routes.add(method, std::move(pattern), std::move(handler), std::move(body_type));
}

}  // namespace payorch::app::sandbox
