#include "actors/runtime.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "actors/errors.hpp"
#include "actors/journal_actor.hpp"
#include "actors/pod_router.hpp"
#include "actors/type_ids.hpp"
#include "config/settings.hpp"
#include "persistence/group_commit_writer.hpp"
#include "persistence/idempotency_filter.hpp"
#include "persistence/journal_lock.hpp"

namespace payorch::actors {

caf::atom_value journal_registry_name() {
  return caf::atom("journal");
}
caf::atom_value pods_registry_name() {
  return caf::atom("pods");
}

runtime_options runtime_options::from(const config::settings& s) {
  runtime_options o;
  o.journal_file = s.data_dir / "journal.sqlite";
  if (config::uses_postgres(s)) o.postgres_uri = s.storage;
  o.synchronous_full = s.journal_synchronous_full;
  o.apply_migrations = s.journal_apply_migrations;
  o.actor_threads = s.actor_threads;
  o.journal_max_batch_appends = s.journal_max_batch_appends;
  o.journal_max_wait_us = s.journal_max_wait_us;
  o.entities.idle_timeout = std::chrono::milliseconds(s.entity_idle_timeout_ms);
  o.entities.snapshot_every_events = s.snapshot_every_events;
  o.entities.max_restarts = s.supervisor_max_restarts;
  o.entities.restart_window = std::chrono::milliseconds(s.supervisor_restart_window_ms);
  o.supervision.max_restarts = s.supervisor_max_restarts;
  o.supervision.restart_window = std::chrono::milliseconds(s.supervisor_restart_window_ms);
  return o;
}

namespace {

struct runtime_config : caf::actor_system_config {
  explicit runtime_config(const runtime_options& o) {
    add_message_types<caf::id_block::payorch>();
    payorch::actors::add_error_category(*this);
    if (o.deterministic) {
      set("scheduler.policy", caf::atom("testing"));
    } else {
      // A shared queue with blocking waits: the work-stealing policy polls with sleeps, which
      // adds up to milliseconds of latency to every hop on an idle worker.
      set("scheduler.policy", caf::atom("sharing"));
      set("scheduler.max-threads", o.actor_threads);
    }
    set("logger.console", caf::atom("none"));
    set("logger.verbosity", caf::atom("quiet"));
  }
};

}  // namespace

struct actor_runtime::impl {
  explicit impl(const runtime_options& o) : options(o), cfg(o), sys(cfg) {}

