#include <caf/actor_system.hpp>
#include <caf/behavior.hpp>

#include "gateway/ask.hpp"

namespace payorch::gateway {

namespace {

caf::behavior bridge_impl(caf::event_based_actor* self, int /*CAF 0.17 needs an argument*/) {
  // Every request of the server goes through this actor, so a job that throws (out of memory
  // while sending) must not stop it: that request gets a 500 once nothing holds its exchange
  // (or its 504 at the deadline, if that comes first) and the bridge goes on. (CAF 0.17 stops an
  // actor on any exception its handlers let through.)
  return {[self](bridge_job& job) {
    try {
      job.run(self);
    } catch (...) {
    }
  }};
}

}  // namespace

caf::actor spawn_bridge(caf::actor_system& sys) {
  return sys.spawn(bridge_impl, 0);
}

}  // namespace payorch::gateway
