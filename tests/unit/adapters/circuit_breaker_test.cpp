// Circuit breaker transitions on a hand-driven clock, its counters, and the registry.
#include "adapters/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace payorch::adapters {
namespace {

using std::chrono::milliseconds;
using time_point = std::chrono::steady_clock::time_point;

/// A clock that only moves when the test says so.
struct fake_clock {
  time_point now{std::chrono::hours(1)};
  steady_clock_fn fn() {
    return [this] { return now; };
  }
  void advance(milliseconds by) { now += by; }
};

breaker_options options(std::uint32_t threshold = 3, std::uint32_t probes = 1) {
  return {threshold, milliseconds(1000), milliseconds(500), probes};
}

/// One call through the breaker that fails (or succeeds); false if it was refused.
bool call(circuit_breaker& b, bool succeed) {
  auto permit = b.try_acquire();
  if (!permit.allowed) return false;
  succeed ? b.record_success(permit) : b.record_failure(permit);
  return true;
}

// Goal: threshold failures inside the window open the breaker, which then refuses calls.
TEST(circuit_breaker, opens_after_threshold_failures_in_window) {
  fake_clock clock;
  circuit_breaker b("fx", options(), clock.fn());
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_TRUE(call(b, false));
  clock.advance(milliseconds(400));
  EXPECT_TRUE(call(b, true));  // a success in between does not forgive failures
  EXPECT_TRUE(call(b, false));
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.snapshot().failures_in_window, 2u);
  clock.advance(milliseconds(599));  // the first failure is 999 ms old: still inside
  EXPECT_TRUE(call(b, false));
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_FALSE(call(b, true));
  EXPECT_FALSE(call(b, true));
  const auto shot = b.snapshot();
  EXPECT_EQ(shot.name, "fx");
  EXPECT_EQ(shot.calls, 4u);
  EXPECT_EQ(shot.failures, 3u);
  EXPECT_EQ(shot.successes, 1u);
  EXPECT_EQ(shot.rejections, 2u);
  EXPECT_EQ(shot.state_changes, 1u);
  EXPECT_EQ(shot.open_remaining, milliseconds(500));
}

// Goal: a provider failing one call in five stays usable (retries cover it); one failing most
// calls is cut off; failures past the window no longer weigh in the rate.
TEST(circuit_breaker, opens_only_when_failures_are_a_large_share_of_calls) {
  fake_clock clock;
  auto o = options(3);
  o.failure_rate_percent = 50;
  circuit_breaker b("kyc", o, clock.fn());
  for (int i = 0; i < 500; ++i) {
    EXPECT_TRUE(call(b, i % 5 != 0)) << i;  // 20% failures, many more than 3 per window
    clock.advance(milliseconds(1));
  }
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_GE(b.snapshot().failures_in_window, 3u);
  clock.advance(milliseconds(1000));  // the successes age out of the window too
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(call(b, false));
  EXPECT_TRUE(call(b, true));
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_TRUE(call(b, false));  // 3 failures of 4 calls: 75%
  EXPECT_EQ(b.state(), breaker_state::open);
}

// Goal: a rate of 1 % (or less) leaves the count of failures alone to decide, as breakers did
// before the rate existed.
TEST(circuit_breaker, rate_of_one_opens_on_the_count_alone) {
  fake_clock clock;
  auto o = options(3);
  o.failure_rate_percent = 1;
  circuit_breaker b("rail", o, clock.fn());
  for (int i = 0; i < 600; ++i) EXPECT_TRUE(call(b, true));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(call(b, false));
  EXPECT_EQ(b.state(), breaker_state::open);
}

// Goal: failures spread wider than the window never open the breaker.
TEST(circuit_breaker, failures_outside_the_window_do_not_count) {
  fake_clock clock;
  circuit_breaker b("kyc", options(), clock.fn());
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(call(b, false));
    clock.advance(milliseconds(500));  // two failures per window, threshold three
  }
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.snapshot().failures, 10u);
  // Exactly one window old is outside it.
  circuit_breaker edge("rail", options(2), clock.fn());
  EXPECT_TRUE(call(edge, false));
  clock.advance(milliseconds(1000));
  EXPECT_TRUE(call(edge, false));
  EXPECT_EQ(edge.state(), breaker_state::closed);
}

