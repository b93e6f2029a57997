// The read side, snapshots, the chain verifier and the idempotency reads of postgres_journal.
#include <limits>

#include "persistence/hash_chain.hpp"
#include "persistence/postgres/pg_journal.hpp"

namespace payorch::persistence::postgres {
namespace {

using read_txn = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

std::int64_t clamp_limit(std::size_t limit) {
  constexpr auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(limit > max ? max : limit);
}

std::int64_t page_limit(std::size_t limit) {
  return static_cast<std::int64_t>(limit < max_page_rows ? limit : max_page_rows);
}

std::string bytes_of(const pqxx::field& field) {
  return pqxx::binarystring(field).str();
}

event_record event_from_row(const pqxx::row& row) {
  event_record event;
  event.stream_id = row[0].as<std::string>();
  event.version = row[1].as<std::int64_t>();
  event.event_type = row[2].as<std::string>();
  event.payload = bytes_of(row[3]);
  event.recorded_at_ms = row[4].as<std::int64_t>();
  event.prev_hash = row[5].as<std::string>();
  event.hash = row[6].as<std::string>();
  return event;
}

void collect_events(pqxx::transaction_base& txn, std::string_view stream_id,
                    std::int64_t after_version, std::int64_t limit,
                    std::vector<event_record>& out) {
  for (const auto& row :
       txn.exec_prepared("select_events", std::string(stream_id), after_version, limit))
    out.push_back(event_from_row(row));
}

/// How many events verify fetches per round trip from its cursor.
constexpr int verify_fetch_rows = 1000;

}  // namespace

stream_read postgres_journal::read_stream(std::string_view stream_id) {
  if (!storable_text(stream_id)) return {false, "stream_id is not UTF-8 text without NUL", {}, {}};
  return guarded(
      "read stream",
      [&](pqxx::connection& conn) {
        // One snapshot of the database for both reads, so they agree.
        read_txn txn(conn);
        stream_read read;
        std::int64_t after_version = 0;
        const pqxx::result snapshot = txn.exec_params(
            "SELECT version, payload FROM snapshots WHERE stream_id = $1", std::string(stream_id));
        if (!snapshot.empty()) {
          after_version = snapshot[0][0].as<std::int64_t>();
          read.snapshot =
              snapshot_record{std::string(stream_id), after_version, bytes_of(snapshot[0][1])};
        }
        collect_events(txn, stream_id, after_version, std::numeric_limits<std::int64_t>::max(),
                       read.events);
        txn.commit();
        read.ok = true;
        return read;
      },
      [](std::string why) {
        return stream_read{false, std::move(why), {}, {}};
      });
}

result<std::vector<event_record>> postgres_journal::read_events(std::string_view stream_id,
                                                                std::int64_t after_version,
                                                                std::size_t limit) {
  // A stream id the store cannot hold names no stream: it has no events.
  if (limit == 0 || !storable_text(stream_id)) return std::vector<event_record>{};
  return guarded(
      "read events",
      [&](pqxx::connection& conn) -> result<std::vector<event_record>> {
        pqxx::nontransaction txn(conn);
        std::vector<event_record> events;
        collect_events(txn, stream_id, after_version, clamp_limit(limit), events);
        return events;
      },
      [](std::string why) -> result<std::vector<event_record>> {
        return fail(errc::storage_unavailable, std::move(why));
      });
}

bool postgres_journal::save_snapshot(const snapshot_record& snapshot) {
  if (snapshot.stream_id.empty() || snapshot.version < 1 || !storable_text(snapshot.stream_id))
    return false;
  return guarded(
      "save snapshot",
      [&](pqxx::connection& conn) {
        pqxx::work txn(conn);
        // A snapshot past the last event would make read_stream skip events that do not exist yet.
        const pqxx::result head =
            txn.exec_params("SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1",
                            snapshot.stream_id);
        if (snapshot.version > head[0][0].as<std::int64_t>()) return false;
        txn.exec_params(
            "INSERT INTO snapshots (stream_id, version, payload) VALUES ($1, $2, $3) "
            "ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, "
            "payload = excluded.payload WHERE excluded.version >= snapshots.version",
            snapshot.stream_id, snapshot.version, pqxx::binarystring(snapshot.payload));
        txn.commit();
        return true;
      },
      [](const std::string&) { return false; });
}

result<std::vector<std::string>> postgres_journal::list_streams(std::string_view prefix,
                                                                std::string_view after,
                                                                std::size_t limit) {
  if (limit == 0 || !storable_text(prefix) || !storable_text(after))
    return std::vector<std::string>{};
  return guarded(
      "list streams",
      [&](pqxx::connection& conn) -> result<std::vector<std::string>> {
        pqxx::nontransaction txn(conn);
        // Every stream has a version 1, so no DISTINCT is needed; the columns sort bytewise.
        std::vector<std::string> streams;
        for (const auto& row : txn.exec_params(
                 "SELECT stream_id FROM events WHERE version = 1 AND stream_id > $1 AND "
                 "stream_id LIKE $2 ORDER BY stream_id LIMIT $3",
                 std::string(after), like_prefix(prefix), clamp_limit(limit)))
          streams.push_back(row[0].as<std::string>());
        return streams;
      },
      [](std::string why) -> result<std::vector<std::string>> {
        return fail(errc::storage_unavailable, std::move(why));
      });
}

verify_report postgres_journal::verify() {
  return guarded(
      "verify",
      [&](pqxx::connection& conn) {
        read_txn txn(conn);
        verify_report report;
        chain_walker walker;
        txn.exec(
            "DECLARE verify_events NO SCROLL CURSOR FOR SELECT stream_id, version, event_type, "
            "payload, recorded_at_ms, prev_hash, hash FROM events ORDER BY stream_id, version");
        const std::string fetch =
            "FETCH " + std::to_string(verify_fetch_rows) + " FROM verify_events";
        for (;;) {
          watchdog_.touch();  // each page is a round trip of its own: the walk may take long
          const pqxx::result rows = txn.exec(fetch);
          if (rows.empty()) break;
          for (const auto& row : rows) {
            event_record event = event_from_row(row);
            std::string broken = walker.check(event);
            if (!broken.empty()) {
              report.streams_checked = walker.streams();
              report.detail =
                  event.stream_id + " version " + std::to_string(event.version) + ": " + broken;
              report.first_broken = std::move(event);
              return report;
            }
            ++report.events_checked;
          }
        }
        txn.commit();
        report.streams_checked = walker.streams();
        report.ok = true;
        report.detail = std::to_string(report.events_checked) + " events in " +
                        std::to_string(report.streams_checked) + " streams intact";
        return report;
      },
      [](std::string why) {
        verify_report report;
        report.detail = std::move(why);
        return report;
      });
}

result<std::vector<ledger_entry>> postgres_journal::read_ledger(std::string_view account_prefix,
                                                                std::int64_t after_entry_id,
                                                                std::size_t limit) {
  if (limit == 0) return std::vector<ledger_entry>{};
  if (!storable_text(account_prefix))
    return fail(errc::invalid_argument, "account prefix is not UTF-8 text without NUL");
  return guarded(
      "read ledger",
      [&](pqxx::connection& conn) -> result<std::vector<ledger_entry>> {
        pqxx::nontransaction txn(conn);
        std::vector<ledger_entry> entries;
        for (const auto& row : txn.exec_params(
                 "SELECT entry_id, transaction_id, account, currency, amount_minor, phase, "
                 "stream_id, stream_version, recorded_at_ms FROM ledger_entries "
                 "WHERE account LIKE $1 AND entry_id > $2 ORDER BY entry_id LIMIT $3",
                 like_prefix(account_prefix), after_entry_id, page_limit(limit))) {
          entries.push_back(
              {row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
               row[3].as<std::string>(), row[4].as<std::int64_t>(), row[5].as<std::string>(),
               row[6].as<std::string>(), row[7].as<std::int64_t>(), row[8].as<std::int64_t>()});
        }
        return entries;
      },
      [](std::string why) -> result<std::vector<ledger_entry>> {
        return fail(errc::storage_unavailable, std::move(why));
      });
}

result<std::vector<account_balance>> postgres_journal::read_balances(
    std::string_view account_prefix, std::size_t limit) {
  if (limit == 0) return std::vector<account_balance>{};
  if (!storable_text(account_prefix))
    return fail(errc::invalid_argument, "account prefix is not UTF-8 text without NUL");
  return guarded(
      "read balances",
      [&](pqxx::connection& conn) -> result<std::vector<account_balance>> {
        pqxx::nontransaction txn(conn);
        std::vector<account_balance> balances;
        for (const auto& row : txn.exec_params(
                 "SELECT account, currency, posted_minor, pending_in_minor, pending_out_minor "
                 "FROM ledger_balances WHERE account LIKE $1 ORDER BY account, currency LIMIT $2",
                 like_prefix(account_prefix), page_limit(limit))) {
          balances.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                              row[2].as<std::int64_t>(), row[3].as<std::int64_t>(),
                              row[4].as<std::int64_t>()});
        }
        return balances;
      },
      [](std::string why) -> result<std::vector<account_balance>> {
        return fail(errc::storage_unavailable, std::move(why));
      });
}

