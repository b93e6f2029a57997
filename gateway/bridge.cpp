#include <caf/actor_system.hpp>
#include <caf/behavior.hpp>

#include "gateway/ask.hpp"

namespace payorch::gateway {

namespace {

caf::behavior bridge_impl(caf::event_based_actor* self, int /*CAF 0.17 needs an argument*/) {
  return {[self](bridge_job& job) { job.run(self); }};
}

}  // namespace

caf::actor spawn_bridge(caf::actor_system& sys) {
  return sys.spawn(bridge_impl, 0);
}

}  // namespace payorch::gateway
