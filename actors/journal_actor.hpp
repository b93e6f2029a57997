#pragma once
/// Spawning the journal writer actor.

#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "actors/journal_protocol.hpp"

namespace payorch::actors {

class journal_backend;

/// State of the journal actor: promises of requests the backend has not answered yet.
struct journal_state {
  static inline const char* name = "journal";
  std::shared_ptr<journal_backend> backend;
  std::uint64_t next_ticket = 1;
  std::unordered_map<std::uint64_t, caf::typed_response_promise<persistence::append_result>>
      pending_appends;
  std::unordered_map<std::uint64_t, caf::typed_response_promise<persistence::stream_read>>
      pending_reads;
};

/// The journal actor's behaviour; it never blocks: the backend answers by message.
journal_actor::behavior_type journal_impl(journal_actor::stateful_pointer<journal_state> self,
                                          std::shared_ptr<journal_backend> backend);

}  // namespace payorch::actors
