#pragma once
/// The journal: an append-only, hash-chained event store with optimistic concurrency per stream.
///
/// Besides events, the journal stores the ledger (rows, pending transactions and balances, written
/// in the same transaction as the events that carry them), the outbox (messages to publish, written
/// with the events too) and idempotency records. This header holds standard-library and domain
/// types only, so any layer can include it cheaply; the SQLite backend lives behind
/// `open_sqlite_journal` and never leaks its own headers.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/ledger.hpp"
#include "domain/result.hpp"

namespace payorch::persistence {

/// The most rows one page read returns, whatever limit the caller asks for.
inline constexpr std::size_t max_page_rows = 1000;

/// The most expired idempotency records one transaction deletes (the purge runs in bounded chunks
/// so no batch's commit grows without bound).
inline constexpr std::size_t idempotency_purge_chunk = 1000;
/// The most idempotency keys one read of scan_idempotency_keys returns.
inline constexpr std::size_t idempotency_scan_chunk = 10000;

/// The most published outbox rows one purge_outbox call deletes.
inline constexpr std::size_t outbox_purge_chunk = 1000;

/// How long published outbox rows are kept by default, so a consumer can replay from a position.
inline constexpr std::int64_t default_outbox_retention_ms = 7LL * 24 * 60 * 60 * 1000;

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

/// One message to publish, written in the same transaction as its request's events: it names one
/// of them, and the row holds no copy of it (the relay reads the event with the row and renders
/// the message from it, see outbox_entry).
struct outbox_message {
  std::int64_t version = 0;  // of the request's event it announces
  std::string subject;       // where it goes, e.g. "crowdpay.crowdpod.v1.FundsPledged"
};

/// The stored first answer to a request with an Idempotency-Key, replayed for retries.
///
/// Status 0 is a claim: the key's effect is committed (its row was written in the same
/// transaction as the events), but its answer is not stored yet; a retry then runs the request
/// again and the entity finds what the key made.
struct idempotency_record {
  std::string client_id;
  std::string key;
  std::string fingerprint;  // of the first request, to tell a retry from a reuse of the key
  std::int32_t status = 0;  // HTTP status of the first answer; 0: claimed, not answered yet
  std::string content_type;
  std::string location;
  std::string body;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;  // after this the record may be purged
};

/// The (client_id, key) an idempotency look-up names.
struct idempotency_key {
  std::string client_id;
  std::string key;
};

/// Appends `events` to `stream_id` if the stream's last version is still `expected_version`.
///
/// `ledger` commands are applied in the same transaction, in order, after a check that rejects the
/// whole request (ledger_rejected, nothing written) if any is unbalanced or refers to a pending
/// transaction that is unknown, no longer pending or (for post_pending) expired. Ledger commands
/// need at least one event: their rows record the first event's version and time, and expiry is
/// judged at that time.
///
/// `outbox` messages are stored only if the request commits, in its transaction; each announces
/// one of the request's events. A message with an empty subject, or whose version is not one of
/// the request's events or is named by another message of the request too, refuses the request
/// alone with storage_error.
struct append_request {
  std::string stream_id;
  std::int64_t expected_version = 0;  // version of the last event the writer saw; 0 = new stream
  std::vector<new_event> events;      // empty: only checks the version
  std::vector<ledger_command> ledger{};
  std::vector<outbox_message> outbox{};
  /// The Idempotency-Key that asked for the append, written in the same transaction as the
  /// events: a claim (status 0), or the request's whole answer when the entity could render it
  /// (then no later put is needed, and the answer is durable exactly when the effect is). It
  /// replaces an expired record, and an answer replaces a claim of the same fingerprint; any
  /// other row of the key is kept. Malformed, the request fails alone.
  std::optional<idempotency_record> idempotency_claim{};
};

/// How one append request (or idempotency put) ended.
enum class append_status {
  committed,         // durable: the batch's transaction committed
  version_conflict,  // the stream has moved on; nothing of this request was written
  storage_error,     // the store failed (whole batch rolled back) or the request was malformed
  ledger_rejected,   // a ledger command was refused (see `reason`); nothing of this request was
                     // written
};

/// The answer to one append request.
struct append_result {
  append_status status = append_status::storage_error;
  /// committed: the new last version; version_conflict: the stream's actual last version;
  /// storage_error, ledger_rejected: 0.
  std::int64_t last_version = 0;
  std::string detail;  // human-readable reason when not committed
  /// ledger_rejected: why (ledger_unbalanced, not_found, illegal_transition, pending_expired,
  /// already_exists, amount_overflow, invalid_argument, ...); errc::ok otherwise.
  errc reason = errc::ok;
};

/// One stored ledger row: one posting of one transaction.
struct ledger_entry {
  std::int64_t entry_id = 0;  // ascending in commit order; rows are never deleted
  std::string transaction_id;
  std::string account;
  std::string currency;
  std::int64_t amount_minor = 0;  // signed: + credits the account
  std::string phase;              // "POSTED", "PENDING" or "VOIDED"
  std::string stream_id;          // the stream whose append carried the transaction
  std::int64_t stream_version = 0;
  std::int64_t recorded_at_ms = 0;
};

/// One stored outbox row, read with the event it announces.
struct outbox_entry {
  std::int64_t position = 0;  // ascending in commit order, never reused
  std::string stream_id;
  std::int64_t version = 0;
  std::string subject;
  std::string event_type;           // the event's, as journaled
  std::string payload;              // the event's, as journaled
  std::int64_t recorded_at_ms = 0;  // the event's
  std::optional<std::int64_t> published_at_ms;
  /// "<stream_id>:<version>": the message's id (the CloudEvents id, the bus's Nats-Msg-Id),
  /// unique across the store because event versions are.
  std::string message_id() const { return stream_id + ":" + std::to_string(version); }
};


/// The answers to one batch transaction: one per append request and one per idempotency put.
struct batch_results {
  std::vector<append_result> appends;
  std::vector<append_result> idempotency;  // committed or storage_error
  /// The transaction itself failed (nothing of the batch was written): the store, not a
  /// request, is at fault. Requests refused one by one leave it false.
  bool transaction_failed = false;
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

