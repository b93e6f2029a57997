// JSON of saga views (see saga_json.hpp).
#include "gateway/saga_json.hpp"

#include "gateway/handler_support.hpp"

namespace payorch::gateway {
namespace {

/// A step's output is JSON text the saga stored; it is written as the value it is.
void write_json_text(json_writer& w, std::string_view key, const std::string& text) {
  w.key(key);
  if (text.empty())
    w.null();
  else
    w.raw_value(text);
}

/// What a saga and its summary both begin with.
void write_saga_head(json_writer& w, const std::string& saga_id, const std::string& type,
                     const std::string& status, const std::string& current_step,
                     const std::string& reason) {
  w.field("saga_id", saga_id).field("type", type).field("status", status);
  write_text_or_null(w, "current_step", current_step);
  write_text_or_null(w, "reason", reason);
}

}  // namespace

void write_saga_resolution(json_writer& w, const actors::saga_view& v) {
  w.key("resolution");
  if (v.resolution.empty()) {
    w.null();
    return;
  }
  w.begin_object()
      .field("outcome", v.resolution)
      .field("step", v.resolved_step)
      .field("reason", v.resolution_reason)
      .field("by", v.resolved_by);
  write_time_or_null(w, "at", v.resolved_at_ms);
  w.end_object();
}

void write_saga_steps(json_writer& w, const actors::saga_view& v) {
  w.key("steps").begin_array();
  for (const auto& s : v.steps) {
    w.begin_object()
        .field("name", s.name)
        .field("kind", s.kind)
        .field("status", s.status)
        .field("attempts", s.attempts)
        .field("compensation_attempts", s.compensation_attempts);
    write_time_or_null(w, "started_at", s.started_at_ms);
    write_time_or_null(w, "finished_at", s.finished_at_ms);
    write_time_or_null(w, "retry_at", s.retry_at_ms);
    write_time_or_null(w, "deadline_at", s.deadline_at_ms);
    write_json_text(w, "output", s.output);
    write_text_or_null(w, "last_error", s.last_error);
    w.key("history").begin_array();
    for (const auto& a : s.history) {
      w.begin_object().field("phase", a.phase).field("attempt", a.attempt);
      write_time_or_null(w, "started_at", a.started_at_ms);
      write_time_or_null(w, "finished_at", a.finished_at_ms);
      w.field("result", a.result);
      write_text_or_null(w, "error", a.error);
      write_time_or_null(w, "retry_at", a.retry_at_ms);
      w.end_object();
    }
    w.end_array().key("signals").begin_array();
    for (const auto& sig : s.signals) {
      w.begin_object().field("signal_id", sig.signal_id).field("decision", sig.decision);
      write_json_text(w, "payload", sig.payload);  // empty for a step with private signals
      write_time_or_null(w, "at", sig.at_ms);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();
}

void write_saga(json_writer& w, const actors::saga_view& v) {
  w.begin_object();
  write_saga_head(w, v.saga_id, v.type, v.status, v.current_step, v.reason);
  write_text_or_null(w, "failed_step", v.failed_step);
  write_json_text(w, "input", v.input);
  write_time_or_null(w, "started_at", v.started_at_ms);
  write_time_or_null(w, "updated_at", v.updated_at_ms);
  write_time_or_null(w, "finished_at", v.finished_at_ms);
  w.field("version", v.version);
  write_saga_resolution(w, v);
  write_saga_steps(w, v);
  w.end_object();
}

void write_saga_summary(json_writer& w, const actors::saga_summary& s) {
  w.begin_object();
  write_saga_head(w, s.saga_id, s.type, s.status, s.current_step, s.reason);
  write_time_or_null(w, "started_at", s.started_at_ms);
  write_time_or_null(w, "updated_at", s.updated_at_ms);
  w.end_object();
}

}  // namespace payorch::gateway
