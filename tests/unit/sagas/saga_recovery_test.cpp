#include <algorithm>
#include <vector>

#include "tests/unit/sagas/saga_fixture.hpp"

namespace payorch::testing {
namespace {

using namespace std::chrono_literals;
using actors::signal_decision;

constexpr const char* saga_a = "saga_00000000000000a1";

std::string key(const std::string& step) {
  return std::string(saga_a) + ":" + step;
}

/// Where the process "dies": before StepAttempted is written, right after it (the action ran,
/// its answer is lost), or right after StepSucceeded. One append carries a step's outcome and
/// the next step's StepAttempted, so dying before a step's StepAttempted also loses the
/// previous step's outcome, and dying after a StepSucceeded leaves the next attempt open.
enum class moment { before_attempted, after_attempted, after_succeeded };

/// The steps of the test saga, in order.
const std::vector<std::string> step_order{"reserve", "charge", "notify"};

/// How many times `s` runs when the process dies at `when` of `crashed`: once, plus once more
/// for an attempt whose outcome the crash lost (under the same key, so it acts once).
int expected_calls(const std::string& s, const std::string& crashed, moment when) {
  const auto at = [](const std::string& name) {
    return std::find(step_order.begin(), step_order.end(), name) - step_order.begin();
  };
  const auto distance = at(s) - at(crashed);
  const bool lost = (when == moment::after_attempted && distance == 0) ||
                    (when == moment::before_attempted && distance == -1) ||
                    (when == moment::after_succeeded && distance == 1);
  return lost ? 2 : 1;
}

struct crash_point {
  std::string step;
  moment when;
};

std::string name_of(const ::testing::TestParamInfo<crash_point>& info) {
  static const char* names[] = {"before_attempted", "after_attempted", "after_succeeded"};
  return info.param.step + "_" + names[static_cast<int>(info.param.when)];
}

class saga_crash_test : public saga_fixture, public ::testing::WithParamInterface<crash_point> {};

// Goal: whatever step the process dies at, before or after it is journaled, the restarted saga
// completes and every effect happened exactly once, under the step's own key.
TEST_P(saga_crash_test, completes_with_each_effect_once) {
  const auto [crashed_step, when] = GetParam();
  auto at = [s = crashed_step](const char* type) {
    return [s, type](const persistence::append_request& r) { return journals(r, type, s); };
  };
  if (when == moment::before_attempted) crash_->crash_before = at("StepAttempted");
  if (when == moment::after_attempted) crash_->crash_after = at("StepAttempted");
  if (when == moment::after_succeeded) crash_->crash_after = at("StepSucceeded");
  ASSERT_TRUE(start_saga(saga_a));
  ASSERT_TRUE(crash_->crashed);
  const int ran_before = fake_->calls_of(key(crashed_step));
  EXPECT_EQ(ran_before, when == moment::before_attempted ? 0 : 1);

  restart();
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "COMPLETED");
  EXPECT_EQ(fake_->effects.size(), 3u);  // nothing under another key: nobody paid twice
  for (const auto& s : step_order) {
    EXPECT_EQ(fake_->effects.count(key(s)), 1u) << s;
    EXPECT_EQ(fake_->calls_of(key(s)), expected_calls(s, crashed_step, when)) << s;
  }
  // The interrupted attempt was run again (never skipped), with the next attempt number.
  const auto& crashed = step(v, crashed_step);
  EXPECT_EQ(crashed.attempts, expected_calls(crashed_step, crashed_step, when));
  if (when == moment::after_attempted)
    EXPECT_NE(crashed.history.at(0).error.find("interrupted"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(every_step, saga_crash_test,
                         ::testing::Values(crash_point{"reserve", moment::before_attempted},
                                           crash_point{"reserve", moment::after_attempted},
                                           crash_point{"reserve", moment::after_succeeded},
                                           crash_point{"charge", moment::before_attempted},
                                           crash_point{"charge", moment::after_attempted},
                                           crash_point{"charge", moment::after_succeeded},
                                           crash_point{"notify", moment::before_attempted},
                                           crash_point{"notify", moment::after_attempted},
                                           crash_point{"notify", moment::after_succeeded}),
                         name_of);

class saga_compensation_crash_test : public saga_fixture {};

// Goal: a crash in the middle of compensating (after a compensation was attempted) resumes the
// compensation under the same key and still ends COMPENSATED, each undo done once.
TEST_F(saga_compensation_crash_test, crash_during_compensation_resumes_it) {
  fake_->script("notify", {reply::fail_final});
  crash_->crash_after = [](const persistence::append_request& r) {
    // An append may carry the failure that starts the compensation as well as its attempt.
    return journals(r, "StepAttempted", "charge") &&
           std::any_of(r.events.begin(), r.events.end(), [](const auto& e) {
             return e.event_type == "StepAttempted" &&
                    e.payload.find("COMPENSATION") != std::string::npos;
           });
  };
  ASSERT_TRUE(start_saga(saga_a));
  ASSERT_TRUE(crash_->crashed);
  restart();
  auto v = view(saga_a);
  EXPECT_EQ(v.status, "COMPENSATED");
  EXPECT_EQ(step(v, "charge").compensation_attempts, 2);
  EXPECT_EQ(fake_->calls_of(key("charge:compensate")), 2);
  EXPECT_EQ(fake_->effects.count(key("charge:compensate")), 1u);
  EXPECT_EQ(fake_->effects.count(key("reserve:compensate")), 1u);
}

class saga_wait_test : public saga_fixture {};

constexpr const char* approval_id = "saga_00000000000000c3";

// Goal: a wait step completes once two approvals arrive; a repeated signal id is taken once and
// answered like the first; the saga then runs its last step.
TEST_F(saga_wait_test, signals_reach_quorum) {
  ASSERT_TRUE(start_saga(approval_id, "approval"));
  auto v = view(approval_id);
  EXPECT_EQ(v.current_step, "approve");
  EXPECT_EQ(step(v, "approve").status, "WAITING");
  EXPECT_EQ(step(v, "approve").deadline_at_ms, now() + 60'000);

  auto first = signal(approval_id, "approve", "member-1", signal_decision::approve);
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(step(*first, "approve").signals.size(), 1u);
  auto repeated = signal(approval_id, "approve", "member-1", signal_decision::approve);
  ASSERT_TRUE(repeated);
  EXPECT_EQ(repeated->version, first->version);  // not journaled again
  EXPECT_EQ(step(*repeated, "approve").signals.size(), 1u);
  auto deciding = signal(approval_id, "approve", "member-2", signal_decision::approve);
  ASSERT_TRUE(deciding);
  EXPECT_EQ(step(*deciding, "approve").status, "SUCCEEDED");
  EXPECT_EQ(step(*deciding, "approve").output, "{\"approvals\":2}");
  v = view(approval_id);
  EXPECT_EQ(v.status, "COMPLETED");
  EXPECT_EQ(fake_->calls_of(std::string(approval_id) + ":payout"), 1);
  // A signal for the finished step is refused, not applied.
  auto late = signal(approval_id, "approve", "member-3", signal_decision::approve);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, errc::illegal_transition);
}

// Goal: two rejections veto the wait: it fails and the reservation is compensated.
TEST_F(saga_wait_test, rejections_veto_and_compensate) {
  ASSERT_TRUE(start_saga(approval_id, "approval"));
  ASSERT_TRUE(signal(approval_id, "approve", "m1", signal_decision::reject));
  ASSERT_TRUE(signal(approval_id, "approve", "m2", signal_decision::reject));
  auto v = view(approval_id);
  EXPECT_EQ(v.status, "COMPENSATED");
  EXPECT_EQ(step(v, "approve").status, "FAILED");
  EXPECT_EQ(step(v, "reserve").status, "COMPENSATED");
  EXPECT_EQ(fake_->calls_of(std::string(approval_id) + ":payout"), 0);
}

// Goal: a wait whose deadline passes (virtual time) fails and compensates; a millisecond
// earlier it still waits.
TEST_F(saga_wait_test, deadline_expiry_compensates) {
  ASSERT_TRUE(start_saga(approval_id, "approval"));
  ASSERT_TRUE(signal(approval_id, "approve", "m1", signal_decision::approve));
  pass(59'999ms);
  EXPECT_EQ(step(view(approval_id), "approve").status, "WAITING");
  pass(1ms);
  auto v = view(approval_id);
  EXPECT_EQ(v.status, "COMPENSATED");
  EXPECT_EQ(v.reason, "step approve failed: no decision before the deadline");
  EXPECT_EQ(fake_->effects.count(std::string(approval_id) + ":reserve:compensate"), 1u);
}

// Goal: a wait's deadline survives a process restart: the resumed saga re-arms it at the
// journaled time, not a fresh minute.
TEST_F(saga_wait_test, deadline_survives_restart) {
  ASSERT_TRUE(start_saga(approval_id, "approval"));
  pass(30s);
  restart();
  EXPECT_EQ(stats().resumed, 1u);
  EXPECT_EQ(stats().live, 1u);
  pass(29'999ms);
  EXPECT_EQ(step(view(approval_id), "approve").status, "WAITING");
  pass(1ms);
  EXPECT_EQ(view(approval_id).status, "COMPENSATED");
}

// Goal: signals received before a restart still count after it.
TEST_F(saga_wait_test, signals_survive_restart) {
  ASSERT_TRUE(start_saga(approval_id, "approval"));
  ASSERT_TRUE(signal(approval_id, "approve", "m1", signal_decision::approve));
  restart();
  ASSERT_TRUE(signal(approval_id, "approve", "m1", signal_decision::approve));  // duplicate
  EXPECT_EQ(view(approval_id).status, "RUNNING");
  ASSERT_TRUE(signal(approval_id, "approve", "m2", signal_decision::approve));
  EXPECT_EQ(view(approval_id).status, "COMPLETED");
}

// Goal: at the deadline a wait with a timeout action runs it (key ":timeout"); its retryable
// failure is retried and its success completes the step.
TEST_F(saga_wait_test, timeout_action_decides) {
  const char* id = "saga_00000000000000d4";
  fake_->script("confirm:timeout", {reply::fail_retryable});
  ASSERT_TRUE(start_saga(id, "confirm"));
  pass(30s);
  auto v = view(id);
  EXPECT_EQ(step(v, "confirm").status, "RETRY_SCHEDULED");
  EXPECT_EQ(fake_->calls_of(std::string(id) + ":confirm:timeout"), 1);
  pass(1s);
  v = view(id);
  EXPECT_EQ(v.status, "COMPLETED");
  EXPECT_EQ(step(v, "confirm").attempts, 2);
  EXPECT_EQ(step(v, "confirm").history.at(0).phase, "TIMEOUT");
  EXPECT_EQ(fake_->calls_of(std::string(id) + ":settle"), 1);
}

// Goal: a signal for a step that is not a wait, or for an unknown step, is refused.
TEST_F(saga_wait_test, signal_to_wrong_step) {
  ASSERT_TRUE(start_saga(approval_id, "approval"));
  EXPECT_EQ(signal(approval_id, "reserve", "m1", signal_decision::approve).error().code,
            errc::invalid_argument);
  EXPECT_EQ(signal(approval_id, "vote", "m1", signal_decision::approve).error().code,
            errc::not_found);
  EXPECT_EQ(step(view(approval_id), "approve").signals.size(), 0u);
}

}  // namespace
}  // namespace payorch::testing
