#pragma once
/// The journal writer actor's protocol: entity actors append events (with their ledger commands)
/// and read their streams here; the gateway reads pages (events, streams, ledger rows, balances)
/// and stores idempotency records.
///
/// The journal actor owns a `journal_backend` (the group-commit writer thread in production, an
/// inline store in deterministic tests). It holds each requester's promise until the backend says
/// the batch holding the request is durable, so a reply always means "committed". Reads run on the
/// backend's thread after everything submitted before them, never on the actor's.

#include <caf/atom.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "domain/ledger.hpp"
#include "persistence/journal.hpp"

namespace payorch {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger_posting& x) {
  return f(caf::meta::type_name("ledger_posting"), x.account, x.currency, x.amount_minor);
}

/// ledger_phase travels as its underlying integer (CAF 0.17.6 serialises enums natively).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger_command& x) {
  return f(caf::meta::type_name("ledger_command"), x.transaction_id, x.phase, x.postings,
           x.expires_at_ms, x.pending_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account_balance& x) {
  return f(caf::meta::type_name("account_balance"), x.account, x.currency, x.posted_minor,
           x.pending_in_minor, x.pending_out_minor);
}

}  // namespace payorch

namespace payorch::persistence {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, new_event& x) {
  return f(caf::meta::type_name("new_event"), x.event_type, x.payload, x.recorded_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_record& x) {
  return f(caf::meta::type_name("event_record"), x.stream_id, x.version, x.event_type, x.payload,
           x.recorded_at_ms, x.prev_hash, x.hash);
}


template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_result& x) {
  return f(caf::meta::type_name("append_result"), x.status, x.last_version, x.detail, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger_entry& x) {
  return f(caf::meta::type_name("ledger_entry"), x.entry_id, x.transaction_id, x.account,
           x.currency, x.amount_minor, x.phase, x.stream_id, x.stream_version, x.recorded_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idempotency_record& x) {
  return f(caf::meta::type_name("idempotency_record"), x.client_id, x.key, x.fingerprint, x.status,
           x.content_type, x.location, x.body, x.created_at_ms, x.expires_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outbox_message& x) {
  return f(caf::meta::type_name("outbox_message"), x.version, x.subject);
}

/// Every member, so an append that crosses nodes keeps its outbox and its idempotency claim
/// (CAF 0.17 has no std::optional: the claim travels as a flag and a record).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_request& x) {
  bool has_claim = x.idempotency_claim.has_value();
  idempotency_record claim = has_claim ? *x.idempotency_claim : idempotency_record{};
  return f(caf::meta::type_name("append_request"), x.stream_id, x.expected_version, x.events,
           x.ledger, x.outbox, has_claim, claim, caf::meta::load_callback([&]() -> caf::error {
             if (has_claim)
               x.idempotency_claim = std::move(claim);
             else
               x.idempotency_claim.reset();
             return caf::none;
           }));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_record& x) {
  return f(caf::meta::type_name("snapshot_record"), x.stream_id, x.version, x.payload);
}

/// CAF 0.17 cannot serialise std::optional, so the snapshot travels as a list of zero or one.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_read& x) {
  std::vector<snapshot_record> snapshots;
  if (x.snapshot) snapshots.push_back(*x.snapshot);
  auto restore = caf::meta::load_callback([&]() -> caf::error {
    x.snapshot.reset();
    if (!snapshots.empty()) x.snapshot = std::move(snapshots.front());
    return caf::none;
  });
  return f(caf::meta::type_name("stream_read"), x.ok, x.detail, snapshots, restore, x.events);
}

}  // namespace payorch::persistence

