#include "actors/supervisor.hpp"

#include <optional>

#include "tests/support/actor_fixture.hpp"

namespace payorch::testing {
namespace {

/// A child that crashes when told to. (It takes an argument because CAF 0.17 dereferences a
/// null tuple when a spawned function has none.)
caf::behavior fragile(caf::event_based_actor* self, int) {
  return {[self](caf::ok_atom) { self->quit(caf::exit_reason::unhandled_exception); }};
}

class supervisor_test : public actor_fixture {
 protected:
  caf::actor child() { return sys().registry().get<caf::actor>(caf::atom("fragile")); }

  caf::actor spawn_fragile_supervisor(std::size_t max_restarts) {
    std::vector<actors::child_spec> children{
        {caf::atom("fragile"), [](caf::event_based_actor* sup) { return sup->spawn(fragile, 0); }}};
    auto sup = actors::spawn_supervisor(sys(), std::move(children),
                                        {max_restarts, std::chrono::milliseconds(1000)});
    sched().run();
    return sup;
  }
};

// Goal: a crashed child is restarted and re-registered under its name.
TEST_F(supervisor_test, restarts_crashed_child) {
  auto sup = spawn_fragile_supervisor(2);
  auto first = child();
  ASSERT_TRUE(first);
  caf::anon_send(first, caf::ok_atom::value);
  sched().run();
  auto second = child();
  ASSERT_TRUE(second);
  EXPECT_NE(first.address(), second.address());
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  sched().run();
}

// Goal: past its restart budget the supervisor escalates by exiting with an error.
TEST_F(supervisor_test, escalates_after_budget) {
  auto sup = spawn_fragile_supervisor(2);
  caf::scoped_actor watcher{sys()};
  watcher->monitor(sup);
  for (int i = 0; i < 3; ++i) {
    caf::anon_send(child(), caf::ok_atom::value);
    sched().run();
  }
  bool escalated = false;
  watcher->receive([&](caf::down_msg& dm) { escalated = dm.reason != caf::none; },
                   caf::after(std::chrono::seconds(0)) >> [] {});
  EXPECT_TRUE(escalated);
  EXPECT_FALSE(child());
}

// Goal: a root supervisor that gives up before the process has set its callback is not lost: the
// callback hears of it as it is set (serve stops with exit 1 instead of running without actors).
TEST_F(supervisor_test, an_escalation_before_on_fatal_is_reported_when_it_is_set) {
  options_.supervision = {0, std::chrono::milliseconds(1000)};
  options_.extra_children = {
      {caf::atom("fragile"), [](caf::event_based_actor* sup) { return sup->spawn(fragile, 0); }}};
  start();
  caf::anon_send(child(), caf::ok_atom::value);
  sched().run();
  std::optional<std::string> reported;
  runtime_->on_fatal([&reported](std::string why) { reported = std::move(why); });
  ASSERT_TRUE(reported.has_value());
  EXPECT_FALSE(reported->empty());
  // Reported once: a second callback hears nothing more.
  bool again = false;
  runtime_->on_fatal([&again](std::string) { again = true; });
  EXPECT_FALSE(again);
}

// Goal: within the window the budget counts restarts; after the window it refills.
TEST_F(supervisor_test, budget_refills_after_window) {
  auto sup = spawn_fragile_supervisor(1);
  caf::anon_send(child(), caf::ok_atom::value);
  sched().run();
  auto survivor = child();
  advance(std::chrono::milliseconds(1001));
  caf::anon_send(child(), caf::ok_atom::value);
  sched().run();
  ASSERT_TRUE(child());
  EXPECT_NE(child().address(), survivor.address());
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  sched().run();
}

}  // namespace
}  // namespace payorch::testing
