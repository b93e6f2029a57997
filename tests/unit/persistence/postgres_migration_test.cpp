// The PostgreSQL journal's schema migrations: idempotent, one transaction each, a failing one
// rolled back and named.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/postgres/migrations.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace payorch::persistence::testing {

// Defined in postgres_conformance_test.cpp: the process's shared server.
std::string fresh_postgres_database(std::string* error);

namespace {

class postgres_migrations : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!payorch::testing::postgres_available()) GTEST_SKIP() << "PostgreSQL 15 not installed";
    std::string error;
    uri_ = fresh_postgres_database(&error);
    ASSERT_FALSE(uri_.empty()) << error;
  }

  std::int64_t count(const std::string& sql) {
    pqxx::connection conn(uri_);
    pqxx::nontransaction txn(conn);
    return txn.exec(sql)[0][0].as<std::int64_t>();
  }

  std::string uri_;
};

// Goal: the first run applies every migration with its schema_migrations row; a second run is a
// no-op that says so.
TEST_F(postgres_migrations, applying_twice_is_a_no_op) {
  std::string report;
  std::string error;
  ASSERT_TRUE(migrate_postgres(uri_, &report, &error)) << error;
  EXPECT_NE(report.find("applied 1 (initial_schema)"), std::string::npos) << report;
  const auto applied = static_cast<std::int64_t>(postgres::builtin_migrations().size());
  EXPECT_EQ(count("SELECT count(*) FROM schema_migrations"), applied);
  EXPECT_EQ(count("SELECT count(*) FROM schema_migrations WHERE applied_at IS NULL"), 0);

  report.clear();
  ASSERT_TRUE(migrate_postgres(uri_, &report, &error)) << error;
  EXPECT_EQ(report, "schema is up to date");
  EXPECT_EQ(count("SELECT count(*) FROM schema_migrations"), applied);
  EXPECT_EQ(count("SELECT count(*) FROM pg_tables WHERE tablename IN ('events', 'snapshots', "
                  "'ledger_entries', 'ledger_pending', 'ledger_balances', 'idempotency')"),
            6);
}

// Goal: a failing migration leaves the schema as it was (its own earlier statements included),
// names itself, and does not undo the migrations before it.
TEST_F(postgres_migrations, a_failing_migration_rolls_back_and_names_itself) {
  std::vector<postgres::migration> steps(postgres::builtin_migrations().begin(),
                                         postgres::builtin_migrations().end());
  const int bad_version = steps.back().version + 1;
  steps.push_back({bad_version, "broken_step",
                   "CREATE TABLE half_done (x integer); SELECT * FROM no_such_table;"});
  std::string report;
  std::string error;
  EXPECT_FALSE(postgres::apply_migrations(uri_, steps, &report, &error));
  EXPECT_NE(error.find("migration " + std::to_string(bad_version) + " (broken_step)"),
            std::string::npos)
      << error;
  EXPECT_EQ(count("SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'"), 0);
  EXPECT_EQ(count("SELECT max(version) FROM schema_migrations"), bad_version - 1);
  EXPECT_EQ(count("SELECT count(*) FROM pg_tables WHERE tablename = 'events'"), 1);

  // The store still opens: the built-in migrations are all applied.
  EXPECT_NE(open_postgres_journal({.uri = uri_}, &error), nullptr) << error;
}

// Goal: an unreachable server is an error with a reason, from migrate and from open alike.
TEST_F(postgres_migrations, unreachable_server_is_an_error) {
  std::string error;
  const std::string nowhere = "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2";
  EXPECT_FALSE(migrate_postgres(nowhere, nullptr, &error));
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_EQ(open_postgres_journal({.uri = nowhere}, &error), nullptr);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(open_postgres_journal({.uri = ""}, &error), nullptr);
}

// Goal: with migrations not applied on open, a fresh database is refused with the pending
// migration named and nothing created; once migrated, it opens.
TEST_F(postgres_migrations, check_only_open_refuses_pending_migrations) {
  std::string error;
  EXPECT_FALSE(open_postgres_journal({.uri = uri_, .apply_migrations = false}, &error));
  EXPECT_NE(error.find("schema migrations pending: 1 (initial_schema)"), std::string::npos)
      << error;
  EXPECT_EQ(count("SELECT count(*) FROM pg_tables WHERE tablename = 'events'"), 0);
  ASSERT_TRUE(migrate_postgres(uri_, nullptr, &error)) << error;
  EXPECT_TRUE(open_postgres_journal({.uri = uri_, .apply_migrations = false}, &error)) << error;
}

