#pragma once
/// The saga engine's pure model: definitions, the record folded from a saga's events, and what
/// the saga must do next.
///
/// No actors here. The saga actor asks `next_action` what to do, journals the events
/// `events_for` (or `events_for_outcome`, `events_for_signal`) return, folds them into its
/// record with `apply_event` once they are durable, and only then acts. Recovery folds the stored
/// events with the same `apply_event` and asks `next_action` again, so a saga resumes exactly where
/// its journal says it stopped: an attempt journaled without an outcome runs again, with the
/// same idempotency key.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/saga_protocol.hpp"
#include "domain/result.hpp"
#include "sagas/saga_events.hpp"

namespace payorch::sagas {

using actors::outcome_kind;
using actors::saga_signal;
using actors::step_outcome;

enum class step_kind : std::uint8_t { action, wait };

/// What an action sees. Valid only during the call: an action that answers later copies what
/// it needs.
struct step_context {
  std::string saga_id;
  std::string saga_type;
  std::string step;
  std::string input;                           ///< the saga's input (JSON text)
  std::map<std::string, std::string> outputs;  ///< outputs of the steps done so far, by name
  std::int64_t attempt = 1;                    ///< 1, 2, ... per phase; grows after a crash too
  step_phase phase = step_phase::action;
  /// While compensating: the step whose failure started it, and why (else both empty).
  std::string failed_step;
  std::string compensation_reason;
  /// A compensation an operator resolved with COMPENSATE (resolve_saga): they checked that undoing
  /// the step is safe, so it need not ask again what it would otherwise check first.
  bool operator_approved = false;

  /// saga_id + ":" + step, plus ":compensate" for a compensation and ":timeout" for a timeout
  /// action: the same on every attempt and after a restart, so a provider acts once.
  std::string idempotency_key() const;
  /// The key another step's action used (e.g. a timeout action asking the rail about a payout).
  std::string idempotency_key_of(std::string_view step_name) const;
  /// The output of an earlier step, or null.
  const std::string* output_of(std::string_view step_name) const;
};

/// Reports an attempt's outcome; may be called from any thread, once (later calls are
/// ignored).
using step_done = std::function<void(step_outcome)>;
using action_fn = std::function<void(const step_context&, step_done)>;
using compensate_fn = action_fn;

/// Exponential backoff between attempts of one phase of a step.
struct retry_spec {
  std::int64_t max_attempts = 3;  ///< failed attempts allowed before giving up (>= 1)
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60'000};
  std::int64_t multiplier = 2;      ///< >= 1
  std::int64_t jitter_percent = 0;  ///< 0..100: shortens each delay by up to this share
  /// An attempt with no answer after this long counts as a retryable failure; 0: wait forever.
  std::chrono::milliseconds attempt_timeout{0};
};

/// One signal a wait step received.
struct received_signal {
  std::string signal_id;
  signal_decision decision = signal_decision::payload_only;
  std::string payload;
  std::int64_t at_ms = 0;
  friend bool operator==(const received_signal&, const received_signal&) = default;
};

/// What a wait step's evaluation sees.
struct wait_state {
  std::string saga_id;
  std::string step;
  std::string input;
  std::vector<received_signal> signals;  ///< in arrival order, one per signal id
  std::map<std::string, std::string> outputs;  ///< outputs of the steps done so far, by name
  std::int64_t started_at_ms = 0;
  std::int64_t deadline_at_ms = 0;

  std::size_t count(signal_decision d) const;
};

enum class verdict_kind : std::uint8_t { pending, succeeded, failed };

struct wait_verdict {
  verdict_kind kind = verdict_kind::pending;
  std::string output;  ///< succeeded: the step's output
  std::string reason;  ///< failed: why
  friend bool operator==(const wait_verdict&, const wait_verdict&) = default;

