// The ledger checks of postgres_journal's batches, the same rules as the SQLite store's.
//
// A request's commands are planned on copies of what they touch (read from the database on first
// use, then cached by the batch), so a rejected request changes nothing and needs no savepoint.
// No statement here can fail on a user's input: a failing statement would abort the whole batch.
#include <set>

#include "persistence/postgres/pg_journal.hpp"

namespace payorch::persistence::postgres {
namespace {

append_result rejection(const failure& why) {
  std::string detail = why.detail;
  if (!why.param.empty()) detail += " (" + why.param + ")";
  return {append_status::ledger_rejected, 0, std::move(detail), why.code};
}

append_result storage_failure_for(std::string detail) {
  return {append_status::storage_error, 0, std::move(detail)};
}

/// What the batch's ledger commands name: transaction ids to read, ids of new holds taken to be
/// free, and (account, currency) pairs.
struct ledger_names {
  std::set<std::string_view> ids;
  std::set<std::string_view> new_holds;
  std::set<std::pair<std::string_view, std::string_view>> balances;
};

ledger_names names_of(std::span<const append_request> appends, bool read_new_holds) {
  ledger_names names;
  for (const append_request& request : appends) {
    for (const ledger_command& command : request.ledger) {
      const bool creates =
          command.phase == ledger_phase::posted || command.phase == ledger_phase::pending;
      const std::string& id = creates ? command.transaction_id : command.pending_id;
      // Text PostgreSQL cannot take would fail the query; its request is refused later anyway.
      if (!storable_text(id)) {
      } else if (command.phase == ledger_phase::pending && !read_new_holds) {
        names.new_holds.insert(id);
      } else {
        names.ids.insert(id);
      }
      for (const ledger_posting& posting : command.postings) {
        if (storable_text(posting.account) && storable_text(posting.currency))
          names.balances.emplace(posting.account, posting.currency);
      }
    }
  }
  return names;
}

}  // namespace

void batch_writer::prefetch_ledger(std::span<const append_request> appends, bool read_new_holds) {
  ledger_names names = names_of(appends, read_new_holds);
  // A new hold's id is taken to be free: its row's primary key refuses it otherwise, and the batch
  // then runs again reading it (postgres_journal::commit_batch), which refuses that request alone.
  for (const std::string_view id : names.new_holds) {
    if (names.ids.contains(id)) continue;
    state_.pendings.try_emplace(std::string(id));
    state_.assumed_free.emplace(id);
  }
  if (!names.ids.empty()) {
    const std::vector<std::string_view> ids(names.ids.begin(), names.ids.end());
    for (const std::string_view id : ids) state_.pendings.try_emplace(std::string(id));
    std::vector<std::string_view> open_ids;
    for (const auto& row : txn_.exec_prepared("prefetch_pendings", text_array(ids))) {
      auto& stored = state_.pendings[row[0].as<std::string>()].emplace();
      stored.state = row[1].as<std::string>();
      stored.expires_at_ms = row[2].as<std::int64_t>();
      if (stored.state == "PENDING") {
        stored.postings_loaded = true;
        open_ids.push_back(state_.pendings.find(row[0].c_str())->first);
      }
    }
    if (!open_ids.empty()) {
      for (const auto& row : txn_.exec_prepared("prefetch_pending_rows", text_array(open_ids))) {
        auto& stored = *state_.pendings.find(row[0].c_str())->second;
        stored.postings.push_back(
            {row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::int64_t>()});
      }
      // Resolving one moves the balances of its rows' accounts.
      for (const std::string_view id : open_ids) {
        for (const ledger_posting& posting : state_.pendings.find(id)->second->postings)
          names.balances.emplace(posting.account, posting.currency);
      }
    }
  }
  if (names.balances.empty()) return;
  std::vector<std::string_view> accounts, currencies;
  for (const auto& [account, currency] : names.balances) {
    accounts.push_back(account);
    currencies.push_back(currency);
    batch_state::balance_key key{std::string(account), std::string(currency)};
    state_.balances.try_emplace(key, account_balance{key.first, key.second});
  }
  for (const auto& row : txn_.exec_prepared("prefetch_balances", text_array(accounts),
                                            text_array(currencies))) {
    batch_state::balance_key key{row[0].as<std::string>(), row[1].as<std::string>()};
    account_balance& balance = state_.balances[key];
    state_.stored_balances.insert(std::move(key));
    balance.posted_minor = row[2].as<std::int64_t>();
    balance.pending_in_minor = row[3].as<std::int64_t>();
    balance.pending_out_minor = row[4].as<std::int64_t>();
  }
}

batch_writer::outcome batch_writer::plan_ledger(const append_request& request, plan& p) {
  if (request.events.empty()) {
    return {rejection(
                fail(errc::invalid_argument, "ledger commands need an event to carry them", "events")),
            false};
  }
  // Expiry is judged at the time the carrying event records, never by a clock of the store's.
  const std::int64_t now_ms = request.events.front().recorded_at_ms;
  for (std::size_t i = 0; i < request.ledger.size(); ++i) {
    outcome refused = plan_command(request.ledger[i], now_ms, p);
    if (!refused.result) continue;
    if (refused.abort) return refused;
    if (auto reused = reused_hold(request, i)) return {std::move(reused)};
    if (refused.result->status == append_status::ledger_rejected)
      refused.result->detail = "ledger[" + std::to_string(i) + "]: " + refused.result->detail;
    return refused;
  }
  return {};
}

std::optional<append_result> batch_writer::reused_hold(const append_request& request,
                                                       std::size_t through) {
  for (std::size_t i = 0; i <= through && i < request.ledger.size(); ++i) {
    const ledger_command& command = request.ledger[i];
    if (command.phase != ledger_phase::pending) continue;
    const auto assumed = state_.assumed_free.find(command.transaction_id);
    if (assumed == state_.assumed_free.end()) continue;
    state_.assumed_free.erase(assumed);
    const std::string& id = command.transaction_id;
    const pqxx::result rows = txn_.exec_prepared("select_pending", id);
    if (rows.empty()) continue;  // free indeed
    auto& stored = state_.pendings[id].emplace();
    stored.state = rows[0][0].as<std::string>();
    stored.expires_at_ms = rows[0][1].as<std::int64_t>();
    append_result refused = rejection(
        fail(errc::already_exists, "transaction " + id + " already exists", "transaction_id"));
    refused.detail = "ledger[" + std::to_string(i) + "]: " + refused.detail;
    return refused;
  }
  return std::nullopt;
}

batch_writer::outcome batch_writer::plan_command(const ledger_command& command,
                                                 std::int64_t now_ms, plan& p) {
  if (status checked = check_balanced(command); !checked) return {rejection(checked.error())};
  const bool creates =
      command.phase == ledger_phase::posted || command.phase == ledger_phase::pending;
  const std::string& id = creates ? command.transaction_id : command.pending_id;
  std::optional<batch_state::pending>& found = find_pending(id, p);

  if (creates) {
    if (found) {
      return {rejection(
          fail(errc::already_exists, "transaction " + id + " already exists", "transaction_id"))};
    }
    const bool pending = command.phase == ledger_phase::pending;
    if (pending && command.expires_at_ms != 0 && command.expires_at_ms <= now_ms) {
      return {rejection(fail(errc::invalid_argument,
                             "the pending transaction " + id + " would expire before it is recorded",
                             "expires_at_ms"))};
    }
    if (pending) {
      batch_state::pending& created = found.emplace();
      created.expires_at_ms = command.expires_at_ms;
      created.postings = command.postings;
      created.postings_loaded = true;
      created.created = true;
    }
    return plan_postings(command.postings, pending ? balance_effect::hold : balance_effect::post,
                         p);
  }

  if (!found) return {rejection(fail(errc::not_found, "no pending transaction " + id, "pending_id"))};
  batch_state::pending& pending = *found;
  if (pending.state != "PENDING") {
    return {rejection(fail(errc::illegal_transition,
                           "transaction " + id + " is already " + pending.state, "pending_id"))};
  }
  const bool post = command.phase == ledger_phase::post_pending;
  // Voiding an expired transaction is how it expires; only posting it is too late.
  if (post && pending.expires_at_ms != 0 && now_ms >= pending.expires_at_ms) {
    return {rejection(fail(errc::pending_expired,
                           "transaction " + id + " expired at " +
                               std::to_string(pending.expires_at_ms) + " ms",
                           "pending_id"))};
  }
  if (!pending.postings_loaded) load_postings(id, pending);
  // A pending transaction without rows means the tables were changed behind the store's back.
  if (pending.postings.empty())
    return {storage_failure_for("pending transaction " + id + " has no PENDING rows"), true};
  pending.state = post ? "POSTED" : "VOIDED";
  const std::vector<ledger_posting> legs = pending.postings;
  return plan_postings(legs, post ? balance_effect::settle : balance_effect::release, p);
}

batch_writer::outcome batch_writer::plan_postings(const std::vector<ledger_posting>& postings,
                                                  balance_effect effect, plan& p) {
  for (const ledger_posting& posting : postings) {
    account_balance& balance = find_balance(posting, p);
    if (status applied = apply_posting(balance, effect, posting.amount_minor); !applied)
      return {rejection(applied.error())};
  }
  return {};
}

std::optional<batch_state::pending>& batch_writer::find_pending(const std::string& id, plan& p) {
  if (auto planned = p.pendings.find(id); planned != p.pendings.end()) return planned->second;
  auto known = state_.pendings.find(id);
  if (known == state_.pendings.end()) {
    std::optional<batch_state::pending> stored;
    const pqxx::result rows = txn_.exec_prepared("select_pending", id);
    if (!rows.empty()) {
      stored.emplace();
      stored->state = rows[0][0].as<std::string>();
      stored->expires_at_ms = rows[0][1].as<std::int64_t>();
    }
    known = state_.pendings.emplace(id, std::move(stored)).first;
  }
  return p.pendings.emplace(id, known->second).first->second;
}

void batch_writer::load_postings(const std::string& id, batch_state::pending& pending) {
  for (const auto& row : txn_.exec_prepared("select_pending_rows", id)) {
    pending.postings.push_back(
        {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::int64_t>()});
  }
  pending.postings_loaded = true;
}

account_balance& batch_writer::find_balance(const ledger_posting& posting, plan& p) {
  batch_state::balance_key key{posting.account, posting.currency};
  if (auto planned = p.balances.find(key); planned != p.balances.end()) return planned->second;
  auto known = state_.balances.find(key);
  if (known == state_.balances.end()) {
    account_balance balance{posting.account, posting.currency};
    const pqxx::result rows = txn_.exec_prepared("select_balance", posting.account, posting.currency);
    if (!rows.empty()) {
      state_.stored_balances.insert(key);
      balance.posted_minor = rows[0][0].as<std::int64_t>();
      balance.pending_in_minor = rows[0][1].as<std::int64_t>();
      balance.pending_out_minor = rows[0][2].as<std::int64_t>();
    }
    known = state_.balances.emplace(key, std::move(balance)).first;
  }
  return p.balances.emplace(std::move(key), known->second).first->second;
}

}  // namespace payorch::persistence::postgres