// Goal: a database at version 1 (written before the outbox) is refused while migration 2 is
// pending, then gains the outbox (and the zero-sum check per statement) when migrated, keeping
// its events, and takes outbox messages.
TEST_F(postgres_migrations, a_database_at_version_1_gains_the_outbox) {
  std::string error;
  ASSERT_TRUE(
      postgres::apply_migrations(uri_, postgres::builtin_migrations().first(1), nullptr, &error))
      << error;
  {
    pqxx::connection conn(uri_);
    pqxx::work txn(conn);
    txn.exec("INSERT INTO events VALUES ('old', 1, 'Old', '{}'::bytea, 5, 'p', 'h')");
    txn.commit();
  }
  EXPECT_EQ(count("SELECT count(*) FROM pg_tables WHERE tablename = 'outbox'"), 0);
  EXPECT_FALSE(open_postgres_journal({.uri = uri_, .apply_migrations = false}, &error));
  EXPECT_NE(error.find("2 (outbox)"), std::string::npos) << error;

  std::string report;
  ASSERT_TRUE(migrate_postgres(uri_, &report, &error)) << error;
  EXPECT_EQ(report,
            "applied 2 (outbox)\napplied 3 (zero-sum check per statement)\napplied 4 (outbox rows "
            "name their event)\napplied 5 (pending transactions keep their rows' range)");
  EXPECT_EQ(count("SELECT count(*) FROM pg_tables WHERE tablename = 'outbox'"), 1);
  // The row trigger of version 1 is gone; the statement trigger replaces it.
  EXPECT_EQ(count("SELECT count(*) FROM information_schema.triggers WHERE event_object_table = "
                  "'ledger_entries' AND action_orientation = 'ROW'"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM information_schema.triggers WHERE event_object_table = "
                  "'ledger_entries' AND action_orientation = 'STATEMENT'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM pg_indexes WHERE tablename = 'outbox' AND indexname IN "
                  "('outbox_unpublished', 'outbox_by_published')"),
            2);
  auto store = open_postgres_journal({.uri = uri_, .apply_migrations = false}, &error);
  ASSERT_NE(store, nullptr) << error;
  EXPECT_EQ(store->read_events("old", 0, 10).value().size(), 1U);
  append_request request{"new", 0, {{"Created", "{}", 7}}};
  request.outbox.push_back({1, "crowdpay.crowdpod.v1.PodCreated"});
  const append_result result = store->append_batch(std::vector<append_request>{request}).at(0);
  EXPECT_EQ(result.status, append_status::committed) << result.detail;
  const auto rows = store->read_outbox(0, 10, false);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ(rows->front().message_id(), request.stream_id + ":1");
}

// Goal: migration 4 reads each older row's version from its message id whatever the stream id
// holds (a colon included) and however many digits the version has, keeps positions and
// publication, drops the copy of the event, and guards (stream_id, version) instead of the id.
TEST_F(postgres_migrations, a_database_at_version_3_has_its_outbox_rows_name_their_events) {
  std::string error;
  ASSERT_TRUE(
      postgres::apply_migrations(uri_, postgres::builtin_migrations().first(3), nullptr, &error))
      << error;
  {
    pqxx::connection conn(uri_);
    pqxx::work txn(conn);
    txn.exec(
        "INSERT INTO events VALUES ('a:b', 12, 'Twelfth', '12'::bytea, 5, 'p', 'h'), "
        "('c', 3, 'Third', '3'::bytea, 6, 'p', 'h')");
    txn.exec(
        "INSERT INTO outbox (message_id, stream_id, subject, payload, created_at_ms, "
        "published_at_ms) VALUES ('a:b:12', 'a:b', 's12', '\\xff', 5, NULL), "
        "('c:3', 'c', 's3', '\\xff', 6, 8)");
    txn.commit();
  }
  ASSERT_TRUE(migrate_postgres(uri_, nullptr, &error)) << error;
  auto store = open_postgres_journal({.uri = uri_, .apply_migrations = false}, &error);
  ASSERT_NE(store, nullptr) << error;
  const auto rows = store->read_outbox(0, 10, false);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2U);
  EXPECT_EQ(rows->at(0).position, 1);
  EXPECT_EQ(rows->at(1).position, 2);
  EXPECT_EQ(rows->at(0).stream_id, "a:b");
  EXPECT_EQ(rows->at(0).version, 12);
  EXPECT_EQ(rows->at(0).subject, "s12");
  EXPECT_EQ(rows->at(0).event_type, "Twelfth");
  EXPECT_EQ(rows->at(0).payload, "12");
  EXPECT_EQ(rows->at(1).message_id(), "c:3");
  EXPECT_EQ(rows->at(1).recorded_at_ms, 6);
  EXPECT_EQ(rows->at(1).published_at_ms, std::optional<std::int64_t>(8));
  EXPECT_EQ(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'outbox' "
                  "AND column_name IN ('message_id', 'payload', 'created_at_ms')"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM pg_constraint WHERE conname = 'outbox_names_one_event'"),
            1);

  append_request request{"new", 0, {{"Created", "{}", 7}}};
  request.outbox.push_back({1, "crowdpay.crowdpod.v1.PodCreated"});
  ASSERT_EQ(store->append_batch(std::vector<append_request>{request}).at(0).status,
            append_status::committed);
  const auto after = store->read_outbox(2, 10, false);
  ASSERT_TRUE(after.has_value());
  ASSERT_EQ(after->size(), 1U);
  EXPECT_EQ(after->front().position, 3);
}