namespace {

/// A record from the columns select_idempotency and select_idempotency_records name, from
/// column `first` on.
idempotency_record idempotency_of(const pqxx::row& row, pqxx::row::size_type first) {
  idempotency_record record;
  record.client_id = row[first].as<std::string>();
  record.key = row[first + 1].as<std::string>();
  record.fingerprint = bytes_of(row[first + 2]);
  record.status = row[first + 3].as<std::int32_t>();
  record.content_type = bytes_of(row[first + 4]);
  record.location = bytes_of(row[first + 5]);
  record.body = bytes_of(row[first + 6]);
  record.created_at_ms = row[first + 7].as<std::int64_t>();
  record.expires_at_ms = row[first + 8].as<std::int64_t>();
  return record;
}

}  // namespace

result<std::optional<idempotency_record>> postgres_journal::get_idempotency(
    std::string_view client_id, std::string_view key) {
  using answer = result<std::optional<idempotency_record>>;
  // Text PostgreSQL cannot store was never stored: no record.
  if (!storable_text(client_id) || !storable_text(key)) return std::optional<idempotency_record>();
  return guarded(
      "read idempotency record",
      [&](pqxx::connection& conn) -> answer {
        pqxx::nontransaction txn(conn);
        const pqxx::result rows =
            txn.exec_prepared("select_idempotency", std::string(client_id), std::string(key));
        if (rows.empty()) return std::optional<idempotency_record>();
        return std::optional<idempotency_record>(idempotency_of(rows[0], 0));
      },
      [](std::string why) -> answer { return fail(errc::storage_unavailable, std::move(why)); });
}

