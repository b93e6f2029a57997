#include "sagas/saga_model.hpp"

#include <gtest/gtest.h>

namespace payorch::sagas {
namespace {

using namespace std::chrono_literals;

void noop(const step_context&, step_done done) {
  done(step_outcome::succeeded());
}

retry_spec three_tries() {
  retry_spec r;
  r.max_attempts = 3;
  r.initial_backoff = 1000ms;
  r.max_backoff = 10'000ms;
  r.multiplier = 2;
  return r;
}

/// a → b → c, each with a compensation.
saga_definition abc() {
  saga_definition d;
  d.type = "abc";
  for (const char* n : {"a", "b", "c"})
    d.steps.push_back(action_step(n, noop, noop, three_tries()));
  return d;
}

/// a → w (two approvals within 60 s, two rejections veto) → c; `on_timeout` optional.
saga_definition awc(action_fn on_timeout = {}) {
  saga_definition d;
  d.type = "awc";
  d.steps.push_back(action_step("a", noop, noop, three_tries()));
  d.steps.push_back(wait_step("w", 60s, quorum(2, 2), std::move(on_timeout)));
  d.steps.back().retry = three_tries();
  d.steps.push_back(action_step("c", noop, {}, three_tries()));
  return d;
}

next_step run(std::size_t step, std::int64_t attempt, step_phase phase = step_phase::action) {
  next_step n;
  n.kind = action_kind::run_attempt;
  n.step = step;
  n.phase = phase;
  n.attempt = attempt;
  return n;
}

next_step retry_at(std::size_t step, step_phase phase, std::int64_t at) {
  next_step n;
  n.kind = action_kind::sleep_until;
  n.step = step;
  n.phase = phase;
  n.at_ms = at;
  return n;
}

next_step kind_at(action_kind kind, std::size_t step, step_phase phase = step_phase::action,
                  std::int64_t at = 0) {
  next_step n;
  n.kind = kind;
  n.step = step;
  n.phase = phase;
  n.at_ms = at;
  return n;
}

next_step with_reason(next_step n, std::string reason) {
  n.reason = std::move(reason);
  return n;
}

next_step finish(saga_status status, std::string reason) {
  next_step n;
  n.kind = action_kind::finish;
  n.status = status;
  n.reason = std::move(reason);
  return n;
}

const next_step nothing{};

/// One event of a saga's journal, and what recovery must do after it (at `now`).
struct point {
  saga_event event;
  std::int64_t now;
  next_step expected;
};

/// Folds the events one by one; after every prefix, next_action must say what the table says.
void walk(const saga_definition& d, const std::vector<point>& journal,
          std::optional<saga_record>* out = nullptr) {
  std::optional<saga_record> r;
  for (std::size_t i = 0; i < journal.size(); ++i) {
    auto ok = apply_event(r, journal[i].event);
    ASSERT_TRUE(ok) << "event " << i + 1 << ": " << ok.error().detail;
    EXPECT_EQ(next_action(d, *r, journal[i].now), journal[i].expected)
        << "after event " << i + 1 << " (" << event_type_of(journal[i].event) << ")";
  }
  if (out) *out = r;
}

std::optional<saga_record> fold(const std::vector<saga_event>& events) {
  std::optional<saga_record> r;
  for (const auto& e : events) EXPECT_TRUE(apply_event(r, e));
  return r;
}

// Goal: after every prefix of a happy run, recovery runs the next step; an attempt journaled
// without an outcome (a crash) runs again with the next attempt number, never skipped.
TEST(saga_next_action, every_prefix_of_a_happy_run) {
  walk(abc(), {
                  {saga_started{"abc", "{}", 0}, 0, run(0, 1)},
                  {step_attempted{"a", 1, step_phase::action, 1}, 1, run(0, 2)},
                  {step_succeeded{"a", 1, "{\"a\":1}", 2}, 2, run(1, 1)},
                  {step_attempted{"b", 1, step_phase::action, 3}, 3, run(1, 2)},
                  {step_succeeded{"b", 1, "{}", 4}, 4, run(2, 1)},
                  {step_attempted{"c", 1, step_phase::action, 5}, 5, run(2, 2)},
                  {step_succeeded{"c", 1, "{}", 6}, 6, finish(saga_status::completed, "")},
                  {saga_finished{saga_status::completed, "", 7}, 7, nothing},
              });
}

// Goal: every prefix of a run with a retry, a final failure, a compensation that gives up, an
// operator retry and the end: backoff timers, compensation order and the FAILED state.
TEST(saga_next_action, every_prefix_of_a_failing_run) {
  const std::string why = "step b failed: refused";
  const std::string comp_why = "compensation of step a failed: ledger down";
  walk(abc(),
       {
           {saga_started{"abc", "{}", 0}, 0, run(0, 1)},
           {step_attempted{"a", 1, step_phase::action, 1}, 1, run(0, 2)},
           {step_succeeded{"a", 1, "{}", 2}, 2, run(1, 1)},
           {step_attempted{"b", 1, step_phase::action, 3}, 3, run(1, 2)},
           {step_failed{"b", 1, step_phase::action, "busy", true, 2000, 4}, 1000,
            retry_at(1, step_phase::action, 2000)},
           {step_attempted{"b", 2, step_phase::action, 2000}, 2000, run(1, 3)},
           {step_failed{"b", 2, step_phase::action, "refused", false, 0, 2001}, 2001,
            with_reason(kind_at(action_kind::begin_compensation, 1), why)},
           {compensation_started{why, "b", 2002}, 2002, run(0, 1, step_phase::compensation)},
           {step_attempted{"a", 1, step_phase::compensation, 2003}, 2003,
            run(0, 2, step_phase::compensation)},
           {step_failed{"a", 1, step_phase::compensation, "ledger down", true, 5000, 2004}, 3000,
            retry_at(0, step_phase::compensation, 5000)},
           {step_attempted{"a", 2, step_phase::compensation, 5000}, 5000,
            run(0, 3, step_phase::compensation)},
           {step_failed{"a", 2, step_phase::compensation, "ledger down", false, 0, 5001}, 5001,
            with_reason(kind_at(action_kind::fail_compensation, 0, step_phase::compensation),
                        "ledger down")},
           {compensation_failed{"a", "ledger down", 5001}, 5001,
            finish(saga_status::failed, comp_why)},
           {saga_finished{saga_status::failed, comp_why, 5001}, 5001, nothing},
           {compensation_retried{"a", 9000}, 9000, run(0, 3, step_phase::compensation)},
           {step_attempted{"a", 3, step_phase::compensation, 9001}, 9001,
            run(0, 4, step_phase::compensation)},
           {step_compensated{"a", 3, 9002}, 9002, finish(saga_status::compensated, why)},
           {saga_finished{saga_status::compensated, why, 9003}, 9003, nothing},
       });
}

// Goal: a due retry runs at once; before it is due the saga sleeps until the journaled time.
TEST(saga_next_action, retry_is_due_at_its_journaled_time) {
  auto r = fold({saga_started{"abc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
                 step_failed{"a", 1, step_phase::action, "busy", true, 2000, 2}});
  EXPECT_EQ(next_action(abc(), *r, 1999), retry_at(0, step_phase::action, 2000));
  EXPECT_EQ(next_action(abc(), *r, 2000), run(0, 2));
  EXPECT_EQ(next_action(abc(), *r, 99'999), run(0, 2));
}

// Goal: every prefix of a wait step decided by a quorum of signals, including the deadline.
TEST(saga_next_action, every_prefix_of_a_wait_reaching_quorum) {
  std::optional<saga_record> r;
  walk(awc(),
       {
           {saga_started{"awc", "{}", 0}, 0, run(0, 1)},
           {step_attempted{"a", 1, step_phase::action, 1}, 1, run(0, 2)},
           {step_succeeded{"a", 1, "{}", 2}, 2, kind_at(action_kind::start_wait, 1)},
           {wait_started{"w", 60'010, 10}, 1000,
            kind_at(action_kind::await_signal, 1, step_phase::action, 60'010)},
           {signal_received{"w", "s1", signal_decision::approve, "", 20}, 1000,
            kind_at(action_kind::await_signal, 1, step_phase::action, 60'010)},
       },
       &r);
  // Past the deadline with one vote and no timeout action: the wait expires.
  EXPECT_EQ(next_action(awc(), *r, 60'010),
            kind_at(action_kind::expire_wait, 1, step_phase::timeout));
  auto settle = kind_at(action_kind::settle_wait, 1);
  settle.verdict = wait_verdict::succeeded("{\"approvals\":2}");
  ASSERT_TRUE(apply_event(r, signal_received{"w", "s2", signal_decision::approve, "", 30}));
  EXPECT_EQ(next_action(awc(), *r, 1000), settle);
  // Even past the deadline, signals that decided the wait win over the timeout.
  EXPECT_EQ(next_action(awc(), *r, 90'000), settle);
  ASSERT_TRUE(apply_event(r, step_succeeded{"w", 0, "{\"approvals\":2}", 30}));
  EXPECT_EQ(next_action(awc(), *r, 31), run(2, 1));
}

// Goal: an expired wait fails its step and compensates; a wait with a timeout action runs it
// (retried per the step's spec) and its success completes the step.
TEST(saga_next_action, wait_deadline_paths) {
  auto prefix = std::vector<saga_event>{
      saga_started{"awc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
      step_succeeded{"a", 1, "{}", 2}, wait_started{"w", 60'000, 3}};
  auto r = fold(prefix);
  ASSERT_TRUE(apply_event(r, step_failed{"w", 0, step_phase::timeout,
                                         "no decision before the deadline", false, 0, 60'000}));
  EXPECT_EQ(next_action(awc(), *r, 60'000),
            with_reason(kind_at(action_kind::begin_compensation, 1),
                        "step w failed: no decision before the deadline"));

  auto timed = awc(noop);
  auto t = fold(prefix);
  EXPECT_EQ(next_action(timed, *t, 60'000), run(1, 1, step_phase::timeout));
  ASSERT_TRUE(apply_event(t, step_attempted{"w", 1, step_phase::timeout, 60'000}));
  EXPECT_EQ(next_action(timed, *t, 60'001), run(1, 2, step_phase::timeout));
  ASSERT_TRUE(
      apply_event(t, step_failed{"w", 1, step_phase::timeout, "rail?", true, 61'000, 60'001}));
  EXPECT_EQ(next_action(timed, *t, 60'500), retry_at(1, step_phase::timeout, 61'000));
  EXPECT_EQ(next_action(timed, *t, 61'000), run(1, 2, step_phase::timeout));
  ASSERT_TRUE(apply_event(t, step_attempted{"w", 2, step_phase::timeout, 61'000}));
  ASSERT_TRUE(apply_event(t, step_succeeded{"w", 2, "{\"settled\":true}", 61'001}));
  EXPECT_EQ(next_action(timed, *t, 61'002), run(2, 1));
}

// Goal: signals recorded while the deadline's action runs are not lost: when that action then
// fails for good, a decision among them settles the wait instead (approved: the step succeeds
// and the saga goes on; vetoed: the step fails with the veto's reason); without one, the
// action's failure stands.
TEST(saga_events_for, a_decision_reached_while_the_deadline_action_ran_wins) {
  auto d = awc(noop);
  const std::vector<saga_event> prefix{
      saga_started{"awc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
      step_succeeded{"a", 1, "{}", 2}, wait_started{"w", 60'000, 3},
      step_attempted{"w", 1, step_phase::timeout, 60'000}};
  auto approved = fold(prefix);
  for (const char* id : {"s1", "s2"}) {
    auto got =
        events_for_signal(d, *approved, {"s", "w", id, signal_decision::approve, ""}, 60'001);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), 1u);  // recorded; the open attempt keeps the wait from settling yet
    ASSERT_TRUE(apply_event(approved, (*got)[0]));
  }
  auto ev =
      events_for_outcome("saga_00000000000000aa", d, *approved, 1, step_phase::timeout, 1,
                         step_outcome::final_failure("still pending at the deadline"), 60'002);
  ASSERT_FALSE(ev.empty());
  ASSERT_TRUE(std::holds_alternative<step_succeeded>(ev[0]));
  EXPECT_EQ(std::get<step_succeeded>(ev[0]).output, "{\"approvals\":2}");
  for (const auto& e : ev) ASSERT_TRUE(apply_event(approved, e));
  EXPECT_EQ(next_action(d, *approved, 60'003), run(2, 1));

  auto vetoed = fold(prefix);
  for (const char* id : {"n1", "n2"})
    ASSERT_TRUE(apply_event(vetoed, signal_received{"w", id, signal_decision::reject, "", 60'001}));
  ev = events_for_outcome("saga_00000000000000aa", d, *vetoed, 1, step_phase::timeout, 1,
                          step_outcome::final_failure("still pending"), 60'002);
  ASSERT_FALSE(ev.empty());
  ASSERT_TRUE(std::holds_alternative<step_failed>(ev[0]));
  EXPECT_NE(std::get<step_failed>(ev[0]).reason.find("veto"), std::string::npos)
      << std::get<step_failed>(ev[0]).reason;

  // The same when the action's last attempt fails retryably: it gives up, and the decision wins.
  auto last_try = fold({saga_started{"awc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
                        step_succeeded{"a", 1, "{}", 2}, wait_started{"w", 60'000, 3},
                        step_attempted{"w", 1, step_phase::timeout, 60'000},
                        step_failed{"w", 1, step_phase::timeout, "busy", true, 61'000, 60'001},
                        step_attempted{"w", 2, step_phase::timeout, 61'000},
                        step_failed{"w", 2, step_phase::timeout, "busy", true, 63'000, 61'001},
                        step_attempted{"w", 3, step_phase::timeout, 63'000}});
  for (const char* id : {"s1", "s2"})
    ASSERT_TRUE(
        apply_event(last_try, signal_received{"w", id, signal_decision::approve, "", 63'001}));
  ev = events_for_outcome("saga_00000000000000aa", d, *last_try, 1, step_phase::timeout, 3,
                          step_outcome::retryable_failure("busy"), 63'002);
  ASSERT_FALSE(ev.empty());
  EXPECT_TRUE(std::holds_alternative<step_succeeded>(ev[0]));

  auto undecided = fold(prefix);
  ASSERT_TRUE(
      apply_event(undecided, signal_received{"w", "s1", signal_decision::approve, "", 60'001}));
  ev = events_for_outcome("saga_00000000000000aa", d, *undecided, 1, step_phase::timeout, 1,
                          step_outcome::final_failure("still pending"), 60'002);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(std::get<step_failed>(ev[0]).reason, "still pending");
}

// Goal: compensation runs in reverse over completed steps only, skipping steps without one.
TEST(saga_next_action, compensation_is_reverse_and_skips_what_has_nothing_to_undo) {
  auto d = abc();
  d.steps[1].compensate = {};  // b has nothing to undo
  auto r = fold({saga_started{"abc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
                 step_succeeded{"a", 1, "{}", 2}, step_attempted{"b", 1, step_phase::action, 3},
                 step_succeeded{"b", 1, "{}", 4}, step_attempted{"c", 1, step_phase::action, 5},
                 step_failed{"c", 1, step_phase::action, "no", false, 0, 6},
                 compensation_started{"step c failed: no", "c", 7}});
  EXPECT_EQ(next_action(d, *r, 8), run(0, 1, step_phase::compensation));
  EXPECT_EQ(next_action(abc(), *r, 8), run(1, 1, step_phase::compensation));
}

// Goal: an outcome's events: a retry at the backoff, then giving up with the compensation's
// start in the same append; a final failure with nothing to undo ends COMPENSATED at once; the
// last success ends COMPLETED; a compensation giving up ends FAILED.
TEST(saga_events_for, outcomes) {
  auto d = abc();
  auto r = fold({saga_started{"abc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
                 step_succeeded{"a", 1, "{}", 2}, step_attempted{"b", 1, step_phase::action, 3}});
  auto first = events_for_outcome("saga_00000000000000aa", d, *r, 1, step_phase::action, 1,
                                  step_outcome::retryable_failure("busy"), 100);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(std::get<step_failed>(first[0]),
            (step_failed{"b", 1, step_phase::action, "busy", true, 1100, 100}));

  ASSERT_TRUE(apply_event(r, first[0]));
  ASSERT_TRUE(apply_event(r, step_attempted{"b", 2, step_phase::action, 1100}));
  auto second = events_for_outcome("saga_00000000000000aa", d, *r, 1, step_phase::action, 2,
                                   step_outcome::retryable_failure("busy"), 1200);
  EXPECT_EQ(std::get<step_failed>(second[0]).retry_at_ms, 3200);
  ASSERT_TRUE(apply_event(r, second[0]));
  ASSERT_TRUE(apply_event(r, step_attempted{"b", 3, step_phase::action, 3200}));
  auto last = events_for_outcome("saga_00000000000000aa", d, *r, 1, step_phase::action, 3,
                                 step_outcome::retryable_failure("busy"), 3300);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(std::get<step_failed>(last[0]).retry_at_ms, 0);
  EXPECT_EQ(std::get<compensation_started>(last[1]),
            (compensation_started{"step b failed after 3 attempts: busy", "b", 3300}));

  auto fresh = fold({saga_started{"abc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1}});
  auto refused = events_for_outcome("saga_00000000000000aa", d, *fresh, 0, step_phase::action, 1,
                                    step_outcome::final_failure("no"), 5);
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_EQ(std::get<saga_finished>(refused[2]),
            (saga_finished{saga_status::compensated, "step a failed: no", 5}));

  auto nearly =
      fold({saga_started{"abc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
            step_succeeded{"a", 1, "{}", 2}, step_attempted{"b", 1, step_phase::action, 3},
            step_succeeded{"b", 1, "{}", 4}, step_attempted{"c", 1, step_phase::action, 5}});
  auto done = events_for_outcome("saga_00000000000000aa", d, *nearly, 2, step_phase::action, 1,
                                 step_outcome::succeeded("{\"c\":1}"), 6);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(std::get<step_succeeded>(done[0]).output, "{\"c\":1}");
  EXPECT_EQ(std::get<saga_finished>(done[1]).status, saga_status::completed);

  auto undoing =
      fold({saga_started{"abc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
            step_succeeded{"a", 1, "{}", 2}, step_attempted{"b", 1, step_phase::action, 3},
            step_failed{"b", 1, step_phase::action, "no", false, 0, 4},
            compensation_started{"step b failed: no", "b", 4},
            step_attempted{"a", 1, step_phase::compensation, 5}});
  auto gave_up =
      events_for_outcome("saga_00000000000000aa", d, *undoing, 0, step_phase::compensation, 1,
                         step_outcome::final_failure("ledger down"), 6);
  ASSERT_EQ(gave_up.size(), 3u);
  EXPECT_EQ(std::get<compensation_failed>(gave_up[1]),
            (compensation_failed{"a", "ledger down", 6}));
  EXPECT_EQ(std::get<saga_finished>(gave_up[2]).status, saga_status::failed);
}

// Goal: chain_events carries what follows an outcome into the same append: a success chains the
// next step's StepAttempted (returned to run), a wait start stops at the wait, a final failure
// chains the compensation's first attempt, and the last success ends the saga with no attempt.
TEST(saga_chain_events, an_outcome_chains_up_to_the_next_attempt) {
  const auto d = abc();
  auto after_a =
      fold({saga_started{"abc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1}});
  std::vector<saga_event> events{step_succeeded{"a", 1, "{}", 2}};
  auto next = chain_events(d, after_a, events, 2);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, run(1, 1));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<step_attempted>(events[1]), (step_attempted{"b", 1, step_phase::action, 2}));

  const auto w = awc();
  std::vector<saga_event> to_wait{step_succeeded{"a", 1, "{}", 2}};
  EXPECT_FALSE(chain_events(w, after_a, to_wait, 2).has_value());
  ASSERT_EQ(to_wait.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<wait_started>(to_wait[1]));

  auto after_b =
      fold({saga_started{"abc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
            step_succeeded{"a", 1, "{}", 2}, step_attempted{"b", 1, step_phase::action, 3}});
  std::vector<saga_event> failing{step_failed{"b", 1, step_phase::action, "no", false, 0, 4}};
  next = chain_events(d, after_b, failing, 4);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, run(0, 1, step_phase::compensation));
  ASSERT_EQ(failing.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<compensation_started>(failing[1]));
  EXPECT_EQ(std::get<step_attempted>(failing[2]),
            (step_attempted{"a", 1, step_phase::compensation, 4}));

  auto nearly =
      fold({saga_started{"abc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
            step_succeeded{"a", 1, "{}", 2}, step_attempted{"b", 1, step_phase::action, 3},
            step_succeeded{"b", 1, "{}", 4}, step_attempted{"c", 1, step_phase::action, 5}});
  std::vector<saga_event> last{step_succeeded{"c", 1, "{}", 6}};
  EXPECT_FALSE(chain_events(d, nearly, last, 6).has_value());
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(std::get<saga_finished>(last[1]).status, saga_status::completed);
}

// Goal: signals: a duplicate id adds nothing, the deciding one settles the wait in the same
// append, and signals for an unknown step, an action step, a finished step or a saga no
// longer running are refused with distinct codes.
TEST(saga_events_for, signals) {
  auto d = awc();
  auto r = fold({saga_started{"awc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
                 step_succeeded{"a", 1, "{}", 2}, wait_started{"w", 60'002, 2}});
  saga_signal vote{"saga_00000000000000aa", "w", "v1", signal_decision::approve, ""};
  auto first = events_for_signal(d, *r, vote, 10);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);
  ASSERT_TRUE(apply_event(r, (*first)[0]));
  auto again = events_for_signal(d, *r, vote, 11);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  vote.signal_id = "v2";
  auto deciding = events_for_signal(d, *r, vote, 12);
  ASSERT_TRUE(deciding);
  ASSERT_EQ(deciding->size(), 2u);
  EXPECT_EQ(std::get<step_succeeded>((*deciding)[1]).output, "{\"approvals\":2}");
  for (const auto& e : *deciding) ASSERT_TRUE(apply_event(r, e));

  vote.signal_id = "v3";
  EXPECT_EQ(events_for_signal(d, *r, vote, 13).error().code, errc::illegal_transition);
  vote.step = "nope";
  EXPECT_EQ(events_for_signal(d, *r, vote, 13).error().code, errc::not_found);
  vote.step = "a";
  EXPECT_EQ(events_for_signal(d, *r, vote, 13).error().code, errc::invalid_argument);
  ASSERT_TRUE(apply_event(r, compensation_started{"x", "c", 14}));
  vote.step = "w";
  EXPECT_EQ(events_for_signal(d, *r, vote, 15).error().code, errc::illegal_transition);
}

// Goal: two rejections veto: the wait fails and the compensation starts in the same append.
TEST(saga_events_for, veto_starts_compensation) {
  auto d = awc();
  auto r = fold({saga_started{"awc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
                 step_succeeded{"a", 1, "{}", 2}, wait_started{"w", 60'002, 2},
                 signal_received{"w", "n1", signal_decision::reject, "", 3}});
  auto ev = events_for_signal(d, *r, {"s", "w", "n2", signal_decision::reject, ""}, 4);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->size(), 3u);
  EXPECT_TRUE(std::holds_alternative<step_failed>((*ev)[1]));
  EXPECT_TRUE(std::holds_alternative<compensation_started>((*ev)[2]));
}

// Goal: events that cannot follow the record are refused (a corrupt or foreign stream).
TEST(saga_record, misfits_are_refused) {
  std::optional<saga_record> r;
  EXPECT_EQ(apply_event(r, step_attempted{"a", 1, step_phase::action, 1}).error().code,
            errc::internal_error);
  ASSERT_TRUE(apply_event(r, saga_started{"abc", "{}", 0}));
  EXPECT_FALSE(apply_event(r, saga_started{"abc", "{}", 0}));
  EXPECT_FALSE(apply_event(r, compensation_retried{"a", 1}));
  EXPECT_FALSE(apply_event(r, saga_finished{saga_status::running, "", 1}));
  ASSERT_TRUE(apply_event(r, compensation_started{"x", "a", 1}));
  EXPECT_FALSE(apply_event(r, compensation_started{"x", "a", 2}));
  ASSERT_TRUE(apply_event(r, saga_finished{saga_status::compensated, "x", 3}));
  EXPECT_FALSE(apply_event(r, step_attempted{"a", 1, step_phase::action, 4}));
  EXPECT_EQ(r->status, saga_status::compensated);
}

// Goal: a crashed attempt shows in the history as interrupted, and counts no failure.
TEST(saga_record, interrupted_attempt_is_recorded_but_not_counted) {
  auto r = fold({saga_started{"abc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
                 step_attempted{"a", 2, step_phase::action, 2}, step_succeeded{"a", 2, "{}", 3}});
  const auto* a = r->step("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->failures, 0);
  ASSERT_EQ(a->history.size(), 2u);
  EXPECT_EQ(a->history[0].result, attempt_result::failed);
  EXPECT_NE(a->history[0].error.find("interrupted"), std::string::npos);
  EXPECT_EQ(a->history[1].result, attempt_result::succeeded);
}

// Goal: backoff doubles up to the cap without overflow; jitter stays in range and is the same
// for the same key and attempt.
TEST(saga_backoff, exponential_capped_and_deterministic_jitter) {
  auto spec = three_tries();
  EXPECT_EQ(backoff(spec, 1, "k"), 1000ms);
  EXPECT_EQ(backoff(spec, 2, "k"), 2000ms);
  EXPECT_EQ(backoff(spec, 4, "k"), 8000ms);
  EXPECT_EQ(backoff(spec, 5, "k"), 10'000ms);
  EXPECT_EQ(backoff(spec, 200, "k"), 10'000ms);
  spec.multiplier = 1;
  EXPECT_EQ(backoff(spec, 7, "k"), 1000ms);
  spec.jitter_percent = 50;
  bool differs = false;
  for (int i = 0; i < 20; ++i) {
    auto key = "saga_" + std::to_string(i) + ":charge";
    auto d = backoff(spec, 1, key);
    EXPECT_GE(d, 500ms);
    EXPECT_LE(d, 1000ms);
    EXPECT_EQ(d, backoff(spec, 1, key));
    differs = differs || d != backoff(spec, 1, "saga_0:charge");
  }
  EXPECT_TRUE(differs);
}

// Goal: definitions are checked: a good one passes, each kind of mistake is named.
TEST(saga_definition, validation) {
  EXPECT_TRUE(validate(abc()));
  EXPECT_TRUE(validate(awc()));
  auto no_type = abc();
  no_type.type.clear();
  EXPECT_EQ(validate(no_type).error().code, errc::invalid_argument);
  auto no_steps = abc();
  no_steps.steps.clear();
  EXPECT_FALSE(validate(no_steps));
  auto twice = abc();
  twice.steps[2].name = "a";
  EXPECT_NE(validate(twice).error().detail.find("repeats"), std::string::npos);
  auto colon = abc();
  colon.steps[0].name = "a:b";
  EXPECT_FALSE(validate(colon));
  auto no_action = abc();
  no_action.steps[1].action = {};
  EXPECT_FALSE(validate(no_action));
  auto no_timeout = awc();
  no_timeout.steps[1].wait_timeout = 0ms;
  EXPECT_FALSE(validate(no_timeout));
  auto zero = abc();
  zero.steps[0].retry.max_attempts = 0;
  EXPECT_FALSE(validate(zero));
  auto backwards = abc();
  backwards.steps[0].retry.max_backoff = 10ms;
  EXPECT_FALSE(validate(backwards));
  auto jitter = abc();
  jitter.steps[0].retry.jitter_percent = 101;
  EXPECT_FALSE(validate(jitter));
}

// Goal: saga ids and their streams map both ways; anything else is refused.
TEST(saga_ids, ids_and_streams) {
  EXPECT_TRUE(is_saga_id("saga_0123456789abcdef"));
  EXPECT_FALSE(is_saga_id("sag_0123456789abcdef"));
  EXPECT_FALSE(is_saga_id("saga_0123456789ABCDEF"));
  EXPECT_FALSE(is_saga_id("saga_0123"));
  EXPECT_EQ(stream_of("saga_0123456789abcdef"), "sag_0123456789abcdef");
  EXPECT_EQ(saga_id_of_stream("sag_0123456789abcdef"), "saga_0123456789abcdef");
  EXPECT_EQ(saga_id_of_stream("pod_0123456789abcdef"), "");
  EXPECT_EQ(saga_id_of_stream("sag_xyz"), "");
}

// Goal: idempotency keys are saga:step (":compensate", ":timeout"), the same on every attempt,
// and a context sees the outputs of the steps done so far.
TEST(saga_context, idempotency_keys_and_outputs) {
  auto d = abc();
  auto r = fold({saga_started{"abc", "{\"x\":1}", 0}, step_attempted{"a", 1, step_phase::action, 1},
                 step_succeeded{"a", 1, "{\"hold\":7}", 2}});
  auto c1 = context_for("saga_00000000000000aa", d, *r, 1, step_phase::action, 1);
  auto c4 = context_for("saga_00000000000000aa", d, *r, 1, step_phase::action, 4);
  EXPECT_EQ(c1.idempotency_key(), "saga_00000000000000aa:b");
  EXPECT_EQ(c1.idempotency_key(), c4.idempotency_key());
  EXPECT_EQ(
      context_for("saga_00000000000000aa", d, *r, 0, step_phase::compensation, 2).idempotency_key(),
      "saga_00000000000000aa:a:compensate");
  EXPECT_EQ(
      context_for("saga_00000000000000aa", d, *r, 1, step_phase::timeout, 1).idempotency_key(),
      "saga_00000000000000aa:b:timeout");
  EXPECT_EQ(c1.idempotency_key_of("a"), "saga_00000000000000aa:a");
  ASSERT_NE(c1.output_of("a"), nullptr);
  EXPECT_EQ(*c1.output_of("a"), "{\"hold\":7}");
  EXPECT_EQ(c1.output_of("c"), nullptr);
  EXPECT_EQ(c1.input, "{\"x\":1}");
  EXPECT_EQ(c4.attempt, 4);
}

// Goal: the view lists every step in definition order (untouched ones PENDING) and the
// current step.
TEST(saga_views, view_lists_all_steps) {
  auto d = abc();
  auto r = fold({saga_started{"abc", "{}", 0}, step_attempted{"a", 1, step_phase::action, 1},
                 step_succeeded{"a", 1, "{}", 2}, step_attempted{"b", 1, step_phase::action, 3}});
  auto v = view_of("saga_00000000000000aa", &d, *r, 4);
  ASSERT_EQ(v.steps.size(), 3u);
  EXPECT_EQ(v.status, "RUNNING");
  EXPECT_EQ(v.current_step, "b");
  EXPECT_EQ(v.steps[0].status, "SUCCEEDED");
  EXPECT_EQ(v.steps[1].status, "RUNNING");
  EXPECT_EQ(v.steps[1].history.at(0).result, "OPEN");
  EXPECT_EQ(v.steps[2].status, "PENDING");
  EXPECT_EQ(v.version, 4);
  auto unknown = view_of("saga_00000000000000aa", nullptr, *r, 4);
  EXPECT_EQ(unknown.steps.size(), 2u);
  EXPECT_EQ(unknown.current_step, "");
}

}  // namespace
}  // namespace payorch::sagas
