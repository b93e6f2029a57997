#include "persistence/sqlite/checkpointer.hpp"

#include <sqlite3.h>

namespace payorch::persistence::sqlite {

std::unique_ptr<checkpointer> checkpointer::start(const std::string& file, bool synchronous_full,
                                                  checkpoint_limits limits, std::string* error) {
  connection_ptr db;
  const int rc = open_connection(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, db);
  if (rc != SQLITE_OK) {
    if (error != nullptr) *error = "cannot open checkpoint connection: " + last_error(db.get());
    return nullptr;
  }
  // A round's own syncs (WAL before copying, database after) follow the writer's level.
  const char* sync = synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (!exec(db.get(), sync, error)) return nullptr;
  std::unique_ptr<checkpointer> self(new checkpointer(std::move(db), limits));
  self->thread_ = std::thread([raw_self = self.get()] { raw_self->loop(); });
  return self;
}

checkpointer::~checkpointer() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void checkpointer::attach(sqlite3* writer_db) {
  sqlite3_wal_hook(writer_db, &checkpointer::wal_hook, this);
}

std::uint64_t checkpointer::checkpoints() const {
  const std::lock_guard lock(mutex_);
  return checkpoints_;
}

std::uint64_t checkpointer::forced_checkpoints() const {
  const std::lock_guard lock(mutex_);
  return forced_checkpoints_;
}

std::int64_t round_pages(const checkpoint_limits& limits, std::int64_t wal_pages) noexcept {
  return wal_pages + limits.start_pages >= limits.max_wal_pages ? limits.tail_pages
                                                                : limits.start_pages;
}

int checkpointer::wal_hook(void* self, sqlite3* writer_db, const char*, int wal_pages) {
  static_cast<checkpointer*>(self)->on_commit(writer_db, wal_pages);
  // The commit is done (durable, or synced next by sync_committed); a checkpoint problem must not
  // fail it.
  return SQLITE_OK;
}

void checkpointer::on_commit(sqlite3* writer_db, std::int64_t wal_pages) {
  if (wal_pages >= limits_.max_wal_pages) {
    checkpoint_on_writer(writer_db);
    return;
  }
  if (wal_pages < limits_.start_pages) return;
  {
    const std::lock_guard lock(mutex_);
    // A WAL shorter than what was copied has started over since; otherwise wait for enough new
    // frames that a round (two fsyncs) is worth it, and near the maximum for only a few, so the
    // rest the writer copies itself stays small.
    if (wal_pages < copied_pages_) copied_pages_ = 0;
    if (wanted_ || wal_pages - copied_pages_ < round_pages(limits_, wal_pages)) return;
    wanted_ = true;
  }
  changed_.notify_all();
}

void checkpointer::checkpoint_on_writer(sqlite3* writer_db) {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !busy_; });
    busy_ = true;
  }
  // The writer is between transactions here, so this copies every frame left and the writer's
  // next transaction starts the WAL over from its beginning.
  sqlite3_wal_checkpoint_v2(writer_db, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  {
    const std::lock_guard lock(mutex_);
    busy_ = false;
    copied_pages_ = 0;  // the writer's next transaction starts the WAL over
    ++checkpoints_;
    ++forced_checkpoints_;
  }
  changed_.notify_all();
}

void checkpointer::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || (wanted_ && !busy_); });
    if (stopping_) return;
    wanted_ = false;
    busy_ = true;
    lock.unlock();
    int log_pages = 0;
    int copied_pages = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db_.get(), "main", SQLITE_CHECKPOINT_PASSIVE,
                                             &log_pages, &copied_pages);
    lock.lock();
    busy_ = false;
    ++checkpoints_;
    // On an error (SQLITE_BUSY: a round already running elsewhere) a later commit asks again.
    if (rc == SQLITE_OK) copied_pages_ = copied_pages;
    changed_.notify_all();
  }
}

}  // namespace payorch::persistence::sqlite
