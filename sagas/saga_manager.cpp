#include "sagas/saga_manager.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <caf/all.hpp>
#include <chrono>

#include "actors/errors.hpp"
#include "actors/journal_protocol.hpp"

namespace payorch::sagas {
namespace {

using actors::make_failure;
using actors::saga_view;
using self_ptr = actors::saga_manager_actor::stateful_pointer<saga_manager_state>;

/// How often the manager looks after quarantined sagas and the journal actor it watches.
constexpr std::chrono::seconds tick_period{1};
/// Ticks without a journal actor in the registry before the manager gives up (its runtime is
/// gone).
constexpr int journal_missing_limit = 3;
constexpr std::uint64_t default_page = 50;
/// List requests that may wait for the index after a start; more are refused (entity_unavailable).
constexpr std::size_t max_waiting_lists = 1024;

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_json(const std::string& text) {
  boost::json::error_code ec;
  boost::json::parse(text, ec);
  return !ec;
}

actors::restart_budget& budget_of(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto i = st.restarts.find(id);
  if (i == st.restarts.end())
    i = st.restarts
            .emplace(id,
                     actors::restart_budget{st.entities.max_restarts, st.entities.restart_window})
            .first;
  return i->second;
}

actors::saga_actor spawn_saga(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto journal = self->system().registry().get<actors::journal_actor>(st.journal_name);
  auto me = caf::actor_cast<actors::saga_manager_actor>(self);
  auto saga = self->spawn(saga_impl, id, journal, me, st.env);
  self->link_to(saga);
  st.live[id] = saga_manager_state::live_saga{saga, 0};
  st.ids_by_addr.emplace(saga.address(), id);
  st.quarantined.erase(id);
  ++st.stats.spawned;
  return saga;
}

/// The saga's actor, spawned if needed; an error while the saga is quarantined.
caf::expected<actors::saga_actor> saga_for(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (auto i = st.live.find(id); i != st.live.end()) {
    ++i->second.routed;
    return i->second.actor;
  }
  if (st.quarantined.count(id) > 0 && budget_of(self, id).exhausted(self->clock().now()))
    return make_failure(errc::entity_unavailable,
                        "saga " + id + " keeps failing and is quarantined; retry later");
  auto saga = spawn_saga(self, id);
  ++st.live[id].routed;
  return saga;
}

template <class Message>
caf::result<saga_view> route(self_ptr self, const std::string& id, Message& msg) {
  if (!is_saga_id(id))
    return make_failure(errc::invalid_id, "expected \"saga_\" followed by 16 lower-case hex digits",
                        "saga_id");
  auto saga = saga_for(self, id);
  if (!saga) return std::move(saga.error());
  return self->delegate(*saga, std::move(msg));
}

caf::result<saga_view> on_start(self_ptr self, actors::start_saga& cmd) {
  const auto& defs = self->state.env->definitions;
  if (defs.find(cmd.type) == defs.end())
    return make_failure(errc::invalid_argument, "unknown saga type \"" + cmd.type + "\"", "type");
  if (!is_json(cmd.input))
    return make_failure(errc::invalid_argument, "the saga's input is not JSON", "input");
  auto id = cmd.saga_id;
  return route(self, id, cmd);
}

caf::result<saga_view> on_signal(self_ptr self, actors::signal_saga& msg) {
  const auto& s = msg.signal;
  if (s.step.empty()) return make_failure(errc::invalid_argument, "no step", "step");
  if (s.signal_id.empty()) return make_failure(errc::invalid_argument, "no signal id", "signal_id");
  if (static_cast<std::uint8_t>(s.decision) >
      static_cast<std::uint8_t>(actors::signal_decision::payload_only))
    return make_failure(errc::invalid_argument, "unknown decision", "decision");
  if (!s.payload.empty() && !is_json(s.payload))
    return make_failure(errc::invalid_argument, "the signal's payload is not JSON", "payload");
  auto id = s.saga_id;
  return route(self, id, msg);
}

/// The status filter of `q` (none if it names none), or why it is refused.
caf::expected<std::optional<saga_status>> status_filter(const actors::list_sagas& q) {
  if (q.status.empty()) return std::optional<saga_status>();
  if (auto status = saga_status_from_string(q.status)) return std::optional<saga_status>(status);
  return make_failure(errc::invalid_argument, "unknown saga status \"" + q.status + "\"", "status");
}

/// The page `q` asks for, from the index as it is now.
caf::expected<actors::saga_page> list_now(self_ptr self, const actors::list_sagas& q) {
  auto checked = status_filter(q);
  if (!checked) return std::move(checked.error());
  const std::optional<saga_status> filter = *checked;
  const auto limit =
      q.limit == 0 ? default_page : std::min<std::uint64_t>(q.limit, persistence::max_page_rows);
  const auto& st = self->state;
  actors::saga_page page;
  // Takes a saga if it matches; false once the page is full and another match follows.
  auto take = [&](const actors::saga_summary& s) {
    if (filter && s.status != to_string(*filter)) return true;
    if (!q.type.empty() && s.type != q.type) return true;
    if (!q.steps.empty() &&
        std::find(q.steps.begin(), q.steps.end(), s.current_step) == q.steps.end())
      return true;
    if (page.items.size() == limit) {
      page.next_after = page.items.back().saga_id;
      return false;
    }
    page.items.push_back(s);
    return true;
  };
  if (q.owner.empty()) {
    for (auto i = st.index.upper_bound(q.after); i != st.index.end(); ++i)
      if (!take(i->second)) break;
    return page;
  }
  const auto owned = st.by_owner.find(q.owner);
  if (owned == st.by_owner.end()) return page;
  auto i = owned->second.begin();
  if (!q.after.empty()) {
    const auto last = st.index.find(q.after);
    if (last == st.index.end() || last->second.owner != q.owner)
      return make_failure(errc::invalid_argument, "unknown cursor", "cursor");
    i = owned->second.upper_bound({last->second.started_at_ms, q.after});
  }
  for (; i != owned->second.end(); ++i) {
    const auto s = st.index.find(i->second);
    if (s != st.index.end() && !take(s->second)) break;
  }
  return page;
}

bool index_complete(const saga_manager_state& st) {
  return st.scan_done && st.unreported.empty();
}

/// Answers the list requests that waited for the index, once it is complete.
void answer_waiting_lists(self_ptr self) {
  auto& st = self->state;
  if (!index_complete(st) || st.waiting_lists.empty()) return;
  auto waiting = std::move(st.waiting_lists);
  st.waiting_lists.clear();
  for (auto& [q, promise] : waiting) {
    auto answer = list_now(self, q);
    if (answer)
      promise.deliver(std::move(*answer));
    else
      promise.deliver(std::move(answer.error()));
  }
}

/// After a saga reported (or was quarantined): reads the scan's next page once most of this one
/// has reported, and answers waiting listings once the scan is over and every saga reported.
void resume_progress(self_ptr self) {
  auto& st = self->state;
  // Bounded: spawning a whole journal's sagas together held them all in memory, and every exit
  // of a linked saga walks the manager's list of links (20,000 sagas took 3.3 s to list).
  if (st.scan_next && st.unreported.size() <= st.resume_window / 2) {
    self->send(self, actors::resume_sagas{std::move(*st.scan_next)});
    st.scan_next.reset();
  }
  answer_waiting_lists(self);
}

caf::result<actors::saga_page> on_list(self_ptr self, actors::list_sagas& q) {
  auto& st = self->state;
  if (!index_complete(st)) {
    // A bad filter is refused at once; the waiting line is bounded, past it callers hear why.
    if (auto checked = status_filter(q); !checked) return std::move(checked.error());
    if (st.waiting_lists.size() >= max_waiting_lists)
      return make_failure(errc::entity_unavailable,
                          "the saga index is still loading after a start; try again shortly");
    auto promise = self->make_response_promise<actors::saga_page>();
    st.waiting_lists.emplace_back(std::move(q),
                                  actors::guarded_promise<actors::saga_page>(promise));
    return promise;
  }
  auto answer = list_now(self, q);
  if (!answer) return std::move(answer.error());
  return std::move(*answer);
}

/// A saga asks to be forgotten: yes unless a request routed to it has not been answered yet.
bool on_passivate(self_ptr self, const actors::passivate_saga& req) {
  auto& st = self->state;
  auto sender = self->current_sender();
  auto i = st.live.find(req.saga_id);
  if (i == st.live.end() || !sender || i->second.actor.address() != sender->address())
    return true;  // not the actor requests go to: nothing reaches it any more
  if (i->second.routed != req.handled) return false;
  st.ids_by_addr.erase(sender->address());
  st.live.erase(i);
  return true;
}

void on_status(self_ptr self, actors::saga_status_changed& msg) {
  auto& st = self->state;
  if (!msg.alert.empty()) {
    if (msg.summary.status == to_string(saga_status::failed)) ++st.stats.compensation_failures;
    if (st.on_alert) st.on_alert(msg.alert);
  }
  auto id = msg.summary.saga_id;
  // An owner's entry is keyed by what the saga reported; a changed key replaces the old one.
  if (auto known = st.index.find(id); known != st.index.end() && !known->second.owner.empty() &&
                                      (known->second.owner != msg.summary.owner ||
                                       known->second.started_at_ms != msg.summary.started_at_ms)) {
    if (auto owned = st.by_owner.find(known->second.owner); owned != st.by_owner.end())
      owned->second.erase({known->second.started_at_ms, id});
  }
  if (!msg.summary.owner.empty())
    st.by_owner[msg.summary.owner].emplace(msg.summary.started_at_ms, id);
  st.unreported.erase(id);
  st.index.insert_or_assign(std::move(id), std::move(msg.summary));
  resume_progress(self);
}

void on_exit(self_ptr self, caf::exit_msg& msg) {
  auto& st = self->state;
  auto i = st.ids_by_addr.find(msg.source);
  if (i == st.ids_by_addr.end()) {
    // Not one of our sagas: our supervisor (or a peer) is going down, so we go with it.
    if (msg.reason && msg.reason != caf::exit_reason::normal) self->quit(std::move(msg.reason));
    return;
  }
  auto id = std::move(i->second);
  st.ids_by_addr.erase(i);
  auto live = st.live.find(id);
  if (live != st.live.end() && live->second.actor.address() == msg.source) st.live.erase(live);
  if (!msg.reason || msg.reason == caf::exit_reason::normal) return;
  // A crash: restart at once (the new actor recovers from the journal) while the budget lasts.
  if (budget_of(self, id).try_restart(self->clock().now())) {
    ++st.stats.restarted;
    spawn_saga(self, id);
  } else {
    ++st.stats.quarantined;
    st.quarantined.insert(id);
    // It reports once a later tick revives it; listings need not wait that long.
    st.unreported.erase(id);
    resume_progress(self);
  }
}

/// Monitors the registered journal actor unless one is watched already.
void watch_journal(self_ptr self) {
  auto& st = self->state;
  if (st.journal_watched) return;
  auto journal = self->system().registry().get<caf::actor>(st.journal_name);
  if (!journal) {
    if (++st.journal_missing_ticks >= journal_missing_limit)
      self->quit(make_failure(errc::entity_unavailable, "no journal actor is registered"));
    return;
  }
  st.journal_missing_ticks = 0;
  st.journal_watched = journal.address();
  self->monitor(journal);
}

void on_down(self_ptr self, caf::down_msg& msg) {
  auto& st = self->state;
  if (msg.source != st.journal_watched) return;
  st.journal_watched = nullptr;
  // A shutdown of the runtime: end with it. A crash: its supervisor restarts it; the next tick
  // watches the new one (the sagas holding the old one fail their next request and restart).
  if (msg.reason == caf::exit_reason::user_shutdown) self->quit(std::move(msg.reason));
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  watch_journal(self);
  auto now = self->clock().now();
  std::vector<std::string> due;
  for (const auto& id : st.quarantined)
    if (!budget_of(self, id).exhausted(now)) due.push_back(id);
  // A quarantined saga is not forgotten: once its window passed it tries again.
  for (const auto& id : due)
    if (st.live.count(id) == 0) spawn_saga(self, id);
  self->delayed_send(self, tick_period, caf::tick_atom::value);
}

/// Spawns the sagas of the next page of saga streams; the finished ones exit after reporting.
void resume(self_ptr self, const std::string& after) {
  auto journal = self->system().registry().get<actors::journal_actor>(self->state.journal_name);
  if (!journal) {
    self->delayed_send(self, tick_period, actors::resume_sagas{after});
    return;
  }
  self->request(
          journal, caf::infinite,
          actors::list_streams{std::string(saga_stream_prefix), after, self->state.resume_window})
      .then(
          [self](actors::stream_page& page) {
            auto& st = self->state;
            for (const auto& stream : page.stream_ids) {
              auto id = saga_id_of_stream(stream);
              if (id.empty() || st.quarantined.count(id) > 0) continue;
              if (st.live.count(id) > 0) {
                // Spawned by a request before the scan reached it: wait for its report too.
                if (st.index.count(id) == 0) st.unreported.insert(id);
                continue;
              }
              spawn_saga(self, id);
              st.unreported.insert(id);
              ++st.stats.resumed;
            }
            if (page.stream_ids.size() >= st.resume_window)
              st.scan_next = page.stream_ids.back();
            else
              st.scan_done = true;
            resume_progress(self);
          },
          [self, after](caf::error&) {
            self->delayed_send(self, tick_period, actors::resume_sagas{after});
          });
}

result<std::shared_ptr<const saga_environment>> environment_of(saga_manager_options& options) {
  for (const auto& [type, definition] : options.definitions) {
    if (type != definition.type)
      return fail(errc::invalid_argument,
                  "saga definition \"" + definition.type + "\" is filed under \"" + type + "\"",
                  "definitions");
    if (auto ok = validate(definition); !ok) return ok.error();
  }
  if (options.resume_window == 0)
    return fail(errc::invalid_argument, "resume_window must be at least 1", "resume_window");
  auto env = std::make_shared<saga_environment>();
  env->definitions = std::move(options.definitions);
  env->now = options.now ? std::move(options.now) : std::function<std::int64_t()>(system_now_ms);
  return std::shared_ptr<const saga_environment>(std::move(env));
}

}  // namespace

caf::atom_value sagas_registry_name() {
  return caf::atom("sagas");
}

actors::saga_manager_actor::behavior_type saga_manager_impl(
    actors::saga_manager_actor::stateful_pointer<saga_manager_state> self,
    std::shared_ptr<const saga_environment> env, caf::atom_value journal_name,
    std::function<void(const std::string&)> on_alert, actors::entity_options entities,
    std::uint64_t resume_window) {
  auto& st = self->state;
  st.env = std::move(env);
  st.journal_name = journal_name;
  st.on_alert = std::move(on_alert);
  st.entities = entities;
  st.resume_window = resume_window;
  // Sagas are linked, so they stop with the manager; trapping exits turns a saga's crash into a
  // message here instead of taking the manager down.
  self->set_exit_handler([self](caf::exit_msg& msg) { on_exit(self, msg); });
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  watch_journal(self);
  self->send(self, actors::resume_sagas{});
  self->delayed_send(self, tick_period, caf::tick_atom::value);
  return {
      [self](actors::start_saga& cmd) { return on_start(self, cmd); },
      [self](actors::get_saga& q) {
        auto id = q.saga_id;
        return route(self, id, q);
      },
      [self](actors::signal_saga& msg) { return on_signal(self, msg); },
      [self](actors::retry_saga& cmd) {
        auto id = cmd.saga_id;
        return route(self, id, cmd);
      },
      [self](actors::resolve_saga& cmd) {
        auto id = cmd.saga_id;
        return route(self, id, cmd);
      },
      [self](actors::list_sagas& q) { return on_list(self, q); },
      [self](actors::saga_stats_request&) {
        auto s = self->state.stats;
        s.live = self->state.live.size();
        s.known = self->state.index.size();
        return s;
      },
      [self](actors::passivate_saga& req) { return on_passivate(self, req); },
      [self](actors::saga_status_changed& msg) { on_status(self, msg); },
      [self](actors::resume_sagas& msg) { resume(self, msg.after); },
      [self](caf::tick_atom) { on_tick(self); },
  };
}

result<actors::saga_manager_actor> spawn_saga_manager(caf::actor_system& system,
                                                      saga_manager_options options) {
  auto env = environment_of(options);
  if (!env) return env.error();
  auto manager = system.spawn(saga_manager_impl, std::move(*env), options.journal_name,
                              std::move(options.on_alert), options.entities, options.resume_window);
  // The registry never overwrites a name, so an earlier manager's entry goes first.
  system.registry().erase(sagas_registry_name());
  system.registry().put(sagas_registry_name(), manager);
  manager->attach_functor([sys = &system, addr = manager.address()] {
    if (sys->registry().get<caf::actor>(sagas_registry_name()).address() == addr)
      sys->registry().erase(sagas_registry_name());
  });
  return manager;
}

result<actors::child_spec> saga_manager_child(saga_manager_options options) {
  auto env = environment_of(options);
  if (!env) return env.error();
  return actors::child_spec{
      sagas_registry_name(), [env = std::move(*env), journal = options.journal_name,
                              alert = std::move(options.on_alert), entities = options.entities,
                              window = options.resume_window](caf::event_based_actor* supervisor) {
        return caf::actor_cast<caf::actor>(
            supervisor->spawn(saga_manager_impl, env, journal, alert, entities, window));
      }};
}

}  // namespace payorch::sagas
