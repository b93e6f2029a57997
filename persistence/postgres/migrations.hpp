#pragma once
/// The PostgreSQL journal's schema migrations (internal; callers use migrate_postgres).

#include <pqxx/connection>
#include <span>
#include <string>
#include <string_view>

namespace payorch::persistence::postgres {

/// One schema step: applied once, in its own transaction, recorded in schema_migrations.
struct migration {
  int version = 0;  // ascending, from 1
  std::string_view name;
  std::string_view sql;  // may hold several statements
};

/// The migrations this build knows, in order.
std::span<const migration> builtin_migrations();

/// Applies every migration of `list` whose version schema_migrations lacks, in order.
///
/// Each runs in its own transaction under an advisory lock (two processes migrating at once
/// serialise). A failing one is rolled back and named in `*error`; earlier ones stay applied.
/// Tests pass their own list to inject a failing step.
bool apply_migrations(const std::string& uri, std::span<const migration> list, std::string* report,
                      std::string* error);

/// True when every migration of `list` is recorded; else false with `error` naming the pending
/// ones (or why the server could not be asked). Changes nothing.
bool check_migrations(const std::string& uri, std::span<const migration> list, std::string* error);

/// Throws std::runtime_error naming the encoding unless the connected database is UTF8: text is
/// checked as UTF-8 before it is written, and another encoding could refuse it mid-batch or
/// store it as something else. Migrations, checks and the journal's connections all call it.
void require_utf8_database(pqxx::connection& conn);

}  // namespace payorch::persistence::postgres