  static wait_verdict pending() { return {}; }
  static wait_verdict succeeded(std::string output = "{}") {
    return {verdict_kind::succeeded, std::move(output), {}};
  }
  static wait_verdict failed(std::string reason) {
    return {verdict_kind::failed, {}, std::move(reason)};
  }
};

/// Decides a wait from its signals; must be pure (it is asked again after a restart).
using evaluate_fn = std::function<wait_verdict(const wait_state&)>;

/// The default evaluation: the first APPROVE succeeds, the first REJECT fails.
wait_verdict first_decision(const wait_state& w);

/// Succeeds at `approvals` APPROVE signals, fails at `rejections` REJECT signals.
evaluate_fn quorum(std::size_t approvals, std::size_t rejections);

struct step_definition {
  std::string name;
  step_kind kind = step_kind::action;
  action_fn action;          ///< action steps
  compensate_fn compensate;  ///< empty: nothing to undo
  retry_spec retry;          ///< for the action, the timeout action and the compensation
  std::chrono::milliseconds wait_timeout{0};  ///< wait steps: deadline from the wait's start
  evaluate_fn evaluate;                       ///< wait steps; empty: first_decision
  action_fn on_timeout;  ///< wait steps: runs at the deadline and decides; empty: the step fails
  /// Undo this step even when its action never completed, once it was attempted: for an action
  /// whose effect may land although its answer was lost (a write that timed out and committed
  /// later), and whose undo is harmless when there is nothing to undo.
  bool undo_if_attempted = false;
  /// Whether an operator may resolve a compensation of this step that failed for good with
  /// `last_error` (resolve_saga): for undos that refuse until an outside fact is known, e.g.
  /// whether a bank paid. Empty: never.
  std::function<bool(std::string_view last_error)> operator_resolvable;
  /// Wait steps whose signals carry a secret (a one-time password): views list each signal
  /// without its payload.
  bool private_signals = false;
};

/// An action step.
step_definition action_step(std::string name, action_fn action, compensate_fn compensate = {},
                            retry_spec retry = {});

/// A wait step completed by signals.
step_definition wait_step(std::string name, std::chrono::milliseconds timeout,
                          evaluate_fn evaluate = {}, action_fn on_timeout = {},
                          compensate_fn compensate = {});

struct saga_definition {
  std::string type;
  std::vector<step_definition> steps;
  /// The input member (a string) naming whom the saga acts for, e.g. a settlement's "pod_id":
  /// list_sagas can list one owner's sagas. Empty: none.
  std::string owner_member{};
  /// Input members a listing shows (saga_summary::details), e.g. the amount.
  std::vector<std::string> summary_members{};

  /// The index of the step named `name`, if any.
  std::optional<std::size_t> index_of(std::string_view name) const;
};

/// Saga definitions by type.
using saga_registry = std::map<std::string, saga_definition, std::less<>>;

/// invalid_argument naming the first problem: no type or steps, a repeated or empty step name,
/// a missing action, a wait without a timeout, a retry spec out of range.
status validate(const saga_definition& definition);

// ---- ids ----

/// True for "saga_" followed by 16 lower-case hex digits (domain's saga_id).
bool is_saga_id(std::string_view text) noexcept;
/// The journal stream of a saga: "sag_" followed by the id's 16 hex digits.
std::string stream_of(std::string_view saga_id);
/// The saga id of a "sag_" stream, or empty if it is not one.
std::string saga_id_of_stream(std::string_view stream_id);
/// The prefix every saga stream starts with.
inline constexpr std::string_view saga_stream_prefix = "sag_";

// ---- the record ----

enum class step_status : std::uint8_t {
  pending,
  running,
  retry_scheduled,
  waiting,
  succeeded,
  failed,
  compensating,
  compensated,
  compensation_failed,
};

std::string_view to_string(step_status s) noexcept;

enum class attempt_result : std::uint8_t { open, succeeded, failed };

struct attempt_entry {
  step_phase phase = step_phase::action;
  std::int64_t attempt = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  attempt_result result = attempt_result::open;
  std::string error;
  std::int64_t retry_at_ms = 0;
};

struct step_record {
  std::string name;
  step_status status = step_status::pending;
  std::int64_t attempts = 0;  ///< action and timeout attempts started
  std::int64_t failures = 0;  ///< of those, failed
  std::int64_t compensation_attempts = 0;
  std::int64_t compensation_failures = 0;  ///< since the compensation (re)started
  bool attempt_open = false;               ///< the last attempt has no outcome yet
  step_phase open_phase = step_phase::action;
  std::int64_t retry_at_ms = 0;  ///< a retry is due then; 0: none scheduled
  step_phase retry_phase = step_phase::action;
  bool gave_up = false;  ///< a failure with no retry: the phase failed for good
  bool last_failure_retryable = false;
  bool completed = false;  ///< the forward phase succeeded: a compensation may undo it
  bool wait_started = false;
  std::int64_t wait_started_at_ms = 0;
  std::int64_t deadline_at_ms = 0;
  std::vector<received_signal> signals;
  std::string output;
  std::string last_error;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::vector<attempt_entry> history;

  bool has_signal(std::string_view signal_id) const;
};

struct saga_record {
  std::string type;
  std::string input;
  saga_status status = saga_status::running;
  std::int64_t started_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::string compensation_reason;  ///< why the compensation started
  std::string failed_step;
  std::string finish_reason;
  std::vector<step_record> steps;  ///< in the order the journal first named them
  std::optional<saga_resolved> resolution;  ///< the operator's latest resolve_saga, if any

