#include "actors/journal_actor.hpp"

#include <caf/all.hpp>
#include <optional>

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

void expire_queries(std::unordered_map<std::uint64_t, pending_query>& pending,
                    caf::actor_clock::time_point now, caf::timespan limit) {
  for (auto i = pending.begin(); i != pending.end();) {
    if (now - i->second.since < limit) {
      ++i;
      continue;
    }
    i->second.fail(
        make_failure(errc::storage_unavailable, "the journal writer did not answer in time"));
    i = pending.erase(i);
  }
}

/// Most rows one page carries, whatever the requester asked.
std::size_t page_rows(std::uint64_t limit) {
  return limit < persistence::max_page_rows ? static_cast<std::size_t>(limit)
                                            : persistence::max_page_rows;
}

/// Answers the requester with what `start` delivers: `start` gets a callback, callable once from
/// any thread, that takes a result<Reply>. The answer comes back through `query_completed`, so
/// the actor never waits for the store.
template <class Reply, class Start>
caf::typed_response_promise<Reply> start_answer(self_ptr self, Start start) {
  const auto ticket = self->state.next_ticket++;
  auto promise = self->make_response_promise<Reply>();
  guarded_promise<Reply> guarded{promise};
  auto answer = std::make_shared<std::optional<result<Reply>>>();
  self->state.pending_queries.emplace(
      ticket,
      pending_query{
          [guarded, answer]() mutable {
            if (!*answer) {
              guarded.deliver(make_failure(errc::internal_error, "the read left no answer"));
            } else if (!(*answer)->has_value()) {
              guarded.deliver(to_error((*answer)->error()));
            } else {
              guarded.deliver(std::move(**answer).value());
            }
          },
          [guarded](caf::error e) mutable { guarded.deliver(std::move(e)); }, self->clock().now()});
  auto me = caf::actor_cast<journal_actor>(self);
  // The callback holds only the answer's slot, never the promise: the promise must be completed
  // on the actor's thread.
  start([me, ticket, answer](result<Reply> r) {
    answer->emplace(std::move(r));
    caf::anon_send(me, query_completed{ticket});
  });
  return promise;
}

/// Runs `read` on the backend's thread and answers the requester with its result.
///
/// `read` takes the store and returns result<Reply>; it reads committed state only, on the
/// reader connection, never queued behind group commits, and is answered once what it may have
/// seen is durable.
template <class Reply, class Read>
caf::typed_response_promise<Reply> start_query(self_ptr self, Read read) {
  return start_answer<Reply>(self, [self, read = std::move(read)](auto done) mutable {
    self->state.backend->lookup(
        [done, read = std::move(read)](persistence::journal_store* store) mutable {
      if (store == nullptr) return answer_when_durable(not_running(), done);
      return answer_when_durable(read(*store), done);
        });
  });
}

/// A store read as a result of the reply type.
template <class Reply, class Rows>
result<Reply> page_of(result<Rows> rows) {
  if (!rows) return rows.error();
  return Reply{std::move(*rows)};
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
      [self](put_idempotency& req) -> caf::typed_response_promise<persistence::append_result> {
        // Answered like an append: after the batch holding it commits, through the sink.
        auto ticket = self->state.next_ticket++;
        auto promise = self->make_response_promise<persistence::append_result>();
        self->state.pending_appends.emplace(
            ticket, pending_request<persistence::append_result>{
                        guarded_promise<persistence::append_result>{promise}, self->clock().now()});
        auto sink = self->state.completions;
        self->state.backend->put_idempotency(
            std::move(req.record),
            [sink, ticket](persistence::append_result r) { sink->add(ticket, std::move(r)); });
        sink->flush();
        return promise;
      },
      [self](read_events& req) -> caf::typed_response_promise<event_page> {
        return start_query<event_page>(self, [req = std::move(req)](persistence::journal_store& s) {
          return page_of<event_page>(
              s.read_events(req.stream_id, req.after_version, page_rows(req.limit)));
        });
      },
      [self](list_streams& req) -> caf::typed_response_promise<stream_page> {
        return start_query<stream_page>(self, [req =
                                                   std::move(req)](persistence::journal_store& s) {
          return page_of<stream_page>(s.list_streams(req.prefix, req.after, page_rows(req.limit)));
        });
      },
      [self](read_ledger& req) -> caf::typed_response_promise<ledger_page> {
        return start_query<ledger_page>(
            self, [req = std::move(req)](persistence::journal_store& s) {
              return page_of<ledger_page>(
                  s.read_ledger(req.account_prefix, req.after_entry_id, page_rows(req.limit)));
            });
      },
      [self](read_balances& req) -> caf::typed_response_promise<balance_page> {
        return start_query<balance_page>(self, [req =
                                                    std::move(req)](persistence::journal_store& s) {
          return page_of<balance_page>(s.read_balances(req.account_prefix, page_rows(req.limit)));
        });
      },
      [self](get_idempotency& req) -> caf::typed_response_promise<idempotency_lookup> {
        // Look-ups waiting for the reader together are read at once (journal_backend).
        return start_answer<idempotency_lookup>(self, [self, &req](auto done) {
          self->state.backend->lookup_idempotency(
              {std::move(req.client_id), std::move(req.key)},
              [done](result<std::optional<persistence::idempotency_record>> found) mutable {
                if (!found) return done(found.error());
                idempotency_lookup lookup;
                lookup.found = found->has_value();
                if (lookup.found) lookup.record = std::move(**found);
                done(std::move(lookup));
              });
        });
      },
      [self](query_completed done) {
        auto i = self->state.pending_queries.find(done.ticket);
        if (i == self->state.pending_queries.end()) return;  // already failed by the sweep
        i->second.deliver();
        self->state.pending_queries.erase(i);
      },
      [self](caf::tick_atom) {
        auto now = self->clock().now();
        expire(self->state.pending_appends, now, self->state.answer_within);
        expire(self->state.pending_reads, now, self->state.answer_within);
        expire_queries(self->state.pending_queries, now, self->state.answer_within);
        self->delayed_send(self, sweep_every, caf::tick_atom::value);
      },
  };
}

}  // namespace payorch::actors
