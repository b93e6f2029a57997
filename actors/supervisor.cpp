#include "actors/supervisor.hpp"

#include <caf/all.hpp>

#include "actors/errors.hpp"
#include "actors/restart_budget.hpp"

namespace payorch::actors {
namespace {

struct supervised_child {
  child_spec spec;
  caf::actor handle;
  restart_budget budget;
};

struct supervisor_state {
  static inline const char* name = "supervisor";
  std::vector<supervised_child> children;
};

using self_ptr = caf::stateful_actor<supervisor_state>*;

void start_child(self_ptr self, supervised_child& child) {
  child.handle = child.spec.start(self);
  self->link_to(child.handle);
  // The registry never overwrites a name, so the dead child's entry goes first.
  self->system().registry().erase(child.spec.name);
  self->system().registry().put(child.spec.name, child.handle);
}

void on_child_exit(self_ptr self, caf::exit_msg& msg) {
  for (auto& child : self->state.children) {
    if (child.handle.address() != msg.source) continue;
    if (!msg.reason || msg.reason == caf::exit_reason::normal) return;
    if (!child.budget.try_restart(self->clock().now())) {
      self->quit(make_failure(errc::internal_error, "child " + caf::to_string(child.spec.name) +
                                                        " exceeded its restart budget: " +
                                                        self->system().render(msg.reason)));
      return;
    }
    start_child(self, child);
    return;
  }
  // An exit from the parent or an unknown link: follow it, as an unsupervised actor would.
  if (msg.reason && msg.reason != caf::exit_reason::normal) self->quit(std::move(msg.reason));
}

caf::behavior supervisor_impl(self_ptr self, std::vector<child_spec> specs,
                              supervisor_options options) {
  for (auto& spec : specs) {
    self->state.children.push_back({std::move(spec), caf::actor{},
                                    restart_budget{options.max_restarts, options.restart_window}});
    start_child(self, self->state.children.back());
  }
  self->set_exit_handler([self](caf::exit_msg& msg) { on_child_exit(self, msg); });
  std::vector<caf::atom_value> names;
  for (auto& child : self->state.children) names.push_back(child.spec.name);
  // Runs after the state is gone, so it captures the names by value.
  self->attach_functor([sys = &self->system(), names] {
    for (auto name : names) sys->registry().erase(name);
  });
  return {
      [self](caf::get_atom) { return static_cast<std::uint64_t>(self->state.children.size()); },
  };
}

}  // namespace

caf::actor spawn_supervisor(caf::actor_system& sys, std::vector<child_spec> children,
                            supervisor_options options) {
  return sys.spawn(supervisor_impl, std::move(children), options);
}

}  // namespace payorch::actors
