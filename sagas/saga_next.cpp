// What a saga does next, and the events that record it.
#include "sagas/saga_model.hpp"

namespace payorch::sagas {
namespace {

next_step make(action_kind kind, std::size_t step, step_phase phase = step_phase::action,
               std::int64_t attempt = 0, std::int64_t at_ms = 0) {
  next_step n;
  n.kind = kind;
  n.step = step;
  n.phase = phase;
  n.attempt = attempt;
  n.at_ms = at_ms;
  return n;
}

next_step finish(saga_status status, std::string reason) {
  next_step n;
  n.kind = action_kind::finish;
  n.status = status;
  n.reason = std::move(reason);
  return n;
}

/// A scheduled retry: run it when due, else sleep until then.
next_step retry_or_sleep(std::size_t i, const step_record& s, std::int64_t now_ms,
                         std::int64_t attempt) {
  if (now_ms >= s.retry_at_ms) return make(action_kind::run_attempt, i, s.retry_phase, attempt);
  return make(action_kind::sleep_until, i, s.retry_phase, 0, s.retry_at_ms);
}

wait_state wait_of(const saga_definition& d, const saga_record& r, std::size_t i,
                   const step_record& s) {
  wait_state w;
  w.step = d.steps[i].name;
  w.input = r.input;
  w.signals = s.signals;
  for (const auto& done : r.steps)
    if (done.completed) w.outputs.emplace(done.name, done.output);
  w.started_at_ms = s.wait_started_at_ms;
  w.deadline_at_ms = s.deadline_at_ms;
  return w;
}

next_step forward_wait(const saga_definition& d, const saga_record& r, std::size_t i,
                       const step_record& s, std::int64_t now_ms) {
  const auto& def = d.steps[i];
  if (!s.wait_started) return make(action_kind::start_wait, i);
  auto verdict =
      def.evaluate ? def.evaluate(wait_of(d, r, i, s)) : first_decision(wait_of(d, r, i, s));
  if (verdict.kind != verdict_kind::pending) {
    auto n = make(action_kind::settle_wait, i);
    n.verdict = std::move(verdict);
    return n;
  }
  if (s.retry_at_ms > 0) return retry_or_sleep(i, s, now_ms, s.attempts + 1);
  if (now_ms < s.deadline_at_ms)
    return make(action_kind::await_signal, i, step_phase::action, 0, s.deadline_at_ms);
  if (def.on_timeout) return make(action_kind::run_attempt, i, step_phase::timeout, s.attempts + 1);
  return make(action_kind::expire_wait, i, step_phase::timeout);
}

std::string give_up_reason(const saga_definition& d, std::size_t i, const step_record& s) {
  const auto& name = d.steps[i].name;
  if (s.last_failure_retryable && s.failures >= d.steps[i].retry.max_attempts)
    return "step " + name + " failed after " + std::to_string(s.failures) +
           " attempts: " + s.last_error;
  return "step " + name + " failed: " + s.last_error;
}

next_step forward(const saga_definition& d, const saga_record& r, std::int64_t now_ms) {
  for (std::size_t i = 0; i < d.steps.size(); ++i) {
    const auto& def = d.steps[i];
    const auto* s = r.step(def.name);
    if (s && s->status == step_status::succeeded) continue;
    if (s && s->attempt_open)
      return make(action_kind::run_attempt, i, s->open_phase, s->attempts + 1);
    if (s && s->gave_up) {
      auto n = make(action_kind::begin_compensation, i);
      n.reason = give_up_reason(d, i, *s);
      return n;
    }
    if (def.kind == step_kind::wait) {
      static const step_record untouched;
      return forward_wait(d, r, i, s ? *s : untouched, now_ms);
    }
    if (s && s->retry_at_ms > 0) return retry_or_sleep(i, *s, now_ms, s->attempts + 1);
    return make(action_kind::run_attempt, i, step_phase::action, s ? s->attempts + 1 : 1);
  }
  return finish(saga_status::completed, {});
}

std::string compensation_failure_reason(const std::string& step, const std::string& error) {
  return "compensation of step " + step + " failed: " + error;
}

next_step backward(const saga_definition& d, const saga_record& r, std::int64_t now_ms) {
  for (std::size_t k = d.steps.size(); k-- > 0;) {
    const auto& def = d.steps[k];
    const auto* s = r.step(def.name);
    const bool to_undo = s && (s->completed || (def.undo_if_attempted && s->attempts > 0));
    if (!to_undo || !def.compensate || s->status == step_status::compensated) continue;
    if (s->status == step_status::compensation_failed)
      return finish(saga_status::failed, compensation_failure_reason(def.name, s->last_error));
    auto attempt = s->compensation_attempts + 1;
    if (s->attempt_open)
      return make(action_kind::run_attempt, k, step_phase::compensation, attempt);
    // Only the undo's own giving up fails it (the step's action may have given up before).
    if (s->gave_up && s->retry_phase == step_phase::compensation) {
      auto n = make(action_kind::fail_compensation, k, step_phase::compensation);
      n.reason = s->last_error;
      return n;
    }
    if (s->retry_at_ms > 0) return retry_or_sleep(k, *s, now_ms, attempt);
    return make(action_kind::run_attempt, k, step_phase::compensation, attempt);
  }
  return finish(saga_status::compensated, r.compensation_reason);
}

/// The events of one action, without follow-ups.
std::vector<saga_event> primary_events(const saga_definition& d, const saga_record& r,
                                       const next_step& n, std::int64_t now_ms) {
  const auto& name = d.steps[n.step].name;
  const auto* s = r.step(name);
  const std::int64_t attempts = s ? s->attempts : 0;
  switch (n.kind) {
    case action_kind::none:
    case action_kind::sleep_until:
    case action_kind::await_signal:
      return {};
    case action_kind::run_attempt:
      return {step_attempted{name, n.attempt, n.phase, now_ms}};
    case action_kind::start_wait:
      return {wait_started{name, now_ms + d.steps[n.step].wait_timeout.count(), now_ms}};
    case action_kind::settle_wait:
      if (n.verdict.kind == verdict_kind::succeeded)
        return {step_succeeded{name, attempts, n.verdict.output, now_ms}};
      return {step_failed{name, attempts, step_phase::action, n.verdict.reason, false, 0, now_ms}};
    case action_kind::expire_wait:
      return {step_failed{name, attempts, step_phase::timeout, "no decision before the deadline",
                          false, 0, now_ms}};
    case action_kind::begin_compensation:
      return {compensation_started{n.reason, name, now_ms}};
    case action_kind::fail_compensation:
      return {compensation_failed{name, n.reason, now_ms}};
    case action_kind::finish:
      return {saga_finished{n.status, n.reason, now_ms}};
  }
  return {};
}

/// Bookkeeping that needs nothing from outside, so it goes into the same append as the events
/// that lead to it (a final failure and the start of the compensation are one durable fact).
bool is_bookkeeping(action_kind k) {
  return k == action_kind::settle_wait || k == action_kind::begin_compensation ||
         k == action_kind::fail_compensation || k == action_kind::finish;
}

/// How far extend() goes on its own.
enum class reach : std::uint8_t {
  bookkeeping,   ///< only what is pure bookkeeping (a step's outcome and what it settles)
  next_attempt,  ///< also waits started and the next attempt's StepAttempted
};

/// Appends to `events` (already applied to `scratch`) what follows from them without anything
/// from outside, up to `how_far`; returns the attempt to run once they are durable, if the chain
/// ends in one.
std::optional<next_step> extend(const saga_definition& d, std::optional<saga_record>& scratch,
                                std::vector<saga_event>& events, std::int64_t now_ms,
                                reach how_far) {
  // A saga has few such steps in a row (an outcome, a wait, an attempt; or fail, start
  // compensating, finish); the bound only guards against a definition whose evaluation flips.
  for (int guard = 0; guard < 32 && scratch; ++guard) {
    auto next = next_action(d, *scratch, now_ms);
    const bool go = how_far == reach::bookkeeping
                        ? is_bookkeeping(next.kind)
                        : next.kind != action_kind::none && next.kind != action_kind::sleep_until &&
                              next.kind != action_kind::await_signal;
    if (!go) return std::nullopt;
    auto more = primary_events(d, *scratch, next, now_ms);
    if (more.empty()) return std::nullopt;
    for (auto& e : more) {
      if (!apply_event(scratch, e)) return std::nullopt;
      events.push_back(std::move(e));
    }
    if (next.kind == action_kind::run_attempt) return next;
  }
  return std::nullopt;
}

std::vector<saga_event> with_follow_ups(const saga_definition& d, const saga_record& r,
                                        std::vector<saga_event> events, std::int64_t now_ms) {
  std::optional<saga_record> scratch = r;
  for (const auto& e : events)
    if (!apply_event(scratch, e)) return events;
  extend(d, scratch, events, now_ms, reach::bookkeeping);
  return events;
}

failure refuse_signal(errc code, std::string detail, std::string param = {}) {
  return fail(code, std::move(detail), std::move(param));
}

}  // namespace

std::string_view to_string(step_status s) noexcept {
  switch (s) {
    case step_status::pending:
      return "PENDING";
    case step_status::running:
      return "RUNNING";
    case step_status::retry_scheduled:
      return "RETRY_SCHEDULED";
    case step_status::waiting:
      return "WAITING";
    case step_status::succeeded:
      return "SUCCEEDED";
    case step_status::failed:
      return "FAILED";
    case step_status::compensating:
      return "COMPENSATING";
    case step_status::compensated:
      return "COMPENSATED";
    case step_status::compensation_failed:
      return "COMPENSATION_FAILED";
  }
  return "UNKNOWN";
}

next_step next_action(const saga_definition& definition, const saga_record& record,
                      std::int64_t now_ms) {
  switch (record.status) {
    case saga_status::running:
      return forward(definition, record, now_ms);
    case saga_status::compensating:
      return backward(definition, record, now_ms);
    case saga_status::completed:
    case saga_status::compensated:
    case saga_status::failed:
      break;
  }
  return {};
}

std::optional<next_step> chain_events(const saga_definition& definition,
                                      const std::optional<saga_record>& record,
                                      std::vector<saga_event>& events, std::int64_t now_ms) {
  std::optional<saga_record> scratch = record;
  for (const auto& e : events)
    if (!apply_event(scratch, e)) return std::nullopt;
  return extend(definition, scratch, events, now_ms, reach::next_attempt);
}

std::vector<saga_event> events_for(const saga_definition& definition, const saga_record& record,
                                   const next_step& next, std::int64_t now_ms) {
  auto events = primary_events(definition, record, next, now_ms);
  if (events.empty() || !is_bookkeeping(next.kind)) return events;
  return with_follow_ups(definition, record, std::move(events), now_ms);
}

std::vector<saga_event> events_for_outcome(std::string_view saga_id,
                                           const saga_definition& definition,
                                           const saga_record& record, std::size_t step,
                                           step_phase phase, std::int64_t attempt,
                                           const step_outcome& outcome, std::int64_t now_ms) {
  const auto& def = definition.steps[step];
  if (outcome.kind == outcome_kind::succeeded) {
    if (phase == step_phase::compensation)
      return with_follow_ups(definition, record, {step_compensated{def.name, attempt, now_ms}},
                             now_ms);
    return with_follow_ups(definition, record,
                           {step_succeeded{def.name, attempt, outcome.output, now_ms}}, now_ms);
  }
  const auto* s = record.step(def.name);
  std::int64_t failures =
      1 + (s ? (phase == step_phase::compensation ? s->compensation_failures : s->failures) : 0);
  const bool retryable = outcome.kind == outcome_kind::retryable_failure;
  // Signals that arrived while the deadline's action ran were recorded and answered: a decision
  // among them wins over that action giving up (a final failure, or a retryable one that used
  // the last attempt), as it does over a retry (the wait is then judged before the action runs
  // again), so an accepted callback or vote is not lost.
  const bool gives_up = !retryable || failures >= def.retry.max_attempts;
  if (phase == step_phase::timeout && gives_up && def.kind == step_kind::wait && s != nullptr) {
    const auto w = wait_of(definition, record, step, *s);
    auto verdict = def.evaluate ? def.evaluate(w) : first_decision(w);
    if (verdict.kind == verdict_kind::succeeded)
      return with_follow_ups(definition, record,
                             {step_succeeded{def.name, attempt, verdict.output, now_ms}}, now_ms);
    if (verdict.kind == verdict_kind::failed)
      return with_follow_ups(
          definition, record,
          {step_failed{def.name, attempt, phase, verdict.reason, false, 0, now_ms}}, now_ms);
  }
  std::int64_t retry_at = 0;
  if (retryable && failures < def.retry.max_attempts) {
    auto key = context_for(saga_id, definition, record, step, phase, attempt).idempotency_key();
    retry_at = now_ms + backoff(def.retry, failures, key).count();
  }
  return with_follow_ups(
      definition, record,
      {step_failed{def.name, attempt, phase, outcome.reason, retryable, retry_at, now_ms}}, now_ms);
}

result<std::vector<saga_event>> events_for_signal(const saga_definition& definition,
                                                  const saga_record& record,
                                                  const saga_signal& signal, std::int64_t now_ms) {
  if (record.status != saga_status::running)
    return refuse_signal(
        errc::illegal_transition,
        "the saga is " + std::string(to_string(record.status)) + "; signals are no longer applied");
  auto index = definition.index_of(signal.step);
  if (!index) return refuse_signal(errc::not_found, "no step " + signal.step, "step");
  if (definition.steps[*index].kind != step_kind::wait)
    return refuse_signal(errc::invalid_argument,
                         "step " + signal.step + " does not wait for signals", "step");
  const auto* s = record.step(signal.step);
  if (s && s->has_signal(signal.signal_id)) return std::vector<saga_event>{};
  if (s && (s->completed || s->gave_up))
    return refuse_signal(errc::illegal_transition, "step " + signal.step + " is already finished",
                         "step");
  return with_follow_ups(
      definition, record,
      {signal_received{signal.step, signal.signal_id, signal.decision, signal.payload, now_ms}},
      now_ms);
}

std::chrono::milliseconds backoff(const retry_spec& spec, std::int64_t failures,
                                  std::string_view key) {
  const std::int64_t cap = spec.max_backoff.count();
  std::int64_t delay = spec.initial_backoff.count();
  for (std::int64_t i = 1; i < failures && delay < cap; ++i)
    delay = delay > cap / spec.multiplier ? cap : delay * spec.multiplier;
  delay = std::min(delay, cap);
  if (spec.jitter_percent > 0 && delay > 0) {
    // FNV-1a over the key and the failure count: the same on every node and after a restart.
    std::uint64_t h = 14695981039346656037ULL;
    auto mix = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ULL; };
    for (char c : key) mix(static_cast<unsigned char>(c));
    for (int b = 0; b < 8; ++b) mix(static_cast<unsigned char>(failures >> (8 * b)));
    const auto span = delay / 100 * spec.jitter_percent + delay % 100 * spec.jitter_percent / 100;
    if (span > 0) delay -= static_cast<std::int64_t>(h % static_cast<std::uint64_t>(span + 1));
  }
  return std::chrono::milliseconds(delay);
}

std::optional<std::size_t> current_step(const saga_definition& definition,
                                        const saga_record& record) {
  if (record.status == saga_status::completed || record.status == saga_status::compensated)
    return std::nullopt;
  if (record.status == saga_status::failed) {
    for (std::size_t i = 0; i < definition.steps.size(); ++i) {
      const auto* s = record.step(definition.steps[i].name);
      if (s && s->status == step_status::compensation_failed) return i;
    }
    return std::nullopt;
  }
  auto next = next_action(definition, record, 0);
  if (next.kind == action_kind::none || next.kind == action_kind::finish) return std::nullopt;
  return next.step;
}

}  // namespace payorch::sagas
