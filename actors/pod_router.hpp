#pragma once
/// The pod router: finds or spawns the actor of a pod and hands it the command.
///
/// It spawns a pod actor on first use (which recovers from the journal), forgets it when it
/// passivates, and restarts it when it crashes, at most `max_restarts` times within
/// `restart_window`; past that the pod is quarantined and answers entity_unavailable until the
/// window passes (the escalation an entity gets: one sick pod must not take the node down).
///
/// Idleness is tracked here, where every command passes: a sweep every quarter of the idle
/// timeout sends `idle_check` to pods no command reached for `idle_timeout`, and the pod asks to
/// be passivated unless work is pending. One timer for all pods instead of one per pod.

#include <caf/actor_addr.hpp>
#include <caf/stateful_actor.hpp>
#include <string>
#include <unordered_map>

#include <memory>

#include "actors/entity_options.hpp"
#include "actors/journal_protocol.hpp"
#include "actors/pod_protocol.hpp"
#include "actors/restart_budget.hpp"

namespace payorch::actors {

struct pod_router_state {
  static inline const char* name = "pod_router";
  std::shared_ptr<const entity_options> options;  ///< shared with every pod it spawns
  struct live_pod {
    pod_actor actor;
    caf::actor_clock::time_point last_routed;
  };
  std::unordered_map<std::string, live_pod> live;
  std::unordered_map<caf::actor_addr, std::string> ids_by_addr;
  std::unordered_map<std::string, restart_budget> restarts;
  router_stats stats;
};

/// `journal_name` is the registry name under which the current journal actor is found, so a
/// restarted journal actor is picked up by every pod spawned after it.
pod_router_actor::behavior_type pod_router_impl(
    pod_router_actor::stateful_pointer<pod_router_state> self, caf::atom_value journal_name,
    entity_options options);

}  // namespace payorch::actors
