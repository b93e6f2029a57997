#include "tests/unit/sagas/saga_fixture.hpp"

namespace payorch::testing {
namespace {

using namespace std::chrono_literals;
using actors::signal_decision;

constexpr const char* saga_a = "saga_00000000000000a1";

std::string key(const std::string& step, const char* id = saga_a) {
  return std::string(id) + ":" + step;
}

class saga_engine_test : public saga_fixture {
 protected:
  /// Runs saga `id` of `type` until `failing` has failed for good and the compensation of
  /// `stuck` with it (the saga is FAILED).
  void fail_compensation(const char* id, const std::string& failing, const std::string& stuck,
                         const std::string& type = "three_step") {
    fake_->script(failing, {reply::fail_final});
    fake_->sticky(stuck + ":compensate", reply::fail_retryable);
    ASSERT_TRUE(start_saga(id, type));
    pass(1000ms);
    pass(2000ms);
    ASSERT_EQ(view(id).status, "FAILED");
  }
  void fail_charge_compensation() { fail_compensation(saga_a, "notify", "charge"); }

  result<actors::saga_view> resolve(const char* outcome, const char* reason) {
    return ask<actors::saga_view>(manager_,
                                  actors::resolve_saga{saga_a, outcome, reason, "ops_client"});
  }
};

// Goal: a three-step saga runs each step once, in order, hands outputs on, and completes.
TEST_F(saga_engine_test, happy_path_of_three_steps) {
  auto started = start_saga(saga_a);
  ASSERT_TRUE(started) << started.error().detail;
  EXPECT_EQ(started->type, "three_step");
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "COMPLETED");
  EXPECT_EQ(v.current_step, "");
  EXPECT_EQ(v.version, 8);  // started, 3 × (attempted, succeeded), finished
  ASSERT_EQ(v.steps.size(), 3u);
  for (const auto& s : v.steps) {
    EXPECT_EQ(s.status, "SUCCEEDED") << s.name;
    EXPECT_EQ(s.attempts, 1) << s.name;
  }
  EXPECT_EQ(fake_->log, (std::vector<std::string>{key("reserve"), key("charge"), key("notify")}));
  EXPECT_EQ(fake_->effects.size(), 3u);
  ASSERT_EQ(fake_->contexts.size(), 3u);
  EXPECT_EQ(fake_->contexts[1].input, "{\"amount_minor\":1000}");
  ASSERT_NE(fake_->contexts[2].output_of("charge"), nullptr);
  EXPECT_EQ(*fake_->contexts[2].output_of("charge"), "{\"key\":\"" + key("charge") + "\"}");
  EXPECT_EQ(stats().live, 0u);  // a finished saga leaves memory
}

// Goal: retryable failures are retried after the journaled backoff (virtual time), with the
// same idempotency key, until the step succeeds.
TEST_F(saga_engine_test, retryable_failure_then_success) {
  fake_->script("charge", {reply::fail_retryable, reply::fail_retryable});
  const auto t0 = now();
  ASSERT_TRUE(start_saga(saga_a));
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "RUNNING");
  EXPECT_EQ(step(v, "charge").status, "RETRY_SCHEDULED");
  EXPECT_EQ(step(v, "charge").retry_at_ms, t0 + 1000);
  EXPECT_EQ(step(v, "charge").last_error, "charge is busy");
  pass(999ms);
  EXPECT_EQ(fake_->calls_of(key("charge")), 1);
  pass(1ms);
  EXPECT_EQ(fake_->calls_of(key("charge")), 2);
  EXPECT_EQ(step(view(saga_a), "charge").retry_at_ms, now() + 2000);  // doubled
  pass(1999ms);
  EXPECT_EQ(view(saga_a).status, "RUNNING");
  pass(1ms);
  v = view(saga_a);
  EXPECT_EQ(v.status, "COMPLETED");
  EXPECT_EQ(step(v, "charge").attempts, 3);
  ASSERT_EQ(step(v, "charge").history.size(), 3u);
  EXPECT_EQ(step(v, "charge").history[0].result, "FAILED");
  EXPECT_EQ(step(v, "charge").history[2].result, "SUCCEEDED");
  EXPECT_EQ(fake_->calls_of(key("charge")), 3);
  EXPECT_EQ(fake_->effects.size(), 3u);
}

