#pragma once
/// The SQLite implementation of journal_store (internal; callers use open_sqlite_journal).

#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/sqlite/checkpointer.hpp"
#include "persistence/sqlite/statement.hpp"

namespace payorch::persistence::sqlite {

/// Builds an event from a row whose columns are the events table's, in declaration order.
event_record event_from_row(const statement& row);

/// A caller's row limit as SQLite's LIMIT, at most max_page_rows.
std::int64_t page_limit(std::size_t limit);

/// Binds `prefix` and the smallest string above every string that starts with it to parameters
/// `index` and `index + 1`, for `column >= ?index AND column < ?index+1`.
///
/// A prefix of only 0xff bytes (or an empty one) has no such string: the upper bound is then an
/// empty BLOB, which sorts after every TEXT value and so bounds nothing.
void bind_prefix_range(statement& stmt, int index, std::string_view prefix);

/// What a request's ledger commands will write, worked out (and checked) before anything is.
struct ledger_plan {
  /// A pending transaction the request creates or resolves.
  struct pending_tx {
    std::string transaction_id;
    std::string_view state = "PENDING";  // PENDING, or what a command of this request made it
    std::int64_t expires_at_ms = 0;
    std::int64_t first_entry_id = 0;  // its rows are first..last (known once inserted)
    std::int64_t last_entry_id = 0;
    /// The creating command's postings; null for a transaction stored earlier, whose postings are
    /// read into `stored` when a command resolves it.
    const std::vector<ledger_posting>* postings = nullptr;
    std::vector<ledger_posting> stored;

    const std::vector<ledger_posting>& legs() const {
      return postings != nullptr ? *postings : stored;
    }
  };
  static constexpr std::size_t none = static_cast<std::size_t>(-1);

  std::vector<pending_tx> pendings;
  std::vector<std::size_t> target;        // per command: its entry in `pendings`, or none (posted)
  std::vector<account_balance> balances;  // every balance touched, with its new figures
};

/// A journal in one SQLite file, with every statement prepared once at open.
class sqlite_journal final : public journal_store {
 public:
  /// Opens the file, applies the schema and prepares the statements; null with `*error` on failure.
  static std::unique_ptr<sqlite_journal> open(const sqlite_options& options, std::string* error);
  ~sqlite_journal() override;
  sqlite_journal(const sqlite_journal&) = delete;
  sqlite_journal& operator=(const sqlite_journal&) = delete;

  stream_read read_stream(std::string_view stream_id) override;
  result<std::vector<event_record>> read_events(std::string_view stream_id,
                                                std::int64_t after_version,
                                                std::size_t limit) override;
  bool save_snapshot(const snapshot_record& snapshot) override;
  result<std::vector<std::string>> list_streams(std::string_view prefix, std::string_view after,
                                                std::size_t limit) override;
  verify_report verify() override;
  batch_results commit_batch(std::span<const append_request> appends,
                             std::span<const idempotency_record> records) override;
  result<std::vector<ledger_entry>> read_ledger(std::string_view account_prefix,
                                                std::int64_t after_entry_id,
                                                std::size_t limit) override;
  result<std::vector<account_balance>> read_balances(std::string_view account_prefix,
                                                     std::size_t limit) override;
  result<std::optional<idempotency_record>> get_idempotency(std::string_view client_id,
                                                            std::string_view key) override;
  result<std::size_t> purge_idempotency(std::int64_t now_ms, std::size_t max_rows) override;
  result<std::size_t> scan_idempotency_keys(
      std::int64_t now_ms,
      const std::function<bool(const idempotency_key&, std::int64_t)>& each) override;
  result<std::vector<outbox_entry>> read_outbox(std::int64_t after_position, std::size_t limit,
                                                bool unpublished_only) override;
  result<std::size_t> mark_outbox_published(std::span<const std::int64_t> positions,
                                            std::int64_t published_at_ms) override;
  result<std::size_t> purge_outbox(std::int64_t published_before_ms, std::size_t max_rows) override;
  bool defers_sync() const override { return defer_sync_; }
  result<void> sync_committed() override;
  /// False once a sync failed: the file answers, but nothing more will be committed to it.
  bool ping() override;

