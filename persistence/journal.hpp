#pragma once
/// The journal: an append-only, hash-chained event store with optimistic concurrency per stream.
///
/// This header holds only standard-library types so that any layer can include it cheaply; the
/// SQLite backend lives behind `open_sqlite_journal` and never leaks its own headers.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace payorch::persistence {

/// One event a writer wants to append; the store assigns its version and hashes.
struct new_event {
  std::string event_type;
  std::string payload;  // opaque bytes (usually JSON); stored as a BLOB
  std::int64_t recorded_at_ms = 0;
};

/// One stored event, as read back from the journal.
struct event_record {
  std::string stream_id;
  std::int64_t version = 0;  // 1, 2, ... without gaps within a stream
  std::string event_type;
  std::string payload;
  std::int64_t recorded_at_ms = 0;
  std::string prev_hash;  // hash of version - 1, or 64 '0's for version 1
  std::string hash;       // lowercase hex SHA-256, see hash_chain.hpp
};

/// Appends `events` to `stream_id` if the stream's last version is still `expected_version`.
struct append_request {
  std::string stream_id;
  std::int64_t expected_version = 0;  // version of the last event the writer saw; 0 = new stream
  std::vector<new_event> events;      // empty: only checks the version
};

/// How one append request ended.
enum class append_status {
  committed,         // durable: the batch's transaction committed
  version_conflict,  // the stream has moved on; nothing of this request was written
  storage_error,     // the store failed (whole batch rolled back) or the request was malformed
};

/// The answer to one append request.
struct append_result {
  append_status status = append_status::storage_error;
  /// committed: the new last version; version_conflict: the stream's actual last version;
  /// storage_error: 0 (unknown).
  std::int64_t last_version = 0;
  std::string detail;  // human-readable reason when not committed
};

/// A stream's folded state at `version`; events up to and including `version` are covered.
struct snapshot_record {
  std::string stream_id;
  std::int64_t version = 0;
  std::string payload;
};

/// A stream as needed for recovery: the newest snapshot (if any) plus every later event.
struct stream_read {
  bool ok = false;
  std::string detail;  // why not ok
  std::optional<snapshot_record> snapshot;
  std::vector<event_record> events;  // events after the snapshot's version (all if none)
};

/// The outcome of walking every hash chain in the journal.
struct verify_report {
  bool ok = false;
  std::int64_t streams_checked = 0;
  std::int64_t events_checked = 0;           // events found intact before the first broken one
  std::optional<event_record> first_broken;  // the first event whose link, hash or version is wrong
  std::string detail;
};

/// A blocking journal backend; one instance is only ever used from one thread at a time.
class journal_store {
 public:
  virtual ~journal_store() = default;

  /// Appends every request in one transaction (one fsync); a stale request fails alone.
  ///
  /// Requests for the same stream apply in order, so the second may expect the first's last
  /// version. Returns one result per request, in request order. If the transaction itself fails,
  /// every result is storage_error and nothing of the batch is written.
  virtual std::vector<append_result> append_batch(std::span<const append_request> batch) = 0;

  /// Reads the newest snapshot of a stream and the events after it.
  virtual stream_read read_stream(std::string_view stream_id) = 0;

  /// Reads up to `limit` events with version > `after_version`, ignoring snapshots.
  ///
  /// Returns an empty vector on a storage error as well as at the end of the stream.
  virtual std::vector<event_record> read_events(std::string_view stream_id,
                                                std::int64_t after_version, std::size_t limit) = 0;

  /// Stores a snapshot unless a newer one is already stored.
  ///
  /// Returns false if the snapshot is malformed (empty stream id, version < 1, version beyond the
  /// stream's last event) or the store failed.
  virtual bool save_snapshot(const snapshot_record& snapshot) = 0;

  /// Lists stream ids that start with `prefix` and sort after `after`, ordered bytewise, at most
  /// `limit`.
  virtual std::vector<std::string> list_streams(std::string_view prefix, std::string_view after,
                                                std::size_t limit) = 0;

  /// Walks every chain, recomputing hashes and checking links and versions; stops at the first
  /// break.
  virtual verify_report verify() = 0;
};

/// Where and how durably the SQLite journal stores its file.
struct sqlite_options {
  std::filesystem::path file;
  bool synchronous_full =
      true;  // false: synchronous=NORMAL (a power loss may drop the last commits)
  std::int64_t busy_timeout_ms = 5000;
  std::int64_t cache_kib =
      65536;  // page cache of the writer's connection; the unique index lives here
  /// A background thread checkpoints the WAL once it holds this many pages (0: SQLite's automatic
  /// checkpoint inside the committing transaction, every 1000 pages).
  std::int64_t checkpoint_pages = 1000;
  std::int64_t max_wal_pages =
      16000;  // the writer checkpoints itself if the background one falls behind
};

/// Opens (creating if needed) a SQLite journal; on failure returns null and describes why in
/// `*error`.
///
/// `error` may be null.
std::unique_ptr<journal_store> open_sqlite_journal(const sqlite_options& options,
                                                   std::string* error);

}  // namespace payorch::persistence