// Goal: migration 5 gives each stored pending transaction the range of its rows' entry ids (rows
// of another transaction may lie between them), so one stored before it is posted (or voided)
// afterwards, its rows alone changing phase; and the (transaction_id, currency) index is gone.
TEST_F(postgres_migrations, a_database_at_version_4_keeps_its_pending_transactions) {
  std::string error;
  ASSERT_TRUE(
      postgres::apply_migrations(uri_, postgres::builtin_migrations().first(4), nullptr, &error))
      << error;
  {
    pqxx::connection conn(uri_);
    pqxx::work txn(conn);
    txn.exec("INSERT INTO events VALUES ('s', 1, 'Held', '{}'::bytea, 5, 'p', 'h')");
    // Two holds whose rows interleave, as two processes' batches might write them.
    txn.exec(
        "INSERT INTO ledger_entries (transaction_id, account, currency, amount_minor, phase, "
        "stream_id, stream_version, recorded_at_ms) VALUES "
        "('h1', 'a', 'EUR', -5, 'PENDING', 's', 1, 5), ('h2', 'a', 'EUR', -7, 'PENDING', 's', "
        "1, 5), ('h1', 'b', 'EUR', 5, 'PENDING', 's', 1, 5), ('h2', 'b', 'EUR', 7, 'PENDING', "
        "'s', 1, 5)");
    txn.exec(
        "INSERT INTO ledger_pending (transaction_id, state, expires_at_ms) VALUES "
        "('h1', 'PENDING', 0), ('h2', 'PENDING', 0)");
    txn.exec("INSERT INTO ledger_balances VALUES ('a', 'EUR', 0, 0, 12), ('b', 'EUR', 0, 12, 0)");
    txn.commit();
  }
  ASSERT_TRUE(migrate_postgres(uri_, nullptr, &error)) << error;
  EXPECT_EQ(count("SELECT first_entry_id FROM ledger_pending WHERE transaction_id = 'h1'"), 1);
  EXPECT_EQ(count("SELECT last_entry_id FROM ledger_pending WHERE transaction_id = 'h1'"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM pg_indexes WHERE indexname = "
                  "'ledger_entries_by_transaction'"),
            0);
  auto store = open_postgres_journal({.uri = uri_, .apply_migrations = false}, &error);
  ASSERT_NE(store, nullptr) << error;
  append_request post{"s", 1, {{"Settled", "{}", 6}}};
  post.ledger.push_back({"", ledger_phase::post_pending, {}, 0, "h1"});
  const append_result posted = store->append_batch(std::vector<append_request>{post}).at(0);
  ASSERT_EQ(posted.status, append_status::committed) << posted.detail;
  EXPECT_EQ(count("SELECT count(*) FROM ledger_entries WHERE transaction_id = 'h1' AND phase = "
                  "'POSTED'"),
            2);
  EXPECT_EQ(count("SELECT count(*) FROM ledger_entries WHERE transaction_id = 'h2' AND phase = "
                  "'PENDING'"),
            2);
  EXPECT_EQ(count("SELECT posted_minor FROM ledger_balances WHERE account = 'b'"), 5);
  EXPECT_EQ(count("SELECT pending_in_minor FROM ledger_balances WHERE account = 'b'"), 7);
}

// Goal: an older row whose message id names no stored event of its stream (another stream's id, a
// version with a leading zero, an event that is not there) fails migration 4, naming the first
// such row, and leaves the schema at version 3 with every row as it was.
TEST_F(postgres_migrations, an_outbox_row_without_its_event_stops_migration_4) {
  std::string error;
  ASSERT_TRUE(
      postgres::apply_migrations(uri_, postgres::builtin_migrations().first(3), nullptr, &error))
      << error;
  const auto exec = [this](const std::string& sql) {
    pqxx::connection conn(uri_);
    pqxx::work txn(conn);
    txn.exec(sql);
    txn.commit();
  };
  exec("INSERT INTO events VALUES ('s', 1, 'First', '{}'::bytea, 5, 'p', 'h')");
  exec(
      "INSERT INTO outbox (message_id, stream_id, subject, payload, created_at_ms) VALUES "
      "('s:1', 's', 'x', '\\x00', 5), ('other:1', 's', 'x', '\\x00', 5), "
      "('s:01', 's', 'x', '\\x00', 5), ('s:2', 's', 'x', '\\x00', 5)");
  EXPECT_FALSE(migrate_postgres(uri_, nullptr, &error));
  EXPECT_NE(error.find("migration 4 (outbox rows name their event) failed"), std::string::npos)
      << error;
  EXPECT_NE(error.find("outbox row at position 2 (message id other:1) names no event"),
            std::string::npos)
      << error;
  EXPECT_EQ(count("SELECT max(version) FROM schema_migrations"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE message_id IS NOT NULL"), 4);
  exec("DELETE FROM outbox WHERE message_id IN ('other:1', 's:2')");
  EXPECT_FALSE(migrate_postgres(uri_, nullptr, &error));  // s:01 is next
  EXPECT_NE(error.find("(message id s:01)"), std::string::npos) << error;
  exec("DELETE FROM outbox WHERE message_id = 's:01'");
  EXPECT_TRUE(migrate_postgres(uri_, nullptr, &error)) << error;
}

}  // namespace
}  // namespace payorch::persistence::testing
