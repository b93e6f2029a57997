#pragma once
/// Hands a command to an actor without blocking the Asio thread that read the request.
///
/// A short-lived requester actor sends the command and, when the reply or an error arrives, calls
/// `on_reply` on an actor thread; the exchange then posts the HTTP response back to the session's
/// executor. The client's deadline is kept by the session's Asio timer (504); the requester's own
/// timeout, a little later, only guarantees that it ends even if the entity died mid-request.

#include <chrono>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/errors.hpp"
#include "domain/result.hpp"

namespace payorch::gateway {

namespace detail {

/// The requester's body. Its inputs travel as spawn arguments rather than lambda captures:
/// CAF 0.17 dereferences a null tuple when a spawned function has no arguments.
template <class Reply, class Handle, class Command, class OnReply>
void requester(caf::event_based_actor* self, Handle target, Command cmd, caf::timespan give_up,
               OnReply on_reply) {
  self->request(target, give_up, std::move(cmd))
    .then([on_reply](Reply& r) mutable { on_reply(result<Reply>(std::move(r))); },
          [on_reply](caf::error& e) mutable { on_reply(result<Reply>(actors::to_failure(e))); });
}

}  // namespace detail

template <class Reply, class Handle, class Command, class OnReply>
void ask(caf::actor_system& sys, const Handle& target, Command cmd,
         std::chrono::milliseconds deadline, OnReply on_reply) {
  if (!target) {
    on_reply(result<Reply>(fail(errc::entity_unavailable, "the service is starting or restarting")));
    return;
  }
  caf::timespan give_up = deadline + std::chrono::seconds(1);
  sys.spawn(detail::requester<Reply, Handle, Command, OnReply>, target, std::move(cmd), give_up,
            std::move(on_reply));
}

}  // namespace payorch::gateway
