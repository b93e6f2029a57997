#include "actors/pod_actor.hpp"

#include <caf/all.hpp>

#include "actors/errors.hpp"
#include "config/limits.hpp"

namespace payorch::actors {
namespace {

using self_ptr = pod_actor::stateful_pointer<pod_state>;
using events = std::vector<pod_event>;

caf::error unavailable(const std::string& why) {
  return make_failure(errc::entity_unavailable, why);
}

/// Applies journaled events in order; the failure of the first that does not apply.
result<void> replay(self_ptr self, const std::vector<persistence::event_record>& records) {
  auto& st = self->state;
  for (const auto& record : records) {
    if (record.version != st.version + 1)
      return fail(errc::internal_error, "journal stream " + st.pod_id + " skips from version " +
                                            std::to_string(st.version) + " to " +
                                            std::to_string(record.version));
    auto ev = decode_event(record);
    auto applied = ev ? apply_event(st.pod, *ev) : result<void>{ev.error()};
    if (!applied) return applied;
    st.version = record.version;
  }
  return {};
}

/// Rebuilds the state from the stream's first event, ignoring snapshots, one journal page at a
/// time, up to `last_version` (the newest version the stream is known to hold); the behaviour
/// stays suspended until then. A failed read ends the actor with its error; a page that ends
/// short of `last_version` means events went missing under the pod, and ends it too.
void replay_all(self_ptr self, std::int64_t last_version) {
  auto& st = self->state;
  self->request(st.journal, caf::infinite,
                read_events{st.pod_id, st.version, persistence::max_page_rows})
      .await(
          [self, last_version](event_page& page) {
            auto& s = self->state;
            if (auto ok = replay(self, page.events); !ok) return self->quit(to_error(ok.error()));
            if (s.version < last_version) {
              if (page.events.empty())
                return self->quit(unavailable("journal read stopped at version " +
                                              std::to_string(s.version) + " of " +
                                              std::to_string(last_version)));
              return replay_all(self, last_version);
            }
            s.committed_version = s.version;
            s.last_snapshot_version = 0;  // the next commit past the interval writes a good one
          },
          [self](caf::error& e) { self->quit(e); });
}

/// Replays a recovered stream into the state; on data that does not apply, a snapshot is
/// distrusted and the whole stream replayed (snapshots are a cache; events are the truth), and
/// only corrupt events end the actor.
void recover(self_ptr self, persistence::stream_read& read) {
  auto& st = self->state;
  if (!read.ok) return self->quit(unavailable("journal read failed: " + read.detail));
  // The newest version the stream holds: its last event, else the snapshot's.
  const std::int64_t last_version = !read.events.empty() ? read.events.back().version
                                    : read.snapshot      ? read.snapshot->version
                                                         : 0;
  auto from_scratch = [self, last_version] {
    auto& s = self->state;
    s.pod.reset();
    s.version = 0;
    replay_all(self, last_version);
  };
  if (read.snapshot) {
    auto pod = decode_snapshot(read.snapshot->payload);
    if (!pod) return from_scratch();
    st.pod = std::move(*pod);
    st.version = read.snapshot->version;
    st.last_snapshot_version = read.snapshot->version;
  }
  if (auto ok = replay(self, read.events); !ok) {
    if (read.snapshot) return from_scratch();
    return self->quit(to_error(ok.error()));
  }
  st.committed_version = st.version;
}

/// Answers every deferred read whose events are now durable.
void release_reads(self_ptr self) {
  auto& st = self->state;
  std::size_t done = 0;
  while (done < st.reads.size() && st.reads[done].version <= st.committed_version)
    st.reads[done++].deliver();
  st.reads.erase(st.reads.begin(), st.reads.begin() + static_cast<std::ptrdiff_t>(done));
}

/// Exits once nothing is in flight, if the actor is poisoned or passivating.
void maybe_exit(self_ptr self) {
  auto& st = self->state;
  if (st.in_flight > 0) return;
  if (st.poisoned) {
    auto why = unavailable("pod restarted after a failed write");
    for (auto& r : st.reads) r.refuse(why);
    st.reads.clear();
    // The reason tells the router whether the journal or the pod itself was at fault.
    const auto by = st.poisoned_by == errc::ok ? errc::storage_unavailable : st.poisoned_by;
    self->quit(make_failure(by, "append failed; restarting from the journal"));
  } else if (st.passivating) {
    self->quit();
  }
}

/// Events between two snapshots of this pod: `snapshot_every_events`, or a quarter of the pod's
/// records (members, pledges, payouts) if that is more. A snapshot encodes every record, so a
/// pod with 50,000 pledges would otherwise spend more on snapshots than on its commands; this
/// way a snapshot costs at most four record encodings per event, and recovery still replays no
/// more than a quarter of the records' worth of events after it.
std::int64_t snapshot_interval(const pod_state& st) {
  const auto records =
      st.pod->members.size() + st.pod->funds->pledges.size() + st.pod->funds->payouts.size();
  return std::max(st.options->snapshot_every_events, static_cast<std::int64_t>(records / 4));
}

void maybe_snapshot(self_ptr self) {
  auto& st = self->state;
  if (!st.pod || st.committed_version - st.last_snapshot_version < snapshot_interval(st)) return;
  // The state holds every event applied so far, committed or not: it is the state at
  // `committed_version` only when nothing is in flight. Else wait for a later commit.
  if (st.version != st.committed_version) return;
  st.last_snapshot_version = st.committed_version;
  self->send(st.journal, persistence::snapshot_record{st.pod_id, st.committed_version,
                                                      encode_snapshot(*st.pod)});
}

/// The claim of the Idempotency-Key behind a command, written with its events (nullopt
/// without a key).
std::optional<persistence::idempotency_record> claim_of(const idempotency_tag* tag,
                                                        std::int64_t at_ms) {
  if (tag == nullptr || tag->key.empty() || tag->client_id.empty()) return std::nullopt;
  persistence::idempotency_record claim;
  claim.client_id = tag->client_id;
  claim.key = tag->key;
  claim.fingerprint = tag->fingerprint;
  claim.status = 0;
  claim.created_at_ms = at_ms;
  claim.expires_at_ms = at_ms + config::limits::idempotency_record_ttl_ms;
  return claim;
}

/// Journals `evs` (already applied to the tentative state) with their ledger moves and the
/// claim of the command's Idempotency-Key, and runs `done(error-or-none)` once they are durable
/// or failed.
void commit(self_ptr self, const events& evs, std::function<void(const caf::error&)> done,
            std::optional<persistence::idempotency_record> claim = std::nullopt) {
  auto& st = self->state;
  persistence::append_request req;
  req.stream_id = st.pod_id;
  req.expected_version = st.version - static_cast<std::int64_t>(evs.size());
  req.events.reserve(evs.size());
  req.outbox.reserve(evs.size());
  auto version = req.expected_version;
  for (const auto& e : evs) {
    auto encoded = encode_with_outbox(st.pod_id, ++version, e);
    req.events.push_back(std::move(encoded.journal));
    req.outbox.push_back(std::move(encoded.outbox));
    append_ledger(st.pod_id, e, req.ledger);
  }
  req.idempotency_claim = std::move(claim);
  ++st.in_flight;
  // No timeout here: the journal actor answers every request (see journal_actor.hpp).
  self->request(st.journal, caf::infinite, std::move(req))
      .then(
          [self, done](persistence::append_result& r) {
            auto& s = self->state;
            --s.in_flight;
            if (r.status == persistence::append_status::committed) {
              s.committed_version = std::max(s.committed_version, r.last_version);
              done(caf::none);
              release_reads(self);
              maybe_snapshot(self);
            } else {
              s.poisoned = true;
              // A ledger refusal means the pod's state and the ledger disagree: a bug, not a
              // client error; the restart rebuilds the state from what was stored.
              auto code = r.status == persistence::append_status::version_conflict
                              ? errc::version_conflict
                          : r.status == persistence::append_status::ledger_rejected
                              ? errc::internal_error
                              : errc::storage_unavailable;
              if (s.poisoned_by != errc::internal_error) s.poisoned_by = code;
              done(make_failure(code, r.detail));
            }
            maybe_exit(self);
          },
          [self, done](caf::error& e) {
            --self->state.in_flight;
            self->state.poisoned = true;
            if (self->state.poisoned_by == errc::ok)
              self->state.poisoned_by = errc::storage_unavailable;
            // Keep the journal's reason (storage_unavailable when the writer is stuck).
            done(to_error(to_failure(e)));
            maybe_exit(self);
          });
}

/// Applies decided events to the tentative state; a failure here is a bug in a decision, and
/// the state can no longer be trusted.
bool apply_all(self_ptr self, const events& evs) {
  auto& st = self->state;
  for (const auto& e : evs) {
    if (auto ok = apply_event(st.pod, e); !ok) {
      st.poisoned = true;
      st.poisoned_by = errc::internal_error;  // a decision the state cannot take: a bug
      return false;
    }
    ++st.version;
  }
  return true;
}

/// Answers with `make_reply()` once everything applied so far is durable.
template <class Reply, class MakeReply>
caf::result<Reply> reply_when_durable(self_ptr self, MakeReply make_reply) {
  auto& st = self->state;
  Reply reply = make_reply();
  if (st.committed_version >= st.version) return reply;
  auto raw = self->make_response_promise<Reply>();
  guarded_promise<Reply> promise{raw};
  st.reads.push_back({st.version, [promise, reply]() mutable { promise.deliver(std::move(reply)); },
                      [promise](const caf::error& e) mutable { promise.deliver(e); }});
  return raw;
}

/// Refuses with `failure` once everything applied so far is durable: a refusal read from state
/// that a write in flight made (a member just removed, a hold just made) must not go out before
/// that write is durable, nor at all if it fails (the pod is then restarting).
template <class Reply>
caf::result<Reply> refuse_when_durable(self_ptr self, caf::error failure) {
  auto& st = self->state;
  if (st.poisoned) return unavailable("pod is restarting");
  if (st.committed_version >= st.version) return failure;
  auto raw = self->make_response_promise<Reply>();
  guarded_promise<Reply> promise{raw};
  st.reads.push_back({st.version, [promise, failure]() mutable { promise.deliver(failure); },
                      [promise](const caf::error& e) mutable { promise.deliver(e); }});
  return raw;
}

/// What lets a keyed command store its answer with its events: the gateway's renderer and the
/// receipt to report it on (both unset for commands that have none).
template <class Reply>
struct answer_hook {
  const answer_renderer<Reply>* render = nullptr;
  std::shared_ptr<answer_receipt> receipt;
};

template <class Reply, class Command>
answer_hook<Reply> answer_hook_of(const Command& cmd) {
  if constexpr (requires { cmd.render_answer; })
    return {&cmd.render_answer, cmd.idempotency.receipt};
  else
    return {};
}

/// Journals `evs` (with `claim`) and answers with `make_reply()` (taken now, on the new state)
/// once durable. With a claim and a renderer, the claim carries the answer rendered from that
/// reply, and the receipt says so before the reply goes.
template <class Reply, class MakeReply>
caf::result<Reply> commit_then_reply(
    self_ptr self, events evs, MakeReply make_reply,
    std::optional<persistence::idempotency_record> claim = std::nullopt,
    answer_hook<Reply> hook = {}) {
  if (evs.empty()) return reply_when_durable<Reply>(self, make_reply);
  if (!apply_all(self, evs)) {
    maybe_exit(self);
    return make_failure(errc::internal_error, "a decided event could not be applied");
  }
  auto reply = make_reply();
  std::optional<stored_answer> answer;
  if (claim && hook.render != nullptr && *hook.render && hook.receipt) {
    answer = (*hook.render)(reply);
    if (answer->status > 0) {
      claim->status = answer->status;
      claim->content_type = answer->content_type;
      claim->location = answer->location;
      claim->body = answer->body;
    } else {
      answer.reset();  // nothing to store: the requester stores its answer itself
    }
  }
  auto raw = self->make_response_promise<Reply>();
  guarded_promise<Reply> promise{raw};
  commit(
      self, evs,
      [promise, reply = std::move(reply), answer = std::move(answer),
       receipt = std::move(hook.receipt)](const caf::error& e) mutable {
        if (e) return promise.deliver(e);
        if (answer) {
          receipt->answer = std::move(*answer);
          receipt->stored = true;
        }
        promise.deliver(std::move(reply));
      },
      std::move(claim));
  return raw;
}

/// Journals the PledgeExpired events due by `now_ms`; they are facts whatever the command.
/// False when one did not apply: the state is half-changed, the pod is poisoned and must go.
bool expire_due(self_ptr self, std::int64_t now_ms) {
  auto& st = self->state;
  auto expired = expire_due_pledges(*st.pod, now_ms);
  if (expired.empty()) return true;
  if (!apply_all(self, expired)) {
    maybe_exit(self);  // now, or once what is in flight is answered
    return false;
  }
  commit(self, expired, [](const caf::error&) {});
  return true;
}

void touch(self_ptr self) {
  self->state.last_active = self->clock().now();
}

/// Asks the router to forget this actor; exits once it agreed and nothing is in flight.
void passivate(self_ptr self) {
  auto& st = self->state;
  if (st.passivation_asked) return;
  st.passivation_asked = true;
  self->request(st.router, caf::infinite, passivate_pod{st.pod_id, st.commands})
      .then(
          [self](bool forgotten) {
            if (forgotten) {
              self->state.passivating = true;
              maybe_exit(self);
            } else {
              self->state.passivation_asked = false;  // the router asks again later
              // A pod that does not exist refused only because more commands for it were on
              // their way: each of them found nothing either, so ask again at once.
              if (!self->state.pod && self->state.in_flight == 0) passivate(self);
            }
          },
          [self](caf::error&) { self->quit(); });
}

/// The router saw no command for this pod for a while; passivate unless work is pending.
void on_idle_check(self_ptr self) {
  auto& st = self->state;
  if (st.passivating || st.in_flight > 0) return;
  if (self->clock().now() - st.last_active < st.options->idle_timeout) return;
  passivate(self);
}

/// The failure every command on a pod that does not exist gets.
caf::error no_such_pod(self_ptr self) {
  auto& st = self->state;
  // Nothing to keep in memory for a pod that does not exist (e.g. a scan of random ids).
  if (st.in_flight == 0) passivate(self);
  return make_failure(errc::not_found, "no pod " + st.pod_id, "pod_id");
}

/// Runs a state-changing command: expire due pledges, decide, apply, journal, reply.
template <class Reply, class Command, class MakeReply>
caf::result<Reply> run_command(self_ptr self, const Command& cmd, MakeReply make_reply) {
  touch(self);
  auto& st = self->state;
  if (st.poisoned) return unavailable("pod is restarting");
  if (!st.pod) return no_such_pod(self);
  if (!expire_due(self, cmd.requested_at_ms)) return unavailable("pod is restarting");
  auto decided = decide(*st.pod, cmd);
  if (!decided) return refuse_when_durable<Reply>(self, to_error(decided.error()));
  std::optional<persistence::idempotency_record> claim;
  if constexpr (requires { cmd.idempotency; })
    claim = claim_of(&cmd.idempotency, cmd.requested_at_ms);
  return commit_then_reply<Reply>(
      self, std::move(*decided), [self, &make_reply] { return make_reply(*self->state.pod); },
      std::move(claim), answer_hook_of<Reply>(cmd));
}

/// Runs a read: answers from the committed state.
template <class Reply, class MakeReply>
caf::result<Reply> run_query(self_ptr self, MakeReply make_reply) {
  touch(self);
  auto& st = self->state;
  if (st.poisoned) return unavailable("pod is restarting");
  if (!st.pod) return no_such_pod(self);
  return reply_when_durable<Reply>(self,
                                   [self, &make_reply] { return make_reply(*self->state.pod); });
}

caf::result<pod_view> on_create(self_ptr self, create_pod& cmd) {
  touch(self);
  auto& s = self->state;
  if (s.poisoned) return unavailable("pod is restarting");
  if (s.pod) {
    // A retry of the creating request (after a crash lost its idempotency record) finds the pod
    // it made; anything else naming this id is a conflict.
    const auto& key = cmd.idempotency.key;
    if (!key.empty() && digest_of(key) == s.pod->creation_key && cmd.owner_id == s.pod->owner_id) {
      if (digest_of(cmd.idempotency.fingerprint) != s.pod->creation_fingerprint)
        return make_failure(errc::idempotency_key_reused,
                            "this Idempotency-Key created a pod from another request");
      return reply_when_durable<pod_view>(
          self, [self] { return view_of(*self->state.pod, self->state.version); });
    }
    return make_failure(errc::already_exists, "pod " + s.pod_id + " already exists", "pod_id");
  }
  auto decided = decide_create(cmd);
  if (!decided) return to_error(decided.error());
  return commit_then_reply<pod_view>(
      self, std::move(*decided), [self] { return view_of(*self->state.pod, self->state.version); },
      claim_of(&cmd.idempotency, cmd.requested_at_ms), answer_hook_of<pod_view>(cmd));
}

caf::result<pledge_view> on_pledge(self_ptr self, make_pledge& cmd) {
  auto& s = self->state;
  if (s.pod) {
    if (const auto* p = s.pod->pledge(cmd.pledge_id)) {
      touch(self);
      if (cmd.idempotency.key.empty() || p->idempotency_key != digest_of(cmd.idempotency.key))
        return make_failure(errc::already_exists, "pledge " + cmd.pledge_id + " already exists",
                            "pledge_id");
      if (p->request_fingerprint != digest_of(cmd.idempotency.fingerprint))
        return make_failure(errc::idempotency_key_reused,
                            "this Idempotency-Key made a pledge from another request");
      auto now = cmd.requested_at_ms;
      auto id = cmd.pledge_id;
      return reply_when_durable<pledge_view>(self, [self, id, now] {
        const auto& pod = *self->state.pod;
        return view_of(pod, *pod.pledge(id), now);
      });
    }
  }
  auto id = cmd.pledge_id;
  auto now = cmd.requested_at_ms;
  return run_command<pledge_view>(
      self, cmd, [id, now](const pod_record& pod) { return view_of(pod, *pod.pledge(id), now); });
}

caf::result<payout_view> on_payout(self_ptr self, payout_command& cmd) {
  auto& s = self->state;
  if (cmd.action == payout_action::check || cmd.action == payout_action::get) {
    if (s.pod) {
      touch(self);
      auto checked = cmd.action == payout_action::check ? decide(*s.pod, cmd)
                     : s.pod->funds->payouts.count(cmd.payout_id) != 0
                         ? result<events>(events{})
                         : result<events>(fail(errc::not_found,
                                               "no payout " + cmd.payout_id + " in pod " + s.pod_id,
                                               "payout_id"));
      if (!checked) return refuse_when_durable<payout_view>(self, to_error(checked.error()));
    }
    return run_query<payout_view>(self, [&cmd](const pod_record& pod) {
      if (cmd.action == payout_action::check) return check_view(pod, cmd);
      return view_of(pod, pod.funds->payouts.at(cmd.payout_id));
    });
  }
  auto id = cmd.payout_id;
  return run_command<payout_view>(
      self, cmd, [id](const pod_record& pod) { return view_of(pod, pod.funds->payouts.at(id)); });
}

pod_view pod_reply(self_ptr self, const pod_record& pod) {
  return view_of(pod, self->state.version);
}

caf::result<pod_view> on_get_pod(self_ptr self, get_pod&) {
  return run_query<pod_view>(self, [self](const pod_record& pod) { return pod_reply(self, pod); });
}

/// update_policy and change_pod_status: answered with the pod.
template <class Command>
caf::result<pod_view> on_pod_change(self_ptr self, Command& cmd) {
  return run_command<pod_view>(self, cmd,
                               [self](const pod_record& pod) { return pod_reply(self, pod); });
}

/// add_member and change_member_role: answered with the member as it is now.
template <class Command>
caf::result<member_view> on_member_change(self_ptr self, Command& cmd) {
  return run_command<member_view>(self, cmd, [&cmd](const pod_record& pod) {
    return view_of(pod, cmd.user_id, cmd.requested_at_ms);
  });
}

caf::result<member_view> on_remove_member(self_ptr self, remove_member& cmd) {
  // The answer is the member as it was, taken before the removal.
  if (!self->state.pod || !self->state.pod->member(cmd.user_id))
    return run_command<member_view>(self, cmd, [](const pod_record&) { return member_view{}; });
  auto before = view_of(*self->state.pod, cmd.user_id, cmd.requested_at_ms);
  return run_command<member_view>(self, cmd, [before](const pod_record&) { return before; });
}

caf::result<member_view> on_get_member(self_ptr self, get_member& q) {
  if (self->state.pod && !self->state.pod->member(q.user_id)) {
    touch(self);
    return refuse_when_durable<member_view>(
        self,
        make_failure(errc::not_found,
                     "no member \"" + q.user_id + "\" in pod " + self->state.pod_id, "user_id"));
  }
  return run_query<member_view>(
      self, [&q](const pod_record& pod) { return view_of(pod, q.user_id, q.requested_at_ms); });
}

caf::result<member_page> on_list_members(self_ptr self, list_members& q) {
  return run_query<member_page>(self, [&q](const pod_record& pod) { return page_of(pod, q); });
}

caf::result<pledge_view> on_settle(self_ptr self, settle_pledge& cmd) {
  return run_command<pledge_view>(self, cmd, [&cmd](const pod_record& pod) {
    return view_of(pod, *pod.pledge(cmd.pledge_id), cmd.requested_at_ms);
  });
}

caf::result<pledge_view> on_get_pledge(self_ptr self, get_pledge& q) {
  if (self->state.pod && !self->state.pod->pledge(q.pledge_id)) {
    touch(self);
    return refuse_when_durable<pledge_view>(
        self,
        make_failure(errc::not_found, "no pledge " + q.pledge_id + " in pod " + self->state.pod_id,
                     "pledge_id"));
  }
  return run_query<pledge_view>(self, [&q](const pod_record& pod) {
    return view_of(pod, *pod.pledge(q.pledge_id), q.requested_at_ms);
  });
}

caf::result<pledge_page> on_list_pledges(self_ptr self, list_pledges& q) {
  if (self->state.pod) {
    auto checked = page_of(*self->state.pod, q);
    if (!checked) return to_error(checked.error());
  }
  return run_query<pledge_page>(self, [&q](const pod_record& pod) { return *page_of(pod, q); });
}

caf::result<balance_view> on_get_balance(self_ptr self, get_balance& q) {
  return run_query<balance_view>(self, [self, &q](const pod_record& pod) {
    return balance_of(pod, self->state.version, q.requested_at_ms,
                      self->state.options->fx_rates.get());
  });
}

caf::result<cycle_view> on_get_cycle(self_ptr self, get_cycle& q) {
  if (self->state.pod) {
    auto checked = cycle_of(*self->state.pod, q);
    if (!checked) return to_error(checked.error());
  }
  return run_query<cycle_view>(self, [&q](const pod_record& pod) { return *cycle_of(pod, q); });
}

caf::result<void> on_idle(self_ptr self, idle_check&) {
  on_idle_check(self);
  return caf::delegated<void>{};  // a plain send: nobody waits for an answer
}

// -- dispatch ------------------------------------------------------------------------------------
//
// A behaviour made of lambdas that capture `self` costs every pod ~750 bytes (one match case per
// message). Instead every pod shares one behaviour that matches nothing it is sent, and CAF hands
// each message to the default handler with the actor's pointer; the table below routes it. The
// table is checked against `pod_actor` at compile time: every handler must be one of the
// interface's signatures, and every signature must have a handler.

template <class T>
struct handler_traits;

template <class R, class T>
struct handler_traits<caf::result<R> (*)(self_ptr, T&)> {
  using input = T;
  using output =
      std::conditional_t<std::is_void_v<R>, caf::output_tuple<void>, caf::output_tuple<R>>;
  using signature = caf::typed_mpi<caf::detail::type_list<T>, output>;
};

constexpr auto handlers = std::make_tuple(
    &on_create, &on_get_pod, &on_pod_change<update_policy>, &on_pod_change<change_pod_status>,
    &on_member_change<add_member>, &on_member_change<change_member_role>, &on_remove_member,
    &on_get_member, &on_list_members, &on_pledge, &on_settle, &on_get_pledge, &on_list_pledges,
    &on_get_balance, &on_get_cycle, &on_payout, &on_idle);

template <class Handler>
bool try_handler(Handler handler, self_ptr self, caf::type_erased_tuple& in,
                 caf::result<caf::message>& out) {
  using traits = handler_traits<Handler>;
  static_assert(caf::detail::tl_contains<pod_actor::signatures, typename traits::signature>::value,
                "a pod handler that pod_actor does not declare");
  if (!in.match_elements<typename traits::input>()) return false;
  auto r = handler(self, in.get_mutable_as<typename traits::input>(0));
  out.flag = r.flag;
  out.err = std::move(r.err);
  if constexpr (requires { r.value; }) out.value = std::move(r.value);
  return true;
}

caf::result<caf::message> dispatch(caf::scheduled_actor* base, caf::message_view& msg) {
  auto self = static_cast<self_ptr>(base);
  // Every message but the router's idle check is a command it routed here.
  if (!msg.content().match_elements<idle_check>()) ++self->state.commands;
  caf::result<caf::message> out{caf::delegated<caf::message>{}};
  const bool handled = std::apply(
      [&](auto... h) { return (try_handler(h, self, msg.content(), out) || ...); }, handlers);
  if (!handled) return caf::make_error(caf::sec::unexpected_message);
  return out;
}

static_assert(std::tuple_size_v<decltype(handlers)> ==
                  caf::detail::tl_size<pod_actor::signatures>::value,
              "every pod_actor message needs a handler");

}  // namespace

pod_actor::behavior_type pod_impl(pod_actor::stateful_pointer<pod_state> self, std::string pod_id,
                                  journal_actor journal, pod_router_actor router,
                                  std::shared_ptr<const entity_options> options, pod_start start) {
  auto& st = self->state;
  st.pod_id = std::move(pod_id);
  st.journal = std::move(journal);
  st.router = std::move(router);
  st.options = std::move(options);
  touch(self);
  // Commands wait in the mailbox until the stream is replayed: `await` suspends the behaviour.
  if (start == pod_start::recover) {
    self->request(st.journal, caf::infinite, read_stream{st.pod_id})
        .await([self](persistence::stream_read& read) { recover(self, read); },
               [self](caf::error& e) { self->quit(e); });
  }
  self->set_default_handler(&dispatch);
  // Matches only a bare ok_atom, which nobody sends to a pod; it keeps the actor alive.
  static const caf::behavior shared{[](caf::ok_atom) {}};
  return pod_actor::behavior_type{pod_actor::behavior_type::unsafe_init{}, shared};
}

}  // namespace payorch::actors
