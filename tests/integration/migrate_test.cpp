// `payorch migrate` and the start-up migration policy, on the real binary, on each store.
#include <pqxx/pqxx>

#include "tests/integration/store_support.hpp"

namespace payorch::testing {
namespace {

class migrate : public store_test {
 protected:
  /// `payorch migrate` of the test's store (`data_dir` holds SQLite's journal).
  run_result run_migrate(const std::filesystem::path& data_dir) const {
    auto args = target().subcommand_args(data_dir);
    args.insert(args.begin(), "migrate");
    return run_payorch(payorch_binary(), args, {}, data_dir);
  }

  /// `payorch verify` of the test's store.
  run_result run_verify(const std::filesystem::path& data_dir) const {
    auto args = target().subcommand_args(data_dir);
    args.insert(args.begin(), "verify");
    return run_payorch(payorch_binary(), args, {}, data_dir);
  }

  /// How the store names its first migration.
  std::string first_migration() const {
    return store() == store_kind::postgresql ? "1 (initial_schema)" : "1 (events and snapshots)";
  }
};
INSTANTIATE_TEST_SUITE_P(stores, migrate, both_stores(), store_test_name);

// Goal: migrate applies the schema once, says so, and is a no-op the second time.
TEST_P(migrate, applies_once_then_reports_up_to_date) {
  temp_dir data{"payorch-migrate"};
  auto first = run_migrate(data.path());
  EXPECT_EQ(first.exit_code, 0) << first.err;
  const std::string applied = store() == store_kind::postgresql ? "applied " : "applied migration ";
  EXPECT_NE(first.out.find(applied + first_migration()), std::string::npos) << first.out;
  auto second = run_migrate(data.path());
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("up to date"), std::string::npos) << second.out;
  EXPECT_EQ(second.out.find(applied), std::string::npos) << second.out;
}

// Goal: with migrations = "check", a journal that needs migrating stops start-up with a line
// naming them; after `payorch migrate` the same server starts.
TEST_P(migrate, check_only_start_refuses_pending_migrations) {
  temp_dir data{"payorch-migrate"};
  process_options o;
  o.binary = payorch_binary();
  o.data_dir = data.path();
  o.env = {{"PAYORCH_JOURNAL_MIGRATIONS", "check"}};
  std::string error;
  auto refused = payorch_process::start(target().serve(o), &error);
  EXPECT_EQ(refused, nullptr);
  EXPECT_NE(error.find("schema migrations pending: " + first_migration()), std::string::npos)
      << error;
  auto migrated = run_migrate(data.path());
  ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  auto* server = start(o);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(http_get(server->port(), "/readyz").status, 200);
  EXPECT_EQ(server->stop(), 0);
}

// Goal: with migrations = "check", a role that may read and write the tables but not create
// any (PostgreSQL 15's default for the public schema) serves a migrated database: neither of
// payorch's connections tries to migrate.
TEST_P(migrate, check_only_start_serves_as_a_role_that_cannot_create) {
  if (store() != store_kind::postgresql) GTEST_SKIP() << "roles are PostgreSQL's";
  temp_dir data{"payorch-migrate"};
  ASSERT_EQ(run_migrate(data.path()).exit_code, 0);
  const std::string uri = target().uri;
  // Roles belong to the whole server: one per database, so no test run meets another's.
  const std::string role = "app_" + uri.substr(uri.rfind('/') + 1);
  {
    pqxx::connection admin{uri};
    pqxx::work w{admin};
    w.exec0("CREATE ROLE " + w.quote_name(role) + " LOGIN");
    w.exec0("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " +
            w.quote_name(role));
    w.exec0("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO " +
            w.quote_name(role));
    w.commit();
  }
  const auto at = uri.find("postgres@");
  ASSERT_NE(at, std::string::npos) << uri;
  const std::string app_uri = uri.substr(0, at) + role + "@" + uri.substr(at + 9);
  process_options o;
  o.binary = payorch_binary();
  o.data_dir = data.path();
  o.env = {{"PAYORCH_JOURNAL_MIGRATIONS", "check"}};
  o.extra_args = {"--storage", app_uri};
  std::string error;
  auto server = payorch_process::start(o, &error);
  ASSERT_NE(server, nullptr) << error;
  EXPECT_EQ(http_get(server->port(), "/readyz").status, 200);
  EXPECT_EQ(server->stop(), 0);
}

// Goal: a database in another encoding than UTF8 is refused before anything is written to it,
// by migrate and by serve, naming its encoding.
TEST_P(migrate, a_database_not_in_utf8_is_refused) {
  if (store() != store_kind::postgresql) GTEST_SKIP() << "encodings are PostgreSQL's";
  const std::string uri = target().uri;
  const std::string latin = uri.substr(uri.rfind('/') + 1) + "_latin1";
  {
    pqxx::connection admin{uri};
    pqxx::nontransaction w{admin};
    w.exec0("CREATE DATABASE " + w.quote_name(latin) +
            " ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  }
  const std::string latin_uri = uri.substr(0, uri.rfind('/') + 1) + latin;
  temp_dir data{"payorch-migrate"};
  auto migrated =
      run_payorch(payorch_binary(), {"migrate", "--storage", latin_uri}, {}, data.path());
  EXPECT_EQ(migrated.exit_code, 2);  // not a migration that failed: the database is refused
  EXPECT_NE(migrated.err.find("the database's encoding is LATIN1"), std::string::npos)
      << migrated.err;
  process_options o;
  o.binary = payorch_binary();
  o.data_dir = data.path();
  o.extra_args = {"--storage", latin_uri};
  std::string error;
  EXPECT_EQ(payorch_process::start(o, &error), nullptr);
  EXPECT_NE(error.find("the database's encoding is LATIN1"), std::string::npos) << error;
  pqxx::connection check{latin_uri};
  pqxx::nontransaction r{check};
  EXPECT_TRUE(r.exec1("SELECT to_regclass('schema_migrations')")[0].is_null());
}

// Goal: verify changes nothing: a journal that needs migrating is refused, naming what is
// pending, and is left as it was (migrate then applies its first migration).
TEST_P(migrate, verify_applies_no_migration) {
  temp_dir data{"payorch-migrate"};
  // SQLite: an empty file, a journal with no schema yet (PostgreSQL: the fresh database).
  if (store() == store_kind::sqlite) {
    ASSERT_TRUE(write_text(data.path() / "journal.sqlite", ""));
  }
  auto verified = run_verify(data.path());
  EXPECT_NE(verified.exit_code, 0);
  EXPECT_NE(verified.err.find("schema migrations pending: " + first_migration()), std::string::npos)
      << verified.err;
  if (store() == store_kind::sqlite) {  // refused before writing anything, the WAL mode included
    std::error_code ec;
    EXPECT_EQ(std::filesystem::file_size(data.path() / "journal.sqlite", ec), 0u) << ec.message();
    EXPECT_FALSE(std::filesystem::exists(data.path() / "journal.sqlite-wal"));
  }
  auto migrated = run_migrate(data.path());
  EXPECT_EQ(migrated.exit_code, 0) << migrated.err;
  EXPECT_NE(migrated.out.find(first_migration()), std::string::npos) << migrated.out;
  EXPECT_EQ(migrated.out.find("up to date"), std::string::npos) << migrated.out;
  auto clean = run_verify(data.path());
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
}

// Goal: migrate refuses a SQLite journal a running server holds (it would change the schema
// under it), naming the lock; once the server stopped, it runs.
TEST_P(migrate, migrate_refuses_a_journal_in_use) {
  if (store() == store_kind::postgresql)
    GTEST_SKIP() << "PostgreSQL migrations hold an advisory lock of their own";
  temp_dir data{"payorch-migrate"};
  process_options o;
  o.binary = payorch_binary();
  o.data_dir = data.path();
  auto* server = start(o);
  ASSERT_NE(server, nullptr);
  auto refused = run_migrate(data.path());
  EXPECT_EQ(refused.exit_code, 2);  // the journal cannot be opened: it is in use
  EXPECT_NE(refused.err.find("is in use by another payorch process"), std::string::npos)
      << refused.err;
  EXPECT_EQ(server->stop(), 0);
  auto done = run_migrate(data.path());
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_NE(done.out.find("up to date"), std::string::npos) << done.out;
}

}  // namespace
}  // namespace payorch::testing