namespace payorch::actors {

/// Asks for a stream's snapshot and the events after it.
struct read_stream {
  std::string stream_id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_stream& x) {
  return f(caf::meta::type_name("read_stream"), x.stream_id);
}

/// The backend's answer to one append, sent by the writer thread back to the journal actor.
struct append_completed {
  std::uint64_t ticket = 0;
  persistence::append_result result;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_completed& x) {
  return f(caf::meta::type_name("append_completed"), x.ticket, x.result);
}

/// The answers to every append of one committed batch, sent once per batch by the writer thread
/// (one cross-thread message per batch instead of one per append).
struct appends_completed {
  std::vector<append_completed> items;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, appends_completed& x) {
  return f(caf::meta::type_name("appends_completed"), x.items);
}

/// The backend's answer to one read, sent by the writer thread back to the journal actor.
struct read_completed {
  std::uint64_t ticket = 0;
  persistence::stream_read result;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_completed& x) {
  return f(caf::meta::type_name("read_completed"), x.ticket, x.result);
}

// ---- pages and idempotency records ----
// Every reply is a struct of its own: CAF 0.17 needs a type ID per reply type. A storage failure is
// answered with a `storage_unavailable` error instead.

/// Asks for up to `limit` events of one stream with version > `after_version`.
struct read_events {
  std::string stream_id;
  std::int64_t after_version = 0;
  std::uint64_t limit = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_events& x) {
  return f(caf::meta::type_name("read_events"), x.stream_id, x.after_version, x.limit);
}

/// Events in version order; a page shorter than asked for ends the stream.
struct event_page {
  std::vector<persistence::event_record> events;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_page& x) {
  return f(caf::meta::type_name("event_page"), x.events);
}

/// Asks for up to `limit` stream ids that start with `prefix` and sort after `after`.
struct list_streams {
  std::string prefix;
  std::string after;
  std::uint64_t limit = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_streams& x) {
  return f(caf::meta::type_name("list_streams"), x.prefix, x.after, x.limit);
}

/// Stream ids in bytewise order; a page shorter than asked for ends the listing.
struct stream_page {
  std::vector<std::string> stream_ids;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_page& x) {
  return f(caf::meta::type_name("stream_page"), x.stream_ids);
}

/// Asks for up to `limit` ledger rows of accounts starting with `account_prefix` (e.g.
/// "pod:pod_ab12…:") with entry_id > `after_entry_id`.
struct read_ledger {
  std::string account_prefix;
  std::int64_t after_entry_id = 0;
  std::uint64_t limit = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_ledger& x) {
  return f(caf::meta::type_name("read_ledger"), x.account_prefix, x.after_entry_id, x.limit);
}

/// Ledger rows ascending by entry_id; the last one's entry_id is the next page's cursor.
struct ledger_page {
  std::vector<persistence::ledger_entry> entries;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger_page& x) {
  return f(caf::meta::type_name("ledger_page"), x.entries);
}

/// Asks for the balances of accounts starting with `account_prefix`, at most `limit`.
struct read_balances {
  std::string account_prefix;
  std::uint64_t limit = persistence::max_page_rows;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_balances& x) {
  return f(caf::meta::type_name("read_balances"), x.account_prefix, x.limit);
}

/// Balances ordered by (account, currency).
struct balance_page {
  std::vector<account_balance> balances;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, balance_page& x) {
  return f(caf::meta::type_name("balance_page"), x.balances);
}

/// Asks for the idempotency record of (client_id, key).
struct get_idempotency {
  std::string client_id;
  std::string key;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_idempotency& x) {
  return f(caf::meta::type_name("get_idempotency"), x.client_id, x.key);
}

/// The record if `found` (possibly expired but not yet purged: compare expires_at_ms).
struct idempotency_lookup {
  bool found = false;
  persistence::idempotency_record record;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idempotency_lookup& x) {
  return f(caf::meta::type_name("idempotency_lookup"), x.found, x.record);
}

/// Stores an idempotency record (replacing one with the same client and key); answered with an
/// append_result (committed or storage_error) once the batch holding it is durable.
struct put_idempotency {
  persistence::idempotency_record record;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, put_idempotency& x) {
  return f(caf::meta::type_name("put_idempotency"), x.record);
}

/// The backend finished a read: its answer waits in the pending query with this ticket.
struct query_completed {
  std::uint64_t ticket = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, query_completed& x) {
  return f(caf::meta::type_name("query_completed"), x.ticket);
}

/// The journal writer actor.
using journal_actor =
    caf::typed_actor<caf::replies_to<persistence::append_request>::with<persistence::append_result>,
                     caf::replies_to<read_stream>::with<persistence::stream_read>,
                     caf::reacts_to<persistence::snapshot_record>,
                     caf::reacts_to<appends_completed>, caf::reacts_to<read_completed>,
                     caf::reacts_to<caf::tick_atom>, caf::replies_to<read_events>::with<event_page>,
                     caf::replies_to<list_streams>::with<stream_page>,
                     caf::replies_to<read_ledger>::with<ledger_page>,
                     caf::replies_to<read_balances>::with<balance_page>,
                     caf::replies_to<get_idempotency>::with<idempotency_lookup>,
                     caf::replies_to<put_idempotency>::with<persistence::append_result>,
                     caf::reacts_to<query_completed>>;

}  // namespace payorch::actors