  /// Appends every request in one transaction (one fsync); a stale, ledger-rejected or malformed
  /// request (outbox messages included) fails alone.
  ///
  /// Requests for the same stream apply in order, so the second may expect the first's last
  /// version. Returns one result per request, in request order. If the transaction itself fails,
  /// every result is storage_error and nothing of the batch is written.
  std::vector<append_result> append_batch(std::span<const append_request> batch) {
    return commit_batch(batch, {}).appends;
  }

  /// Appends every request and upserts every idempotency record in one transaction (one fsync).
  ///
  /// The requests behave as in append_batch. A record replaces any stored one with the same
  /// (client_id, key); a malformed record (empty client_id or key, expiry not after creation) fails
  /// alone with storage_error. When there are records, up to idempotency_purge_chunk records that
  /// expired by the newest record's created_at_ms are deleted in the same transaction. If the
  /// transaction fails, every answer is storage_error and nothing is written.
  virtual batch_results commit_batch(std::span<const append_request> appends,
                                     std::span<const idempotency_record> records) = 0;

  /// Reads the newest snapshot of a stream and the events after it.
  virtual stream_read read_stream(std::string_view stream_id) = 0;

  /// Reads up to `limit` events with version > `after_version`, ignoring snapshots.
  ///
  /// Returns an empty vector at the end of the stream, and storage_unavailable when the store
  /// cannot be read, so a short page always means the end.
  virtual result<std::vector<event_record>> read_events(std::string_view stream_id,
                                                        std::int64_t after_version,
                                                        std::size_t limit) = 0;

  /// Stores a snapshot unless a newer one is already stored.
  ///
  /// Returns false if the snapshot is malformed (empty stream id, version < 1, version beyond the
  /// stream's last event) or the store failed.
  virtual bool save_snapshot(const snapshot_record& snapshot) = 0;

  /// Lists stream ids that start with `prefix` and sort after `after`, ordered bytewise, at most
  /// `limit`; storage_unavailable when the store cannot be read.
  virtual result<std::vector<std::string>> list_streams(std::string_view prefix,
                                                        std::string_view after,
                                                        std::size_t limit) = 0;

  /// Walks every chain, recomputing hashes and checking links and versions; stops at the first
  /// break.
  virtual verify_report verify() = 0;

  /// True when the store answers (a server store reconnects if it must); the writer asks while
  /// its last transaction failed, so readiness follows the store. An embedded store always does.
  virtual bool ping() { return true; }

  /// True if commit_batch returns once its transaction is committed but before it is durable:
  /// whoever acknowledges a batch must first call sync_committed(). The group-commit writer does
  /// that on a thread of its own, so the next batch is written while the last one syncs.
  virtual bool defers_sync() const { return false; }

  /// Makes every transaction committed so far durable. Unlike every other call, it may run on
  /// another thread while the store is in use. A store that does not defer syncs has nothing to
  /// do.
  virtual result<void> sync_committed() { return {}; }

  /// Reads ledger rows whose account starts with `account_prefix` and whose entry_id is greater
  /// than `after_entry_id`, ascending by entry_id, at most min(limit, max_page_rows).
  virtual result<std::vector<ledger_entry>> read_ledger(std::string_view account_prefix,
                                                        std::int64_t after_entry_id,
                                                        std::size_t limit) = 0;

  /// Reads the balances of accounts that start with `account_prefix`, ordered by (account,
  /// currency), at most min(limit, max_page_rows).
  virtual result<std::vector<account_balance>> read_balances(std::string_view account_prefix,
                                                             std::size_t limit) = 0;

  /// Reads the idempotency record of (client_id, key), if any. An expired record that has not been
  /// purged yet is returned too: the caller compares expires_at_ms with its own clock.
  virtual result<std::optional<idempotency_record>> get_idempotency(std::string_view client_id,
                                                                    std::string_view key) = 0;

  /// Reads the records of several keys at once (the look-ups of concurrent requests): one answer
  /// per key, in order, or one error for all. This asks get_idempotency for each key; a server
  /// store reads them all in one round trip.
  virtual result<std::vector<std::optional<idempotency_record>>> get_idempotency_records(
      std::span<const idempotency_key> keys);

