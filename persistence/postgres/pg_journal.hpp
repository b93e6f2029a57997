#pragma once
/// The PostgreSQL implementation of journal_store (internal; callers use open_postgres_journal).

#include <map>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/postgres/pg_text.hpp"
#include "persistence/postgres/pg_watchdog.hpp"

namespace payorch::persistence::postgres {

/// Writes `records` with one execution of the prepared `store_idempotency` (its parameters are
/// the records' nine fields as arrays). Of several records of one key it writes the first, which
/// the conflict clause would keep one statement later (one statement may not touch a row twice).
void write_records(pqxx::work& txn, std::span<const idempotency_record* const> records);

/// Deletes up to idempotency_purge_chunk records expired by `newest_ms`, the creation time of the
/// newest record the batch wrote (none: the minimum, and nothing is deleted).
void purge_records(pqxx::work& txn, std::int64_t newest_ms);

/// What one commit_batch has decided so far; flushed with a few multi-row statements at the end.
///
/// Requests are checked against this state (which caches what it read from the database), so a
/// later request of the batch sees what earlier ones did before anything is written.
struct batch_state {
  struct head {
    std::int64_t version = 0;
    std::string hash;
  };
  /// A pending transaction as the batch sees it.
  struct pending {
    std::string state = "PENDING";
    std::int64_t expires_at_ms = 0;
    std::vector<ledger_posting> postings;  // loaded on first resolve for a stored one
    bool postings_loaded = false;
    bool created = false;   // by this batch: its rows are in `rows` at `row_indices`
    bool resolved = false;  // stored, and resolved by this batch: flushed with an UPDATE
    std::vector<std::size_t> row_indices;
  };
  struct event_row {
    std::string_view stream_id;
    std::int64_t version = 0;
    std::string_view event_type;
    std::string payload_hex;
    std::int64_t recorded_at_ms = 0;
    std::string prev_hash;
    std::string hash;
  };
  struct entry_row {
    std::string_view transaction_id;
    std::string_view account;
    std::string_view currency;
    std::int64_t amount_minor = 0;
    std::string_view phase;
    std::string_view stream_id;
    std::int64_t stream_version = 0;
    std::int64_t recorded_at_ms = 0;
  };
  struct outbox_row {
    std::string_view stream_id;
    std::int64_t version = 0;
    std::string_view subject;
  };
  using balance_key = std::pair<std::string, std::string>;  // (account, currency)

  std::map<std::string, head, std::less<>> heads;
  std::map<std::string, std::optional<pending>, std::less<>> pendings;  // nullopt: none exists
  std::map<balance_key, account_balance> balances;
  std::set<balance_key> stored_balances;  // read (and locked) from the database, not new
  std::vector<balance_key> dirty_balances;
  std::vector<event_row> events;
  std::vector<entry_row> rows;
  std::vector<outbox_row> outbox;
  /// Message ids ("<stream_id>:<version>") already in the table (read only when a batch is retried
  /// after a unique violation).
  std::set<std::string, std::less<>> taken_message_ids;
  /// Ids of new holds taken to be free without reading them (a batch's first attempt).
  std::set<std::string, std::less<>> assumed_free;
  /// Idempotency keys claimed by the batch's committed requests.
  std::vector<const idempotency_record*> claims;
};

/// Registers prepared statements on a connection (libpqxx sends each to the server when it first
/// runs) and keeps their names.
struct statement_preparer {
  pqxx::connection& conn;
  std::vector<std::string>& names;
  void operator()(const char* name, const std::string& sql) const {
    conn.prepare(name, sql);
    names.emplace_back(name);
  }
};

/// Prepares the outbox statements on a new connection (pg_outbox.cpp).
void prepare_outbox_statements(const statement_preparer& prepare);

/// Prepares every statement the store runs more than once on `conn` (once per connection);
/// returns their names. libpqxx sends each to the server when it first runs.
std::vector<std::string> prepare_statements(pqxx::connection& conn);

/// Run first in every batch transaction: how the batch's statements are planned (see the .cpp).
extern const char* const batch_planning;

/// A journal in one PostgreSQL database over one connection, reconnecting after a failure.
class postgres_journal final : public journal_store {
 public:
  /// Migrates the schema, connects and prepares the statements; null with `*error` on failure.
  static std::unique_ptr<postgres_journal> open(const postgres_options& options,
                                                std::string* error);

  batch_results commit_batch(std::span<const append_request> appends,
                             std::span<const idempotency_record> records) override;
  stream_read read_stream(std::string_view stream_id) override;
  result<std::vector<event_record>> read_events(std::string_view stream_id,
                                                std::int64_t after_version,
                                                std::size_t limit) override;
  bool save_snapshot(const snapshot_record& snapshot) override;
  result<std::vector<std::string>> list_streams(std::string_view prefix, std::string_view after,
                                                std::size_t limit) override;
  verify_report verify() override;
  bool ping() override;
  result<std::vector<ledger_entry>> read_ledger(std::string_view account_prefix,
                                                std::int64_t after_entry_id,
                                                std::size_t limit) override;
  result<std::vector<account_balance>> read_balances(std::string_view account_prefix,
                                                     std::size_t limit) override;
  result<std::optional<idempotency_record>> get_idempotency(std::string_view client_id,
                                                            std::string_view key) override;
  result<std::vector<std::optional<idempotency_record>>> get_idempotency_records(
      std::span<const idempotency_key> keys) override;
  result<std::size_t> purge_idempotency(std::int64_t now_ms, std::size_t max_rows) override;
  result<std::vector<outbox_entry>> read_outbox(std::int64_t after_position, std::size_t limit,
                                                bool unpublished_only) override;
  result<std::size_t> mark_outbox_published(std::span<const std::int64_t> positions,
                                            std::int64_t published_at_ms) override;
  result<std::size_t> purge_outbox(std::int64_t published_before_ms, std::size_t max_rows) override;