// Goal: when retries run out at step 3, steps 2 and 1 are compensated in reverse order and the
// saga ends COMPENSATED with the reason.
TEST_F(saga_engine_test, retries_exhausted_compensate_in_reverse) {
  fake_->sticky("notify", reply::fail_retryable);
  ASSERT_TRUE(start_saga(saga_a));
  pass(1000ms);
  pass(2000ms);
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "COMPENSATED");
  EXPECT_EQ(v.failed_step, "notify");
  EXPECT_EQ(v.reason, "step notify failed after 3 attempts: notify is busy");
  EXPECT_EQ(step(v, "notify").status, "FAILED");
  EXPECT_EQ(step(v, "charge").status, "COMPENSATED");
  EXPECT_EQ(step(v, "reserve").status, "COMPENSATED");
  const std::vector<std::string> tail(fake_->log.end() - 2, fake_->log.end());
  EXPECT_EQ(tail, (std::vector<std::string>{key("charge:compensate"), key("reserve:compensate")}));
  EXPECT_EQ(fake_->calls_of(key("notify:compensate")), 0);  // it never completed
}

// Goal: a final failure at step 3 is not retried; steps 2 and 1 are compensated in reverse.
TEST_F(saga_engine_test, final_failure_at_step_three_compensates_two_then_one) {
  fake_->script("notify", {reply::fail_final});
  ASSERT_TRUE(start_saga(saga_a));
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "COMPENSATED");
  EXPECT_EQ(v.reason, "step notify failed: notify refused");
  EXPECT_EQ(step(v, "notify").attempts, 1);
  EXPECT_EQ(fake_->log,
            (std::vector<std::string>{key("reserve"), key("charge"), key("notify"),
                                      key("charge:compensate"), key("reserve:compensate")}));
}

// Goal: a saga whose first step fails finally has nothing to undo and ends COMPENSATED.
TEST_F(saga_engine_test, failure_of_the_first_step_compensates_nothing) {
  fake_->script("reserve", {reply::fail_final});
  ASSERT_TRUE(start_saga(saga_a));
  EXPECT_EQ(view(saga_a).status, "COMPENSATED");
  EXPECT_EQ(fake_->log, (std::vector<std::string>{key("reserve")}));
}

// Goal: a step marked undo_if_attempted is undone even though its action gave up (its effect may
// have landed after its answer was lost), and a failing undo of it still ends the saga FAILED;
// a step that never ran is not undone.
TEST_F(saga_engine_test, a_step_whose_answer_may_be_lost_is_undone_once_attempted) {
  fake_->script("reserve", {reply::fail_retryable, reply::fail_retryable, reply::fail_retryable});
  ASSERT_TRUE(start_saga(saga_a, "lost_answer"));
  pass(1000ms);
  pass(2000ms);
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "COMPENSATED");
  EXPECT_EQ(step(v, "reserve").status, "COMPENSATED");
  EXPECT_EQ(step(v, "reserve").compensation_attempts, 1);
  EXPECT_EQ(fake_->calls_of(key("reserve:compensate")), 1);
  EXPECT_EQ(fake_->calls_of(key("charge:compensate")), 0);  // charge never ran

  constexpr const char* second = "saga_00000000000000c3";
  ASSERT_NO_FATAL_FAILURE(fail_compensation(second, "reserve", "reserve", "lost_answer"));
  auto stuck = view(second);
  EXPECT_EQ(stuck.status, "FAILED");
  EXPECT_EQ(stuck.reason, "compensation of step reserve failed: reserve:compensate is busy");
  EXPECT_EQ(step(stuck, "reserve").compensation_attempts, 3);
  // Its action never succeeded, so an operator cannot keep what it did: COMPLETED is refused,
  // COMPENSATE resolves it.
  auto kept = ask<actors::saga_view>(
      manager_, actors::resolve_saga{second, "COMPLETED", "looked", "ops_client"});
  ASSERT_FALSE(kept);
  EXPECT_EQ(kept.error().code, errc::illegal_transition);
  EXPECT_NE(kept.error().detail.find("never completed"), std::string::npos) << kept.error().detail;
  EXPECT_EQ(view(second).status, "FAILED");
  auto undone = ask<actors::saga_view>(
      manager_, actors::resolve_saga{second, "COMPENSATE", "nothing held", "ops_client"});
  ASSERT_TRUE(undone) << undone.error().detail;
}

