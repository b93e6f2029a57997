#pragma once
/// The actor runtime of one process: the actor system, the root supervisor, the journal writer
/// actor and the entity routers, wired to a journal backend.
///
/// Owned by `app` (or a test fixture); the gateway gets handles from it. Handles are looked up
/// in the actor registry on each call, because a supervisor restart replaces them.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/entity_options.hpp"
#include "actors/fwd.hpp"
#include "actors/journal_backend.hpp"
#include "actors/journal_protocol.hpp"
#include "actors/pod_protocol.hpp"
#include "actors/saga_protocol.hpp"
#include "actors/supervisor.hpp"

namespace payorch::config {
struct settings;
}

namespace payorch::actors {

struct runtime_options {
  std::filesystem::path journal_file;
  /// A PostgreSQL URI: the journal lives there instead of `journal_file`.
  std::string postgres_uri;
  bool synchronous_full = true;
  /// Apply pending schema migrations when the journal opens (false: refuse to start instead).
  bool apply_migrations = true;
  /// The caller holds the SQLite journal's lock already (persistence::journal_lock) and keeps it
  /// until the runtime is gone: `payorch serve` takes it before it writes the data directory's
  /// keys. False: the runtime takes it itself.
  bool journal_locked = false;
  std::size_t actor_threads = 1;
  std::size_t journal_max_batch_appends = 256;
  std::int64_t journal_max_wait_us = 0;
  entity_options entities;
  supervisor_options supervision;
  /// More supervised children, started after the journal and the pod router (e.g. the saga
  /// manager, which the sagas library builds); `ready()` waits for each to register.
  std::vector<child_spec> extra_children;
  /// Use CAF's deterministic test_coordinator (no threads; tests drive it with run()).
  bool deterministic = false;

  /// The runtime options that `settings` describe (journal file under the data directory).
  static runtime_options from(const config::settings& settings);
};

class actor_runtime {
 public:
  /// Opens the journal, starts the writer thread and the actors; nullptr and `error` on failure.
  static std::unique_ptr<actor_runtime> start(const runtime_options& options, std::string* error);

  /// Starts the actors over a given backend (tests use an inline backend with determinism).
  static std::unique_ptr<actor_runtime> start(const runtime_options& options,
                                              std::shared_ptr<journal_backend> backend);

  ~actor_runtime();
  actor_runtime(const actor_runtime&) = delete;
  actor_runtime& operator=(const actor_runtime&) = delete;

  caf::actor_system& system();

  /// The current pod router (invalid while the supervisor is restarting it).
  pod_router_actor pods() const;

  /// The current saga manager ("sagas"; invalid when the process runs none).
  saga_manager_actor sagas() const;

  /// The current journal writer actor, for read models (events, ledger, stream lists).
  journal_actor journal_writer() const;

  /// The journal backend's figures, for health and metrics.
  journal_health journal() const;

  /// Stores an idempotency record in the next group commit, straight on the journal backend
  /// without a trip through the actors (the gateway stores one after every keyed request, and
  /// it needs no actor's ordering). `done` runs on the writer thread once the record is durable
  /// or failed; `stop()` answers every queued one. With an inline backend it runs at once.
  void put_idempotency(persistence::idempotency_record record,
                       std::function<void(persistence::append_result)> done) const;

  /// Notes, before a request under an Idempotency-Key runs, that a record of the key may be
  /// stored from now on (expiring at `expires_at_ms`). True when no record of the key that is
  /// live at `now_ms` can be in the journal, so the request may skip its look-up: only a
  /// runtime that alone writes its journal (SQLite) knows that, once it has read the stored keys.
  bool remember_idempotency_key(const persistence::idempotency_key& key, std::int64_t expires_at_ms,
                                std::int64_t now_ms) const;

  /// "sqlite" or "postgresql": where the journal lives.
  std::string storage_name() const;

  /// True when every supervised child is registered, the journal writer runs and its store
  /// answers.
  bool ready() const;

  /// Called once, from an actor thread, if the root supervisor escalates (the process must stop);
  /// at once, from the calling thread, if it escalated before the callback was set.
  void on_fatal(std::function<void(std::string)> callback);

  /// Stops the actors, then the writer thread after it committed everything queued.
  void stop();

 private:
  struct impl;
  explicit actor_runtime(std::unique_ptr<impl> self);
  std::unique_ptr<impl> impl_;
};

/// Registry names of the supervised children.
caf::atom_value journal_registry_name();
caf::atom_value pods_registry_name();

}  // namespace payorch::actors
