#pragma once
/// Copies the WAL back into the database file on a thread of its own (internal to persistence).
///
/// SQLite's automatic checkpoint runs inside the COMMIT that crosses 1000 WAL pages, so one batch
/// in every dozen or so waited for a 4 MB copy and two extra fsyncs. Here the writer's connection
/// only reports the WAL's length after each commit (`on_commit`); a second connection copies frames
/// in PASSIVE mode, which never blocks the writer, whenever `start_pages` new frames are waiting.
/// Large rounds pay: a round writes each page once however many frames hold it, and an index page
/// dirtied by a thousand commits is then copied once instead of a thousand times (rounds of 16,000
/// frames instead of 250 took 30 % more HTTP pledges/s; see bench/README.md).
/// A PASSIVE round copies only the frames that existed when it began, and the WAL starts over from
/// its beginning only once every frame is copied, so under steady load the WAL keeps growing; when
/// it reaches `max_wal_pages` the writer copies the rest itself between two transactions and its
/// next transaction restarts the WAL. That bounds the WAL, and so recovery time and disk use. To
/// keep that rest small (a writer copying 16,000 frames stalled every request for ~80 ms), rounds
/// shrink to `tail_pages` once the WAL is within `start_pages` of the maximum. (Letting the writer
/// copy the rest as soon as it was small instead cost 3-15 ms on one batch in every ~16 and raised
/// p99 from ~4 ms to ~10 ms for no throughput gain; see bench/storage.)

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "persistence/sqlite/statement.hpp"

namespace payorch::persistence::sqlite {

/// When to checkpoint, in WAL pages (frames).
struct checkpoint_limits {
  std::int64_t start_pages = 16000;    // a background round copies this many new frames at once
  std::int64_t max_wal_pages = 64000;  // the writer copies the rest itself at this length
  std::int64_t tail_pages = 256;       // within start_pages of the maximum, rounds this small
};

/// How many new frames wait before the next background round, with the WAL `wal_pages` long:
/// `start_pages`, or `tail_pages` once the WAL is within `start_pages` of `max_wal_pages`.
std::int64_t round_pages(const checkpoint_limits& limits, std::int64_t wal_pages) noexcept;

/// Owns the checkpoint connection and its thread; the writer's connection reports to it.
class checkpointer {
 public:
  /// Opens a second connection to `file`; null with `*error` if that fails.
  static std::unique_ptr<checkpointer> start(const std::string& file, bool synchronous_full,
                                             checkpoint_limits limits, std::string* error);
  ~checkpointer();  // finishes a running round, then joins
  checkpointer(const checkpointer&) = delete;
  checkpointer& operator=(const checkpointer&) = delete;

  /// Installs the WAL hook on the writer's connection, replacing SQLite's automatic checkpoint.
  ///
  /// The hook points at this object: remove it (sqlite3_wal_hook with null) before destroying this.
  void attach(sqlite3* writer_db);

  /// Rounds completed by either thread, and those the WAL limit made the writer run.
  [[nodiscard]] std::uint64_t checkpoints() const;
  [[nodiscard]] std::uint64_t forced_checkpoints() const;

 private:
  checkpointer(connection_ptr db, checkpoint_limits limits) : db_(std::move(db)), limits_(limits) {}
  static int wal_hook(void* self, sqlite3* writer_db, const char* schema, int wal_pages);
  void on_commit(sqlite3* writer_db, std::int64_t wal_pages);
  void checkpoint_on_writer(sqlite3* writer_db);
  void loop();

  connection_ptr db_;  // used only by thread_
  const checkpoint_limits limits_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // any of the flags below changed
  bool wanted_ = false;              // guarded by mutex_: frames are waiting to be copied
  bool busy_ = false;                // guarded by mutex_: a round is running on either connection
  bool stopping_ = false;            // guarded by mutex_
  std::int64_t copied_pages_ = 0;    // guarded by mutex_: frames of the current WAL copied so far
  std::uint64_t checkpoints_ = 0;    // guarded by mutex_
  std::uint64_t forced_checkpoints_ = 0;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace payorch::persistence::sqlite