// Goal: a compensation that keeps failing ends the saga FAILED with an operator alert and a
// counter; after the cause is fixed, retry_saga finishes the compensation (COMPENSATED).
TEST_F(saga_engine_test, failing_compensation_alerts_then_operator_retry) {
  fake_->script("notify", {reply::fail_final});
  fake_->sticky("charge:compensate", reply::fail_retryable);
  ASSERT_TRUE(start_saga(saga_a));
  pass(1000ms);
  pass(2000ms);
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "FAILED");
  EXPECT_EQ(v.current_step, "charge");
  EXPECT_EQ(v.reason, "compensation of step charge failed: charge:compensate is busy");
  EXPECT_EQ(step(v, "charge").status, "COMPENSATION_FAILED");
  EXPECT_EQ(step(v, "charge").compensation_attempts, 3);
  EXPECT_EQ(step(v, "reserve").status, "SUCCEEDED");  // stopped at the failure
  ASSERT_EQ(alerts_->size(), 1u);
  EXPECT_NE(alerts_->front().find(saga_a), std::string::npos);
  EXPECT_NE(alerts_->front().find("compensation of step charge failed"), std::string::npos);
  EXPECT_EQ(stats().compensation_failures, 1u);

  fake_->sticky("charge:compensate", reply::succeed);
  auto retried = ask<actors::saga_view>(manager_, actors::retry_saga{saga_a});
  ASSERT_TRUE(retried) << retried.error().detail;
  v = view(saga_a);
  EXPECT_EQ(v.status, "COMPENSATED");
  EXPECT_EQ(v.reason, "step notify failed: notify refused");  // the original reason
  EXPECT_EQ(step(v, "charge").status, "COMPENSATED");
  EXPECT_EQ(step(v, "charge").compensation_attempts, 4);
  EXPECT_EQ(step(v, "reserve").status, "COMPENSATED");
  EXPECT_EQ(fake_->effects.count(key("charge:compensate")), 1u);
  // Nothing left to retry now.
  auto again = ask<actors::saga_view>(manager_, actors::retry_saga{saga_a});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::illegal_transition);
  EXPECT_EQ(alerts_->size(), 1u);
}

// Goal: an operator who found that what a step did stands (the bank paid) resolves its failed
// compensation COMPLETED: nothing is undone, the saga ends COMPLETED, and the resolution is
// journaled (it survives a restart) and shown; a finished saga takes no second resolution.
TEST_F(saga_engine_test, operator_resolves_a_failed_compensation_completed) {
  fail_charge_compensation();
  auto r = resolve("COMPLETED", "the bank statement shows it paid");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->status, "COMPLETED");
  for (int round = 0; round < 2; ++round) {
    auto v = view(saga_a);
    EXPECT_EQ(v.status, "COMPLETED");
    EXPECT_EQ(v.reason, "resolved by ops_client: the bank statement shows it paid");
    EXPECT_EQ(v.resolution, "COMPLETED");
    EXPECT_EQ(v.resolved_step, "charge");
    EXPECT_EQ(v.resolution_reason, "the bank statement shows it paid");
    EXPECT_EQ(v.resolved_by, "ops_client");
    EXPECT_GT(v.resolved_at_ms, 0);
    EXPECT_GT(v.finished_at_ms, 0);
    EXPECT_EQ(step(v, "charge").status, "SUCCEEDED");
    EXPECT_EQ(step(v, "reserve").status, "SUCCEEDED");  // nothing else was undone
    EXPECT_EQ(step(v, "notify").status, "FAILED");      // the history stays
    restart();
  }
  EXPECT_EQ(fake_->effects.count(key("charge:compensate")), 0u);
  EXPECT_EQ(fake_->effects.count(key("reserve:compensate")), 0u);
  auto again = resolve("COMPENSATE", "second thoughts");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::illegal_transition);
}

