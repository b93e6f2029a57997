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

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <caf/stateful_actor.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

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
    std::uint32_t routed = 0;  ///< commands routed to this actor (wrapping; compared for equality)
  };
  /// Hashes a pod id. Declared noexcept, so the map does not store each key's hash beside it:
  /// ids are short, and a live pod's entry is 16 bytes smaller for it.
  struct id_hash {
    std::size_t operator()(const std::string& id) const noexcept {
      return std::hash<std::string_view>{}(id);
    }
  };
  /// Live pods by id. A canonical id (`pod_` and 16 hex digits: every id the gateway and the
  /// sagas send) is kept as its 64 bits in a flat table, about 70 bytes less per live pod than a
  /// node holding the id's text; any other id (tests, a hand-made command) goes to `other_live`.
  boost::unordered_flat_map<std::uint64_t, live_pod> live;
  std::unordered_map<std::string, live_pod, id_hash> other_live;
  /// Each live pod's id by its actor: its bits, or a pointer at its key in `other_live` (whose
  /// nodes never move); erased with the pod's entry.
  boost::unordered_flat_map<caf::actor_id, std::uint64_t> ids_by_actor;
  boost::unordered_flat_map<caf::actor_id, const std::string*> other_ids_by_actor;
  /// Pods forgotten on passivation that have not exited yet: their exit, even with an error,
  /// is theirs to finish (the next command spawns a fresh actor), not a sign the router's own
  /// supervisor is going down.
  boost::unordered_flat_set<caf::actor_id> draining;
  std::unordered_map<std::string, restart_budget> restarts;
  router_stats stats;
};

/// `journal_name` is the registry name under which the current journal actor is found, so a
/// restarted journal actor is picked up by every pod spawned after it.
pod_router_actor::behavior_type pod_router_impl(
    pod_router_actor::stateful_pointer<pod_router_state> self, caf::atom_value journal_name,
    entity_options options);

}  // namespace payorch::actors