 private:
  struct stream_head {
    std::int64_t version = 0;
    std::string hash;
  };
  /// A head written by the open transaction; `keep` once it may be cached after the commit.
  struct written_head {
    stream_head head;
    bool keep = false;
  };
  /// Hashes std::string keys and std::string_view probes alike.
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };
  template <class Value>
  using by_stream = std::unordered_map<std::string, Value, text_hash, std::equal_to<>>;
  /// One request's result, or the news that the whole batch must be rolled back.
  struct request_outcome {
    append_result result;
    bool abort_batch = false;
  };

  explicit sqlite_journal(connection_ptr db) : db_(std::move(db)) {}
  bool prepare_statements(std::string* error);
  bool prepare_ledger_statements(std::string* error);
  bool prepare_outbox_statements(std::string* error);

  request_outcome append_one(const append_request& request);
  request_outcome abort_with(std::string_view what);
  /// Upserts one idempotency record (a malformed one fails alone).
  request_outcome put_one(const idempotency_record& record);
  /// Deletes up to `max_rows` records expired by `now_ms`; the number, or -1 on a store error.
  std::int64_t purge_expired(std::int64_t now_ms, std::int64_t max_rows);

  // The ledger (sqlite_ledger.cpp). Planning reads but never writes, so a rejected request leaves
  // nothing behind; writing follows the plan after the request's events are in.
  /// Checks the request's commands against the ledger and plans their writes; a set outcome is a
  /// rejection (or a storage failure) to return instead of appending.
  std::optional<request_outcome> plan_ledger(const append_request& request, ledger_plan& plan);
  std::optional<request_outcome> plan_command(const ledger_command& command, std::int64_t now_ms,
                                              ledger_plan& plan);
  /// The index in plan.pendings of pending transaction `id`, reading it from the file if needed;
  /// ledger_plan::none if it does not exist; nullopt on a storage error.
  std::optional<std::size_t> find_pending(const std::string& id, ledger_plan& plan);
  /// The planned balance of (account, currency), read from the file on first use; null on error.
  account_balance* find_balance(const ledger_posting& posting, ledger_plan& plan);
  /// Moves the planned balances by `postings`; a set outcome is a rejection or storage failure.
  std::optional<request_outcome> plan_postings(const std::vector<ledger_posting>& postings,
                                               balance_effect effect, ledger_plan& plan);
  bool load_pending_postings(ledger_plan::pending_tx& pending);
  /// Writes what `plan` says; an error here means the batch must be rolled back.
  std::optional<request_outcome> write_ledger(const append_request& request, ledger_plan& plan);
  bool insert_rows(const append_request& request, const ledger_command& command,
                   std::string_view phase, std::int64_t& first, std::int64_t& last);
  bool insert_pending(const ledger_plan::pending_tx& pending);
  bool resolve_pending(const ledger_plan::pending_tx& pending, bool post);
  bool write_balances(const ledger_plan& plan);
  /// The SQL-side guard: every transaction's rows from `first_entry_id` on sum to 0 per currency.
  /// Run once per batch, over every row the batch wrote (`batch_first_entry_` on).
  std::optional<request_outcome> check_sums(std::int64_t first_entry_id);
  // The outbox (sqlite_outbox.cpp): checked before anything of the request is written (nothing is
  // read), written after its events and ledger rows.
  /// Refuses the request (storage_error, alone) if a message is malformed (see malformed_outbox);
  /// a set outcome is that refusal to return instead of appending.
  std::optional<request_outcome> check_outbox(const append_request& request);
  /// Inserts the request's messages; an error here means the batch must be rolled back.
  std::optional<request_outcome> write_outbox(const append_request& request);
  /// Inserts the request's events after `head` and moves `head` to the last of them: done,
  /// key_violation if the first one's version was taken (then nothing was written), or error.
  step_result insert_events(const append_request& request, stream_head& head);
  std::optional<stream_head> read_head(std::string_view stream_id);
  /// The stream's head as the open transaction sees it: written by it, cached, else read (and
  /// cached). `*cached` says whether it came from the cache, which may be stale only if another
  /// process wrote the file despite the journal lock.
  std::optional<stream_head> head_of(std::string_view stream_id, bool* cached);
  /// Caches `head` as committed, making room by dropping another entry at the bound.
  void cache_head(std::string_view stream_id, stream_head head);
  /// Drops the stream's cached head, if any.
  void forget_head(std::string_view stream_id);
  bool collect_events(std::string_view stream_id, std::int64_t after_version, std::int64_t limit,
                      std::vector<event_record>& out);
  bool run(statement& stmt);
  void rollback() noexcept;