result<std::vector<std::optional<idempotency_record>>> postgres_journal::get_idempotency_records(
    std::span<const idempotency_key> keys) {
  using answer = result<std::vector<std::optional<idempotency_record>>>;
  std::vector<std::optional<idempotency_record>> records(keys.size());
  // Text PostgreSQL cannot store was never stored: those keys are not asked for.
  std::vector<std::string_view> clients;
  std::vector<std::string_view> names;
  std::vector<std::size_t> asked;  // the index in `keys` of each key asked for
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!storable_text(keys[i].client_id) || !storable_text(keys[i].key)) continue;
    clients.push_back(keys[i].client_id);
    names.push_back(keys[i].key);
    asked.push_back(i);
  }
  if (asked.empty()) return records;
  return guarded(
      "read idempotency records",
      [&](pqxx::connection& conn) -> answer {
        pqxx::nontransaction txn(conn);
        for (const auto& row : txn.exec_prepared("select_idempotency_records", text_array(clients),
                                                 text_array(names))) {
          const auto n = row[0].as<std::size_t>();  // 1-based position in the arrays
          if (n == 0 || n > asked.size()) continue;
          records[asked[n - 1]] = idempotency_of(row, 1);
        }
        return records;
      },
      [](std::string why) -> answer { return fail(errc::storage_unavailable, std::move(why)); });
}

result<std::size_t> postgres_journal::purge_idempotency(std::int64_t now_ms, std::size_t max_rows) {
  const std::size_t bounded =
      max_rows < idempotency_purge_chunk ? max_rows : idempotency_purge_chunk;
  if (bounded == 0) return std::size_t{0};
  return guarded(
      "purge idempotency records",
      [&](pqxx::connection& conn) -> result<std::size_t> {
        pqxx::work txn(conn);
        const pqxx::result purged =
            txn.exec_prepared("purge_idempotency", now_ms, static_cast<std::int64_t>(bounded));
        txn.commit();
        return static_cast<std::size_t>(purged.affected_rows());
      },
      [](std::string why) -> result<std::size_t> {
        return fail(errc::storage_unavailable, std::move(why));
      });
}

}  // namespace payorch::persistence::postgres
