#include "actors/pod_router.hpp"

#include <caf/all.hpp>
#include <optional>
#include <string_view>

#include "actors/errors.hpp"
#include "actors/pod_actor.hpp"
#include "domain/ids.hpp"

namespace payorch::actors {
namespace {

using self_ptr = pod_router_actor::stateful_pointer<pod_router_state>;
using live_pod = pod_router_state::live_pod;

constexpr std::string_view pod_prefix = "pod_";

/// The 64 bits of a canonical pod id (`pod_` and 16 lower-case hex digits), else nullopt.
std::optional<std::uint64_t> bits_of(std::string_view id) {
  return detail::prefixed_hex16_bits(id, pod_prefix);
}

live_pod* find_live(pod_router_state& st, const std::string& id) {
  if (auto bits = bits_of(id)) {
    auto i = st.live.find(*bits);
    return i == st.live.end() ? nullptr : &i->second;
  }
  auto i = st.other_live.find(id);
  return i == st.other_live.end() ? nullptr : &i->second;
}

void add_live(pod_router_state& st, const std::string& id, const pod_actor& pod,
              caf::actor_clock::time_point now) {
  if (auto bits = bits_of(id)) {
    st.live.emplace(*bits, live_pod{pod, now});
    st.ids_by_actor.emplace(pod.id(), *bits);
    return;
  }
  auto at = st.other_live.emplace(id, live_pod{pod, now}).first;
  st.other_ids_by_actor.emplace(pod.id(), &at->first);
}

/// Forgets the live pod whose actor is `actor` and returns its id; nullopt if it is not ours.
std::optional<std::string> forget_actor(pod_router_state& st, caf::actor_id actor) {
  if (auto i = st.ids_by_actor.find(actor); i != st.ids_by_actor.end()) {
    const auto bits = i->second;
    st.ids_by_actor.erase(i);
    st.live.erase(bits);
    return detail::prefixed_hex16(pod_prefix, bits);
  }
  if (auto i = st.other_ids_by_actor.find(actor); i != st.other_ids_by_actor.end()) {
    std::string id = *i->second;
    st.other_ids_by_actor.erase(i);
    st.other_live.erase(id);
    return id;
  }
  return std::nullopt;
}

restart_budget& budget_of(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto i = st.restarts.find(id);
  if (i == st.restarts.end())
    i = st.restarts
            .emplace(id, restart_budget{st.options->max_restarts, st.options->restart_window})
            .first;
  return i->second;
}

pod_actor spawn_pod(self_ptr self, const std::string& id, caf::atom_value journal_name,
                    pod_start start = pod_start::recover) {
  // Callers spawn only for ids not live; should one be, its actor stays the only one.
  if (auto* live = find_live(self->state, id)) return live->actor;
  auto journal = self->system().registry().get<journal_actor>(journal_name);
  auto me = caf::actor_cast<pod_router_actor>(self);
  auto pod = self->spawn(pod_impl, id, journal, me, self->state.options, start);
  self->link_to(pod);
  add_live(self->state, id, pod, self->clock().now());
  ++self->state.stats.spawned;
  return pod;
}

/// The pod's actor, spawned if needed; an error when the pod is quarantined.
caf::expected<pod_actor> pod_for(self_ptr self, const std::string& id, caf::atom_value journal_name,
                                 pod_start start) {
  auto& st = self->state;
  if (auto* live = find_live(st, id)) {
    live->last_routed = self->clock().now();
    ++live->routed;
    return live->actor;
  }
  if (auto r = st.restarts.find(id); r != st.restarts.end()) {
    if (r->second.exhausted(self->clock().now())) {
      return make_failure(errc::entity_unavailable,
                          "pod " + id + " keeps failing and is quarantined; retry later");
    }
  }
  auto pod = spawn_pod(self, id, journal_name, start);
  if (auto* spawned = find_live(st, id)) spawned->routed = 1;  // the command that spawned it
  return pod;
}

void on_exit(self_ptr self, caf::exit_msg& dm, caf::atom_value journal_name) {
  auto& st = self->state;
  if (st.draining.erase(dm.source.id()) != 0) return;
  auto forgotten = forget_actor(st, dm.source.id());
  if (!forgotten) {
    // Not one of our pods: our supervisor (or a peer) is going down, so we go with it.
    if (dm.reason && dm.reason != caf::exit_reason::normal) self->quit(std::move(dm.reason));
    return;
  }
  const std::string id = std::move(*forgotten);
  if (!dm.reason || dm.reason == caf::exit_reason::normal) return;
  // A pod that stopped because the journal could not be read or written (storage down, a write
  // that failed or timed out, the journal actor restarting) is not at fault: it is forgotten,
  // and the next command for it starts it afresh from the journal. Restarting it at once would
  // fail again while storage is down, using up its budget in a moment and quarantining it for
  // the whole window after storage came back.
  switch (to_failure(dm.reason).code) {
    case errc::entity_unavailable:
    case errc::storage_unavailable:
    case errc::deadline_exceeded:
    case errc::version_conflict:  // another writer got there first: a reload sees its events
      ++st.stats.stopped_by_storage;
      return;
    default:
      break;
  }
  // A crash (its own events do not apply, say): restart eagerly (the new actor recovers from
  // the journal) while the budget lasts.
  if (budget_of(self, id).try_restart(self->clock().now())) {
    ++st.stats.restarted;
    spawn_pod(self, id, journal_name);
  } else {
    ++st.stats.quarantined;
  }
}

/// A create names a newly generated id, so its actor starts without reading the (empty) stream.
template <class Command>
constexpr pod_start start_for =
    std::is_same_v<Command, create_pod> ? pod_start::fresh : pod_start::recover;

template <class Reply, class Command>
caf::result<Reply> route(self_ptr self, Command& cmd, caf::atom_value journal_name) {
  auto pod = pod_for(self, cmd.pod_id, journal_name, start_for<Command>);
  if (!pod) return std::move(pod.error());
  return self->delegate(*pod, std::move(cmd));
}

/// How often idle pods are looked for: a quarter of the idle timeout (at least 1 ms).
caf::timespan sweep_period(const entity_options& options) {
  return std::max<caf::timespan>(options.idle_timeout / 4, std::chrono::milliseconds(1));
}

}  // namespace

pod_router_actor::behavior_type pod_router_impl(
    pod_router_actor::stateful_pointer<pod_router_state> self, caf::atom_value journal_name,
    entity_options options) {
  self->state.options = std::make_shared<const entity_options>(options);
  self->delayed_send(self, sweep_period(options), caf::tick_atom::value);
  // Pods are linked, so they stop with the router; trapping exits turns a pod's crash into a
  // message here instead of taking the router down.
  self->set_exit_handler(
      [self, journal_name](caf::exit_msg& msg) { on_exit(self, msg, journal_name); });
  return {
      [=](create_pod& cmd) { return route<pod_view>(self, cmd, journal_name); },
      [=](get_pod& cmd) { return route<pod_view>(self, cmd, journal_name); },
      [=](update_policy& cmd) { return route<pod_view>(self, cmd, journal_name); },
      [=](change_pod_status& cmd) { return route<pod_view>(self, cmd, journal_name); },
      [=](add_member& cmd) { return route<member_view>(self, cmd, journal_name); },
      [=](change_member_role& cmd) { return route<member_view>(self, cmd, journal_name); },
      [=](remove_member& cmd) { return route<member_view>(self, cmd, journal_name); },
      [=](get_member& cmd) { return route<member_view>(self, cmd, journal_name); },
      [=](list_members& cmd) { return route<member_page>(self, cmd, journal_name); },
      [=](make_pledge& cmd) { return route<pledge_view>(self, cmd, journal_name); },
      [=](settle_pledge& cmd) { return route<pledge_view>(self, cmd, journal_name); },
      [=](get_pledge& cmd) { return route<pledge_view>(self, cmd, journal_name); },
      [=](list_pledges& cmd) { return route<pledge_page>(self, cmd, journal_name); },
      [=](get_balance& cmd) { return route<balance_view>(self, cmd, journal_name); },
      [=](get_cycle& cmd) { return route<cycle_view>(self, cmd, journal_name); },
      [=](payout_command& cmd) { return route<payout_view>(self, cmd, journal_name); },
      [self](passivate_pod& req) -> bool {
        auto& st = self->state;
        auto* live = find_live(st, req.pod_id);
        auto sender = self->current_sender();
        if (live == nullptr || !sender || live->actor.address() != sender->address()) return false;
        // A command routed to the pod that it had not taken when it asked is in its mailbox, or
        // running: forgotten now, the pod's next command would spawn a second actor that
        // recovers from the journal without that work. It stays; a later sweep asks again.
        if (live->routed != req.commands) return false;
        const auto actor = live->actor.id();
        forget_actor(st, actor);
        st.draining.insert(actor);
        ++st.stats.passivated;
        return true;
      },
      [self](router_stats_request&) -> router_stats {
        auto s = self->state.stats;
        s.live = self->state.live.size() + self->state.other_live.size();
        return s;
      },
      [self](caf::tick_atom) {
        auto now = self->clock().now();
        const auto idle = [&](const live_pod& pod) {
          if (now - pod.last_routed >= self->state.options->idle_timeout)
            self->send(pod.actor, idle_check{});
        };
        for (const auto& entry : self->state.live) idle(entry.second);
        for (const auto& entry : self->state.other_live) idle(entry.second);
        // Budgets with no restart left in their window are whole again: dropped, so the table
        // holds only pods that crashed lately, not every id that ever did.
        auto& restarts = self->state.restarts;
        for (auto i = restarts.begin(); i != restarts.end();)
          i = i->second.unused(now) ? restarts.erase(i) : std::next(i);
        self->delayed_send(self, sweep_period(*self->state.options), caf::tick_atom::value);
      },
  };
}

}  // namespace payorch::actors