  connection_ptr db_;
  statement begin_write_;
  statement begin_read_;
  statement commit_;
  statement rollback_;
  statement select_head_;
  statement insert_event_;
  statement select_events_;
  statement select_snapshot_;
  statement upsert_snapshot_;
  statement list_streams_;
  statement select_all_events_;
  statement insert_entry_;
  statement select_pending_;
  statement insert_pending_;
  statement resolve_pending_;
  statement select_entry_range_;
  statement set_entries_phase_;
  statement select_balance_;
  statement upsert_balance_;
  statement check_sums_;
  statement read_ledger_;        // by any account prefix, in entry order
  statement read_scope_ledger_;  // by a prefix within one account scope, through its index
  statement read_balances_;
  statement store_idempotency_;  // a claim, or an answer with its events or put after them
  statement select_idempotency_;
  statement purge_idempotency_;
  statement insert_outbox_;
  statement read_outbox_;
  statement read_outbox_unpublished_;
  statement mark_outbox_;
  statement purge_outbox_;
  // The last event's version and hash of streams written or read before, so an append to a
  // stream this writer knows needs no lookup (one b-tree descent less per append). Only this
  // connection writes events (the journal lock keeps other processes out), so an entry changes
  // only with a commit of this writer; `batch_heads_` holds the open transaction's until then.
  // A stream a request creates is not cached by that request, only once it is read or appended
  // to again, so a burst of creates (or 100,000 idle pods) does not fill it.
  by_stream<stream_head> heads_;
  by_stream<written_head> batch_heads_;
  // The first ledger row of the batch being written (0: none); reset when a batch begins.
  std::int64_t batch_first_entry_ = 0;
  std::uint64_t eviction_seed_ = 0x9e3779b97f4a7c15ULL;  // picks the bucket an eviction empties
  // With defer_sync: the connection runs synchronous=NORMAL (SQLite syncs the WAL before each
  // checkpoint and the database after it, never at a commit) and sync_committed() syncs the WAL
  // through a descriptor of its own, from whichever thread calls it.
  bool defer_sync_ = false;
  std::string wal_path_;
  std::mutex wal_mutex_;  // guards wal_fd_ and sync_failure_
  int wal_fd_ = -1;
  // Set by the first failed sync, and answered by every later one: Linux reports a write-back
  // error once per open file, so a later fdatasync could succeed over pages that were lost.
  std::string sync_failure_;
  /// Set (after sync_failure_, which then never changes) once a sync failed: read without the
  /// mutex, which a sync holds through its fdatasync, so a commit never waits behind one.
  std::atomic<bool> sync_failed_{false};
  // Declared last so it stops (and closes its connection) before the writer's connection closes.
  std::unique_ptr<checkpointer> checkpointer_;  // null: SQLite's automatic checkpoint
};

}  // namespace payorch::persistence::sqlite
