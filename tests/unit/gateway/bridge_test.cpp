#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "gateway/ask.hpp"

namespace payorch::gateway {
namespace {

struct test_config : caf::actor_system_config {
  test_config() { set("scheduler.policy", caf::atom("testing")); }
};

// Goal: a job that throws does not stop the bridge; the next job still runs.
TEST(bridge, survives_a_throwing_job) {
  test_config cfg;
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  auto bridge = spawn_bridge(sys);
  sched.run();
  caf::anon_send(bridge, bridge_job{[](caf::event_based_actor*) { throw std::bad_alloc(); }});
  sched.run();
  bool ran = false;
  caf::anon_send(bridge, bridge_job{[&ran](caf::event_based_actor*) { ran = true; }});
  sched.run();
  EXPECT_TRUE(ran);
  caf::anon_send_exit(bridge, caf::exit_reason::user_shutdown);
  sched.run();
}

/// A stand-in for an entity actor: answers every int with its double.
caf::behavior doubler(caf::event_based_actor*, int) {
  return {[](int x) { return 2 * x; }};
}

// Goal: a reply callback that throws does not stop the bridge either; the next request is served.
TEST(bridge, survives_a_throwing_reply_callback) {
  test_config cfg;
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  auto bridge = spawn_bridge(sys);
  auto target = sys.spawn(doubler, 0);
  sched.run();
  ask<int>(bridge, target, 1, [](result<int>) { throw std::bad_alloc(); });
  sched.run();
  std::optional<int> answer;
  ask<int>(bridge, target, 21, [&answer](result<int> r) {
    if (r) answer = *r;
  });
  sched.run();
  EXPECT_EQ(answer, 42);
  caf::anon_send_exit(bridge, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
  sched.run();
}

}  // namespace
}  // namespace payorch::gateway