// Goal: COMPENSATE runs the failed compensation again, telling it the operator checked that the
// undo is safe (step_context::operator_approved, only for that step), then the rest of them.
TEST_F(saga_engine_test, operator_resolves_a_failed_compensation_compensate) {
  fail_charge_compensation();
  fake_->sticky("charge:compensate", reply::succeed);
  const auto before = fake_->contexts.size();
  auto r = resolve("COMPENSATE", "the money came back on 2026-12-07");
  ASSERT_TRUE(r) << r.error().detail;
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "COMPENSATED");
  EXPECT_EQ(v.resolution, "COMPENSATE");
  EXPECT_EQ(v.resolution_reason, "the money came back on 2026-12-07");
  EXPECT_EQ(step(v, "charge").status, "COMPENSATED");
  EXPECT_EQ(step(v, "reserve").status, "COMPENSATED");
  ASSERT_EQ(fake_->contexts.size(), before + 2);
  EXPECT_EQ(fake_->contexts[before].step, "charge");
  EXPECT_TRUE(fake_->contexts[before].operator_approved);
  EXPECT_EQ(fake_->contexts[before + 1].step, "reserve");
  EXPECT_FALSE(fake_->contexts[before + 1].operator_approved);
  // Before any resolution, no compensation heard the operator's word.
  for (std::size_t i = 0; i < before; ++i) EXPECT_FALSE(fake_->contexts[i].operator_approved);
}