  /// Calls `each` with the key and expiry of every idempotency record that expires after
  /// `now_ms`, in expiry order, until it returns false, and returns how many it was called for.
  /// Reads in chunks of idempotency_scan_chunk rows, each its own read, so a long table never
  /// pins one snapshot. The default answers storage_unavailable: a store shared by several
  /// processes has no use for it (see idempotency_filter.hpp).
  virtual result<std::size_t> scan_idempotency_keys(
      std::int64_t now_ms,
      const std::function<bool(const idempotency_key&, std::int64_t expires_at_ms)>& each);

  /// Deletes up to min(max_rows, idempotency_purge_chunk) records with expires_at_ms <= now_ms in
  /// a transaction of its own; returns how many it deleted.
  virtual result<std::size_t> purge_idempotency(std::int64_t now_ms, std::size_t max_rows) = 0;

  /// Reads outbox rows with position > `after_position` (only those not yet published if
  /// `unpublished_only`), ascending by position, at most min(limit, max_page_rows), each with its
  /// event. A row whose event is missing (the file was changed behind the store's back) fails the
  /// read with storage_unavailable naming it, rather than being skipped or sent empty.
  virtual result<std::vector<outbox_entry>> read_outbox(std::int64_t after_position,
                                                        std::size_t limit,
                                                        bool unpublished_only) = 0;

  /// Marks the rows at `positions` published at `published_at_ms`, in one transaction; returns
  /// how many changed (a row already published keeps its first time and is not counted, an
  /// unknown position is ignored).
  virtual result<std::size_t> mark_outbox_published(std::span<const std::int64_t> positions,
                                                    std::int64_t published_at_ms) = 0;

  /// Deletes up to min(max_rows, outbox_purge_chunk) published rows with published_at_ms <
  /// `published_before_ms`, oldest publication first, in a transaction of its own; returns how
  /// many it deleted. Unpublished rows are never deleted.
  virtual result<std::size_t> purge_outbox(std::int64_t published_before_ms,
                                           std::size_t max_rows) = 0;
};

/// Where and how durably the SQLite journal stores its file.
struct sqlite_options {
  std::filesystem::path file;
  /// Apply pending schema migrations on open; false: refuse to open while one is pending.
  bool apply_migrations = true;
  bool synchronous_full =
      true;  // false: synchronous=NORMAL (a power loss may drop the last commits)
  /// Write each commit's WAL frames with a few large writes instead of two per page (only with
  /// synchronous_full; see persistence/README.md). False: SQLite's own writes, for comparison.
  bool gather_wal_writes = true;
  /// With synchronous_full: commit_batch does not sync the WAL, and the store defers_sync(), so
  /// its caller syncs with sync_committed() before acknowledging (see persistence/README.md,
  /// "Syncing beside the writer"). Only the group-commit writer's store wants this.
  bool defer_sync = false;
  std::int64_t busy_timeout_ms = 5000;
  std::int64_t cache_kib =
      65536;  // page cache of the writer's connection; the unique index lives here
  /// A background thread copies the WAL into the file whenever this many new pages (64 MiB)
  /// are waiting (0: SQLite's automatic checkpoint inside the committing transaction, every 1000
  /// pages).
  std::int64_t checkpoint_pages = 16000;
  std::int64_t max_wal_pages =
      64000;  // 256 MiB: the writer checkpoints itself if the background one falls behind
};

/// Opens (creating if needed) a SQLite journal; on failure returns null and describes why in
/// `*error`.
///
/// `error` may be null.
std::unique_ptr<journal_store> open_sqlite_journal(const sqlite_options& options,
                                                   std::string* error);

/// Applies the pending schema migrations of the SQLite journal `file` (creating it if absent);
/// `report` says which were applied, or that none was pending. False with `error` naming the
/// migration that failed (it was rolled back; the ones before it stay applied).
bool migrate_sqlite(const std::filesystem::path& file, std::string* report, std::string* error);

/// Where the PostgreSQL journal connects and how long one statement may run.
struct postgres_options {
  std::string uri;  // postgresql://user@host:port/database
  /// Apply pending schema migrations on open; false: refuse to open while one is pending.
  bool apply_migrations = true;
  std::int64_t statement_timeout_ms = 5000;
};

/// Connects to PostgreSQL, applies pending migrations and prepares the statements; on failure
/// returns null and describes why in `*error` (`error` may be null).
///
/// A broken connection later makes calls answer storage errors; the next call reconnects.
std::unique_ptr<journal_store> open_postgres_journal(const postgres_options& options,
                                                     std::string* error);

/// Applies every pending schema migration, each in its own transaction with its
/// schema_migrations(version, name, applied_at) row.
///
/// Returns false if one fails: that migration is rolled back (earlier ones stay) and `*error`
/// names it. `*report` lists what was applied. Either pointer may be null.
bool migrate_postgres(const std::string& uri, std::string* report, std::string* error);

}  // namespace payorch::persistence