// Goal: after open_duration the breaker lets one probe through; its success closes the breaker.
TEST(circuit_breaker, half_open_probe_success_closes) {
  fake_clock clock;
  circuit_breaker b("psp", options(1), clock.fn());
  EXPECT_TRUE(call(b, false));
  ASSERT_EQ(b.state(), breaker_state::open);
  clock.advance(milliseconds(499));
  EXPECT_FALSE(call(b, true));
  EXPECT_EQ(b.snapshot().open_remaining, milliseconds(1));
  clock.advance(milliseconds(1));
  EXPECT_EQ(b.state(), breaker_state::half_open);
  auto probe = b.try_acquire();
  ASSERT_TRUE(probe.allowed);
  EXPECT_FALSE(b.try_acquire().allowed);  // exactly one probe
  b.record_success(probe);
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_TRUE(call(b, true));
  const auto shot = b.snapshot();
  EXPECT_EQ(shot.state_changes, 3u);  // open, half_open, closed
  EXPECT_EQ(shot.rejections, 2u);
}

// Goal: a failed probe re-opens the breaker for another open_duration.
TEST(circuit_breaker, half_open_probe_failure_reopens) {
  fake_clock clock;
  circuit_breaker b("risk", options(1), clock.fn());
  EXPECT_TRUE(call(b, false));
  clock.advance(milliseconds(500));
  EXPECT_TRUE(call(b, false));  // the probe fails
  EXPECT_EQ(b.state(), breaker_state::open);
  clock.advance(milliseconds(499));
  EXPECT_FALSE(call(b, true));
  clock.advance(milliseconds(1));
  EXPECT_TRUE(call(b, true));
  EXPECT_EQ(b.state(), breaker_state::closed);
}

// Goal: with several probes, all must succeed to close, and any failure re-opens.
TEST(circuit_breaker, several_probes_must_all_succeed) {
  fake_clock clock;
  circuit_breaker b("sanctions", options(1, 2), clock.fn());
  EXPECT_TRUE(call(b, false));
  clock.advance(milliseconds(500));
  auto first = b.try_acquire();
  auto second = b.try_acquire();
  ASSERT_TRUE(first.allowed && second.allowed);
  EXPECT_FALSE(b.try_acquire().allowed);
  b.record_success(first);
  EXPECT_EQ(b.state(), breaker_state::half_open);
  b.record_success(second);
  EXPECT_EQ(b.state(), breaker_state::closed);

  EXPECT_TRUE(call(b, false));
  clock.advance(milliseconds(500));
  first = b.try_acquire();
  second = b.try_acquire();
  b.record_success(first);
  b.record_failure(second);
  EXPECT_EQ(b.state(), breaker_state::open);
}

// Goal: the outcome of a call let through before the last state change moves nothing.
TEST(circuit_breaker, stale_outcomes_are_counted_but_move_nothing) {
  fake_clock clock;
  circuit_breaker b("fx", options(1), clock.fn());
  auto slow = b.try_acquire();  // in flight while the breaker opens and half-opens
  EXPECT_TRUE(call(b, false));
  clock.advance(milliseconds(500));
  ASSERT_EQ(b.state(), breaker_state::half_open);
  b.record_success(slow);
  EXPECT_EQ(b.state(), breaker_state::half_open);
  b.record_failure(slow);
  EXPECT_EQ(b.state(), breaker_state::half_open);
  EXPECT_EQ(b.snapshot().successes, 1u);
  EXPECT_EQ(b.snapshot().failures, 2u);
  // A refused permit reports nothing at all.
  circuit_breaker open("x", options(1), clock.fn());
  EXPECT_TRUE(call(open, false));
  auto refused = open.try_acquire();
  ASSERT_FALSE(refused.allowed);
  open.record_failure(refused);
  EXPECT_EQ(open.snapshot().failures, 1u);
}

// Goal: the registry makes one breaker per name on first use and lists them sorted.
TEST(breaker_registry, one_breaker_per_provider) {
  fake_clock clock;
  breaker_registry registry(options(1), clock.fn());
  EXPECT_TRUE(registry.snapshots().empty());
  auto& rail = registry.get("rail");
  EXPECT_EQ(&registry.get("rail"), &rail);
  registry.get("fx");
  EXPECT_TRUE(call(rail, false));
  const auto all = registry.snapshots();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "fx");
  EXPECT_EQ(all[0].state, breaker_state::closed);
  EXPECT_EQ(all[1].name, "rail");
  EXPECT_EQ(all[1].state, breaker_state::open);
  EXPECT_EQ(rail.options(), options(1));
  EXPECT_EQ(to_string(breaker_state::half_open), "half_open");
}

}  // namespace
}  // namespace payorch::adapters
