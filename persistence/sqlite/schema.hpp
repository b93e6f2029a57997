#pragma once
/// Connection settings and the journal's tables (internal to persistence).

#include <string>

#include "persistence/journal.hpp"

struct sqlite3;

namespace payorch::persistence::sqlite {

/// The schema version this code reads and writes; a file with another version is refused.
inline constexpr int schema_version = 1;

/// Sets WAL, the synchronous level and the busy timeout, then creates or checks the tables.
bool prepare_database(sqlite3* db, const sqlite_options& options, std::string* error);

}  // namespace payorch::persistence::sqlite
