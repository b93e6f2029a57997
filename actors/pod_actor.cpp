#include "actors/pod_actor.hpp"

#include <caf/all.hpp>

#include "actors/errors.hpp"

namespace payorch::actors {
namespace {

using self_ptr = pod_actor::stateful_pointer<pod_state>;

caf::error unavailable(const std::string& why) {
  return make_failure(errc::entity_unavailable, why);
}

/// Replays a recovered stream into the state; false (and the actor exits) on corrupt data.
bool recover(self_ptr self, persistence::stream_read& read) {
  auto& st = self->state;
  if (!read.ok) {
    self->quit(unavailable("journal read failed: " + read.detail));
    return false;
  }
  if (read.snapshot) {
    auto pod = decode_snapshot(read.snapshot->payload);
    if (!pod) {
      self->quit(to_error(pod.error()));
      return false;
    }
    st.pod = std::move(*pod);
    st.version = read.snapshot->version;
    st.last_snapshot_version = read.snapshot->version;
  }
  for (const auto& ev : read.events) {
    auto applied = apply_event(st.pod, ev);
    if (!applied) {
      self->quit(to_error(applied.error()));
      return false;
    }
    st.version = ev.version;
  }
  st.committed_version = st.version;
  return true;
}

/// Answers every deferred read whose events are now durable.
void release_reads(self_ptr self) {
  auto& st = self->state;
  while (!st.reads.empty() && st.reads.front().version <= st.committed_version) {
    st.reads.front().promise.deliver(std::move(st.reads.front().view));
    st.reads.pop_front();
  }
}

/// Exits once nothing is in flight, if the actor is poisoned or passivating.
void maybe_exit(self_ptr self) {
  auto& st = self->state;
  if (st.in_flight > 0) return;
  if (st.poisoned) {
    for (auto& r : st.reads) r.promise.deliver(unavailable("pod restarted after a failed write"));
    st.reads.clear();
    self->quit(unavailable("append failed; restarting from the journal"));
  } else if (st.passivating) {
    self->quit();
  }
}

void maybe_snapshot(self_ptr self) {
  auto& st = self->state;
  if (!st.pod || st.committed_version - st.last_snapshot_version < st.options.snapshot_every_events)
    return;
  st.last_snapshot_version = st.committed_version;
  self->send(st.journal, persistence::snapshot_record{st.pod_id, st.committed_version,
                                                      encode_snapshot(*st.pod)});
}

/// Journals `events` (already applied to the tentative state) and answers `promise` with
/// `answer` once they are durable.
void commit(self_ptr self, std::vector<persistence::new_event> events, pod_view answer,
            guarded_promise<pod_view> promise) {
  auto& st = self->state;
  auto expected = st.version - static_cast<std::int64_t>(events.size());
  ++st.in_flight;
  persistence::append_request req{st.pod_id, expected, std::move(events)};
  // No timeout here: the journal actor answers every request (see journal_actor.hpp).
  self->request(st.journal, caf::infinite, std::move(req))
      .then(
          [self, answer, promise](persistence::append_result& r) mutable {
            auto& s = self->state;
            --s.in_flight;
            if (r.status == persistence::append_status::committed) {
              s.committed_version = std::max(s.committed_version, r.last_version);
              promise.deliver(std::move(answer));
              release_reads(self);
              maybe_snapshot(self);
            } else {
              s.poisoned = true;
              auto code = r.status == persistence::append_status::version_conflict
                              ? errc::version_conflict
                              : errc::storage_unavailable;
              promise.deliver(make_failure(code, r.detail));
            }
            maybe_exit(self);
          },
          [self, promise](caf::error& e) mutable {
            --self->state.in_flight;
            self->state.poisoned = true;
            // Keep the journal's reason (storage_unavailable when the writer is stuck).
            promise.deliver(to_error(to_failure(e)));
            maybe_exit(self);
          });
}

void touch(self_ptr self) {
  self->state.last_active = self->clock().now();
}

/// Asks the router to forget this actor; exits once it agreed and nothing is in flight.
void passivate(self_ptr self) {
  auto& st = self->state;
  if (st.passivation_asked) return;
  st.passivation_asked = true;
  self->request(st.router, caf::infinite, passivate_pod{st.pod_id})
      .then(
          [self](bool forgotten) {
            if (forgotten) {
              self->state.passivating = true;
              maybe_exit(self);
            } else {
              self->state.passivation_asked = false;  // the router asks again later
            }
          },
          [self](caf::error&) { self->quit(); });
}

/// The router saw no command for this pod for a while; passivate unless work is pending.
void on_idle_check(self_ptr self) {
  auto& st = self->state;
  if (st.passivating || st.in_flight > 0) return;
  if (self->clock().now() - st.last_active < st.options.idle_timeout) return;
  passivate(self);
}

}  // namespace

pod_actor::behavior_type pod_impl(pod_actor::stateful_pointer<pod_state> self, std::string pod_id,
                                  journal_actor journal, pod_router_actor router,
                                  entity_options options, pod_start start) {
  auto& st = self->state;
  st.pod_id = std::move(pod_id);
  st.journal = std::move(journal);
  st.router = std::move(router);
  st.options = options;
  touch(self);
  // Commands wait in the mailbox until the stream is replayed: `await` suspends the behaviour.
  if (start == pod_start::recover) {
    self->request(st.journal, caf::infinite, read_stream{st.pod_id})
        .await([self](persistence::stream_read& read) { recover(self, read); },
               [self](caf::error& e) { self->quit(e); });
  }
  return {
      [self](create_pod& cmd) -> caf::result<pod_view> {
        touch(self);
        auto& s = self->state;
        if (s.poisoned) return unavailable("pod is restarting");
        if (s.pod) {
          return make_failure(errc::already_exists, "pod " + s.pod_id + " already exists",
                              "pod_id");
        }
        auto decided = decide_create(cmd);
        if (!decided) return to_error(decided.error());
        auto event = created_event(*decided);
        s.pod = std::move(*decided);
        ++s.version;
        auto answer = view_of(*s.pod, s.version);
        auto promise = self->make_response_promise<pod_view>();
        commit(self, {std::move(event)}, std::move(answer), guarded_promise<pod_view>{promise});
        return promise;
      },
      [self](get_pod&) -> caf::result<pod_view> {
        touch(self);
        auto& s = self->state;
        if (!s.pod) {
          // Nothing to keep in memory for a pod that does not exist (e.g. a scan of random ids).
          if (s.in_flight == 0) passivate(self);
          return make_failure(errc::not_found, "no pod " + s.pod_id, "pod_id");
        }
        auto view = view_of(*s.pod, s.version);
        if (s.committed_version >= s.version) return view;
        auto promise = self->make_response_promise<pod_view>();
        s.reads.push_back({s.version, std::move(view), guarded_promise<pod_view>{promise}});
        return promise;
      },
      [self](idle_check&) { on_idle_check(self); },
  };
}

}  // namespace payorch::actors