// Goal: a resolution is refused when it does not fit: a bad outcome or no reason (invalid
// argument), a saga still running or unknown, a step whose compensation an operator may not
// resolve (it must be fixed and retried instead).
TEST_F(saga_engine_test, operator_resolution_refusals) {
  fake_->script("charge", {reply::hold});
  ASSERT_TRUE(start_saga(saga_a));
  auto running = resolve("COMPLETED", "too early");
  ASSERT_FALSE(running);
  EXPECT_EQ(running.error().code, errc::illegal_transition);
  auto unknown = ask<actors::saga_view>(
      manager_, actors::resolve_saga{"saga_00000000000000ff", "COMPLETED", "why", "ops_client"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, errc::not_found);

  constexpr const char* saga_b = "saga_00000000000000b2";
  fail_compensation(saga_b, "charge", "reserve");
  auto not_resolvable = ask<actors::saga_view>(
      manager_, actors::resolve_saga{saga_b, "COMPLETED", "looked", "ops_client"});
  ASSERT_FALSE(not_resolvable);
  EXPECT_EQ(not_resolvable.error().code, errc::illegal_transition);
  EXPECT_NE(not_resolvable.error().detail.find("reserve"), std::string::npos);
  for (auto [outcome, reason] : {std::pair{"MAYBE", "why"}, std::pair{"COMPLETED", ""}}) {
    auto bad = ask<actors::saga_view>(manager_,
                                      actors::resolve_saga{saga_b, outcome, reason, "ops_client"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, errc::invalid_argument) << outcome;
  }
  EXPECT_EQ(view(saga_b).status, "FAILED");

  // A resolvable step, but a failure its definition does not let an operator resolve.
  constexpr const char* saga_c = "saga_00000000000000c3";
  fake_->script("notify", {reply::fail_final});
  fake_->script("charge:compensate", {reply::fail_final});
  ASSERT_TRUE(start_saga(saga_c));
  ASSERT_EQ(view(saga_c).status, "FAILED");
  auto wrong_failure = ask<actors::saga_view>(
      manager_, actors::resolve_saga{saga_c, "COMPENSATE", "looked", "ops_client"});
  ASSERT_FALSE(wrong_failure);
  EXPECT_EQ(wrong_failure.error().code, errc::illegal_transition);
  EXPECT_NE(wrong_failure.error().detail.find("cannot resolve"), std::string::npos);
}

// Goal: COMPLETED is refused once a step after the resolved one is undone already (what the
// saga did would no longer stand); COMPENSATE still resolves it.
TEST_F(saga_engine_test, completed_is_refused_after_a_later_step_was_undone) {
  ASSERT_NO_FATAL_FAILURE(fail_compensation(saga_a, "audit", "charge", "four_step"));
  auto v = view(saga_a);
  EXPECT_EQ(step(v, "notify").status, "COMPENSATED");
  EXPECT_EQ(step(v, "charge").status, "COMPENSATION_FAILED");
  auto completed = resolve("COMPLETED", "it went through");
  ASSERT_FALSE(completed);
  EXPECT_EQ(completed.error().code, errc::illegal_transition);
  EXPECT_NE(completed.error().detail.find("notify"), std::string::npos);
  fake_->sticky("charge:compensate", reply::succeed);
  auto compensated = resolve("COMPENSATE", "it came back");
  ASSERT_TRUE(compensated) << compensated.error().detail;
  EXPECT_EQ(view(saga_a).status, "COMPENSATED");
}

// Goal: an action that answers twice is taken once: one success, one effect, same events as a
// plain success.
TEST_F(saga_engine_test, done_called_twice_counts_once) {
  fake_->script("charge", {reply::answer_twice});
  ASSERT_TRUE(start_saga(saga_a));
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "COMPLETED");
  EXPECT_EQ(v.version, 8);
  EXPECT_EQ(step(v, "charge").attempts, 1);
  EXPECT_EQ(step(v, "charge").history.size(), 1u);
}

// Goal: an attempt with no answer times out and is retried under the same key; the stale
// answer of the first attempt, arriving while the retry waits, is ignored.
TEST_F(saga_engine_test, late_completion_of_a_timed_out_attempt_is_ignored) {
  fake_->script("charge", {reply::hold});
  ASSERT_TRUE(start_saga(saga_a, "slow"));
  EXPECT_EQ(step(view(saga_a), "charge").status, "RUNNING");
  pass(5000ms);  // the attempt times out: retry in 1 s
  auto v = view(saga_a);
  EXPECT_EQ(step(v, "charge").status, "RETRY_SCHEDULED");
  EXPECT_EQ(step(v, "charge").last_error, "no answer within 5000 ms");
  const auto version = v.version;
  ASSERT_EQ(fake_->held.size(), 1u);
  fake_->held.front()(actors::step_outcome::final_failure("too late"));
  sched().run();
  v = view(saga_a);
  EXPECT_EQ(step(v, "charge").status, "RETRY_SCHEDULED");
  EXPECT_EQ(v.version, version);
  pass(1000ms);
  v = view(saga_a);
  EXPECT_EQ(v.status, "COMPLETED");
  EXPECT_EQ(fake_->calls_of(key("charge")), 2);
  EXPECT_EQ(fake_->effects.size(), 2u);  // reserve, charge: once each
}

// Goal: after a saga compensated, a late action answer and a late signal change nothing.
TEST_F(saga_engine_test, late_answers_after_compensation_are_ignored) {
  fake_->script("charge", {reply::hold});
  ASSERT_TRUE(start_saga(saga_a, "slow_once"));
  pass(5000ms);
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "COMPENSATED");
  EXPECT_EQ(step(v, "reserve").status, "COMPENSATED");
  const auto version = v.version;
  fake_->held.front()(actors::step_outcome::succeeded("{}"));
  sched().run();
  v = view(saga_a);
  EXPECT_EQ(v.status, "COMPENSATED");
  EXPECT_EQ(v.version, version);

  const char* waiting = "saga_00000000000000b2";
  ASSERT_TRUE(start_saga(waiting, "approval"));
  pass(60s);
  ASSERT_EQ(view(waiting).status, "COMPENSATED");
  auto late = signal(waiting, "approve", "vote-1", signal_decision::approve);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, errc::illegal_transition);
  EXPECT_EQ(step(view(waiting), "approve").signals.size(), 0u);
}

// Goal: a failed journal write restarts the saga from its journal; the interrupted step runs
// again under the same key and the provider acts once.
TEST_F(saga_engine_test, failed_append_restarts_saga_from_journal) {
  fake_->script("charge", {reply::hold});
  ASSERT_TRUE(start_saga(saga_a));
  backend_->fail_next_appends = 1;
  fake_->held.front()(actors::step_outcome::succeeded("{\"charged\":true}"));
  sched().run();
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "COMPLETED");
  EXPECT_EQ(stats().restarted, 1u);
  EXPECT_EQ(step(v, "charge").attempts, 2);
  EXPECT_EQ(fake_->calls_of(key("charge")), 2);
  EXPECT_EQ(fake_->effects.count(key("charge")), 1u);
}

