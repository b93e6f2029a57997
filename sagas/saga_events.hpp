#pragma once
/// The saga events: what a saga journals in its stream, typed, and their JSON payloads.
///
/// The saga actor journals these before it acts (StepAttempted before the action runs) and
/// after (StepSucceeded, StepFailed, ...); recovery decodes the same JSON and folds it with the
/// same `apply_event`, so a restarted saga knows exactly where it stopped. Payloads are JSON
/// objects; JSON texts the saga carries (input, outputs, signal payloads) are stored as strings so
/// they come back byte for byte. Times are Unix milliseconds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "actors/saga_protocol.hpp"
#include "domain/result.hpp"
#include "persistence/journal.hpp"

namespace payorch::sagas {

using actors::signal_decision;
using actors::step_phase;

/// Where a saga is: running forward, undoing, or finished one of three ways.
enum class saga_status : std::uint8_t { running, compensating, completed, compensated, failed };

/// RUNNING, COMPENSATING, COMPLETED, COMPENSATED or FAILED.
std::string_view to_string(saga_status s) noexcept;
std::optional<saga_status> saga_status_from_string(std::string_view text) noexcept;
bool is_finished(saga_status s) noexcept;

/// ACTION, TIMEOUT or COMPENSATION.
std::string_view to_string(step_phase p) noexcept;
std::optional<step_phase> step_phase_from_string(std::string_view text) noexcept;

/// APPROVE, REJECT or PAYLOAD.
std::string_view to_string(signal_decision d) noexcept;
std::optional<signal_decision> signal_decision_from_string(std::string_view text) noexcept;

/// How an operator resolved a compensation that could not complete (resolve_saga): what the
/// step did stands and the saga is COMPLETED, or its compensation runs again on their word.
enum class saga_resolution : std::uint8_t { completed, compensate };

/// COMPLETED or COMPENSATE.
std::string_view to_string(saga_resolution r) noexcept;
std::optional<saga_resolution> saga_resolution_from_string(std::string_view text) noexcept;

struct saga_started {
  std::string type;
  std::string input;
  std::int64_t at_ms = 0;
  friend bool operator==(const saga_started&, const saga_started&) = default;
};

/// Written before the action (or timeout action, or compensation) runs.
struct step_attempted {
  std::string step;
  std::int64_t attempt = 0;
  step_phase phase = step_phase::action;
  std::int64_t at_ms = 0;
  friend bool operator==(const step_attempted&, const step_attempted&) = default;
};

/// The step's action (or timeout action, or a wait's evaluation) succeeded.
struct step_succeeded {
  std::string step;
  std::int64_t attempt = 0;
  std::string output;
  std::int64_t at_ms = 0;
  friend bool operator==(const step_succeeded&, const step_succeeded&) = default;
};

/// An attempt failed; `retry_at_ms` > 0 schedules the next attempt, 0 gives up.
struct step_failed {
  std::string step;
  std::int64_t attempt = 0;
  step_phase phase = step_phase::action;
  std::string reason;
  bool retryable = false;
  std::int64_t retry_at_ms = 0;
  std::int64_t at_ms = 0;
  friend bool operator==(const step_failed&, const step_failed&) = default;
};

struct wait_started {
  std::string step;
  std::int64_t deadline_at_ms = 0;
  std::int64_t at_ms = 0;
  friend bool operator==(const wait_started&, const wait_started&) = default;
};

struct signal_received {
  std::string step;
  std::string signal_id;
  signal_decision decision = signal_decision::payload_only;
  std::string payload;
  std::int64_t at_ms = 0;
  friend bool operator==(const signal_received&, const signal_received&) = default;
};

struct compensation_started {
  std::string reason;
  std::string failed_step;
  std::int64_t at_ms = 0;
  friend bool operator==(const compensation_started&, const compensation_started&) = default;
};

struct step_compensated {
  std::string step;
  std::int64_t attempt = 0;
  std::int64_t at_ms = 0;
  friend bool operator==(const step_compensated&, const step_compensated&) = default;
};

/// A compensation failed for good; the saga ends FAILED and an operator is alerted.
struct compensation_failed {
  std::string step;
  std::string reason;
  std::int64_t at_ms = 0;
  friend bool operator==(const compensation_failed&, const compensation_failed&) = default;
};

struct saga_finished {
  saga_status status = saga_status::completed;
  std::string reason;
  std::int64_t at_ms = 0;
  friend bool operator==(const saga_finished&, const saga_finished&) = default;
};

/// An operator's retry_saga: the FAILED saga compensates `step` again with a fresh budget.
struct compensation_retried {
  std::string step;
  std::int64_t at_ms = 0;
  friend bool operator==(const compensation_retried&, const compensation_retried&) = default;
};

/// An operator's resolve_saga on the FAILED saga whose compensation of `step` failed.
struct saga_resolved {
  std::string step;
  saga_resolution outcome = saga_resolution::completed;
  std::string reason;  ///< what the operator found
  std::string by;      ///< who resolved it
  std::int64_t at_ms = 0;
  friend bool operator==(const saga_resolved&, const saga_resolved&) = default;
};

using saga_event =
    std::variant<saga_started, step_attempted, step_succeeded, step_failed, wait_started,
                 signal_received, compensation_started, step_compensated, compensation_failed,
                 saga_finished, compensation_retried, saga_resolved>;

/// The journal's event type name, e.g. "StepAttempted".
std::string_view event_type_of(const saga_event& event) noexcept;

/// The event as the journal stores it (type, JSON payload, time).
persistence::new_event encode_event(const saga_event& event);

/// The typed event of a stored type and payload; internal_error for anything else.
result<saga_event> decode_event(std::string_view type, std::string_view payload);
result<saga_event> decode_event(const persistence::event_record& record);

}  // namespace payorch::sagas
