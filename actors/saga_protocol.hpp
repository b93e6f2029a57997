#pragma once
/// The saga protocol: what callers send the saga manager, the views it answers with, and the
/// internal messages between the manager, its saga actors and their running actions.
///
/// The engine lives in sagas/ (which depends on actors/); the messages live here because the
/// project's one CAF type-ID block (type_ids.hpp) must name them. Plain structs with `inspect`;
/// enums travel as their underlying integers (CAF 0.17 serialises enums natively).

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace payorch::actors {

/// What a signal says about the wait it is for; payload_only leaves the decision to the
/// definition's evaluation (e.g. an OTP or a rail confirmation carried in the payload).
enum class signal_decision : std::uint8_t { approve, reject, payload_only };

/// A signal for a saga's wait step: a vote, an OTP, a rail confirmation...
struct saga_signal {
  std::string saga_id;
  std::string step;
  std::string signal_id;  ///< dedupe key: a signal id is applied once per step
  signal_decision decision = signal_decision::payload_only;
  std::string payload;  ///< JSON text; empty: none
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_signal& x) {
  return f(caf::meta::type_name("saga_signal"), x.saga_id, x.step, x.signal_id, x.decision,
           x.payload);
}

/// How one run of a step's action (or compensation) ended.
enum class outcome_kind : std::uint8_t { succeeded, retryable_failure, final_failure };

/// What an action reports through its `done` callback.
struct step_outcome {
  outcome_kind kind = outcome_kind::final_failure;
  std::string output;  ///< succeeded: JSON text handed to later steps
  std::string reason;  ///< failures: one sentence for the saga's view and the journal

  static step_outcome succeeded(std::string output = "{}") {
    return {outcome_kind::succeeded, std::move(output), {}};
  }
  static step_outcome retryable_failure(std::string reason) {
    return {outcome_kind::retryable_failure, {}, std::move(reason)};
  }
  static step_outcome final_failure(std::string reason) {
    return {outcome_kind::final_failure, {}, std::move(reason)};
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_outcome& x) {
  return f(caf::meta::type_name("step_outcome"), x.kind, x.output, x.reason);
}

/// Which function of a step an attempt runs: its action, its timeout action (a wait step
/// whose deadline passed) or its compensation.
enum class step_phase : std::uint8_t { action, timeout, compensation };

// ---- requests (to the manager; it routes them to the saga's actor) ----

/// Starts a saga of a registered type; the caller picks the id ("saga_" + 16 hex digits) so a
/// retried start names the same saga (and is refused with already_exists).
struct start_saga {
  std::string saga_id;
  std::string type;
  std::string input;  ///< JSON text
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_saga& x) {
  return f(caf::meta::type_name("start_saga"), x.saga_id, x.type, x.input);
}

struct get_saga {
  std::string saga_id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_saga& x) {
  return f(caf::meta::type_name("get_saga"), x.saga_id);
}

/// Delivers a signal to a wait step; a duplicate signal id is answered without being applied.
struct signal_saga {
  saga_signal signal;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, signal_saga& x) {
  return f(caf::meta::type_name("signal_saga"), x.signal);
}

/// Operator action: a FAILED saga (a compensation that could not complete) runs that
/// compensation again, with a fresh retry budget, and then the rest of its compensations.
struct retry_saga {
  std::string saga_id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retry_saga& x) {
  return f(caf::meta::type_name("retry_saga"), x.saga_id);
}

/// Operator action on a FAILED saga whose compensation of a step the definition lets an operator
/// resolve (step_definition::operator_resolvable) could not complete, after checking by other
/// means what the step left: `outcome` COMPLETED ends the saga COMPLETED (what the step did
/// stands), COMPENSATE runs that compensation again on the operator's word
/// (step_context::operator_approved) and then the rest of the compensations.
struct resolve_saga {
  std::string saga_id;
  std::string outcome;  ///< COMPLETED or COMPENSATE
  std::string reason;   ///< what the operator found; kept in the journal and shown in the view
  std::string by;       ///< who resolved it (the token's subject)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resolve_saga& x) {
  return f(caf::meta::type_name("resolve_saga"), x.saga_id, x.outcome, x.reason, x.by);
}

/// Lists known sagas after the saga `after` (empty: from the start); `status` empty or one of
/// RUNNING, COMPENSATING, COMPLETED, COMPENSATED, FAILED; `limit` 0 means 50, at most 1000.
///
/// Without `owner`, every saga, ordered by id. With it, only the sagas of type `type` whose
/// definition's owner member names `owner` (a settlement's pod), oldest first; `after` must then
/// be one of them (invalid_argument on "cursor" otherwise). `steps`, if not empty, keeps only
/// the sagas whose current step is one of them.
struct list_sagas {
  std::string status;
  std::string after;
  std::uint64_t limit = 50;
  std::string type;
  std::string owner;
  std::vector<std::string> steps;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_sagas& x) {
  return f(caf::meta::type_name("list_sagas"), x.status, x.after, x.limit, x.type, x.owner,
           x.steps);
}

// ---- views ----

/// One run of a step's action, timeout action or compensation.
struct saga_attempt_view {
  std::string phase;  ///< ACTION, TIMEOUT or COMPENSATION
  std::int64_t attempt = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;  ///< 0: no outcome recorded (running, or lost in a crash)
  std::string result;               ///< OPEN, SUCCEEDED or FAILED
  std::string error;
  std::int64_t retry_at_ms = 0;  ///< when the next attempt is due; 0: none
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_attempt_view& x) {
  return f(caf::meta::type_name("saga_attempt_view"), x.phase, x.attempt, x.started_at_ms,
           x.finished_at_ms, x.result, x.error, x.retry_at_ms);
}

/// One signal a wait step received.
struct saga_signal_view {
  std::string signal_id;
  std::string decision;  ///< APPROVE, REJECT or PAYLOAD
  std::string payload;
  std::int64_t at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_signal_view& x) {
  return f(caf::meta::type_name("saga_signal_view"), x.signal_id, x.decision, x.payload, x.at_ms);
}

/// One step of a saga, in definition order (steps not reached yet are PENDING).
struct saga_step_view {
  std::string name;
  std::string kind;    ///< ACTION or WAIT
  std::string status;  ///< PENDING, RUNNING, RETRY_SCHEDULED, WAITING, SUCCEEDED, FAILED,
                       ///< COMPENSATING, COMPENSATED or COMPENSATION_FAILED
  std::int64_t attempts = 0;
  std::int64_t compensation_attempts = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::int64_t retry_at_ms = 0;
  std::int64_t deadline_at_ms = 0;  ///< wait steps: when the wait times out
  std::string output;
  std::string last_error;
  std::vector<saga_attempt_view> history;
  std::vector<saga_signal_view> signals;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_step_view& x) {
  return f(caf::meta::type_name("saga_step_view"), x.name, x.kind, x.status, x.attempts,
           x.compensation_attempts, x.started_at_ms, x.finished_at_ms, x.retry_at_ms,
           x.deadline_at_ms, x.output, x.last_error, x.history, x.signals);
}

/// A saga as seen from outside, answered only with journaled state.
struct saga_view {
  std::string saga_id;
  std::string type;
  std::string status;        ///< RUNNING, COMPENSATING, COMPLETED, COMPENSATED or FAILED
  std::string current_step;  ///< the step running, waiting or being compensated; empty when done
  std::string input;
  std::string reason;       ///< why it compensated (or, FAILED, why a compensation failed)
  std::string failed_step;  ///< the step whose failure started the compensation
  std::int64_t started_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::int64_t version = 0;  ///< the saga's journal stream version
  std::vector<saga_step_view> steps;
  /// An operator's resolve_saga, if any: its outcome (COMPLETED or COMPENSATE), the step, why,
  /// who and when (all empty or 0 without one).
  std::string resolution;
  std::string resolved_step;
  std::string resolution_reason;
  std::string resolved_by;
  std::int64_t resolved_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_view& x) {
  return f(caf::meta::type_name("saga_view"), x.saga_id, x.type, x.status, x.current_step, x.input,
           x.reason, x.failed_step, x.started_at_ms, x.updated_at_ms, x.finished_at_ms, x.version,
           x.steps, x.resolution, x.resolved_step, x.resolution_reason, x.resolved_by,
           x.resolved_at_ms);
}

/// One line of a saga listing.
struct saga_summary {
  std::string saga_id;
  std::string type;
  std::string status;
  std::string current_step;
  std::string reason;
  std::int64_t started_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::string owner;    ///< the input's owner member (see saga_definition), or empty
  std::string details;  ///< a JSON object of the input members the definition lists; "{}"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_summary& x) {
  return f(caf::meta::type_name("saga_summary"), x.saga_id, x.type, x.status, x.current_step,
           x.reason, x.started_at_ms, x.updated_at_ms, x.owner, x.details);
}

struct saga_page {
  std::vector<saga_summary> items;
  std::string next_after;  ///< empty: this is the last page
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_page& x) {
  return f(caf::meta::type_name("saga_page"), x.items, x.next_after);
}

struct saga_stats_request {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_stats_request&) {
  return f(caf::meta::type_name("saga_stats_request"));
}

/// The manager's counters (since this process started).
struct saga_stats {
  std::uint64_t live = 0;     ///< saga actors in memory
  std::uint64_t known = 0;    ///< sagas in the status index
  std::uint64_t spawned = 0;  ///< saga actors started (resumes, first use and restarts)
  std::uint64_t resumed = 0;  ///< of those, started by the resume scan of the journal
  std::uint64_t restarted = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t compensation_failures = 0;  ///< operator alerts raised
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_stats& x) {
  return f(caf::meta::type_name("saga_stats"), x.live, x.known, x.spawned, x.resumed, x.restarted,
           x.quarantined, x.compensation_failures);
}

// ---- internal messages ----

/// An action's outcome, sent to the saga actor by its `done` callback (from any thread), or by
/// the attempt's own timeout; `token` names the attempt, so late answers are told apart.
struct step_completed {
  std::uint64_t token = 0;
  step_outcome outcome;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_completed& x) {
  return f(caf::meta::type_name("step_completed"), x.token, x.outcome);
}

/// A retry backoff or a wait deadline falls due (Unix ms of the journaled time).
struct saga_timer {
  std::int64_t due_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_timer& x) {
  return f(caf::meta::type_name("saga_timer"), x.due_at_ms);
}

/// A saga actor with nothing left to do asks the manager to forget it; `handled` counts the
/// requests it has answered, so the manager refuses while one it routed is still queued.
struct passivate_saga {
  std::string saga_id;
  std::uint64_t handled = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, passivate_saga& x) {
  return f(caf::meta::type_name("passivate_saga"), x.saga_id, x.handled);
}

/// A saga actor reports its state after recovery and after every journaled change; `alert` is
/// set when a compensation could not complete (the operator must look).
struct saga_status_changed {
  saga_summary summary;
  std::string alert;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_status_changed& x) {
  return f(caf::meta::type_name("saga_status_changed"), x.summary, x.alert);
}

/// The manager's resume scan: the next page of saga streams after `after`.
struct resume_sagas {
  std::string after;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resume_sagas& x) {
  return f(caf::meta::type_name("resume_sagas"), x.after);
}

/// Every request a saga answers; the saga actor and the manager both speak it.
/// The cross-border settlement saga (sagas/settlement.hpp): its type, the steps the gateway
/// signals, and its id, which is the payout's hex digits behind "saga_" ("pout_<hex>").
namespace settlement {
inline constexpr std::string_view type = "settlement";
inline constexpr std::string_view kyc_step = "kyc_result";
inline constexpr std::string_view approval_step = "approval";
inline constexpr std::string_view otp_step = "otp";
inline constexpr std::string_view confirm_step = "confirm";

/// "saga_<hex>" of "pout_<hex>"; empty when `payout_id` is not "pout_" + 16 hex digits.
inline std::string saga_of_payout(std::string_view payout_id) {
  constexpr std::string_view prefix = "pout_";
  if (payout_id.size() != prefix.size() + 16 || payout_id.substr(0, prefix.size()) != prefix)
    return {};
  for (char c : payout_id.substr(prefix.size()))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  return "saga_" + std::string(payout_id.substr(prefix.size()));
}

/// "pout_<hex>" of "saga_<hex>" (a settlement's id); empty when `saga_id` is not "saga_" + 16
/// characters.
inline std::string payout_of_saga(std::string_view saga_id) {
  constexpr std::string_view prefix = "saga_";
  if (saga_id.size() != prefix.size() + 16 || saga_id.substr(0, prefix.size()) != prefix)
    return {};
  return "pout_" + std::string(saga_id.substr(prefix.size()));
}
}  // namespace settlement

using saga_interface = caf::typed_actor<
    caf::replies_to<start_saga>::with<saga_view>, caf::replies_to<get_saga>::with<saga_view>,
    caf::replies_to<signal_saga>::with<saga_view>, caf::replies_to<retry_saga>::with<saga_view>,
    caf::replies_to<resolve_saga>::with<saga_view>>;

/// One live saga: its record lives only inside this actor.
using saga_actor =
    saga_interface::extend<caf::reacts_to<step_completed>, caf::reacts_to<saga_timer>>;

/// Owns the saga definitions, routes requests to saga actors and keeps the status index.
using saga_manager_actor =
    saga_interface::extend<caf::replies_to<list_sagas>::with<saga_page>,
                           caf::replies_to<saga_stats_request>::with<saga_stats>,
                           caf::replies_to<passivate_saga>::with<bool>,
                           caf::reacts_to<saga_status_changed>, caf::reacts_to<resume_sagas>,
                           caf::reacts_to<caf::tick_atom>>;

}  // namespace payorch::actors
