#pragma once
/// The saga actor: one per live saga, the only place that saga's record lives.
///
/// Lifecycle: spawned by the saga manager (on first use, by the resume scan, or after a
/// crash); recovers from its journal stream before it handles anything; then asks the model
/// what to do next and does it, one durable step at a time: it journals StepAttempted and runs
/// the action only once that append is committed, journals the outcome when the action's
/// `done` is called (from any thread: it only sends this actor a message), arms timers for
/// retry backoffs and wait deadlines at their journaled times. A failed append means its record
/// can no longer be trusted: it exits with an error and the manager restarts it from the
/// journal. A finished saga (or one that does not exist) passivates once its requests are
/// answered.

#include <caf/stateful_actor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "actors/journal_protocol.hpp"
#include "actors/saga_protocol.hpp"
#include "sagas/saga_model.hpp"

namespace payorch::sagas {

/// What every saga actor of one manager shares; immutable once the manager runs.
struct saga_environment {
  saga_registry definitions;
  std::function<std::int64_t()> now;  ///< Unix ms for journaled times and timer delays
};

/// The attempt whose `done` the actor is waiting for.
struct running_attempt {
  std::size_t step = 0;
  step_phase phase = step_phase::action;
  std::int64_t attempt = 0;
  std::uint64_t token = 0;
};

struct saga_state {
  static inline const char* name = "saga";
  std::string saga_id;
  std::string stream_id;
  actors::journal_actor journal;
  actors::saga_manager_actor manager;
  std::shared_ptr<const saga_environment> env;
  const saga_definition* definition = nullptr;  ///< null until the type is known
  std::optional<saga_record> record;            ///< committed state only
  std::optional<saga_listing> listing;          ///< read from the input at the first report
  std::int64_t version = 0;                     ///< stream version of `record`
  std::optional<running_attempt> running;
  std::uint64_t next_token = 0;
  std::set<std::int64_t> armed;  ///< due times of timers already set
  std::uint64_t handled = 0;     ///< requests answered (routed by the manager)
  bool passivation_asked = false;
};

actors::saga_actor::behavior_type saga_impl(actors::saga_actor::stateful_pointer<saga_state> self,
                                            std::string saga_id, actors::journal_actor journal,
                                            actors::saga_manager_actor manager,
                                            std::shared_ptr<const saga_environment> env);

}  // namespace payorch::sagas
