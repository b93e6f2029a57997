#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "actors/errors.hpp"
#include "actors/runtime.hpp"
#include "actors/type_ids.hpp"
#include "sagas/saga_manager.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::testing {
namespace {

using namespace std::chrono_literals;

// Goal: on the real threaded runtime, actions answering from foreign threads complete a saga,
// and stopping the runtime also stops the saga manager (it never holds up the shutdown).
TEST(saga_threaded, foreign_thread_answers_and_clean_stop) {
  temp_dir dir{"payorch-sagas"};
  actors::runtime_options options;
  options.journal_file = dir.file("journal.sqlite");
  options.actor_threads = 2;
  std::string error;
  auto rt = actors::actor_runtime::start(options, &error);
  ASSERT_TRUE(rt) << error;

  std::mutex mutex;
  std::vector<std::thread> workers;
  struct joiner {
    std::vector<std::thread>& threads;
    ~joiner() {
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } join_workers{workers};
  auto from_a_thread = [&](const sagas::step_context&, sagas::step_done done) {
    std::lock_guard<std::mutex> guard{mutex};
    workers.emplace_back([done] { done(sagas::step_outcome::succeeded("{\"ok\":true}")); });
  };
  std::promise<void> last_called;
  auto last = [&](const sagas::step_context&, sagas::step_done done) {
    done(sagas::step_outcome::succeeded());  // queued before the test asks for the view
    last_called.set_value();
  };
  sagas::saga_definition d;
  d.type = "threaded";
  d.steps.push_back(sagas::action_step("a", from_a_thread));
  d.steps.push_back(sagas::action_step("b", from_a_thread));
  d.steps.push_back(sagas::action_step("c", last));
  sagas::saga_manager_options o;
  o.definitions.emplace(d.type, d);
  auto manager = sagas::spawn_saga_manager(rt->system(), std::move(o));
  ASSERT_TRUE(manager);
  EXPECT_EQ(rt->system().registry().get<actors::saga_manager_actor>(sagas::sagas_registry_name()),
            *manager);

  const std::string id = "saga_00000000000000e5";
  std::optional<actors::saga_view> done;
  {
    // A scoped actor counts as running: it must be gone before the runtime stops.
    caf::scoped_actor client{rt->system()};
    std::optional<actors::saga_view> started;
    client->request(*manager, caf::infinite, actors::start_saga{id, "threaded", "{}"})
        .receive([&](actors::saga_view& v) { started = v; },
                 [&](caf::error& e) { ADD_FAILURE() << actors::to_failure(e).detail; });
    ASSERT_TRUE(started);
    ASSERT_EQ(last_called.get_future().wait_for(30s), std::future_status::ready);
    // The saga journals the last outcome before it answers anything queued after it.
    client->request(*manager, caf::infinite, actors::get_saga{id})
        .receive([&](actors::saga_view& v) { done = v; },
                 [&](caf::error& e) { ADD_FAILURE() << actors::to_failure(e).detail; });
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, "COMPLETED");
  EXPECT_EQ(done->steps.at(1).output, "{\"ok\":true}");

  rt->stop();  // returns only once every actor, the manager included, has stopped
}

}  // namespace
}  // namespace payorch::testing
