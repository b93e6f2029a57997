#pragma once
/// The saga manager: owns the saga definitions, routes requests to saga actors and keeps a
/// small status index of every saga it has seen.
///
/// It spawns a saga actor on first use (which recovers from the journal), restarts one that
/// crashed within the entity restart budget (then quarantines it, entity_unavailable, and
/// respawns it on a later tick once the window has passed), and forgets one that passivated.
/// On start it resumes every saga in the journal (streams "sag_…"): unfinished ones carry on
/// where their journal stopped (their timers re-armed), finished ones report their status for
/// the index and exit. Until that scan has ended and every saga it found has reported (or been
/// quarantined), list requests wait, so a listing or a cursor is never judged on a partial index.
/// It watches the journal actor: when that stops for a shutdown the manager
/// stops too (so it never holds up the actor system's end); when it crashed, the manager watches
/// its successor.

#include <caf/actor_addr.hpp>
#include <caf/atom.hpp>
#include <caf/stateful_actor.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/entity_options.hpp"
#include "actors/guarded_promise.hpp"
#include "actors/restart_budget.hpp"
#include "actors/saga_protocol.hpp"
#include "actors/supervisor.hpp"
#include "domain/result.hpp"
#include "sagas/saga_actor.hpp"
#include "sagas/saga_model.hpp"

namespace payorch::sagas {

struct saga_manager_options {
  /// The saga types this node runs; each must pass `validate` and be filed under its type.
  saga_registry definitions;
  /// Registry name of the journal actor (looked up at every spawn, so a restarted journal
  /// actor is picked up).
  caf::atom_value journal_name = caf::atom("journal");
  /// Unix milliseconds for journaled times and timer delays; empty: the system clock.
  std::function<std::int64_t()> now;
  /// Receives one line per operator alert (a compensation that failed for good), on the
  /// manager's thread; keep it short and non-blocking (log it).
  std::function<void(const std::string&)> on_alert;
  /// `max_restarts` and `restart_window` bound saga restarts.
  actors::entity_options entities;
  /// Saga streams the start-up scan reads per page (at least 1). The next page is read once
  /// fewer than half of this page's sagas are still to report, so about this many resumed sagas
  /// live at once however many the journal holds.
  std::uint64_t resume_window = 512;
};

/// "sagas": the name under which spawn_saga_manager registers the manager.
caf::atom_value sagas_registry_name();

/// Spawns the manager and registers it as "sagas"; invalid_argument if a definition is invalid.
result<actors::saga_manager_actor> spawn_saga_manager(caf::actor_system& system,
                                                      saga_manager_options options);

/// The manager as a child of actor_runtime's supervisor (which registers it under the name).
result<actors::child_spec> saga_manager_child(saga_manager_options options);

struct saga_manager_state {
  static inline const char* name = "saga_manager";
  std::shared_ptr<const saga_environment> env;
  caf::atom_value journal_name = caf::atom("journal");
  std::function<void(const std::string&)> on_alert;
  actors::entity_options entities;
  std::uint64_t resume_window = 512;  ///< saga_manager_options::resume_window
  struct live_saga {
    actors::saga_actor actor;
    std::uint64_t routed = 0;  ///< requests delegated to it (see passivate_saga)
  };
  std::unordered_map<std::string, live_saga> live;
  std::unordered_map<caf::actor_addr, std::string> ids_by_addr;
  std::unordered_map<std::string, actors::restart_budget> restarts;
  std::set<std::string> quarantined;
  std::map<std::string, actors::saga_summary, std::less<>> index;
  /// The sagas of each owner (saga_summary::owner), oldest first: (started_at_ms, saga id).
  std::map<std::string, std::set<std::pair<std::int64_t, std::string>>, std::less<>> by_owner;
  actors::saga_stats stats;
  /// The start-up scan of saga streams has read its last page.
  bool scan_done = false;
  /// Where the scan goes on (the last stream id of its page), while its sagas still report.
  std::optional<std::string> scan_next;
  /// Sagas the scan spawned that have not reported their status yet.
  std::set<std::string> unreported;
  /// List requests that arrived before the index was complete, answered once it is (or with
  /// entity_unavailable if the manager stops first).
  std::vector<std::pair<actors::list_sagas, actors::guarded_promise<actors::saga_page>>>
      waiting_lists;
  caf::actor_addr journal_watched;
  int journal_missing_ticks = 0;
};

actors::saga_manager_actor::behavior_type saga_manager_impl(
    actors::saga_manager_actor::stateful_pointer<saga_manager_state> self,
    std::shared_ptr<const saga_environment> env, caf::atom_value journal_name,
    std::function<void(const std::string&)> on_alert, actors::entity_options entities,
    std::uint64_t resume_window);

}  // namespace payorch::sagas
