#pragma once
/// The pod actor: one per live CrowdPod, the only place that pod's state lives.
///
/// Lifecycle: spawned by the pod router on first use; recovers from its journal stream (snapshot
/// plus tail) before it handles any command; answers a command only after the command's events
/// are durable; passivates after `idle_timeout` without commands. If an append fails, the actor's
/// tentative state can no longer be trusted: it answers what is in flight and then exits with an
/// error, so the router restarts it from the journal.

#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/entity_options.hpp"
#include "actors/guarded_promise.hpp"
#include "actors/journal_protocol.hpp"
#include "actors/pod_protocol.hpp"
#include "actors/pod_record.hpp"

namespace payorch::actors {

/// A reply held back until the events it reflects are durable: a read that arrived while
/// commands before it were still being committed.
struct deferred_read {
  std::int64_t version;
  std::function<void()> deliver;                  ///< sends the prepared reply
  std::function<void(const caf::error&)> refuse;  ///< sends an error instead
};

struct pod_state {
  static inline const char* name = "pod";
  std::string pod_id;
  journal_actor journal;
  pod_router_actor router;
  std::shared_ptr<const entity_options> options;  ///< the router's, shared by all its pods
  std::optional<pod_record> pod;       ///< tentative: includes events still being committed
  std::int64_t version = 0;            ///< tentative stream version
  std::int64_t committed_version = 0;  ///< highest version known durable
  std::int64_t last_snapshot_version = 0;
  std::uint32_t in_flight = 0;     ///< appends sent to the journal and not yet answered
  std::uint32_t commands = 0;      ///< commands taken (all but idle checks), for passivate_pod
  bool poisoned = false;           ///< an append failed: finish in-flight work, then restart
  /// Why: the journal (storage_unavailable, version_conflict) or the pod itself (internal_error:
  /// an event that does not apply, a ledger refusal); the router restarts only the latter.
  errc poisoned_by = errc::ok;
  bool passivation_asked = false;  ///< a passivate_pod request is outstanding
  bool passivating = false;        ///< the router agreed to forget us: exit when drained
  /// In version order. A vector, not a deque: an empty deque allocates ~600 bytes, and most
  /// pods are idle with none.
  std::vector<deferred_read> reads;
  caf::actor_clock::time_point last_active;
};

/// How a pod actor starts: by replaying its stream, or as a brand-new pod whose stream is empty.
enum class pod_start { recover, fresh };

/// `fresh` skips the journal read: the router uses it for a create with a newly generated id.
/// Safety does not rest on that guess: the first append expects version 0, so an existing stream
/// turns it into a version conflict and the actor restarts from the journal.
pod_actor::behavior_type pod_impl(pod_actor::stateful_pointer<pod_state> self, std::string pod_id,
                                  journal_actor journal, pod_router_actor router,
                                  std::shared_ptr<const entity_options> options, pod_start start);

}  // namespace payorch::actors
