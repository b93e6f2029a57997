#pragma once
/// A test with a PostgreSQL store on a fresh database of the process's shared server, and side
/// connections that bypass the store (to tamper, count or watch locks).

#include <gtest/gtest.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "persistence/journal.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace payorch::persistence::testing {

// Defined in postgres_conformance_test.cpp: a store on a fresh database of the shared server.
std::unique_ptr<journal_store> open_fresh_postgres_journal(std::string* uri);

class postgres_store_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!payorch::testing::postgres_available()) GTEST_SKIP() << "PostgreSQL 15 not installed";
    store_ = open_fresh_postgres_journal(&uri_);
    ASSERT_NE(store_, nullptr);
  }

  /// Runs SQL on a connection of its own, bypassing the store.
  void side_exec(const std::string& sql) {
    pqxx::connection conn(uri_);
    pqxx::work txn(conn);
    txn.exec(sql);
    txn.commit();
  }

  /// The first column of the first row of `sql`, read on a connection of its own.
  std::int64_t side_count(const std::string& sql) {
    pqxx::connection conn(uri_);
    pqxx::nontransaction txn(conn);
    return txn.exec(sql)[0][0].as<std::int64_t>();
  }

  /// Polls (boundedly) until some session of the database waits on a lock; false if none did.
  bool wait_for_lock_waiter() {
    pqxx::connection watcher(uri_);
    for (int polls = 0; polls < 20000; ++polls) {
      pqxx::nontransaction query(watcher);
      if (query
              .exec("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")[0][0]
              .as<std::int64_t>() > 0)
        return true;
    }
    return false;
  }

  std::string uri_;
  std::unique_ptr<journal_store> store_;
};

}  // namespace payorch::persistence::testing
