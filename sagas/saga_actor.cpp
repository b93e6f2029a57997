#include "sagas/saga_actor.hpp"

#include <atomic>
#include <caf/all.hpp>

#include "actors/errors.hpp"
#include "actors/guarded_promise.hpp"

namespace payorch::sagas {
namespace {

using actors::guarded_promise;
using actors::make_failure;
using actors::saga_view;
using self_ptr = actors::saga_actor::stateful_pointer<saga_state>;
using commit_done = std::function<void(const caf::error&)>;

void advance(self_ptr self);

std::int64_t now_of(self_ptr self) {
  return self->state.env->now();
}

caf::error unavailable(const std::string& why) {
  return make_failure(errc::entity_unavailable, why);
}

saga_view view(self_ptr self) {
  auto& st = self->state;
  return view_of(st.saga_id, st.definition, *st.record, st.version);
}

caf::error no_such_saga(self_ptr self) {
  return make_failure(errc::not_found, "no saga " + self->state.saga_id, "saga_id");
}

/// The operator alert for a compensation that failed for good, if `events` record one.
std::string alert_of(self_ptr self, const std::vector<saga_event>& events) {
  for (const auto& e : events) {
    if (const auto* f = std::get_if<compensation_failed>(&e)) {
      const auto& st = self->state;
      return "saga " + st.saga_id + " (" + st.record->type + "): compensation of step " + f->step +
             " failed: " + f->reason +
             "; the saga is FAILED until an operator retries or resolves it";
    }
  }
  return {};
}

void notify(self_ptr self, std::string alert = {}) {
  auto& st = self->state;
  if (!st.record) return;
  if (!st.listing) st.listing = listing_of(st.definition, st.record->input);
  self->send(st.manager,
             actors::saga_status_changed{
                 summary_of(st.saga_id, st.definition, *st.record, *st.listing), std::move(alert)});
}

/// Asks the manager to forget this actor once nothing is left to do: the saga is finished or
/// does not exist, and no attempt runs.
void maybe_passivate(self_ptr self) {
  auto& st = self->state;
  if (st.passivation_asked || st.running) return;
  if (st.record && !is_finished(st.record->status)) return;
  st.passivation_asked = true;
  self->request(st.manager, caf::infinite, actors::passivate_saga{st.saga_id, st.handled})
      .then(
          [self](bool forgotten) {
            self->state.passivation_asked = false;
            // Refused: a request the manager routed here is still queued; ask again after it.
            if (!forgotten) return maybe_passivate(self);
            if (!self->state.record || is_finished(self->state.record->status)) self->quit();
          },
          [self](caf::error&) { self->quit(); });
}

/// Journals `events`, folds them into the record once durable, reports the change, runs
/// `done(none)` and moves on; on a failed append runs `done(error)` and exits, so the manager
/// restarts the saga from the journal. `await` keeps every other message queued meanwhile, so
/// the record the events were decided on cannot change under them.
void run(self_ptr self, const next_step& next);

/// ... and, with `then_run`, runs that attempt (whose StepAttempted is among `events`) once
/// they are durable.
void commit(self_ptr self, std::vector<saga_event> events, commit_done done,
            std::optional<next_step> then_run = std::nullopt) {
  auto& st = self->state;
  persistence::append_request req;
  req.stream_id = st.stream_id;
  req.expected_version = st.version;
  req.events.reserve(events.size());
  for (const auto& e : events) req.events.push_back(encode_event(e));
  self->request(st.journal, caf::infinite, std::move(req))
      .await(
          [self, events, done, then_run](persistence::append_result& r) {
            auto& s = self->state;
            if (r.status != persistence::append_status::committed) {
              auto code = r.status == persistence::append_status::version_conflict
                              ? errc::version_conflict
                              : errc::storage_unavailable;
              if (done) done(make_failure(code, "the saga's journal append failed: " + r.detail));
              return self->quit(unavailable("append failed; restarting from the journal"));
            }
            for (const auto& e : events) {
              if (auto ok = apply_event(s.record, e); !ok) {
                if (done) done(actors::to_error(ok.error()));
                return self->quit(actors::to_error(ok.error()));
              }
            }
            s.version = r.last_version;
            notify(self, alert_of(self, events));
            if (done) done(caf::none);
            if (then_run) return run(self, *then_run);
            advance(self);
          },
          [self, done](caf::error& e) {
            auto why = actors::to_error(actors::to_failure(e));
            if (done) done(why);
            self->quit(why);
          });
}

/// The callback an action reports through: once, from any thread, to this actor by message
/// (a weak address, so a callback kept past the actor's end sends nothing).
step_done make_done(self_ptr self, std::uint64_t token) {
  auto fired = std::make_shared<std::atomic<bool>>(false);
  return [addr = self->address(), token, fired](step_outcome outcome) {
    if (fired->exchange(true)) return;
    if (auto target = caf::actor_cast<actors::saga_actor>(addr))
      caf::anon_send(target, actors::step_completed{token, std::move(outcome)});
  };
}

const action_fn& function_of(const step_definition& def, step_phase phase) {
  switch (phase) {
    case step_phase::compensation:
      return def.compensate;
    case step_phase::timeout:
      return def.on_timeout;
    case step_phase::action:
      break;
  }
  return def.action;
}

/// Runs the attempt whose StepAttempted was just committed.
void run(self_ptr self, const next_step& next) {
  auto& st = self->state;
  const auto& def = st.definition->steps[next.step];
  auto token = ++st.next_token;
  st.running = running_attempt{next.step, next.phase, next.attempt, token};
  if (def.retry.attempt_timeout.count() > 0) {
    self->delayed_send(self, def.retry.attempt_timeout,
                       actors::step_completed{
                           token, step_outcome::retryable_failure(
                                      "no answer within " +
                                      std::to_string(def.retry.attempt_timeout.count()) + " ms")});
  }
  auto done = make_done(self, token);
  const auto& fn = function_of(def, next.phase);
  if (!fn) return done(step_outcome::final_failure("the step has no function for this phase"));
  auto ctx =
      context_for(st.saga_id, *st.definition, *st.record, next.step, next.phase, next.attempt);
  // Actions are the integration edge: an exception there is a failed attempt, not a crash.
  try {
    fn(ctx, done);
  } catch (const std::exception& e) {
    done(step_outcome::retryable_failure(std::string("the action threw: ") + e.what()));
  } catch (...) {
    done(step_outcome::retryable_failure("the action threw"));
  }
}

/// Appends to `events` what follows from them without anything from outside (chain_events). One
/// append then carries a step's outcome and the next step's attempt, which halves a saga's
/// journal writes; the attempt still runs only after its StepAttempted is durable.
std::optional<next_step> chain(self_ptr self, std::vector<saga_event>& events) {
  auto& st = self->state;
  if (!st.definition) return std::nullopt;
  return chain_events(*st.definition, st.record, events, now_of(self));
}

void arm(self_ptr self, std::int64_t due_at_ms, std::int64_t now_ms) {
  if (!self->state.armed.insert(due_at_ms).second) return;
  self->delayed_send(self, std::chrono::milliseconds(std::max<std::int64_t>(1, due_at_ms - now_ms)),
                     actors::saga_timer{due_at_ms});
}

/// Does what the model says is next, unless an attempt is running.
void advance(self_ptr self) {
  auto& st = self->state;
  if (!st.record || !st.definition || st.running) return maybe_passivate(self);
  const auto now = now_of(self);
  auto next = next_action(*st.definition, *st.record, now);
  switch (next.kind) {
    case action_kind::none:
      return maybe_passivate(self);
    case action_kind::sleep_until:
    case action_kind::await_signal:
      return arm(self, next.at_ms, now);
    default:
      break;
  }
  auto events = events_for(*st.definition, *st.record, next, now);
  if (events.empty()) return;
  if (next.kind == action_kind::run_attempt) return commit(self, std::move(events), nullptr, next);
  auto then_run = chain(self, events);
  commit(self, std::move(events), nullptr, then_run);
}

void on_completed(self_ptr self, actors::step_completed& msg) {
  auto& st = self->state;
  // A second `done`, an answer after the attempt timed out, or one from before a restart.
  if (!st.running || st.running->token != msg.token) return;
  auto r = *st.running;
  st.running.reset();
  auto events = events_for_outcome(st.saga_id, *st.definition, *st.record, r.step, r.phase,
                                   r.attempt, msg.outcome, now_of(self));
  auto then_run = chain(self, events);
  commit(self, std::move(events), nullptr, then_run);
}

/// Journals `events` and answers with the saga's view once they are durable.
/// With `follow`, the same append carries what follows (see chain); a start does not, so the
/// saga exists once its first event is durable, before any step is attempted.
caf::result<saga_view> commit_then_view(self_ptr self, std::vector<saga_event> events,
                                        bool follow = true) {
  auto raw = self->make_response_promise<saga_view>();
  guarded_promise<saga_view> promise{raw};
  // Not while an attempt runs: what follows waits for its outcome.
  auto then_run =
      !follow || self->state.running ? std::optional<next_step>{} : chain(self, events);
  commit(
      self, std::move(events),
      [self, promise](const caf::error& e) mutable {
        if (e)
          promise.deliver(e);
        else
          promise.deliver(view(self));
      },
      then_run);
  return raw;
}

caf::result<saga_view> on_start(self_ptr self, actors::start_saga& cmd) {
  auto& st = self->state;
  ++st.handled;
  if (st.record)
    return make_failure(errc::already_exists, "saga " + st.saga_id + " already exists", "saga_id");
  auto def = st.env->definitions.find(cmd.type);
  if (def == st.env->definitions.end()) {
    maybe_passivate(self);
    return make_failure(errc::invalid_argument, "unknown saga type \"" + cmd.type + "\"", "type");
  }
  st.definition = &def->second;
  return commit_then_view(self, {saga_started{cmd.type, cmd.input, now_of(self)}}, false);
}

caf::result<saga_view> on_get(self_ptr self) {
  ++self->state.handled;
  if (!self->state.record) {
    maybe_passivate(self);
    return no_such_saga(self);
  }
  return view(self);
}

caf::result<saga_view> on_signal(self_ptr self, actors::signal_saga& msg) {
  auto& st = self->state;
  ++st.handled;
  if (!st.record) {
    maybe_passivate(self);
    return no_such_saga(self);
  }
  if (!st.definition)
    return make_failure(errc::illegal_transition,
                        "saga type \"" + st.record->type + "\" is not known here");
  auto events = events_for_signal(*st.definition, *st.record, msg.signal, now_of(self));
  if (!events) {
    maybe_passivate(self);
    return actors::to_error(events.error());
  }
  if (events->empty()) return view(self);  // a duplicate signal id: applied once already
  return commit_then_view(self, std::move(*events));
}

/// The step whose compensation failed for good in the FAILED saga, for an operator's retry or
/// resolution (`what`, as in "only a FAILED saga can be retried"); else the refusal.
result<const step_record*> failed_compensation(self_ptr self, std::string_view what) {
  auto& st = self->state;
  if (!st.record) {
    maybe_passivate(self);
    return actors::to_failure(no_such_saga(self));
  }
  if (st.record->status != saga_status::failed || !st.definition) {
    maybe_passivate(self);
    return fail(errc::illegal_transition, "saga " + st.saga_id + " is " +
                                              std::string(to_string(st.record->status)) +
                                              "; only a FAILED saga can be " + std::string(what));
  }
  const step_record* step = st.record->failed_compensation();
  if (step == nullptr)
    return fail(errc::illegal_transition, "saga " + st.saga_id + " has no failed step");
  return step;
}

caf::result<saga_view> on_retry(self_ptr self) {
  ++self->state.handled;
  auto step = failed_compensation(self, "retried");
  if (!step) return actors::to_error(step.error());
  return commit_then_view(self, {compensation_retried{(*step)->name, now_of(self)}});
}

caf::result<saga_view> on_resolve(self_ptr self, actors::resolve_saga& cmd) {
  auto& st = self->state;
  ++st.handled;
  auto outcome = saga_resolution_from_string(cmd.outcome);
  if (!outcome)
    return make_failure(errc::invalid_argument, "outcome must be COMPLETED or COMPENSATE",
                        "outcome");
  if (cmd.reason.empty())
    return make_failure(errc::invalid_argument, "say what was found: reason is empty", "reason");
  auto found = failed_compensation(self, "resolved");
  if (!found) return actors::to_error(found.error());
  const step_record& failed = **found;
  const auto index = st.definition->index_of(failed.name);
  if (!index || !st.definition->steps[*index].operator_resolvable ||
      !st.definition->steps[*index].operator_resolvable(failed.last_error))
    return make_failure(
        errc::illegal_transition,
        "the compensation of step " + failed.name + " failed with \"" + failed.last_error +
            "\", which an operator cannot resolve; fix its cause and retry the saga");
  // COMPLETED keeps what the step did: a step whose action never succeeded (undone only because
  // it was attempted) did nothing to keep, and a later step already undone would contradict it.
  if (*outcome == saga_resolution::completed && !failed.completed)
    return make_failure(errc::illegal_transition,
                        "step " + failed.name +
                            " never completed, so there is nothing to keep; only COMPENSATE can "
                            "resolve this saga");
  if (*outcome == saga_resolution::completed) {
    for (auto i = *index + 1; i < st.definition->steps.size(); ++i) {
      const auto* later = st.record->step(st.definition->steps[i].name);
      if (later && later->status == step_status::compensated)
        return make_failure(errc::illegal_transition,
                            "step " + later->name + " after " + failed.name +
                                " is undone already; only COMPENSATE can resolve this saga");
    }
  }
  return commit_then_view(self, {saga_resolved{failed.name, *outcome, std::move(cmd.reason),
                                               std::move(cmd.by), now_of(self)}});
}

/// Folds stored events into the record; the failure of the first that does not fit.
status replay(self_ptr self, const std::vector<persistence::event_record>& records) {
  auto& st = self->state;
  for (const auto& record : records) {
    if (record.version != st.version + 1)
      return fail(errc::internal_error, "journal stream " + st.stream_id + " skips from version " +
                                            std::to_string(st.version) + " to " +
                                            std::to_string(record.version));
    auto event = decode_event(record);
    if (!event) return event.error();
    if (auto ok = apply_event(st.record, *event); !ok) return ok;
    st.version = record.version;
  }
  return {};
}

void recovered(self_ptr self) {
  auto& st = self->state;
  if (st.record) {
    auto def = st.env->definitions.find(st.record->type);
    st.definition = def == st.env->definitions.end() ? nullptr : &def->second;
    std::string alert;
    if (!st.definition && !is_finished(st.record->status))
      alert = "saga " + st.saga_id + " has type \"" + st.record->type +
              "\", which this node does not define; it cannot progress";
    notify(self, std::move(alert));
  }
  advance(self);
}

/// Sagas write no snapshots; a stream with one is read from its first event, page by page.
void replay_pages(self_ptr self) {
  auto& st = self->state;
  self->request(st.journal, caf::infinite,
                actors::read_events{st.stream_id, st.version, persistence::max_page_rows})
      .await(
          [self](actors::event_page& page) {
            if (auto ok = replay(self, page.events); !ok)
              return self->quit(actors::to_error(ok.error()));
            if (page.events.size() < persistence::max_page_rows) return recovered(self);
            replay_pages(self);
          },
          [self](caf::error& e) { self->quit(e); });
}

void recover(self_ptr self, persistence::stream_read& read) {
  if (!read.ok) return self->quit(unavailable("journal read failed: " + read.detail));
  if (read.snapshot) return replay_pages(self);
  if (auto ok = replay(self, read.events); !ok) return self->quit(actors::to_error(ok.error()));
  recovered(self);
}

}  // namespace

actors::saga_actor::behavior_type saga_impl(actors::saga_actor::stateful_pointer<saga_state> self,
                                            std::string saga_id, actors::journal_actor journal,
                                            actors::saga_manager_actor manager,
                                            std::shared_ptr<const saga_environment> env) {
  auto& st = self->state;
  st.saga_id = std::move(saga_id);
  st.stream_id = stream_of(st.saga_id);
  st.journal = std::move(journal);
  st.manager = std::move(manager);
  st.env = std::move(env);
  // Requests wait in the mailbox until the stream is replayed: `await` suspends the behaviour.
  self->request(st.journal, caf::infinite, actors::read_stream{st.stream_id})
      .await([self](persistence::stream_read& read) { recover(self, read); },
             [self](caf::error& e) { self->quit(e); });
  return {
      [self](actors::start_saga& cmd) { return on_start(self, cmd); },
      [self](actors::get_saga&) { return on_get(self); },
      [self](actors::signal_saga& msg) { return on_signal(self, msg); },
      [self](actors::retry_saga&) { return on_retry(self); },
      [self](actors::resolve_saga& cmd) { return on_resolve(self, cmd); },
      [self](actors::step_completed& msg) { on_completed(self, msg); },
      [self](actors::saga_timer& t) {
        self->state.armed.erase(t.due_at_ms);
        advance(self);
      },
  };
}

}  // namespace payorch::sagas