// Goal: list_sagas filters by status and pages with a cursor; the index is rebuilt from the
// journal after a restart; a bad status filter is refused.
TEST_F(saga_engine_test, list_by_status_with_cursor) {
  const std::vector<std::string> ids{"saga_0000000000000001", "saga_0000000000000002",
                                     "saga_0000000000000003", "saga_0000000000000004",
                                     "saga_0000000000000005"};
  fake_->script("reserve", {reply::succeed, reply::fail_final, reply::succeed, reply::fail_final});
  for (const auto& id : ids) ASSERT_TRUE(start_saga(id));
  auto page = ask<actors::saga_page>(manager_, actors::list_sagas{"COMPLETED", "", 2});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].saga_id, ids[0]);
  EXPECT_EQ(page->items[1].saga_id, ids[2]);
  EXPECT_EQ(page->next_after, ids[2]);
  page = ask<actors::saga_page>(manager_, actors::list_sagas{"COMPLETED", page->next_after, 2});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].saga_id, ids[4]);
  EXPECT_EQ(page->next_after, "");
  auto compensated = ask<actors::saga_page>(manager_, actors::list_sagas{"COMPENSATED", "", 0});
  ASSERT_TRUE(compensated);
  EXPECT_EQ(compensated->items.size(), 2u);
  EXPECT_EQ(compensated->items[0].status, "COMPENSATED");

  restart();
  auto all = ask<actors::saga_page>(manager_, actors::list_sagas{"", "", 10});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->items.size(), 5u);
  EXPECT_EQ(stats().resumed, 5u);
  EXPECT_EQ(stats().live, 0u);  // finished sagas report and leave

  auto bad = ask<actors::saga_page>(manager_, actors::list_sagas{"done", "", 10});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::invalid_argument);
  EXPECT_EQ(bad.error().param, "status");
}

// Goal: list_sagas by owner lists only that owner's sagas of that type, oldest first whatever
// their ids, with the input members the definition names; its cursor pages on, an unknown or
// foreign cursor is refused, and the owner index is rebuilt after a restart.
TEST_F(saga_engine_test, list_by_owner_oldest_first) {
  const auto input = [](const std::string& pod, int amount) {
    return R"({"pod_id":")" + pod + R"(","amount_minor":)" + std::to_string(amount) +
           R"(,"secret":"x"})";
  };
  // Ids descending while time ascends, so the order can only come from the start times.
  ASSERT_TRUE(start_saga("saga_0000000000000009", "three_step", input("pod_a", 900)));
  pass(std::chrono::milliseconds(10));
  ASSERT_TRUE(start_saga("saga_0000000000000005", "three_step", input("pod_b", 500)));
  pass(std::chrono::milliseconds(10));
  ASSERT_TRUE(start_saga("saga_0000000000000003", "three_step", input("pod_a", 300)));
  pass(std::chrono::milliseconds(10));
  ASSERT_TRUE(start_saga("saga_0000000000000001", "three_step", input("pod_a", 100)));
  ASSERT_TRUE(start_saga("saga_0000000000000002", "approval", input("pod_a", 200)));

  const auto owned = [this](const std::string& after, std::uint64_t limit) {
    return ask<actors::saga_page>(manager_,
                                  actors::list_sagas{"", after, limit, "three_step", "pod_a"});
  };
  auto first = owned("", 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].saga_id, "saga_0000000000000009");
  EXPECT_EQ(first->items[1].saga_id, "saga_0000000000000003");
  EXPECT_EQ(first->items[0].owner, "pod_a");
  EXPECT_EQ(first->items[0].details, R"({"amount_minor":900})");  // no "secret"
  EXPECT_EQ(first->next_after, "saga_0000000000000003");
  auto second = owned(first->next_after, 2);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->items.size(), 1u);  // the approval saga is another type
  EXPECT_EQ(second->items[0].saga_id, "saga_0000000000000001");
  EXPECT_EQ(second->next_after, "");

  auto none =
      ask<actors::saga_page>(manager_, actors::list_sagas{"", "", 10, "three_step", "pod_zzz"});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
  for (const char* cursor : {"saga_0000000000000005", "saga_00000000000000ff"}) {
    auto refused = owned(cursor, 2);
    ASSERT_FALSE(refused) << cursor;
    EXPECT_EQ(refused.error().code, errc::invalid_argument);
    EXPECT_EQ(refused.error().param, "cursor");
  }

  restart();
  auto again = owned("", 10);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->items.size(), 3u);
  EXPECT_EQ(again->items[2].saga_id, "saga_0000000000000001");
  EXPECT_EQ(again->items[2].details, R"({"amount_minor":100})");
}

