// Definitions, ids and step contexts.
#include "sagas/saga_model.hpp"

#include <algorithm>

#include "domain/ids.hpp"

namespace payorch::sagas {

namespace {

constexpr std::string_view saga_id_prefix = "saga_";

std::string key_of(std::string_view saga_id, std::string_view step, step_phase phase) {
  std::string key;
  key.reserve(saga_id.size() + step.size() + 13);
  key.append(saga_id).append(":").append(step);
  if (phase == step_phase::compensation) key.append(":compensate");
  if (phase == step_phase::timeout) key.append(":timeout");
  return key;
}

failure bad_definition(const saga_definition& d, std::string why) {
  return fail(errc::invalid_argument,
              "saga definition \"" + d.type + "\" is invalid: " + std::move(why), "definition");
}

status validate_retry(const saga_definition& d, const step_definition& s) {
  const auto& r = s.retry;
  if (r.max_attempts < 1) return bad_definition(d, "step " + s.name + ": max_attempts < 1");
  if (r.multiplier < 1) return bad_definition(d, "step " + s.name + ": multiplier < 1");
  if (r.initial_backoff.count() < 0 || r.max_backoff < r.initial_backoff)
    return bad_definition(d, "step " + s.name + ": backoff out of range");
  if (r.jitter_percent < 0 || r.jitter_percent > 100)
    return bad_definition(d, "step " + s.name + ": jitter_percent outside 0..100");
  if (r.attempt_timeout.count() < 0)
    return bad_definition(d, "step " + s.name + ": negative attempt_timeout");
  return {};
}

}  // namespace

std::string step_context::idempotency_key() const {
  return key_of(saga_id, step, phase);
}

std::string step_context::idempotency_key_of(std::string_view step_name) const {
  return key_of(saga_id, step_name, step_phase::action);
}

const std::string* step_context::output_of(std::string_view step_name) const {
  auto i = outputs.find(std::string(step_name));
  return i == outputs.end() ? nullptr : &i->second;
}

std::size_t wait_state::count(signal_decision d) const {
  return static_cast<std::size_t>(std::count_if(
      signals.begin(), signals.end(), [d](const received_signal& s) { return s.decision == d; }));
}

wait_verdict first_decision(const wait_state& w) {
  for (const auto& s : w.signals) {
    if (s.decision == signal_decision::approve)
      return wait_verdict::succeeded(s.payload.empty() ? "{}" : s.payload);
    if (s.decision == signal_decision::reject)
      return wait_verdict::failed("rejected by signal " + s.signal_id);
  }
  return wait_verdict::pending();
}

evaluate_fn quorum(std::size_t approvals, std::size_t rejections) {
  return [approvals, rejections](const wait_state& w) {
    auto yes = w.count(signal_decision::approve);
    auto no = w.count(signal_decision::reject);
    if (yes >= approvals)
      return wait_verdict::succeeded("{\"approvals\":" + std::to_string(yes) + "}");
    if (no >= rejections)
      return wait_verdict::failed(std::to_string(no) + " rejections reached the veto threshold");
    return wait_verdict::pending();
  };
}

step_definition action_step(std::string name, action_fn action, compensate_fn compensate,
                            retry_spec retry) {
  step_definition s;
  s.name = std::move(name);
  s.kind = step_kind::action;
  s.action = std::move(action);
  s.compensate = std::move(compensate);
  s.retry = retry;
  return s;
}

step_definition wait_step(std::string name, std::chrono::milliseconds timeout, evaluate_fn evaluate,
                          action_fn on_timeout, compensate_fn compensate) {
  step_definition s;
  s.name = std::move(name);
  s.kind = step_kind::wait;
  s.wait_timeout = timeout;
  s.evaluate = std::move(evaluate);
  s.on_timeout = std::move(on_timeout);
  s.compensate = std::move(compensate);
  return s;
}

std::optional<std::size_t> saga_definition::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].name == name) return i;
  return std::nullopt;
}

status validate(const saga_definition& d) {
  if (d.type.empty()) return bad_definition(d, "no type");
  if (d.steps.empty()) return bad_definition(d, "no steps");
  for (std::size_t i = 0; i < d.steps.size(); ++i) {
    const auto& s = d.steps[i];
    // Names end up in idempotency keys ("saga:step:compensate"), so no colons.
    if (s.name.empty() || s.name.find(':') != std::string::npos)
      return bad_definition(d, "step " + std::to_string(i + 1) + " has no valid name");
    if (d.index_of(s.name) != i) return bad_definition(d, "step name " + s.name + " repeats");
    if (s.kind == step_kind::action && !s.action)
      return bad_definition(d, "action step " + s.name + " has no action");
    if (s.kind == step_kind::wait && s.wait_timeout.count() <= 0)
      return bad_definition(d, "wait step " + s.name + " has no timeout");
    if (auto ok = validate_retry(d, s); !ok) return ok;
  }
  return {};
}

bool is_saga_id(std::string_view text) noexcept {
  return detail::is_prefixed_hex16(text, saga_id_prefix);
}

std::string stream_of(std::string_view saga_id) {
  return std::string(saga_stream_prefix) + std::string(saga_id.substr(saga_id_prefix.size()));
}

std::string saga_id_of_stream(std::string_view stream_id) {
  if (!detail::is_prefixed_hex16(stream_id, saga_stream_prefix)) return {};
  return std::string(saga_id_prefix) + std::string(stream_id.substr(saga_stream_prefix.size()));
}

step_context context_for(std::string_view saga_id, const saga_definition& definition,
                         const saga_record& record, std::size_t step, step_phase phase,
                         std::int64_t attempt) {
  step_context ctx;
  ctx.saga_id = std::string(saga_id);
  ctx.saga_type = definition.type;
  ctx.step = definition.steps[step].name;
  ctx.input = record.input;
  ctx.attempt = attempt;
  ctx.phase = phase;
  ctx.failed_step = record.failed_step;
  ctx.compensation_reason = record.compensation_reason;
  ctx.operator_approved = phase == step_phase::compensation && record.resolution &&
                          record.resolution->outcome == saga_resolution::compensate &&
                          record.resolution->step == ctx.step;
  for (const auto& s : record.steps)
    if (s.completed) ctx.outputs.emplace(s.name, s.output);
  return ctx;
}

}  // namespace payorch::sagas
