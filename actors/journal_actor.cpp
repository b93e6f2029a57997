#include "actors/journal_actor.hpp"

#include <caf/all.hpp>

#include "actors/journal_backend.hpp"

namespace payorch::actors {

namespace {

using self_ptr = journal_actor::stateful_pointer<journal_state>;

/// How often requests are checked against `answer_within`.
constexpr auto sweep_every = std::chrono::seconds(1);

/// Fails every request that has waited longer than `answer_within` (the writer is stuck).
template <class Map>
void expire(Map& pending, caf::actor_clock::time_point now, caf::timespan limit) {
  for (auto i = pending.begin(); i != pending.end();) {
    if (now - i->second.since < limit) {
      ++i;
      continue;
    }
    i->second.promise.deliver(
        make_failure(errc::storage_unavailable, "the journal writer did not answer in time"));
    i = pending.erase(i);
  }
}

}  // namespace

void completion_sink::add(std::uint64_t ticket, persistence::append_result result) {
  const std::lock_guard<std::mutex> lock(mutex_);
  items_.push_back({ticket, std::move(result)});
}

void completion_sink::flush() {
  appends_completed batch;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (items_.empty()) return;
    batch.items.swap(items_);
  }
  caf::anon_send(journal_, std::move(batch));
}

journal_actor::behavior_type journal_impl(journal_actor::stateful_pointer<journal_state> self,
                                          std::shared_ptr<journal_backend> backend,
                                          caf::timespan answer_within) {
  self->state.backend = std::move(backend);
  self->state.answer_within = answer_within;
  self->state.completions = std::make_shared<completion_sink>(caf::actor_cast<journal_actor>(self));
  self->state.backend->after_batch([sink = self->state.completions] { sink->flush(); });
  self->delayed_send(self, sweep_every, caf::tick_atom::value);
  return {
      [self](persistence::append_request& req)
          -> caf::typed_response_promise<persistence::append_result> {
        auto ticket = self->state.next_ticket++;
        auto promise = self->make_response_promise<persistence::append_result>();
        self->state.pending_appends.emplace(
            ticket, pending_request<persistence::append_result>{
                        guarded_promise<persistence::append_result>{promise}, self->clock().now()});
        auto sink = self->state.completions;
        self->state.backend->submit(std::move(req), [sink, ticket](persistence::append_result r) {
          sink->add(ticket, std::move(r));
        });
        // Answers given at once (a refused submit, an inline backend) go out now; the writer
        // thread flushes the others after each batch.
        sink->flush();
        return promise;
      },
      [self](read_stream& req) -> caf::typed_response_promise<persistence::stream_read> {
        auto ticket = self->state.next_ticket++;
        auto promise = self->make_response_promise<persistence::stream_read>();
        self->state.pending_reads.emplace(
            ticket, pending_request<persistence::stream_read>{
                        guarded_promise<persistence::stream_read>{promise}, self->clock().now()});
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
      [self](appends_completed& batch) {
        for (auto& done : batch.items) {
          auto i = self->state.pending_appends.find(done.ticket);
          if (i == self->state.pending_appends.end()) continue;
          i->second.promise.deliver(std::move(done.result));
          self->state.pending_appends.erase(i);
        }
      },
      [self](read_completed& done) {
        auto i = self->state.pending_reads.find(done.ticket);
        if (i == self->state.pending_reads.end()) return;
        i->second.promise.deliver(std::move(done.result));
        self->state.pending_reads.erase(i);
      },
      [self](caf::tick_atom) {
        auto now = self->clock().now();
        expire(self->state.pending_appends, now, self->state.answer_within);
        expire(self->state.pending_reads, now, self->state.answer_within);
        self->delayed_send(self, sweep_every, caf::tick_atom::value);
      },
  };
}

}  // namespace payorch::actors
