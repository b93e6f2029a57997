#pragma once
/// Connection settings and the journal's tables (internal to persistence).

#include <span>
#include <string>
#include <string_view>

#include "persistence/journal.hpp"

struct sqlite3;

namespace payorch::persistence::sqlite {

/// The schema version this code reads and writes; a file with another version is refused.
inline constexpr int schema_version = 1;

/// A ledger account's scope as SQL: its text up to and including its second ':' ("pod:pod_ab…:"
/// of "pod:pod_ab…:wallet"), up to its only ':' if it has one, "" without any. The index of
/// ledger entries is on it, so a pod's postings share index pages whichever of its accounts they
/// touch; a query must spell it exactly so to use that index.
inline constexpr std::string_view ledger_scope_sql =
    "substr(account, 1, instr(account, ':') + instr(substr(account, instr(account, ':') + 1), "
    "':'))";

/// The same scope computed here, for the value a query compares it with.
std::string_view ledger_scope(std::string_view account);

/// One versioned step of the schema: SQL run in a transaction of its own.
struct migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

/// The journal's migrations, in order.
std::span<const migration> sqlite_migrations();

/// Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction
/// (a failing one is rolled back and named in `error`; the ones before it stay applied). With
/// `apply` false, only checks: pending migrations are an error naming them. `report` says what
/// was done.
bool run_migrations(sqlite3* db, std::span<const migration> migrations, bool apply,
                    std::string* report, std::string* error);

/// Sets WAL, the synchronous level and the busy timeout, then migrates (or checks) the tables.
bool prepare_database(sqlite3* db, const sqlite_options& options, std::string* error);

}  // namespace payorch::persistence::sqlite
