// The conformance suites on PostgreSQL, and the server they share: one per test process, each test
// on a database of its own. Skipped (not instantiated) where PostgreSQL 15 is not installed.
#include <gtest/gtest.h>

#include <fstream>

#include "store_conformance.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace payorch::persistence::testing {

/// A fresh, empty database on the process's server (started on first use); "" with `*error`.
std::string fresh_postgres_database(std::string* error) {
  struct shared_server {
    std::unique_ptr<payorch::testing::postgres_server> server;
    std::string error;
  };
  // Started lazily so listing the tests starts nothing, and on the test thread as the fixture asks.
  static shared_server shared = [] {
    shared_server started;
    started.server = payorch::testing::postgres_server::start(&started.error);
    return started;
  }();
  static int databases = 0;
  if (shared.server == nullptr) {
    *error = "no PostgreSQL server: " + shared.error;
    return "";
  }
  return shared.server->create_database(numbered("journal_", ++databases), error);
}

/// Opens a PostgreSQL journal on a fresh database and fails the test if that is impossible.
std::unique_ptr<journal_store> open_fresh_postgres_journal(std::string* uri) {
  std::string error;
  const std::string created = fresh_postgres_database(&error);
  EXPECT_FALSE(created.empty()) << error;
  if (created.empty()) return nullptr;
  if (uri != nullptr) *uri = created;
  auto store = open_postgres_journal({.uri = created}, &error);
  EXPECT_NE(store, nullptr) << error;
  return store;
}

namespace {

/// The PostgreSQL factory, or none where the server binaries are missing.
///
/// The database's URI is kept in the test's directory, so `reopen` finds the same database.
std::vector<store_factory> postgres_factories() {
  if (!payorch::testing::postgres_available()) return {};
  const auto uri_file = [](const std::filesystem::path& dir) { return dir / "postgres.uri"; };
  return {{"postgres",
           [uri_file](const std::filesystem::path& dir) -> std::unique_ptr<journal_store> {
             std::string uri;
             auto store = open_fresh_postgres_journal(&uri);
             std::ofstream(uri_file(dir)) << uri;
             return store;
           },
           [uri_file](const std::filesystem::path& dir) -> std::unique_ptr<journal_store> {
             std::string uri;
             std::ifstream(uri_file(dir)) >> uri;
             std::string error;
             auto store = open_postgres_journal({.uri = uri}, &error);
             EXPECT_NE(store, nullptr) << error;
             return store;
           }}};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(postgres, ledger_conformance, ::testing::ValuesIn(postgres_factories()));
INSTANTIATE_TEST_SUITE_P(postgres, idempotency_conformance,
                         ::testing::ValuesIn(postgres_factories()));
INSTANTIATE_TEST_SUITE_P(postgres, paging_conformance, ::testing::ValuesIn(postgres_factories()));
INSTANTIATE_TEST_SUITE_P(postgres, outbox_conformance, ::testing::ValuesIn(postgres_factories()));

}  // namespace payorch::persistence::testing