 private:
  explicit postgres_journal(postgres_options options)
      : options_(std::move(options)), watchdog_(call_limit(options_)) {}

  /// How long one call may wait for the server before the watchdog cuts it off: twice the
  /// statement timeout, which the server enforces while it runs (none without one).
  static std::chrono::milliseconds call_limit(const postgres_options& options) {
    return std::chrono::milliseconds(
        options.statement_timeout_ms > 0 ? 2 * options.statement_timeout_ms : 0);
  }

  /// Connects (again) if there is no open connection; false with `*error` if that fails.
  bool ensure_connected(std::string* error);

  /// Runs `body` on the connection, turning every exception into `on_error(why)`. A connection
  /// found broken is replaced and `body` run once more: after the server came back, the first
  /// call must not fail on the connection it lost. A COMMIT cut off mid-way is never retried,
  /// since it may have landed: commit_batch answers it as a doubt, and any other body that
  /// commits fails with what it was doing (a retry would report the landed work as not done).
  template <class Body, class OnError>
  auto guarded(std::string_view what, Body&& body, OnError&& on_error)
      -> decltype(body(std::declval<pqxx::connection&>())) {
    std::string why;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!ensure_connected(&why)) break;
      try {
        const auto watched = watchdog_.arm(connection_->sock());
        return body(*connection_);
      } catch (const pqxx::in_doubt_error& e) {
        connection_.reset();
        why = std::string("the commit's outcome is unknown (it may have landed): ") + e.what();
        break;
      } catch (const pqxx::broken_connection& e) {
        connection_.reset();
        why = e.what();
      } catch (const std::exception& e) {
        why = e.what();
        if (connection_->is_open()) break;  // the statement failed, not the connection
        connection_.reset();
      }
    }
    return on_error(std::string(what) + ": " + why);
  }

  /// One attempt at a batch inside `txn`; nullopt (with `abort_reason_`) to roll it all back.
  /// A `retry` (after a unique violation) also checks outbox message ids against the table.
  std::optional<batch_results> run_batch(pqxx::work& txn, std::span<const append_request> appends,
                                         std::span<const idempotency_record> records, bool retry);

  postgres_options options_;
  connection_watchdog watchdog_;  // armed around every call, disarmed before the connection goes
  std::unique_ptr<pqxx::connection> connection_;
  std::string abort_reason_;
};

/// Checks and applies the requests of one batch to a batch_state, then writes it (pg_batch.cpp).
class batch_writer {
 public:
  explicit batch_writer(pqxx::work& txn) : txn_(txn) {}

  /// Reads the heads of every stream the batch names, with one query.
  void load_heads(std::span<const append_request> appends);
  /// Reads (and locks) every pending transaction and balance the batch's ledger commands name, with
  /// at most three queries, so checking the requests needs no further round trip (pg_ledger.cpp).
  /// Ids of new holds are read only if `read_new_holds` (the batch's second attempt); the first
  /// takes them to be free, and a stored one fails the insert, which runs the batch again.
  void prefetch_ledger(std::span<const append_request> appends, bool read_new_holds);
  /// Reads which of the batch's outbox message ids are stored already. Ids are unique by
  /// construction (they name events), so this runs only when a batch is retried after a unique
  /// violation: a stray row then refuses its request alone instead of failing the batch again.
  void load_taken_message_ids(std::span<const append_request> appends);
  /// Applies one request; `abort` is set if the whole batch must be rolled back.
  append_result append(const append_request& request, bool& abort);
  /// Writes every event, ledger row, pending transaction, balance and outbox message the batch
  /// decided on.
  void flush();
  /// The creation time of the newest claim or answer the batch wrote with its events; the
  /// minimum if none.
  std::int64_t newest_claim_ms() const;

 private:
  /// One request's ledger decisions: copies of what it touches, merged into the batch on success.
  struct plan {
    std::map<std::string, std::optional<batch_state::pending>, std::less<>> pendings;
    std::map<batch_state::balance_key, account_balance> balances;
  };
  struct outcome {
    std::optional<append_result> result;  // set: the request ends here
    bool abort = false;
  };

  outcome plan_ledger(const append_request& request, plan& p);
  outcome plan_command(const ledger_command& command, std::int64_t now_ms, plan& p);
  outcome plan_postings(const std::vector<ledger_posting>& postings, balance_effect effect,
                        plan& p);
  /// The pending transaction `id` as the batch sees it (read from the database on first use).
  std::optional<batch_state::pending>& find_pending(const std::string& id, plan& p);
  account_balance& find_balance(const ledger_posting& posting, plan& p);
  void load_postings(const std::string& id, batch_state::pending& pending);
  /// A request refused for another reason reports a reused hold id first, as the SQLite store
  /// (which reads every id) does: the already_exists refusal of the first of the request's
  /// commands up to `through` whose hold id was taken to be free but is stored.
  std::optional<append_result> reused_hold(const append_request& request, std::size_t through);
  void merge(const append_request& request, plan& p);
  /// The refusal of a request whose messages are malformed or taken; nullopt if they may go.
  std::optional<append_result> check_outbox(const append_request& request) const;
  /// Queues a committed request's messages and takes their ids.
  void stage_outbox(const append_request& request);
  void write_outbox();
  void write_claims();
  void write_events();
  void write_ledger();
  /// Writes the batch's balances that were `stored` before it (or, if false, new ones).
  void write_balances(bool stored);

  pqxx::work& txn_;
  batch_state state_;
  std::vector<std::int64_t> entry_ids_;  ///< of `state_.rows`, in their order, once inserted
};

}  // namespace payorch::persistence::postgres
