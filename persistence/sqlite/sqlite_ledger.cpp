// The ledger side of sqlite_journal: checking and writing the ledger commands of an append, and the
// ledger reads.
//
// A request's commands are planned first: every rule is checked against the file (read inside the
// batch's write transaction, so earlier requests of the batch count) and against what earlier
// commands of the same request did, and the new balances are computed with overflow checks. Only a
// request whose plan holds writes anything, so a rejection needs no savepoint. Before the batch
// commits, one query checks that every transaction it wrote sums to zero per currency: a guard
// against a bug in this code, at the cost of one rowid range scan over rows still in the cache.
#include <sqlite3.h>

#include <algorithm>
#include <string>

#include "domain/utf8.hpp"
#include "persistence/sqlite/schema.hpp"
#include "persistence/sqlite/sqlite_journal.hpp"

namespace payorch::persistence::sqlite {
namespace {

constexpr std::string_view entry_columns =
    "entry_id, transaction_id, account, currency, amount_minor, phase, stream_id, "
    "stream_version, recorded_at_ms";

/// The refusal of one request because of one of its ledger commands.
append_result rejection(const failure& why) {
  std::string detail = why.detail;
  if (!why.param.empty()) detail += " (" + why.param + ")";
  return {append_status::ledger_rejected, 0, std::move(detail), why.code};
}

append_result storage_failure(std::string detail) {
  return {append_status::storage_error, 0, std::move(detail)};
}

/// The stored state text as a view of a literal, so a plan can hold it without owning it.
std::string_view state_literal(const std::string& stored) {
  if (stored == "POSTED") return "POSTED";
  if (stored == "VOIDED") return "VOIDED";
  return "PENDING";
}

ledger_entry entry_from_row(const statement& row) {
  ledger_entry entry;
  entry.entry_id = row.column_int64(0);
  entry.transaction_id = row.column_string(1);
  entry.account = row.column_string(2);
  entry.currency = row.column_string(3);
  entry.amount_minor = row.column_int64(4);
  entry.phase = row.column_string(5);
  entry.stream_id = row.column_string(6);
  entry.stream_version = row.column_int64(7);
  entry.recorded_at_ms = row.column_int64(8);
  return entry;
}

}  // namespace

bool sqlite_journal::prepare_ledger_statements(std::string* error) {
  sqlite3* db = db_.get();
  const auto prepare = [&](statement& target, std::string_view sql) {
    target = statement(db, sql, error);
    return target.valid();
  };
  // A read by a prefix inside one scope names the scope index, so it walks that scope's rows in
  // entry order from the cursor; a shorter prefix has no index and walks the ledger in entry
  // order.
  return prepare(insert_entry_,
                 "INSERT INTO ledger_entries (transaction_id, account, currency, amount_minor, "
                 "phase, stream_id, stream_version, recorded_at_ms) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") &&
         prepare(select_pending_,
                 "SELECT state, expires_at_ms, first_entry_id, last_entry_id FROM ledger_pending "
                 "WHERE transaction_id = ?1") &&
         prepare(insert_pending_,
                 "INSERT INTO ledger_pending (transaction_id, state, expires_at_ms, "
                 "first_entry_id, last_entry_id) VALUES (?1, 'PENDING', ?2, ?3, ?4)") &&
         prepare(resolve_pending_,
                 "UPDATE ledger_pending SET state = ?2 WHERE transaction_id = ?1 AND "
                 "state = 'PENDING'") &&
         prepare(select_entry_range_,
                 "SELECT account, currency, amount_minor FROM ledger_entries "
                 "WHERE entry_id BETWEEN ?1 AND ?2 ORDER BY entry_id") &&
         prepare(set_entries_phase_,
                 "UPDATE ledger_entries SET phase = ?3 WHERE entry_id BETWEEN ?1 AND ?2 AND "
                 "phase = 'PENDING'") &&
         prepare(select_balance_,
                 "SELECT posted_minor, pending_in_minor, pending_out_minor FROM ledger_balances "
                 "WHERE account = ?1 AND currency = ?2") &&
         prepare(upsert_balance_,
                 "INSERT INTO ledger_balances (account, currency, posted_minor, pending_in_minor, "
                 "pending_out_minor) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account, currency) "
                 "DO UPDATE SET posted_minor = excluded.posted_minor, "
                 "pending_in_minor = excluded.pending_in_minor, "
                 "pending_out_minor = excluded.pending_out_minor") &&
         prepare(check_sums_,
                 "SELECT transaction_id, currency FROM ledger_entries WHERE entry_id >= ?1 "
                 "GROUP BY transaction_id, currency HAVING sum(amount_minor) <> 0 LIMIT 1") &&
         prepare(read_scope_ledger_, "SELECT " + std::string(entry_columns) +
                                         " FROM ledger_entries INDEXED BY ledger_entries_by_scope "
                                         "WHERE " +
                                         std::string(ledger_scope_sql) +
                                         " = ?1 AND account >= ?2 AND account < ?3 AND "
                                         "entry_id > ?4 ORDER BY entry_id LIMIT ?5") &&
         prepare(read_ledger_, "SELECT " + std::string(entry_columns) +
                                   " FROM ledger_entries WHERE entry_id > ?3 AND account >= ?1 "
                                   "AND account < ?2 ORDER BY entry_id LIMIT ?4") &&
         prepare(read_balances_,
                 "SELECT account, currency, posted_minor, pending_in_minor, pending_out_minor "
                 "FROM ledger_balances WHERE account >= ?1 AND account < ?2 "
                 "ORDER BY account, currency LIMIT ?3");
}

// ---- planning: reads only ----

std::optional<sqlite_journal::request_outcome> sqlite_journal::plan_ledger(
    const append_request& request, ledger_plan& plan) {
  if (request.events.empty()) {
    return request_outcome{rejection(fail(errc::invalid_argument,
                                          "ledger commands need an event to carry them", "events")),
                           false};
  }
  // The scope index (ledger_scope_sql) measures accounts with SQLite's text functions, which stop
  // at a NUL and count characters of invalid UTF-8 differently from the bytes ledger_scope counts:
  // such an account would be filed under another scope and missed by reads by prefix. PostgreSQL
  // cannot store either in text, so both stores refuse them.
  for (const ledger_command& command : request.ledger) {
    for (const ledger_posting& posting : command.postings) {
      if (!is_utf8_text(posting.account))
        return request_outcome{
            storage_failure("invalid request: ledger account is not UTF-8 text without NUL"),
            false};
    }
  }
  // Expiry is judged at the time the carrying event records, never by a clock of the store's.
  const std::int64_t now_ms = request.events.front().recorded_at_ms;
  plan.target.reserve(request.ledger.size());
  for (std::size_t i = 0; i < request.ledger.size(); ++i) {
    std::optional<request_outcome> refused = plan_command(request.ledger[i], now_ms, plan);
    if (!refused) continue;
    if (refused->result.status == append_status::ledger_rejected)
      refused->result.detail = "ledger[" + std::to_string(i) + "]: " + refused->result.detail;
    return refused;
  }
  return std::nullopt;
}

std::optional<sqlite_journal::request_outcome> sqlite_journal::plan_command(
    const ledger_command& command, std::int64_t now_ms, ledger_plan& plan) {
  if (status checked = check_balanced(command); !checked)
    return request_outcome{rejection(checked.error()), false};
  const bool creates =
      command.phase == ledger_phase::posted || command.phase == ledger_phase::pending;
  const std::string& id = creates ? command.transaction_id : command.pending_id;
  const std::optional<std::size_t> found = find_pending(id, plan);
  if (!found) return abort_with("read pending transaction " + id);

  if (creates) {
    // Posted transaction ids are not indexed; only a pending transaction's id is known to be free.
    if (*found != ledger_plan::none)
      return request_outcome{
          rejection(fail(errc::already_exists, "transaction " + id + " already exists",
                         "transaction_id")),
          false};
    const bool pending = command.phase == ledger_phase::pending;
    if (pending && command.expires_at_ms != 0 && command.expires_at_ms <= now_ms)
      return request_outcome{
          rejection(fail(errc::invalid_argument,
                         "the pending transaction " + id + " would expire before it is recorded",
                         "expires_at_ms")),
          false};
    std::size_t target = ledger_plan::none;
    if (pending) {
      target = plan.pendings.size();
      ledger_plan::pending_tx created;
      created.transaction_id = id;
      created.expires_at_ms = command.expires_at_ms;
      created.postings = &command.postings;
      plan.pendings.push_back(std::move(created));
    }
    plan.target.push_back(target);
    return plan_postings(command.postings, pending ? balance_effect::hold : balance_effect::post,
                         plan);
  }

  if (*found == ledger_plan::none)
    return request_outcome{
        rejection(fail(errc::not_found, "no pending transaction " + id, "pending_id")), false};
  ledger_plan::pending_tx& pending = plan.pendings[*found];
  if (pending.state != "PENDING")
    return request_outcome{
        rejection(fail(errc::illegal_transition,
                       "transaction " + id + " is already " + std::string(pending.state),
                       "pending_id")),
        false};
  const bool post = command.phase == ledger_phase::post_pending;
  // Voiding an expired transaction is how it expires; only posting it is too late.
  if (post && pending.expires_at_ms != 0 && now_ms >= pending.expires_at_ms)
    return request_outcome{rejection(fail(errc::pending_expired,
                                          "transaction " + id + " expired at " +
                                              std::to_string(pending.expires_at_ms) + " ms",
                                          "pending_id")),
                           false};
  if (pending.postings == nullptr && pending.stored.empty() && !load_pending_postings(pending))
    return abort_with("read rows of pending transaction " + id);
  pending.state = post ? "POSTED" : "VOIDED";
  plan.target.push_back(*found);
  return plan_postings(plan.pendings[*found].legs(),
                       post ? balance_effect::settle : balance_effect::release, plan);
}

std::optional<sqlite_journal::request_outcome> sqlite_journal::plan_postings(
    const std::vector<ledger_posting>& postings, balance_effect effect, ledger_plan& plan) {
  for (const ledger_posting& posting : postings) {
    account_balance* balance = find_balance(posting, plan);
    if (balance == nullptr) return abort_with("read balance of " + posting.account);
    if (status applied = apply_posting(*balance, effect, posting.amount_minor); !applied)
      return request_outcome{rejection(applied.error()), false};
  }
  return std::nullopt;
}

std::optional<std::size_t> sqlite_journal::find_pending(const std::string& id, ledger_plan& plan) {
  for (std::size_t i = 0; i < plan.pendings.size(); ++i) {
    if (plan.pendings[i].transaction_id == id) return i;
  }
  const reset_guard guard(select_pending_);
  select_pending_.bind_text_view(1, id);
  switch (select_pending_.step()) {
    case step_result::row: {
      ledger_plan::pending_tx stored;
      stored.transaction_id = id;
      stored.state = state_literal(select_pending_.column_string(0));
      stored.expires_at_ms = select_pending_.column_int64(1);
      stored.first_entry_id = select_pending_.column_int64(2);
      stored.last_entry_id = select_pending_.column_int64(3);
      plan.pendings.push_back(std::move(stored));
      return plan.pendings.size() - 1;
    }
    case step_result::done:
      return ledger_plan::none;
    default:
      return std::nullopt;
  }
}

bool sqlite_journal::load_pending_postings(ledger_plan::pending_tx& pending) {
  const reset_guard guard(select_entry_range_);
  select_entry_range_.bind_int64(1, pending.first_entry_id);
  select_entry_range_.bind_int64(2, pending.last_entry_id);
  for (;;) {
    switch (select_entry_range_.step()) {
      case step_result::row:
        pending.stored.push_back({select_entry_range_.column_string(0),
                                  select_entry_range_.column_string(1),
                                  select_entry_range_.column_int64(2)});
        break;
      case step_result::done:
        // Fewer rows than the range names means the file was changed behind the store's back.
        return static_cast<std::int64_t>(pending.stored.size()) ==
               pending.last_entry_id - pending.first_entry_id + 1;
      default:
        return false;
    }
  }
}

account_balance* sqlite_journal::find_balance(const ledger_posting& posting, ledger_plan& plan) {
  for (account_balance& balance : plan.balances) {
    if (balance.account == posting.account && balance.currency == posting.currency) return &balance;
  }
  account_balance balance{posting.account, posting.currency};
  const reset_guard guard(select_balance_);
  select_balance_.bind_text_view(1, posting.account);
  select_balance_.bind_text_view(2, posting.currency);
  const step_result step = select_balance_.step();
  if (step == step_result::row) {
    balance.posted_minor = select_balance_.column_int64(0);
    balance.pending_in_minor = select_balance_.column_int64(1);
    balance.pending_out_minor = select_balance_.column_int64(2);
  } else if (step != step_result::done) {
    return nullptr;
  }
  return &plan.balances.emplace_back(std::move(balance));
}

// ---- writing: after the request's events ----

std::optional<sqlite_journal::request_outcome> sqlite_journal::write_ledger(
    const append_request& request, ledger_plan& plan) {
  for (std::size_t i = 0; i < request.ledger.size(); ++i) {
    const ledger_command& command = request.ledger[i];
    const std::size_t target = plan.target[i];
    switch (command.phase) {
      case ledger_phase::posted:
      case ledger_phase::pending: {
        const bool pending = command.phase == ledger_phase::pending;
        std::int64_t first = 0;
        std::int64_t last = 0;
        if (!insert_rows(request, command, pending ? "PENDING" : "POSTED", first, last))
          return abort_with("insert ledger rows of " + command.transaction_id);
        if (batch_first_entry_ == 0) batch_first_entry_ = first;
        if (!pending) break;
        ledger_plan::pending_tx& created = plan.pendings[target];
        created.first_entry_id = first;
        created.last_entry_id = last;
        if (!insert_pending(created))
          return abort_with("insert pending transaction " + command.transaction_id);
        break;
      }
      case ledger_phase::post_pending:
      case ledger_phase::void_pending:
        if (!resolve_pending(plan.pendings[target], command.phase == ledger_phase::post_pending))
          return abort_with("resolve pending transaction " + command.pending_id);
        break;
    }
  }
  if (!write_balances(plan)) return abort_with("write ledger balances");
  return std::nullopt;
}

bool sqlite_journal::insert_rows(const append_request& request, const ledger_command& command,
                                 std::string_view phase, std::int64_t& first, std::int64_t& last) {
  // The rows name the request's first event: its version is expected + 1 once the events are in.
  const std::int64_t version = request.expected_version + 1;
  const std::int64_t recorded_at_ms = request.events.front().recorded_at_ms;
  for (const ledger_posting& posting : command.postings) {
    const reset_guard guard(insert_entry_);
    insert_entry_.bind_text_view(1, command.transaction_id);
    insert_entry_.bind_text_view(2, posting.account);
    insert_entry_.bind_text_view(3, posting.currency);
    insert_entry_.bind_int64(4, posting.amount_minor);
    insert_entry_.bind_text_view(5, phase);
    insert_entry_.bind_text_view(6, request.stream_id);
    insert_entry_.bind_int64(7, version);
    insert_entry_.bind_int64(8, recorded_at_ms);
    if (insert_entry_.step() != step_result::done) return false;
    last = sqlite3_last_insert_rowid(db_.get());
    if (first == 0) first = last;
  }
  // ledger_pending finds a transaction's rows by their range, so they must be consecutive; they
  // are, as the only writer appends them in one go, unless the rowid space ran out.
  return last - first + 1 == static_cast<std::int64_t>(command.postings.size());
}

bool sqlite_journal::insert_pending(const ledger_plan::pending_tx& pending) {
  const reset_guard guard(insert_pending_);
  insert_pending_.bind_text_view(1, pending.transaction_id);
  insert_pending_.bind_int64(2, pending.expires_at_ms);
  insert_pending_.bind_int64(3, pending.first_entry_id);
  insert_pending_.bind_int64(4, pending.last_entry_id);
  return insert_pending_.step() == step_result::done;
}

bool sqlite_journal::resolve_pending(const ledger_plan::pending_tx& pending, bool post) {
  const std::string_view state = post ? "POSTED" : "VOIDED";
  {
    const reset_guard guard(resolve_pending_);
    resolve_pending_.bind_text_view(1, pending.transaction_id);
    resolve_pending_.bind_text_view(2, state);
    if (resolve_pending_.step() != step_result::done || sqlite3_changes(db_.get()) != 1)
      return false;
  }
  const reset_guard guard(set_entries_phase_);
  set_entries_phase_.bind_int64(1, pending.first_entry_id);
  set_entries_phase_.bind_int64(2, pending.last_entry_id);
  set_entries_phase_.bind_text_view(3, state);
  if (set_entries_phase_.step() != step_result::done) return false;
  return sqlite3_changes(db_.get()) == pending.last_entry_id - pending.first_entry_id + 1;
}

bool sqlite_journal::write_balances(const ledger_plan& plan) {
  for (const account_balance& balance : plan.balances) {
    const reset_guard guard(upsert_balance_);
    upsert_balance_.bind_text_view(1, balance.account);
    upsert_balance_.bind_text_view(2, balance.currency);
    upsert_balance_.bind_int64(3, balance.posted_minor);
    upsert_balance_.bind_int64(4, balance.pending_in_minor);
    upsert_balance_.bind_int64(5, balance.pending_out_minor);
    if (upsert_balance_.step() != step_result::done) return false;
  }
  return true;
}

std::optional<sqlite_journal::request_outcome> sqlite_journal::check_sums(
    std::int64_t first_entry_id) {
  const reset_guard guard(check_sums_);
  check_sums_.bind_int64(1, first_entry_id);
  switch (check_sums_.step()) {
    case step_result::done:
      return std::nullopt;
    case step_result::row:
      // The plan said balanced; rows that are not mean a bug here, and nothing of it may commit.
      return request_outcome{
          storage_failure("ledger guard: transaction " + check_sums_.column_string(0) +
                          " is unbalanced in " + check_sums_.column_string(1)),
          true};
    default:
      return abort_with("ledger guard");
  }
}

// ---- reads ----

result<std::vector<ledger_entry>> sqlite_journal::read_ledger(std::string_view account_prefix,
                                                              std::int64_t after_entry_id,
                                                              std::size_t limit) {
  std::vector<ledger_entry> entries;
  if (limit == 0) return entries;
  // Every account under a prefix with two ':' shares the prefix's scope.
  const bool scoped = std::count(account_prefix.begin(), account_prefix.end(), ':') >= 2;
  statement& read = scoped ? read_scope_ledger_ : read_ledger_;
  const reset_guard guard(read);
  int next = 1;
  if (scoped) read.bind_text_view(next++, ledger_scope(account_prefix));
  bind_prefix_range(read, next, account_prefix);
  read.bind_int64(next + 2, after_entry_id);
  read.bind_int64(next + 3, page_limit(limit));
  for (;;) {
    switch (read.step()) {
      case step_result::row:
        entries.push_back(entry_from_row(read));
        break;
      case step_result::done:
        return entries;
      default:
        return fail(errc::storage_unavailable, "read ledger: " + last_error(db_.get()));
    }
  }
}

result<std::vector<account_balance>> sqlite_journal::read_balances(std::string_view account_prefix,
                                                                   std::size_t limit) {
  std::vector<account_balance> balances;
  if (limit == 0) return balances;
  const reset_guard guard(read_balances_);
  bind_prefix_range(read_balances_, 1, account_prefix);
  read_balances_.bind_int64(3, page_limit(limit));
  for (;;) {
    switch (read_balances_.step()) {
      case step_result::row:
        balances.push_back({read_balances_.column_string(0), read_balances_.column_string(1),
                            read_balances_.column_int64(2), read_balances_.column_int64(3),
                            read_balances_.column_int64(4)});
        break;
      case step_result::done:
        return balances;
      default:
        return fail(errc::storage_unavailable, "read balances: " + last_error(db_.get()));
    }
  }
}

}  // namespace payorch::persistence::sqlite
