#include "actors/journal_actor.hpp"

#include <caf/all.hpp>

#include "actors/journal_backend.hpp"

namespace payorch::actors {

journal_actor::behavior_type journal_impl(journal_actor::stateful_pointer<journal_state> self,
                                          std::shared_ptr<journal_backend> backend) {
  self->state.backend = std::move(backend);
  return {
      [self](persistence::append_request& req)
          -> caf::typed_response_promise<persistence::append_result> {
        auto ticket = self->state.next_ticket++;
        auto promise = self->make_response_promise<persistence::append_result>();
        self->state.pending_appends.emplace(ticket, promise);
        auto me = caf::actor_cast<journal_actor>(self);
        self->state.backend->submit(std::move(req), [me, ticket](persistence::append_result r) {
          caf::anon_send(me, append_completed{ticket, std::move(r)});
        });
        return promise;
      },
      [self](read_stream& req) -> caf::typed_response_promise<persistence::stream_read> {
        auto ticket = self->state.next_ticket++;
        auto promise = self->make_response_promise<persistence::stream_read>();
        self->state.pending_reads.emplace(ticket, promise);
        auto me = caf::actor_cast<journal_actor>(self);
        self->state.backend->read(std::move(req.stream_id),
                                  [me, ticket](persistence::stream_read r) {
                                    caf::anon_send(me, read_completed{ticket, std::move(r)});
                                  });
        return promise;
      },
      [self](persistence::snapshot_record& snap) {
        self->state.backend->snapshot(std::move(snap));
      },
      [self](append_completed& done) {
        auto i = self->state.pending_appends.find(done.ticket);
        if (i == self->state.pending_appends.end()) return;
        i->second.deliver(std::move(done.result));
        self->state.pending_appends.erase(i);
      },
      [self](read_completed& done) {
        auto i = self->state.pending_reads.find(done.ticket);
        if (i == self->state.pending_reads.end()) return;
        i->second.deliver(std::move(done.result));
        self->state.pending_reads.erase(i);
      },
  };
}

}  // namespace payorch::actors
