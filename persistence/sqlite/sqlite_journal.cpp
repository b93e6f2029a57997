#include "persistence/sqlite/sqlite_journal.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "persistence/hash_chain.hpp"
#include "persistence/idempotency_sql.hpp"
#include "persistence/sqlite/schema.hpp"
#include "persistence/sqlite/wal_buffer.hpp"

namespace payorch::persistence::sqlite {
namespace {

constexpr std::string_view event_columns =
    "stream_id, version, event_type, payload, recorded_at_ms, prev_hash, hash";

std::string select_from_events(std::string_view tail) {
  return "SELECT " + std::string(event_columns) + " FROM events " + std::string(tail);
}

/// The most stream heads the writer caches (about 200 bytes each).
constexpr std::size_t max_cached_heads = 16384;

append_result storage_failure(std::string detail) {
  return {append_status::storage_error, 0, std::move(detail)};
}

/// The head of the statements that write one idempotency record; bind_record fills it.
constexpr std::string_view insert_record =
    "INSERT INTO idempotency (client_id, key, fingerprint, status, content_type, location, body, "
    "created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ";

void bind_record(statement& stmt, const idempotency_record& record) {
  stmt.bind_text_view(1, record.client_id);
  stmt.bind_text_view(2, record.key);
  stmt.bind_text_view(3, record.fingerprint);
  stmt.bind_int64(4, record.status);
  stmt.bind_text_view(5, record.content_type);
  stmt.bind_text_view(6, record.location);
  stmt.bind_blob_view(7, record.body);
  stmt.bind_int64(8, record.created_at_ms);
  stmt.bind_int64(9, record.expires_at_ms);
}

std::vector<append_result> fail_all(std::size_t count, const std::string& detail) {
  return std::vector<append_result>(count, storage_failure("batch rolled back: " + detail));
}

}  // namespace

event_record event_from_row(const statement& row) {
  event_record event;
  event.stream_id = row.column_string(0);
  event.version = row.column_int64(1);
  event.event_type = row.column_string(2);
  event.payload = row.column_string(3);
  event.recorded_at_ms = row.column_int64(4);
  event.prev_hash = row.column_string(5);
  event.hash = row.column_string(6);
  return event;
}

std::unique_ptr<sqlite_journal> sqlite_journal::open(const sqlite_options& options,
                                                     std::string* error) {
  if (options.file.empty()) {
    if (error != nullptr) *error = "sqlite_options.file is empty";
    return nullptr;
  }
  // NOMUTEX: the journal is confined to one thread at a time, so SQLite's own locking is waste.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  // The writer's WAL writes gather in memory until each commit frame (see wal_buffer.hpp); only a
  // connection that wants its commits durable uses it (FULL, or NORMAL with defer_sync).
  const char* vfs =
      options.synchronous_full && options.gather_wal_writes ? wal_buffer_vfs() : nullptr;
  connection_ptr db;
  const int rc = open_connection(options.file.string(), flags, db, vfs);
  if (rc != SQLITE_OK) {
    if (error != nullptr)
      *error = "cannot open " + options.file.string() + ": " + last_error(db.get());
    return nullptr;
  }
  if (!prepare_database(db.get(), options, error)) return nullptr;
  std::unique_ptr<sqlite_journal> journal(new sqlite_journal(std::move(db)));
  if (!journal->prepare_statements(error)) return nullptr;
  if (options.defer_sync && options.synchronous_full) {
    // Migrations ran with FULL; from here a commit leaves its WAL sync to sync_committed().
    if (!exec(journal->db_.get(), "PRAGMA synchronous=NORMAL", error)) return nullptr;
    journal->defer_sync_ = true;
    // SQLite's own name for the WAL: it follows symbolic links and is absolute.
    const char* wal = sqlite3_filename_wal(sqlite3_db_filename(journal->db_.get(), "main"));
    journal->wal_path_ = wal != nullptr ? wal : options.file.string() + "-wal";
    // Opened now, while the path surely names this journal's WAL (WAL mode made it at open).
    journal->wal_fd_ = ::open(journal->wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (!sha256_available()) {
    // Found now rather than at the first append, in the writer thread.
    if (error != nullptr) *error = "OpenSSL offers no SHA-256, which the event hashes need";
    return nullptr;
  }
  if (options.checkpoint_pages > 0) {
    const checkpoint_limits limits{
        .start_pages = options.checkpoint_pages,
        .max_wal_pages = std::max(options.max_wal_pages, options.checkpoint_pages),
        .tail_pages =
            std::min<std::int64_t>(checkpoint_limits{}.tail_pages, options.checkpoint_pages)};
    journal->checkpointer_ =
        checkpointer::start(options.file.string(), options.synchronous_full, limits, error);
    if (journal->checkpointer_ == nullptr) return nullptr;
    journal->checkpointer_->attach(journal->db_.get());
  }
  return journal;
}

sqlite_journal::~sqlite_journal() {
  // The hook points at checkpointer_, which is destroyed before db_ closes; no commit may reach it
  // then.
  if (db_ != nullptr) sqlite3_wal_hook(db_.get(), nullptr, nullptr);
  if (wal_fd_ >= 0) ::close(wal_fd_);
}

bool sqlite_journal::ping() {
  return !sync_failed_.load(std::memory_order_acquire);
}

result<void> sqlite_journal::sync_committed() {
  if (!defer_sync_) return {};
  const std::lock_guard lock(wal_mutex_);
  if (!sync_failure_.empty()) return fail(errc::storage_unavailable, sync_failure_);
  // SQLite removes the WAL only when its last connection closes, after checkpointing all of it;
  // a WAL made again later is another file, so a descriptor of a removed one is reopened.
  struct stat st {};
  if (wal_fd_ >= 0 && (::fstat(wal_fd_, &st) != 0 || st.st_nlink == 0)) {
    ::close(wal_fd_);
    wal_fd_ = -1;
  }
  if (wal_fd_ < 0) {
    wal_fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (wal_fd_ < 0) {
      sync_failure_ = "cannot open " + wal_path_ + " to sync it: " + std::strerror(errno);
      sync_failed_.store(true, std::memory_order_release);
      return fail(errc::storage_unavailable, sync_failure_);
    }
  }
  // What a commit wrote is in the file when COMMIT returns (the WAL buffer writes it out with the
  // commit frame), so this covers every transaction committed before the call.
  if (::fdatasync(wal_fd_) != 0) {
    sync_failure_ = "cannot sync " + wal_path_ + ": " + std::strerror(errno);
    sync_failed_.store(true, std::memory_order_release);
    return fail(errc::storage_unavailable, sync_failure_);
  }
  return {};
}

bool sqlite_journal::prepare_statements(std::string* error) {
  sqlite3* db = db_.get();
  const auto prepare = [&](statement& target, std::string_view sql) {
    target = statement(db, sql, error);
    return target.valid();
  };
  // A zero-length BLOB sorts after every TEXT value, so binding X'' as the upper bound of
  // list_streams means "no upper bound" without a second statement.
  return prepare(begin_write_, "BEGIN IMMEDIATE") && prepare(begin_read_, "BEGIN DEFERRED") &&
         prepare(commit_, "COMMIT") && prepare(rollback_, "ROLLBACK") &&
         prepare(select_head_,
                 "SELECT version, hash FROM events WHERE stream_id = ?1 "
                 "ORDER BY version DESC LIMIT 1") &&
         prepare(insert_event_, "INSERT INTO events (" + std::string(event_columns) +
                                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)") &&
         prepare(select_events_, select_from_events("WHERE stream_id = ?1 AND version > ?2 "
                                                    "ORDER BY version LIMIT ?3")) &&
         prepare(select_snapshot_, "SELECT version, payload FROM snapshots WHERE stream_id = ?1") &&
         prepare(upsert_snapshot_,
                 "INSERT INTO snapshots (stream_id, version, payload) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, "
                 "payload = excluded.payload WHERE excluded.version >= snapshots.version") &&
         prepare(list_streams_,
                 "SELECT DISTINCT stream_id FROM events WHERE stream_id > ?1 AND "
                 "stream_id >= ?2 AND stream_id < ?3 ORDER BY stream_id LIMIT ?4") &&
         prepare(select_all_events_, select_from_events("ORDER BY stream_id, version")) &&
         prepare(store_idempotency_, std::string(insert_record) + std::string(record_upsert_sql)) &&
         prepare(
             select_idempotency_,
             "SELECT client_id, key, fingerprint, status, content_type, location, body, "
             "created_at_ms, expires_at_ms FROM idempotency WHERE client_id = ?1 AND key = ?2") &&
         prepare(purge_idempotency_,
                 "DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency "
                 "WHERE expires_at_ms <= ?1 ORDER BY expires_at_ms LIMIT ?2)") &&
         prepare_ledger_statements(error) && prepare_outbox_statements(error);
}

bool sqlite_journal::run(statement& stmt) {
  const reset_guard guard(stmt);
  return stmt.step() == step_result::done;
}

void sqlite_journal::rollback() noexcept {
  // Some errors (I/O, full disk) already rolled the transaction back; then there is nothing to do.
  if (sqlite3_get_autocommit(db_.get()) == 0) run(rollback_);
}

batch_results sqlite_journal::commit_batch(std::span<const append_request> appends,
                                           std::span<const idempotency_record> records) {
  batch_results results;
  if (appends.empty() && records.empty()) return results;
  const auto fail_batch = [&](const std::string& why) {
    return batch_results{fail_all(appends.size(), why), fail_all(records.size(), why), true};
  };
  // Once a sync failed, no later commit is known to reach the disk: refuse every batch, as the
  // writer does once its own sync fails (this one may have been another caller's, such as an
  // outbox job's). The flag is read without the mutex, which a running sync holds; the text it
  // guards is written before the flag and never again.
  if (sync_failed_.load(std::memory_order_acquire)) return fail_batch(sync_failure_);
  batch_heads_.clear();  // a failed batch's heads were never committed
  batch_first_entry_ = 0;
  if (!run(begin_write_)) return fail_batch("begin: " + last_error(db_.get()));
  results.appends.reserve(appends.size());
  // The newest record written (a put, or a claim or answer with its events), for the purge.
  std::int64_t newest_ms = std::numeric_limits<std::int64_t>::min();
  for (const append_request& request : appends) {
    request_outcome outcome = append_one(request);
    if (outcome.abort_batch) {
      rollback();
      return fail_batch(outcome.result.detail);
    }
    if (outcome.result.status == append_status::committed && request.idempotency_claim)
      newest_ms = std::max(newest_ms, request.idempotency_claim->created_at_ms);
    results.appends.push_back(std::move(outcome.result));
  }
  // One guard query for the whole batch: rows are only ever added at the end, so every row from
  // the batch's first on is one of its committed requests' (refused requests wrote none).
  if (batch_first_entry_ != 0) {
    if (std::optional<request_outcome> unbalanced = check_sums(batch_first_entry_)) {
      rollback();
      return fail_batch(unbalanced->result.detail);
    }
  }
  if (!records.empty()) {
    results.idempotency.reserve(records.size());
    for (const idempotency_record& record : records) {
      request_outcome outcome = put_one(record);
      if (outcome.abort_batch) {
        rollback();
        return fail_batch(outcome.result.detail);
      }
      if (outcome.result.status == append_status::committed)
        newest_ms = std::max(newest_ms, record.created_at_ms);
      results.idempotency.push_back(std::move(outcome.result));
    }
  }
  // Purging with the records written bounds the table by the traffic that fills it, and needs
  // no clock here. A failed purge only leaves rows for the next batch: its statement undid itself.
  if (newest_ms != std::numeric_limits<std::int64_t>::min())
    purge_expired(newest_ms, static_cast<std::int64_t>(idempotency_purge_chunk));
  if (!run(commit_)) {
    const std::string why = "commit: " + last_error(db_.get());
    rollback();
    return fail_batch(why);
  }
  for (auto& [stream_id, written] : batch_heads_)
    if (written.keep) cache_head(stream_id, std::move(written.head));
  batch_heads_.clear();
  return results;
}

sqlite_journal::request_outcome sqlite_journal::abort_with(std::string_view what) {
  return {storage_failure(std::string(what) + ": " + last_error(db_.get())), true};
}

sqlite_journal::request_outcome sqlite_journal::append_one(const append_request& request) {
  if (request.stream_id.empty())
    return {storage_failure("invalid request: empty stream_id"), false};
  const auto room =
      std::numeric_limits<std::int64_t>::max() - static_cast<std::int64_t>(request.events.size());
  if (request.expected_version > room)
    return {storage_failure("invalid request: version overflow"), false};

  // A request for a new stream (expected version 0) skips the head lookup: versions start at 1
  // without gaps, so if the stream has any event, inserting version 1 violates the unique key
  // and the request fails alone as a conflict below. Creates are most appends to new streams.
  // (A request without events only checks the version, so it still reads the head.)
  if (const auto& claim = request.idempotency_claim;
      claim && (claim->client_id.empty() || claim->key.empty() ||
                claim->expires_at_ms <= claim->created_at_ms))
    return {storage_failure("invalid request: malformed idempotency claim"), false};
  const bool new_stream = request.expected_version == 0 && !request.events.empty();
  bool cached = false;
  std::optional<stream_head> head = new_stream ? std::optional<stream_head>(stream_head{0, {}})
                                               : head_of(request.stream_id, &cached);
  if (!head) return abort_with("read head of " + request.stream_id);
  if (cached && head->version != request.expected_version) {
    // A conflict is rare: make sure it is not the cache's.
    forget_head(request.stream_id);
    head = read_head(request.stream_id);
    if (!head) return abort_with("read head of " + request.stream_id);
  }
  const auto conflict = [&](std::int64_t actual) -> request_outcome {
    return {{append_status::version_conflict, actual,
             "expected version " + std::to_string(request.expected_version) + " but " +
                 request.stream_id + " is at " + std::to_string(actual)},
            false};
  };
  if (head->version != request.expected_version) return conflict(head->version);
  // The ledger and the outbox are checked before anything of the request is written, so a
  // rejection needs no savepoint; a conflict found by the insert below also leaves the ledger and
  // the outbox untouched.
  // A create that skipped the head lookup may be stale rather than wrong (its stream exists
  // already): a refusal of its ledger or outbox reports that conflict first, as the PostgreSQL
  // store checks versions first.
  const auto stale_create_first = [&](request_outcome refused) -> request_outcome {
    if (new_stream && !refused.abort_batch) {
      const auto actual = read_head(request.stream_id);
      if (!actual) return abort_with("read head of " + request.stream_id);
      if (actual->version != 0) return conflict(actual->version);
    }
    return refused;
  };
  std::optional<ledger_plan> plan;  // engaged only for requests with a ledger: appends stay lean
  if (!request.ledger.empty()) {
    if (auto refused = plan_ledger(request, plan.emplace()))
      return stale_create_first(std::move(*refused));
  }
  if (!request.outbox.empty()) {
    if (auto refused = check_outbox(request)) return stale_create_first(std::move(*refused));
  }
  // No savepoint per request: the check above ran inside BEGIN IMMEDIATE on the only writer, so the
  // versions are free. Should the first insert still find its version taken (another process wrote
  // the file despite the lock), that one statement undid itself and nothing of the request is
  // written; a failure after that cannot be undone alone, so the whole batch goes.
  const step_result inserted = insert_events(request, *head);
  if (inserted == step_result::key_violation) {
    forget_head(request.stream_id);
    const std::optional<stream_head> now = read_head(request.stream_id);
    if (!now) return abort_with("read head of " + request.stream_id);
    return {{append_status::version_conflict, now->version,
             "version already taken in " + request.stream_id},
            false};
  }
  if (inserted != step_result::done) return abort_with("insert into " + request.stream_id);
  if (!request.events.empty()) {
    written_head& written = batch_heads_[request.stream_id];
    written.head = std::move(*head);
    // A stream this request creates is cached from its next append on (see heads_).
    if (!new_stream) written.keep = true;
  }
  if (plan) {
    if (auto failed = write_ledger(request, *plan)) return std::move(*failed);
  }
  if (!request.outbox.empty()) {
    if (auto failed = write_outbox(request)) return std::move(*failed);
  }
  if (const auto& claim = request.idempotency_claim) {
    const reset_guard guard(store_idempotency_);
    bind_record(store_idempotency_, *claim);
    if (store_idempotency_.step() != step_result::done)
      return abort_with("claim idempotency key " + claim->key);
  }
  const auto last = request.expected_version + static_cast<std::int64_t>(request.events.size());
  return {{append_status::committed, last, {}}, false};
}

sqlite_journal::request_outcome sqlite_journal::put_one(const idempotency_record& record) {
  if (record.client_id.empty() || record.key.empty())
    return {storage_failure("invalid idempotency record: empty client_id or key"), false};
  if (record.expires_at_ms <= record.created_at_ms)
    return {storage_failure("invalid idempotency record: expires before it is created"), false};
  const reset_guard guard(store_idempotency_);
  bind_record(store_idempotency_, record);
  if (store_idempotency_.step() != step_result::done)
    return abort_with("store idempotency record " + record.key);
  return {{append_status::committed, 0, {}}, false};
}

step_result sqlite_journal::insert_events(const append_request& request, stream_head& head) {
  std::string prev_hash = head.version == 0 ? std::string(genesis_hash) : std::move(head.hash);
  std::int64_t version = head.version;
  for (const new_event& event : request.events) {
    ++version;
    std::string hash = event_hash({prev_hash, request.stream_id, version, event.event_type,
                                   event.recorded_at_ms, event.payload});
    const reset_guard guard(insert_event_);
    // Every string outlives the step, and the guard clears the bindings before any of them dies.
    insert_event_.bind_text_view(1, request.stream_id);
    insert_event_.bind_int64(2, version);
    insert_event_.bind_text_view(3, event.event_type);
    insert_event_.bind_blob_view(4, event.payload);
    insert_event_.bind_int64(5, event.recorded_at_ms);
    insert_event_.bind_text_view(6, prev_hash);
    insert_event_.bind_text_view(7, hash);
    const step_result step = insert_event_.step();
    if (step != step_result::done) {
      // A later event's key violation cannot be undone without undoing the earlier ones too.
      const bool first = version == head.version + 1;
      return step == step_result::key_violation && first ? step : step_result::error;
    }
    prev_hash = std::move(hash);
  }
  head = {version, std::move(prev_hash)};
  return step_result::done;
}

std::optional<sqlite_journal::stream_head> sqlite_journal::head_of(std::string_view stream_id,
                                                                   bool* cached) {
  *cached = false;
  if (auto written = batch_heads_.find(stream_id); written != batch_heads_.end())
    return written->second.head;
  if (auto known = heads_.find(stream_id); known != heads_.end()) {
    *cached = true;
    return known->second;
  }
  // Not written by this transaction, so what the file says is committed: cache it.
  auto head = read_head(stream_id);
  if (head && head->version > 0) cache_head(stream_id, *head);
  return head;
}

void sqlite_journal::cache_head(std::string_view stream_id, stream_head head) {
  auto at = heads_.find(stream_id);
  if (at != heads_.end()) {
    at->second = std::move(head);
    return;
  }
  if (heads_.size() >= max_cached_heads) {
    // Drop the first entry of a bucket picked at random: the map's own first entry is mostly the
    // one inserted last, and dropping it would keep evicting the newest heads.
    eviction_seed_ = eviction_seed_ * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::size_t buckets = heads_.bucket_count();
    std::size_t bucket = static_cast<std::size_t>(eviction_seed_ >> 33) % buckets;
    while (heads_.bucket_size(bucket) == 0) bucket = (bucket + 1) % buckets;
    heads_.erase(heads_.find(heads_.begin(bucket)->first));
  }
  heads_.emplace(std::string(stream_id), std::move(head));
}

void sqlite_journal::forget_head(std::string_view stream_id) {
  if (auto at = heads_.find(stream_id); at != heads_.end()) heads_.erase(at);
}

std::optional<sqlite_journal::stream_head> sqlite_journal::read_head(std::string_view stream_id) {
  const reset_guard guard(select_head_);
  select_head_.bind_text_view(1, stream_id);
  switch (select_head_.step()) {
    case step_result::row:
      return stream_head{select_head_.column_int64(0), select_head_.column_string(1)};
    case step_result::done:
      return stream_head{0, std::string(genesis_hash)};
    default:
      return std::nullopt;
  }
}

}  // namespace payorch::persistence::sqlite

namespace payorch::persistence {

std::unique_ptr<journal_store> open_sqlite_journal(const sqlite_options& options,
                                                   std::string* error) {
  return sqlite::sqlite_journal::open(options, error);
}

bool migrate_sqlite(const std::filesystem::path& file, std::string* report, std::string* error) {
  sqlite::connection_ptr db;
  if (sqlite::open_connection(file.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, db) !=
      SQLITE_OK) {
    if (error) *error = "cannot open " + file.string() + ": " + sqlite::last_error(db.get());
    return false;
  }
  sqlite3_busy_timeout(db.get(), 5000);
  return sqlite::run_migrations(db.get(), sqlite::sqlite_migrations(), true, report, error);
}

}  // namespace payorch::persistence
