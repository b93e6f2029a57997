// The write path of postgres_journal: one batch checked request by request against an in-memory
// view, then written with one multi-row statement per table.
#include <algorithm>
#include <limits>
#include <stdexcept>

#include "persistence/hash_chain.hpp"
#include "persistence/postgres/pg_journal.hpp"

namespace payorch::persistence::postgres {
namespace {

append_result storage_failure(std::string detail) {
  return {append_status::storage_error, 0, std::move(detail)};
}

/// Why PostgreSQL could not store the request's text, or "" if it can.
std::string unstorable_text(const append_request& request) {
  if (!storable_text(request.stream_id)) return "stream_id";
  for (const new_event& event : request.events) {
    if (!storable_text(event.event_type)) return "event_type";
  }
  for (const ledger_command& command : request.ledger) {
    if (!storable_text(command.transaction_id) || !storable_text(command.pending_id))
      return "ledger transaction id";
    for (const ledger_posting& posting : command.postings) {
      if (!storable_text(posting.account) || !storable_text(posting.currency))
        return "ledger account or currency";
    }
  }
  for (const outbox_message& message : request.outbox) {
    if (!storable_text(message.subject)) return "outbox subject";
  }
  if (const auto& claim = request.idempotency_claim) {
    if (claim->client_id.empty() || claim->key.empty() || !storable_text(claim->client_id) ||
        !storable_text(claim->key) || claim->expires_at_ms <= claim->created_at_ms)
      return "idempotency claim";
  }
  return {};
}

}  // namespace

void batch_writer::load_heads(std::span<const append_request> appends) {
  std::vector<std::string_view> ids;
  ids.reserve(appends.size());
  for (const append_request& request : appends) {
    if (!request.stream_id.empty() && storable_text(request.stream_id) &&
        state_.heads.try_emplace(request.stream_id, batch_state::head{0, std::string(genesis_hash)})
            .second)
      ids.push_back(request.stream_id);
  }
  if (ids.empty()) return;
  for (const auto& row : txn_.exec_prepared("heads", text_array(ids))) {
    batch_state::head& head = state_.heads[row[0].as<std::string>()];
    head.version = row[1].as<std::int64_t>();
    head.hash = row[2].as<std::string>();
  }
}

append_result batch_writer::append(const append_request& request, bool& abort) {
  if (request.stream_id.empty()) return storage_failure("invalid request: empty stream_id");
  if (std::string field = unstorable_text(request); !field.empty())
    return storage_failure("invalid request: " + field + " is not UTF-8 text without NUL");
  const auto room =
      std::numeric_limits<std::int64_t>::max() - static_cast<std::int64_t>(request.events.size());
  if (request.expected_version > room) return storage_failure("invalid request: version overflow");

  batch_state::head& head = state_.heads.find(request.stream_id)->second;
  if (head.version != request.expected_version) {
    return {append_status::version_conflict, head.version,
            "expected version " + std::to_string(request.expected_version) + " but " +
                request.stream_id + " is at " + std::to_string(head.version)};
  }
  plan p;
  if (!request.ledger.empty()) {
    outcome planned = plan_ledger(request, p);
    abort = planned.abort;
    if (planned.result) return std::move(*planned.result);
  }
  if (!request.outbox.empty()) {
    if (std::optional<append_result> refused = check_outbox(request)) {
      if (auto reused = reused_hold(request, request.ledger.size())) return std::move(*reused);
      return std::move(*refused);
    }
  }
  for (const new_event& event : request.events) {
    batch_state::event_row row;
    row.stream_id = request.stream_id;
    row.version = head.version + 1;
    row.event_type = event.event_type;
    row.payload_hex = hex_encode(event.payload);
    row.recorded_at_ms = event.recorded_at_ms;
    row.prev_hash = head.hash;
    row.hash = event_hash({row.prev_hash, row.stream_id, row.version, row.event_type,
                           row.recorded_at_ms, event.payload});
    head.version = row.version;
    head.hash = row.hash;
    state_.events.push_back(std::move(row));
  }
  if (!request.ledger.empty()) merge(request, p);
  if (!request.outbox.empty()) stage_outbox(request);
  if (request.idempotency_claim) state_.claims.push_back(&*request.idempotency_claim);
  return {append_status::committed, head.version, {}};
}

void batch_writer::merge(const append_request& request, plan& p) {
  for (auto& [id, pending] : p.pendings) state_.pendings[id] = std::move(pending);
  for (auto& [key, balance] : p.balances) {
    auto [at, inserted] = state_.balances.insert_or_assign(key, std::move(balance));
    (void)inserted;
    if (std::find(state_.dirty_balances.begin(), state_.dirty_balances.end(), at->first) ==
        state_.dirty_balances.end())
      state_.dirty_balances.push_back(at->first);
  }
  // The rows name the request's first event, as in the SQLite store.
  const std::int64_t version = request.expected_version + 1;
  const std::int64_t recorded_at_ms = request.events.front().recorded_at_ms;
  for (const ledger_command& command : request.ledger) {
    const bool creates =
        command.phase == ledger_phase::posted || command.phase == ledger_phase::pending;
    if (creates) {
      const bool pending = command.phase == ledger_phase::pending;
      std::vector<std::size_t>* indices =
          pending ? &state_.pendings[command.transaction_id]->row_indices : nullptr;
      for (const ledger_posting& posting : command.postings) {
        if (indices != nullptr) indices->push_back(state_.rows.size());
        state_.rows.push_back({command.transaction_id, posting.account, posting.currency,
                               posting.amount_minor, pending ? "PENDING" : "POSTED",
                               request.stream_id, version, recorded_at_ms});
      }
      continue;
    }
    batch_state::pending& resolved = *state_.pendings[command.pending_id];
    const std::string_view phase =
        command.phase == ledger_phase::post_pending ? "POSTED" : "VOIDED";
    if (resolved.created) {
      for (const std::size_t index : resolved.row_indices) state_.rows[index].phase = phase;
    } else {
      resolved.resolved = true;
    }
  }
}

void batch_writer::flush() {
  write_events();
  write_ledger();
  write_outbox();
  write_claims();
}

void batch_writer::write_claims() {
  // In the batch's transaction, so a key's claim or answer is stored exactly when its events
  // commit (see record_upsert_sql for a key that has a row already).
  write_records(txn_, state_.claims);
}

std::int64_t batch_writer::newest_claim_ms() const {
  std::int64_t newest = std::numeric_limits<std::int64_t>::min();
  for (const idempotency_record* claim : state_.claims)
    newest = std::max(newest, claim->created_at_ms);
  return newest;
}

void batch_writer::write_events() {
  if (state_.events.empty()) return;
  std::vector<std::string_view> streams, types, payloads, prevs, hashes;
  std::vector<std::int64_t> versions, times;
  for (const batch_state::event_row& row : state_.events) {
    streams.push_back(row.stream_id);
    versions.push_back(row.version);
    types.push_back(row.event_type);
    payloads.push_back(row.payload_hex);
    times.push_back(row.recorded_at_ms);
    prevs.push_back(row.prev_hash);
    hashes.push_back(row.hash);
  }
  txn_.exec_prepared("insert_events", text_array(streams), int_array(versions), text_array(types),
                     text_array(payloads), int_array(times), text_array(prevs), text_array(hashes));
}

void batch_writer::write_ledger() {
  if (!state_.rows.empty()) {
    std::vector<std::string_view> ids, accounts, currencies, phases, streams;
    std::vector<std::int64_t> amounts, versions, times;
    for (const batch_state::entry_row& row : state_.rows) {
      ids.push_back(row.transaction_id);
      accounts.push_back(row.account);
      currencies.push_back(row.currency);
      amounts.push_back(row.amount_minor);
      phases.push_back(row.phase);
      streams.push_back(row.stream_id);
      versions.push_back(row.stream_version);
      times.push_back(row.recorded_at_ms);
    }
    const pqxx::result inserted =
        txn_.exec_prepared("insert_entries", text_array(ids), text_array(accounts),
                           text_array(currencies), int_array(amounts), text_array(phases),
                           text_array(streams), int_array(versions), int_array(times));
    // Inserted in the order of `rows`, from a sequence that gives this session ascending values;
    // each id's row is checked by its transaction id, so a range never misses a row unnoticed.
    std::vector<std::pair<std::int64_t, std::string>> returned;
    returned.reserve(inserted.size());
    for (const auto& row : inserted)
      returned.emplace_back(row[0].as<std::int64_t>(), row[1].as<std::string>());
    std::sort(returned.begin(), returned.end());
    if (returned.size() != state_.rows.size())
      throw std::logic_error("ledger rows inserted: " + std::to_string(returned.size()) +
                             " ids returned for " + std::to_string(state_.rows.size()) + " rows");
    for (std::size_t i = 0; i < returned.size(); ++i) {
      if (returned[i].second != state_.rows[i].transaction_id)
        throw std::logic_error("ledger entry ids came back out of the rows' order");
      entry_ids_.push_back(returned[i].first);
    }
  }
  std::vector<std::string_view> created_ids, created_states, resolved_ids, resolved_states;
  std::vector<std::int64_t> created_expiry, created_first, created_last;
  for (const auto& [id, pending] : state_.pendings) {
    if (!pending) continue;
    if (pending->created) {
      // A pending transaction has postings (it balances), so it has rows, one after another.
      if (pending->row_indices.empty())
        throw std::logic_error("pending transaction " + id + " has no ledger rows");
      created_ids.push_back(id);
      created_states.push_back(pending->state);
      created_expiry.push_back(pending->expires_at_ms);
      created_first.push_back(entry_ids_.at(pending->row_indices.front()));
      created_last.push_back(entry_ids_.at(pending->row_indices.back()));
    } else if (pending->resolved) {
      resolved_ids.push_back(id);
      resolved_states.push_back(pending->state);
    }
  }
  if (!created_ids.empty()) {
    txn_.exec_prepared("insert_pendings", text_array(created_ids), text_array(created_states),
                       int_array(created_expiry), int_array(created_first),
                       int_array(created_last));
  }
  if (!resolved_ids.empty()) {
    const std::string ids = text_array(resolved_ids);
    const std::string states = text_array(resolved_states);
    txn_.exec_prepared("resolve_pendings", ids, states);
    txn_.exec_prepared("resolve_entries", ids, states);
  }
  write_balances(true);
  write_balances(false);
}

void batch_writer::write_balances(bool stored) {
  std::vector<std::string_view> accounts, currencies;
  std::vector<std::int64_t> posted, pending_in, pending_out;
  for (const batch_state::balance_key& key : state_.dirty_balances) {
    if (state_.stored_balances.contains(key) != stored) continue;
    const account_balance& balance = state_.balances.at(key);
    accounts.push_back(balance.account);
    currencies.push_back(balance.currency);
    posted.push_back(balance.posted_minor);
    pending_in.push_back(balance.pending_in_minor);
    pending_out.push_back(balance.pending_out_minor);
  }
  if (accounts.empty()) return;
  // A stored balance was locked when read, so its new figures are exact. A new one may have been
  // inserted by another process since we looked: its figures are then added to that row rather
  // than overwriting it (they are this batch's whole effect, as we started from zero).
  txn_.exec_prepared(stored ? "update_balances" : "add_balances", text_array(accounts),
                     text_array(currencies), int_array(posted), int_array(pending_in),
                     int_array(pending_out));
}

}  // namespace payorch::persistence::postgres
