#pragma once
/// Hands a command to an actor without blocking the Asio thread that read the request.
///
/// One long-lived bridge actor per server makes the requests: the session's thread sends it a
/// job (the command and the reply callback), the bridge requests the entity and, when the reply
/// or an error arrives, calls `on_reply` on an actor thread; the exchange then posts the HTTP
/// response back to the session's executor. A bridge instead of a requester actor per request
/// saves a spawn and a termination (which costs a trip through CAF's clock thread) per request.
///
/// The client's deadline is kept by the server's deadline queue (504). The bridge's request has
/// no CAF timeout (each would cost a trip through CAF's clock thread): every entity request is
/// answered, by the entity, by CAF when the receiver is gone, or by the entity's guarded promises
/// when it stops mid-request (actors/guarded_promise.hpp).

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <chrono>
#include <functional>
#include <utility>

#include "actors/errors.hpp"
#include "domain/result.hpp"

namespace caf {
class actor_system;
}

namespace payorch::gateway {

/// Work for the bridge actor: runs on the bridge, with the bridge as `self`. Never leaves the
/// process, so it needs no serialisation.
struct bridge_job {
  std::function<void(caf::event_based_actor*)> run;
};

}  // namespace payorch::gateway

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(payorch::gateway::bridge_job)

namespace payorch::gateway {

namespace detail {

/// Runs a reply callback on the bridge; an exception (out of memory while building the response)
/// is contained, since CAF 0.17 would stop the bridge, and with it every later request.
template <class OnReply, class Result>
void call_safely(OnReply& on_reply, Result&& r) {
  try {
    on_reply(std::forward<Result>(r));
  } catch (...) {
  }
}

}  // namespace detail

/// Spawns the bridge actor of one server; it lives until the actor system shuts down.
caf::actor spawn_bridge(caf::actor_system& sys);

/// Sends `cmd` to `target` through `bridge`; `on_reply` gets the reply or the failure (on an actor
/// thread).
template <class Reply, class Handle, class Command, class OnReply>
void ask(const caf::actor& bridge, const Handle& target, Command cmd, OnReply on_reply) {
  if (!target || !bridge) {
    on_reply(
        result<Reply>(fail(errc::entity_unavailable, "the service is starting or restarting")));
    return;
  }
  caf::anon_send(bridge, bridge_job{[target, cmd = std::move(cmd), on_reply = std::move(on_reply)](
                                        caf::event_based_actor* self) mutable {
                   self->request(target, caf::infinite, std::move(cmd))
                       .then(
                           [on_reply](Reply& r) mutable {
                             detail::call_safely(on_reply, result<Reply>(std::move(r)));
                           },
                           [on_reply](caf::error& e) mutable {
                             detail::call_safely(on_reply, result<Reply>(actors::to_failure(e)));
                           });
                 }});
}

}  // namespace payorch::gateway