  persistence::journal_lock lock;  // first: released after everything below has stopped
  runtime_options options;
  runtime_config cfg;
  caf::actor_system sys;
  std::shared_ptr<persistence::group_commit_writer> writer;
  std::shared_ptr<journal_backend> backend;
  caf::actor root;
  std::mutex fatal_mutex;
  std::function<void(std::string)> fatal;
  std::optional<std::string> early_fatal;  ///< an escalation before on_fatal was called
  bool stopped = false;
};

actor_runtime::actor_runtime(std::unique_ptr<impl> self) : impl_(std::move(self)) {}

actor_runtime::~actor_runtime() {
  stop();
}

std::unique_ptr<actor_runtime> actor_runtime::start(const runtime_options& options,
                                                    std::string* error) {
  std::unique_ptr<persistence::journal_store> store, reader;
  persistence::journal_lock lock;
  std::shared_ptr<persistence::idempotency_filter> known_keys;
  std::unique_ptr<persistence::journal_store> key_source;
  if (!options.postgres_uri.empty()) {
    // One connection for the writer thread, one for the reader thread: libpqxx connections are
    // never shared between threads.
    store = persistence::open_postgres_journal(
        {.uri = options.postgres_uri, .apply_migrations = options.apply_migrations}, error);
    if (!store) return nullptr;
    // The writer has just applied (or checked) the migrations: the reader only checks, so a
    // role allowed to read and write but not to create (journal.migrations = "check") serves.
    reader = persistence::open_postgres_journal(
        {.uri = options.postgres_uri, .apply_migrations = false}, error);
    if (!reader) return nullptr;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(options.journal_file.parent_path(), ec);
    if (ec) {
      if (error)
        *error =
            "cannot create " + options.journal_file.parent_path().string() + ": " + ec.message();
      return nullptr;
    }
    if (!options.journal_locked &&
        !persistence::journal_lock::take(options.journal_file, lock, error))
      return nullptr;
    // The writer syncs each batch on a thread of its own while it writes the next one.
    store = persistence::open_sqlite_journal({.file = options.journal_file,
                                              .apply_migrations = options.apply_migrations,
                                              .synchronous_full = options.synchronous_full,
                                              .defer_sync = true},
                                             error);
    if (!store) return nullptr;
    // A second connection serves page reads and idempotency lookups beside the writer (WAL lets
    // readers run during commits); it never checkpoints, the writer's store does. Its page cache
    // is small on purpose: every commit of the writer makes SQLite drop the reader's whole cache
    // at its next read, and dropping walks the cache's hash table, whose size follows the most
    // pages ever cached.
    reader = persistence::open_sqlite_journal(
        {.file = options.journal_file, .cache_kib = 2048, .checkpoint_pages = 0}, error);
    if (!reader) return nullptr;
    // This process alone writes the journal (the lock above), so it can know every stored
    // idempotency key and spare fresh keys their look-up. A third connection reads them once.
    known_keys = std::make_shared<persistence::idempotency_filter>();
    key_source = persistence::open_sqlite_journal(
        {.file = options.journal_file, .cache_kib = 1024, .checkpoint_pages = 0}, error);
    if (!key_source) return nullptr;
  }
  auto writer = std::make_shared<persistence::group_commit_writer>(
      std::move(store),
      persistence::writer_options{.max_batch_appends = options.journal_max_batch_appends,
                                  .max_wait_us = options.journal_max_wait_us});
  auto rt = start(
      options, make_threaded_backend(writer, std::move(reader), known_keys, std::move(key_source)));
  rt->impl_->writer = std::move(writer);
  rt->impl_->lock = std::move(lock);
  // The supervisor starts its children asynchronously; serve only once they are registered.
  for (int i = 0; i < 5000 && !rt->ready(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!rt->ready()) {
    if (error) *error = "the actors did not start within 5 s";
    return nullptr;
  }
  return rt;
}

std::unique_ptr<actor_runtime> actor_runtime::start(const runtime_options& options,
                                                    std::shared_ptr<journal_backend> backend) {
  auto self = std::make_unique<impl>(options);
  self->backend = backend;
  auto entities = options.entities;
  std::vector<child_spec> children{
      {journal_registry_name(),
       [backend,
        answer_within = caf::timespan(entities.journal_timeout)](caf::event_based_actor* sup) {
         return caf::actor_cast<caf::actor>(sup->spawn(journal_impl, backend, answer_within));
       }},
      {pods_registry_name(),
       [entities](caf::event_based_actor* sup) {
         return caf::actor_cast<caf::actor>(
             sup->spawn(pod_router_impl, journal_registry_name(), entities));
       }},
  };
  for (const auto& extra : options.extra_children) children.push_back(extra);
  self->root = spawn_supervisor(self->sys, std::move(children), options.supervision);
  auto* raw = self.get();
  self->root->attach_functor([raw](const caf::error& reason) {
    if (!reason || reason == caf::exit_reason::user_shutdown) return;
    std::lock_guard<std::mutex> guard{raw->fatal_mutex};
    if (raw->fatal)
      raw->fatal(raw->sys.render(reason));
    else
      raw->early_fatal = raw->sys.render(reason);
  });
  return std::unique_ptr<actor_runtime>(new actor_runtime(std::move(self)));
}

caf::actor_system& actor_runtime::system() {
  return impl_->sys;
}

pod_router_actor actor_runtime::pods() const {
  return impl_->sys.registry().get<pod_router_actor>(pods_registry_name());
}

saga_manager_actor actor_runtime::sagas() const {
  return impl_->sys.registry().get<saga_manager_actor>(caf::atom("sagas"));
}

journal_actor actor_runtime::journal_writer() const {
  return impl_->sys.registry().get<journal_actor>(journal_registry_name());
}

journal_health actor_runtime::journal() const {
  return impl_->backend->health();
}

void actor_runtime::put_idempotency(persistence::idempotency_record record,
                                    std::function<void(persistence::append_result)> done) const {
  impl_->backend->put_idempotency(std::move(record), std::move(done));
}

bool actor_runtime::remember_idempotency_key(const persistence::idempotency_key& key,
                                             std::int64_t expires_at_ms,
                                             std::int64_t now_ms) const {
  return impl_->backend->remember_idempotency_key(key, expires_at_ms, now_ms);
}

std::string actor_runtime::storage_name() const {
  return impl_->options.postgres_uri.empty() ? "sqlite" : "postgresql";
}

bool actor_runtime::ready() const {
  auto& reg = impl_->sys.registry();
  for (const auto& extra : impl_->options.extra_children)
    if (reg.get<caf::actor>(extra.name) == nullptr) return false;
  return reg.get<caf::actor>(journal_registry_name()) != nullptr &&
         reg.get<caf::actor>(pods_registry_name()) != nullptr && impl_->backend->health().running &&
         impl_->backend->health().store_ok;
}

void actor_runtime::on_fatal(std::function<void(std::string)> callback) {
  std::lock_guard<std::mutex> guard{impl_->fatal_mutex};
  impl_->fatal = std::move(callback);
  // The supervisor may have given up while the process was still starting.
  if (impl_->early_fatal && impl_->fatal && !impl_->stopped) {
    impl_->fatal(*impl_->early_fatal);
    impl_->early_fatal.reset();
  }
}

void actor_runtime::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  {
    std::lock_guard<std::mutex> guard{impl_->fatal_mutex};
    impl_->fatal = nullptr;
  }
  caf::anon_send_exit(impl_->root, caf::exit_reason::user_shutdown);
  impl_->root = nullptr;
  if (impl_->options.deterministic) {
    dynamic_cast<caf::scheduler::test_coordinator&>(impl_->sys.scheduler()).run();
  } else {
    impl_->sys.await_all_actors_done();
  }
  if (impl_->writer) impl_->writer->stop();
}

}  // namespace payorch::actors
