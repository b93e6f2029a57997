// The fold of a saga's events into its record.
#include <algorithm>
#include <utility>

#include "actors/overloaded.hpp"
#include "sagas/saga_model.hpp"

namespace payorch::sagas {
namespace {

using actors::overloaded;

failure misfit(std::string_view type, std::string why) {
  return fail(errc::internal_error,
              "saga event " + std::string(type) + " does not fit the saga: " + std::move(why));
}

step_record& step_of(saga_record& r, const std::string& name) {
  if (auto* s = r.step(name)) return *s;
  r.steps.push_back({});
  r.steps.back().name = name;
  return r.steps.back();
}

/// The history entry of the attempt that has no outcome yet, if any.
attempt_entry* open_entry(step_record& s) {
  if (s.history.empty() || s.history.back().result != attempt_result::open) return nullptr;
  return &s.history.back();
}

void close_entry(step_record& s, attempt_result result, std::int64_t at_ms, std::string error = {},
                 std::int64_t retry_at_ms = 0) {
  if (auto* e = open_entry(s)) {
    e->result = result;
    e->finished_at_ms = at_ms;
    e->error = std::move(error);
    e->retry_at_ms = retry_at_ms;
  }
}

void on_attempted(step_record& s, const step_attempted& e) {
  // An attempt still open here was cut short by a crash: say so in the history.
  close_entry(s, attempt_result::failed, e.at_ms, "interrupted: no outcome was recorded");
  s.attempt_open = true;
  s.open_phase = e.phase;
  s.retry_at_ms = 0;
  if (e.phase == step_phase::compensation) {
    s.compensation_attempts = std::max(s.compensation_attempts, e.attempt);
    s.status = step_status::compensating;
  } else {
    s.attempts = std::max(s.attempts, e.attempt);
    s.status = step_status::running;
    if (s.started_at_ms == 0) s.started_at_ms = e.at_ms;
  }
  s.history.push_back({e.phase, e.attempt, e.at_ms, 0, attempt_result::open, {}, 0});
}

void on_failed(step_record& s, const step_failed& e) {
  close_entry(s, attempt_result::failed, e.at_ms, e.reason, e.retry_at_ms);
  s.attempt_open = false;
  s.last_error = e.reason;
  s.last_failure_retryable = e.retryable;
  s.retry_at_ms = e.retry_at_ms;
  s.retry_phase = e.phase;
  s.gave_up = e.retry_at_ms == 0;
  if (e.phase == step_phase::compensation) {
    ++s.compensation_failures;
    s.status = s.gave_up ? step_status::compensating : step_status::retry_scheduled;
  } else {
    ++s.failures;
    s.status = s.gave_up ? step_status::failed : step_status::retry_scheduled;
    if (s.gave_up) s.finished_at_ms = e.at_ms;
  }
}

/// The FAILED saga compensates `s` again with a fresh budget (an operator's retry or resolution).
void compensate_again(saga_record& r, step_record& s) {
  s.status = step_status::compensating;
  s.compensation_failures = 0;
  s.gave_up = false;
  s.retry_at_ms = 0;
  r.status = saga_status::compensating;
  r.finish_reason.clear();
  r.finished_at_ms = 0;
}

status fold(saga_record& r, const saga_event& event) {
  auto type = event_type_of(event);
  if (is_finished(r.status) && !std::holds_alternative<compensation_retried>(event) &&
      !std::holds_alternative<saga_resolved>(event))
    return misfit(type, "the saga is already " + std::string(to_string(r.status)));
  return std::visit(
      overloaded{
          [&](const saga_started&) -> status { return misfit(type, "the saga exists"); },
          [&](const step_attempted& e) -> status {
            on_attempted(step_of(r, e.step), e);
            return {};
          },
          [&](const step_succeeded& e) -> status {
            auto& s = step_of(r, e.step);
            close_entry(s, attempt_result::succeeded, e.at_ms);
            s.status = step_status::succeeded;
            s.completed = true;
            s.output = e.output;
            s.attempt_open = false;
            s.retry_at_ms = 0;
            s.gave_up = false;
            s.finished_at_ms = e.at_ms;
            return {};
          },
          [&](const step_failed& e) -> status {
            on_failed(step_of(r, e.step), e);
            return {};
          },
          [&](const wait_started& e) -> status {
            auto& s = step_of(r, e.step);
            s.status = step_status::waiting;
            s.wait_started = true;
            s.wait_started_at_ms = e.at_ms;
            s.deadline_at_ms = e.deadline_at_ms;
            if (s.started_at_ms == 0) s.started_at_ms = e.at_ms;
            return {};
          },
          [&](const signal_received& e) -> status {
            auto& s = step_of(r, e.step);
            if (!s.has_signal(e.signal_id))
              s.signals.push_back({e.signal_id, e.decision, e.payload, e.at_ms});
            return {};
          },
          [&](const compensation_started& e) -> status {
            if (r.status != saga_status::running) return misfit(type, "already compensating");
            r.status = saga_status::compensating;
            r.compensation_reason = e.reason;
            r.failed_step = e.failed_step;
            return {};
          },
          [&](const step_compensated& e) -> status {
            auto& s = step_of(r, e.step);
            close_entry(s, attempt_result::succeeded, e.at_ms);
            s.status = step_status::compensated;
            s.attempt_open = false;
            s.retry_at_ms = 0;
            s.gave_up = false;
            return {};
          },
          [&](const compensation_failed& e) -> status {
            auto& s = step_of(r, e.step);
            s.status = step_status::compensation_failed;
            s.last_error = e.reason;
            s.gave_up = true;
            return {};
          },
          [&](const saga_finished& e) -> status {
            if (!is_finished(e.status)) return misfit(type, "not a final status");
            r.status = e.status;
            r.finish_reason = e.reason;
            r.finished_at_ms = e.at_ms;
            return {};
          },
          [&](const compensation_retried& e) -> status {
            auto* s = r.failed_compensation();
            if (!s || s->name != e.step)
              return misfit(type, "no failed compensation of step " + e.step);
            compensate_again(r, *s);
            return {};
          },
          [&](const saga_resolved& e) -> status {
            auto* s = r.failed_compensation();
            if (!s || s->name != e.step)
              return misfit(type, "no failed compensation of step " + e.step);
            r.resolution = e;
            if (e.outcome == saga_resolution::compensate) {
              compensate_again(r, *s);
              return {};
            }
            // What the step did stands: the saga ends as if it had not been undone at all.
            s->status = step_status::succeeded;
            s->gave_up = false;
            s->retry_at_ms = 0;
            r.status = saga_status::completed;
            r.finish_reason = "resolved by " + e.by + ": " + e.reason;
            r.finished_at_ms = e.at_ms;
            return {};
          },
      },
      event);
}

}  // namespace

bool step_record::has_signal(std::string_view signal_id) const {
  return std::any_of(signals.begin(), signals.end(),
                     [signal_id](const received_signal& s) { return s.signal_id == signal_id; });
}

step_record* saga_record::step(std::string_view name) {
  for (auto& s : steps)
    if (s.name == name) return &s;
  return nullptr;
}

const step_record* saga_record::step(std::string_view name) const {
  for (const auto& s : steps)
    if (s.name == name) return &s;
  return nullptr;
}

const step_record* saga_record::failed_compensation() const {
  if (status != saga_status::failed) return nullptr;
  for (const auto& s : steps)
    if (s.status == step_status::compensation_failed) return &s;
  return nullptr;
}

step_record* saga_record::failed_compensation() {
  return const_cast<step_record*>(std::as_const(*this).failed_compensation());
}

status apply_event(std::optional<saga_record>& record, const saga_event& event) {
  if (const auto* started = std::get_if<saga_started>(&event)) {
    if (record) return misfit("SagaStarted", "the saga exists");
    record.emplace();
    record->type = started->type;
    record->input = started->input;
    record->started_at_ms = started->at_ms;
    record->updated_at_ms = started->at_ms;
    return {};
  }
  if (!record) return misfit(event_type_of(event), "no SagaStarted before it");
  auto ok = fold(*record, event);
  if (ok) record->updated_at_ms = std::visit([](const auto& e) { return e.at_ms; }, event);
  return ok;
}

}  // namespace payorch::sagas