// Goal: a list request that reaches the manager before it has resumed the journal's sagas waits
// for them: the first page after a restart is whole, and a cursor from before the restart is
// still honoured; a bad filter is refused all the same.
TEST_F(saga_engine_test, listing_after_restart_waits_for_resumed_sagas) {
  ASSERT_TRUE(start_saga("saga_0000000000000001", "three_step", R"({"pod_id":"pod_a"})"));
  pass(std::chrono::milliseconds(10));
  ASSERT_TRUE(start_saga("saga_0000000000000002", "three_step", R"({"pod_id":"pod_a"})"));
  pass(std::chrono::milliseconds(10));
  ASSERT_TRUE(start_saga("saga_0000000000000003", "approval"));  // still waiting for votes
  const auto owned = [this](const std::string& after) {
    return ask<actors::saga_page>(manager_,
                                  actors::list_sagas{"", after, 10, "three_step", "pod_a"});
  };

  restart(false);
  auto rest = owned("saga_0000000000000001");
  ASSERT_TRUE(rest) << rest.error().detail;
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].saga_id, "saga_0000000000000002");

  restart(false);
  auto bad = ask<actors::saga_page>(manager_, actors::list_sagas{"done", "", 10});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().param, "status");
  auto all = ask<actors::saga_page>(manager_, actors::list_sagas{"", "", 10});
  ASSERT_TRUE(all) << all.error().detail;
  ASSERT_EQ(all->items.size(), 3u);
  EXPECT_EQ(all->items[2].status, "RUNNING");
  EXPECT_EQ(stats().resumed, 3u);
}

// Goal: the start-up scan reads the journal's sagas a window at a time (here 2) and still resumes
// every one, finished and waiting alike, before a listing is answered; a window of 0 is refused.
TEST_F(saga_engine_test, resume_scan_goes_a_window_at_a_time) {
  for (int i = 1; i <= 7; ++i)
    ASSERT_TRUE(
        start_saga("saga_000000000000000" + std::to_string(i), i == 4 ? "approval" : "three_step"));
  sagas::saga_manager_options none;
  none.resume_window = 0;
  auto refused = sagas::spawn_saga_manager(sys(), std::move(none));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().param, "resume_window");

  resume_window_ = 2;
  restart(false);
  auto all = ask<actors::saga_page>(manager_, actors::list_sagas{"", "", 10});
  ASSERT_TRUE(all) << all.error().detail;
  ASSERT_EQ(all->items.size(), 7u);
  EXPECT_EQ(all->items[3].status, "RUNNING");
  EXPECT_EQ(stats().resumed, 7u);
  EXPECT_EQ(stats().live, 1u);  // the one waiting for approvals
}

// Goal: a list request still waiting for the resume scan when the manager stops is answered
// (entity_unavailable), never left without an answer.
TEST_F(saga_engine_test, waiting_listing_is_answered_when_the_manager_stops) {
  ASSERT_TRUE(start_saga("saga_0000000000000001"));
  restart(false);
  caf::scoped_actor self{sys()};
  auto handle = self->request(manager_, caf::infinite, actors::list_sagas{"", "", 10});
  caf::anon_send_exit(manager_, caf::exit_reason::user_shutdown);
  sched().run();
  std::optional<errc> answer;
  handle.receive([&](actors::saga_page&) { answer = errc::internal_error; },
                 [&](caf::error& e) { answer = actors::to_failure(e).code; });
  ASSERT_TRUE(answer.has_value()) << "the waiting request got no answer";
  EXPECT_EQ(*answer, errc::entity_unavailable);
}

