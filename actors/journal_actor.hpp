#pragma once
/// Spawning the journal writer actor.

#include <caf/actor_clock.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_response_promise.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "actors/guarded_promise.hpp"
#include "actors/journal_protocol.hpp"

namespace payorch::actors {

class journal_backend;

/// A request the backend has not answered yet, and when it was handed over.
template <class T>
struct pending_request {
  guarded_promise<T> promise;
  caf::actor_clock::time_point since;
};

/// A read the backend has not answered yet, whatever its reply type.
///
/// The backend leaves the answer in memory shared with `deliver` and then sends `query_completed`;
/// the message orders the write before the actor reads it.
struct pending_query {
  std::function<void()> deliver;         // hands the backend's answer to the requester
  std::function<void(caf::error)> fail;  // answers with an error instead
  caf::actor_clock::time_point since;
};

/// Collects the answers of a batch on the writer thread and hands them to the journal actor in
/// one message when the batch is done (or at once for answers given synchronously).
class completion_sink {
 public:
  explicit completion_sink(journal_actor journal) : journal_(std::move(journal)) {}
  void add(std::uint64_t ticket, persistence::append_result result);
  void flush();

 private:
  journal_actor journal_;
  std::mutex mutex_;
  std::vector<append_completed> items_;  // guarded by mutex_
};

/// State of the journal actor: promises of requests the backend has not answered yet.
///
/// Appends and idempotency puts share `pending_appends` (both are answered with an append_result
/// through the completion sink); page reads and idempotency gets wait in `pending_queries`.
struct journal_state {
  static inline const char* name = "journal";
  std::shared_ptr<journal_backend> backend;
  caf::timespan answer_within{};
  std::shared_ptr<completion_sink> completions;
  std::uint64_t next_ticket = 1;
  std::unordered_map<std::uint64_t, pending_request<persistence::append_result>> pending_appends;
  std::unordered_map<std::uint64_t, pending_request<persistence::stream_read>> pending_reads;
  std::unordered_map<std::uint64_t, pending_query> pending_queries;
};

/// The journal actor's behaviour; it never blocks: the backend answers by message.
///
/// Every request is answered: by the backend, with `storage_unavailable` once it has waited
/// `answer_within` (a sweep every second, one timer for all requests), or with
/// `entity_unavailable` if the actor stops (guarded promises). Requesters therefore need no
/// timeout of their own.
journal_actor::behavior_type journal_impl(journal_actor::stateful_pointer<journal_state> self,
                                          std::shared_ptr<journal_backend> backend,
                                          caf::timespan answer_within);

}  // namespace payorch::actors
