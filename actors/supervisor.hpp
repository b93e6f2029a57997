#pragma once
/// A one-for-one supervisor: restarts crashed children within a budget, then escalates.
///
/// CAF 0.17 has links and monitors but no supervision trees, so this actor builds the policy on
/// links: it links to every child and traps exit messages. A child that exits abnormally is
/// respawned from its factory and re-registered under its name in the actor registry (where
/// everyone looks it up), unless it exceeded `max_restarts` within `restart_window`; then the
/// supervisor itself exits with an `internal_error` failure naming the child, taking the other
/// children down with it through the links, and its own parent decides (for the root supervisor:
/// the process stops, non-zero).

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace caf {
class event_based_actor;
}

namespace payorch::actors {

/// How to (re)start one child.
struct child_spec {
  caf::atom_value name;  ///< registry key, e.g. caf::atom("journal")
  std::function<caf::actor(caf::event_based_actor* supervisor)> start;
};

struct supervisor_options {
  std::size_t max_restarts = 5;
  std::chrono::milliseconds restart_window{10'000};
};

/// Spawns the supervisor and, synchronously, its children in order (so a later child may look up
/// an earlier one in the registry while starting).
caf::actor spawn_supervisor(caf::actor_system& sys, std::vector<child_spec> children,
                            supervisor_options options);

}  // namespace payorch::actors