  step_record* step(std::string_view name);
  const step_record* step(std::string_view name) const;
  /// In a FAILED saga, the step whose compensation failed for good: what an operator's retry or
  /// resolution applies to. Null in any other saga.
  step_record* failed_compensation();
  const step_record* failed_compensation() const;
};

/// Folds one event into the record (empty before SagaStarted); internal_error for an event
/// that cannot follow the record (a corrupt or foreign stream).
status apply_event(std::optional<saga_record>& record, const saga_event& event);

// ---- what to do next ----

enum class action_kind : std::uint8_t {
  none,                ///< finished (or waiting for nothing the model knows about)
  run_attempt,         ///< journal StepAttempted, then run the step's `phase` function
  sleep_until,         ///< a retry is due at `at_ms`: arm a timer
  start_wait,          ///< journal WaitStarted with the step's deadline
  await_signal,        ///< waiting for signals; arm the deadline timer for `at_ms`
  settle_wait,         ///< the signals decided the wait (`verdict`): journal the outcome
  expire_wait,         ///< the deadline passed and the step has no timeout action: fail it
  begin_compensation,  ///< a step failed for good: journal CompensationStarted
  fail_compensation,   ///< a compensation gave up: journal CompensationFailed, SagaFinished
  finish,              ///< journal SagaFinished with `status` and `reason`
};

struct next_step {
  action_kind kind = action_kind::none;
  std::size_t step = 0;  ///< index into the definition's steps
  step_phase phase = step_phase::action;
  std::int64_t attempt = 0;
  std::int64_t at_ms = 0;
  saga_status status = saga_status::running;  ///< finish
  std::string reason;                         ///< finish, begin_compensation, fail_compensation
  wait_verdict verdict;                       ///< settle_wait
  friend bool operator==(const next_step&, const next_step&) = default;
};

/// What the saga must do now; the same answer after a restart as before it.
next_step next_action(const saga_definition& definition, const saga_record& record,
                      std::int64_t now_ms);

/// The events that carry out `next` (empty for none, sleep_until and await_signal).
std::vector<saga_event> events_for(const saga_definition& definition, const saga_record& record,
                                   const next_step& next, std::int64_t now_ms);

/// Appends to `events` (decided on `record`) what follows from them without anything from
/// outside: the record they lead to is asked what is next, again and again, until an attempt
/// must run (its StepAttempted is added, and the attempt returned, to run once all is durable)
/// or the saga sleeps, waits or ends. The record is copied once, each event applied once.
std::optional<next_step> chain_events(const saga_definition& definition,
                                      const std::optional<saga_record>& record,
                                      std::vector<saga_event>& events, std::int64_t now_ms);

/// The events an attempt's outcome leads to: success; a failure with its retry time; or, when
/// the phase gives up, the failure plus CompensationStarted (forward) or CompensationFailed and
/// SagaFinished (compensation). `saga_id` seeds the retry jitter.
std::vector<saga_event> events_for_outcome(std::string_view saga_id,
                                           const saga_definition& definition,
                                           const saga_record& record, std::size_t step,
                                           step_phase phase, std::int64_t attempt,
                                           const step_outcome& outcome, std::int64_t now_ms);

/// The events a signal leads to: none for a duplicate signal id; SignalReceived, plus the
/// wait's outcome if the signal decides it. Refused (not_found, invalid_argument or
/// illegal_transition) for an unknown step, a step that is not a wait, a finished step, or a
/// saga that is no longer running forward.
result<std::vector<saga_event>> events_for_signal(const saga_definition& definition,
                                                  const saga_record& record,
                                                  const saga_signal& signal, std::int64_t now_ms);

/// The delay before retry number `failures` (1 = after the first failure), capped, shortened
/// by a jitter derived from `key` (deterministic, so it never differs after a restart).
std::chrono::milliseconds backoff(const retry_spec& spec, std::int64_t failures,
                                  std::string_view key);

/// The step the saga is at: running, waiting or being compensated; none when finished.
std::optional<std::size_t> current_step(const saga_definition& definition,
                                        const saga_record& record);

/// What an attempt of `step` in `phase` sees.
step_context context_for(std::string_view saga_id, const saga_definition& definition,
                         const saga_record& record, std::size_t step, step_phase phase,
                         std::int64_t attempt);

// ---- views ----

/// The saga as seen from outside; `definition` may be null (an unknown type): then only the
/// journaled steps are listed.
actors::saga_view view_of(std::string_view saga_id, const saga_definition* definition,
                          const saga_record& record, std::int64_t version);

/// What a listing shows of a saga's input: its owner and the members the definition names (see
/// saga_definition). The input never changes, so a saga reads this once.
struct saga_listing {
  std::string owner;
  std::string details = "{}";  ///< a JSON object
};
saga_listing listing_of(const saga_definition* definition, const std::string& input);

actors::saga_summary summary_of(std::string_view saga_id, const saga_definition* definition,
                                const saga_record& record, const saga_listing& listing);

}  // namespace payorch::sagas