// Goal: list_sagas with steps keeps only the sagas whose current step is one of them.
TEST_F(saga_engine_test, list_by_current_step) {
  ASSERT_TRUE(start_saga("saga_0000000000000001", "approval"));  // waits at "approve"
  ASSERT_TRUE(start_saga("saga_0000000000000002"));              // runs to the end
  const auto at = [this](std::vector<std::string> steps) {
    actors::list_sagas q{"", "", 10};
    q.steps = std::move(steps);
    auto page = ask<actors::saga_page>(manager_, q);
    std::vector<std::string> ids;
    if (page)
      for (const auto& s : page->items) ids.push_back(s.saga_id);
    return ids;
  };
  EXPECT_EQ(at({"approve"}), std::vector<std::string>{"saga_0000000000000001"});
  EXPECT_EQ(at({"reserve", "approve"}), std::vector<std::string>{"saga_0000000000000001"});
  EXPECT_TRUE(at({"charge"}).empty());
  EXPECT_EQ(at({}).size(), 2u);
}

// Goal: wrong input is refused with a clear code: unknown type, malformed id or input, a
// duplicate start, and requests for a saga that does not exist (which leave no actor behind).
TEST_F(saga_engine_test, bad_input) {
  auto unknown_type = start_saga(saga_a, "teleport");
  ASSERT_FALSE(unknown_type);
  EXPECT_EQ(unknown_type.error().code, errc::invalid_argument);
  EXPECT_EQ(unknown_type.error().param, "type");
  auto bad_id = start_saga("sag_00000000000000a1");
  ASSERT_FALSE(bad_id);
  EXPECT_EQ(bad_id.error().code, errc::invalid_id);
  auto bad_json = start_saga(saga_a, "three_step", "{not json");
  ASSERT_FALSE(bad_json);
  EXPECT_EQ(bad_json.error().param, "input");

  ASSERT_TRUE(start_saga(saga_a));
  auto twice = start_saga(saga_a);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, errc::already_exists);
  EXPECT_EQ(fake_->calls_of(key("reserve")), 1);

  const char* ghost = "saga_00000000000000ff";
  EXPECT_EQ(get(ghost).error().code, errc::not_found);
  EXPECT_EQ(signal(ghost, "approve", "v1", signal_decision::approve).error().code, errc::not_found);
  EXPECT_EQ(ask<actors::saga_view>(manager_, actors::retry_saga{ghost}).error().code,
            errc::not_found);
  EXPECT_EQ(stats().live, 0u);

  auto completed_retry = ask<actors::saga_view>(manager_, actors::retry_saga{saga_a});
  EXPECT_EQ(completed_retry.error().code, errc::illegal_transition);
  auto no_id = ask<actors::saga_view>(
      manager_, actors::signal_saga{{saga_a, "approve", "", signal_decision::approve, ""}});
  EXPECT_EQ(no_id.error().param, "signal_id");
  auto bad_payload = ask<actors::saga_view>(
      manager_, actors::signal_saga{{saga_a, "approve", "v1", signal_decision::approve, "{"}});
  EXPECT_EQ(bad_payload.error().param, "payload");
}

// Goal: a saga waiting for a retry when the process stops resumes after the restart and
// retries at the journaled time.
TEST_F(saga_engine_test, retry_backoff_survives_restart) {
  fake_->script("charge", {reply::fail_retryable});
  ASSERT_TRUE(start_saga(saga_a));
  restart();
  EXPECT_EQ(stats().resumed, 1u);
  EXPECT_EQ(view(saga_a).status, "RUNNING");
  pass(999ms);
  EXPECT_EQ(fake_->calls_of(key("charge")), 1);
  pass(1ms);
  EXPECT_EQ(view(saga_a).status, "COMPLETED");
  EXPECT_EQ(fake_->calls_of(key("charge")), 2);
}

// Goal: sagas are independent actors: one failing does not disturb others.
TEST_F(saga_engine_test, sagas_are_independent) {
  fake_->script("reserve", {reply::fail_final});
  ASSERT_TRUE(start_saga("saga_0000000000000011"));
  ASSERT_TRUE(start_saga("saga_0000000000000012"));
  EXPECT_EQ(view("saga_0000000000000011").status, "COMPENSATED");
  EXPECT_EQ(view("saga_0000000000000012").status, "COMPLETED");
}

}  // namespace
}  // namespace payorch::testing
