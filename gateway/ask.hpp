#pragma once
/// Hands a command to an actor without blocking the Asio thread that read the request.
///
/// A short-lived requester actor sends the command and, when the reply or an error arrives, calls
/// `on_reply` on an actor thread; the exchange then posts the HTTP response back to the session's
/// executor. The request's deadline is kept by the session's Asio timer (504), not by a CAF
/// request timeout: a CAF timeout per request costs a round trip through CAF's clock thread.
/// Entity actors always answer (their own journal calls are bounded), so the requester ends.

#include <chrono>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/errors.hpp"
#include "domain/result.hpp"

namespace payorch::gateway {

template <class Reply, class Handle, class Command, class OnReply>
void ask(caf::actor_system& sys, const Handle& target, Command cmd, OnReply on_reply) {
  if (!target) {
    on_reply(result<Reply>(fail(errc::entity_unavailable, "the service is starting or restarting")));
    return;
  }
  sys.spawn([target, cmd = std::move(cmd),
             on_reply = std::move(on_reply)](caf::event_based_actor* self) mutable {
    self->request(target, caf::infinite, std::move(cmd))
      .then([on_reply](Reply& r) mutable { on_reply(result<Reply>(std::move(r))); },
            [on_reply](caf::error& e) mutable {
              on_reply(result<Reply>(actors::to_failure(e)));
            });
  });
}

}  // namespace payorch::gateway
