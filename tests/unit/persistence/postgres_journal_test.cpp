// The PostgreSQL journal beyond the conformance suites: the append path, snapshots, stream
// listing, the chain verifier, hashes shared with SQLite, two stores on one database, the
// database's own zero-sum guard, reconnecting after a lost connection, and a server that stops
// answering.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <pqxx/pqxx>

#include "persistence/hash_chain.hpp"
#include "persistence/postgres/pg_journal.hpp"
#include "persistence_test_support.hpp"
#include "postgres_store_test.hpp"
#include "store_conformance.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace payorch::persistence::testing {

// Defined in postgres_conformance_test.cpp: the process's shared server.
std::string fresh_postgres_database(std::string* error);

namespace {

using postgres_journal = postgres_store_test;

constexpr std::int64_t t0 = 1'700'000'000'000;

// Goal: appended events read back field for field (binary payloads included), chained by hash.
TEST_F(postgres_journal, append_then_read_round_trip) {
  append_request request = make_request("pod_1", 0, 3);
  request.events[1].payload = std::string("bin\0\xff\x01", 6);
  const append_result result = append_one(*store_, request);
  ASSERT_EQ(result.status, append_status::committed) << result.detail;
  EXPECT_EQ(result.last_version, 3);

  const stream_read read = store_->read_stream("pod_1");
  ASSERT_TRUE(read.ok) << read.detail;
  EXPECT_FALSE(read.snapshot.has_value());
  ASSERT_EQ(read.events.size(), 3U);
  EXPECT_EQ(read.events[0].prev_hash, genesis_hash);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(read.events[i].stream_id, "pod_1");
    EXPECT_EQ(read.events[i].version, static_cast<std::int64_t>(i) + 1);
    EXPECT_EQ(read.events[i].event_type, request.events[i].event_type);
    EXPECT_EQ(read.events[i].payload, request.events[i].payload);
    EXPECT_EQ(read.events[i].recorded_at_ms, request.events[i].recorded_at_ms);
    EXPECT_EQ(read.events[i].hash.size(), 64U);
    if (i > 0) EXPECT_EQ(read.events[i].prev_hash, read.events[i - 1].hash);
  }
  EXPECT_TRUE(store_->read_stream("missing").events.empty());
  EXPECT_TRUE(store_->verify().ok);
}

// Goal: requests PostgreSQL cannot store (empty or non-UTF-8 ids, NUL in text) fail alone with
// storage_error and never abort the batch's transaction.
TEST_F(postgres_journal, malformed_requests_fail_alone) {
  const std::vector<append_request> batch{make_request("", 0, 1), make_request("bad\xff", 0, 1),
                                          make_request(std::string("nul\0id", 6), 0, 1),
                                          make_request("good", 0, 2)};
  const std::vector<append_result> results = store_->append_batch(batch);
  ASSERT_EQ(results.size(), 4U);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(results[i].status, append_status::storage_error);
    EXPECT_FALSE(results[i].detail.empty());
  }
  EXPECT_EQ(results[3].status, append_status::committed) << results[3].detail;
  EXPECT_EQ(store_->read_events("good", 0, 10).value().size(), 2U);
  EXPECT_TRUE(store_->read_events("bad\xff", 0, 10).value().empty());
}

// Goal: a stale request fails alone with the stream's actual version; the others commit.
TEST_F(postgres_journal, version_conflict_fails_alone) {
  ASSERT_EQ(append_one(*store_, make_request("a", 0, 2)).status, append_status::committed);
  const std::vector<append_request> batch{make_request("b", 0, 1), make_request("a", 1, 1, 9),
                                          make_request("a", 2, 1, 3)};
  const std::vector<append_result> results = store_->append_batch(batch);
  ASSERT_EQ(results.size(), 3U);
  EXPECT_EQ(results[0].status, append_status::committed);
  EXPECT_EQ(results[1].status, append_status::version_conflict);
  EXPECT_EQ(results[1].last_version, 2);
  EXPECT_EQ(results[2].status, append_status::committed);
  EXPECT_EQ(results[2].last_version, 3);
  const std::vector<event_record> events = store_->read_events("a", 0, 10).value();
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[2].payload, "p3");  // not the stale request's p9
}

// Goal: requests for one stream in one batch apply in order; a later one may expect an earlier
// one's last version, and one that expects an outdated version conflicts.
TEST_F(postgres_journal, same_stream_requests_in_one_batch) {
  const std::vector<append_request> batch{make_request("s", 0, 2), make_request("s", 2, 1, 3),
                                          make_request("s", 1, 1, 7), make_request("s", 0, 0)};
  const std::vector<append_result> results = store_->append_batch(batch);
  ASSERT_EQ(results.size(), 4U);
  EXPECT_EQ(results[0].status, append_status::committed);
  EXPECT_EQ(results[0].last_version, 2);
  EXPECT_EQ(results[1].status, append_status::committed);
  EXPECT_EQ(results[1].last_version, 3);
  EXPECT_EQ(results[2].status, append_status::version_conflict);
  EXPECT_EQ(results[2].last_version, 3);
  EXPECT_EQ(results[3].status, append_status::version_conflict);  // an empty check, stale
  EXPECT_EQ(store_->read_events("s", 0, 10).value().size(), 3U);
  EXPECT_TRUE(store_->verify().ok);
}

// Goal: the newest snapshot is kept, read_stream returns it plus the later events, and malformed
// snapshots (empty id, version 0, beyond the last event) are refused.
TEST_F(postgres_journal, snapshots_keep_the_newest) {
  ASSERT_EQ(append_one(*store_, make_request("s", 0, 4)).status, append_status::committed);
  EXPECT_TRUE(store_->save_snapshot({"s", 3, std::string("st\0ate3", 7)}));
  EXPECT_TRUE(store_->save_snapshot({"s", 2, "state2"}));  // older: accepted, not stored
  EXPECT_FALSE(store_->save_snapshot({"s", 5, "future"}));
  EXPECT_FALSE(store_->save_snapshot({"", 1, "x"}));
  EXPECT_FALSE(store_->save_snapshot({"s", 0, "x"}));
  EXPECT_FALSE(store_->save_snapshot({"missing", 1, "x"}));

  const stream_read read = store_->read_stream("s");
  ASSERT_TRUE(read.ok) << read.detail;
  ASSERT_TRUE(read.snapshot.has_value());
  EXPECT_EQ(read.snapshot->version, 3);
  EXPECT_EQ(read.snapshot->payload, std::string("st\0ate3", 7));
  ASSERT_EQ(read.events.size(), 1U);
  EXPECT_EQ(read.events[0].version, 4);
}

// Goal: streams list in bytewise order, by a prefix whose LIKE wildcards are taken literally,
// after a cursor, at most `limit`.
TEST_F(postgres_journal, list_streams_is_bytewise) {
  for (const char* id : {"b", "a_x", "B", "a%", "a", "ab", "\xc3\xa9t\xc3\xa9"})
    ASSERT_EQ(append_one(*store_, make_request(id, 0, 2)).status, append_status::committed) << id;
  EXPECT_EQ(store_->list_streams("", "", 100).value(),
            (std::vector<std::string>{"B", "a", "a%", "a_x", "ab", "b", "\xc3\xa9t\xc3\xa9"}));
  EXPECT_EQ(store_->list_streams("a_", "", 100).value(), (std::vector<std::string>{"a_x"}));
  EXPECT_EQ(store_->list_streams("a%", "", 100).value(), (std::vector<std::string>{"a%"}));
  EXPECT_EQ(store_->list_streams("a", "a%", 2).value(), (std::vector<std::string>{"a_x", "ab"}));
  EXPECT_TRUE(store_->list_streams("a", "", 0).value().empty());
  EXPECT_TRUE(store_->list_streams("zz", "", 10).value().empty());
  EXPECT_TRUE(
      store_->list_streams("\xff", "", 10).value().empty());  // not UTF-8: nothing, no error
}

// Goal: verify walks every chain and names the first event whose payload was changed behind the
// store's back.
TEST_F(postgres_journal, verify_names_the_first_tampered_event) {
  ASSERT_EQ(append_one(*store_, make_request("s1", 0, 3)).status, append_status::committed);
  ASSERT_EQ(append_one(*store_, make_request("s2", 0, 3)).status, append_status::committed);
  const verify_report intact = store_->verify();
  EXPECT_TRUE(intact.ok) << intact.detail;
  EXPECT_EQ(intact.streams_checked, 2);
  EXPECT_EQ(intact.events_checked, 6);

  side_exec("UPDATE events SET payload = 'forged' WHERE stream_id = 's2' AND version >= 2");
  const verify_report broken = store_->verify();
  EXPECT_FALSE(broken.ok);
  ASSERT_TRUE(broken.first_broken.has_value());
  EXPECT_EQ(broken.first_broken->stream_id, "s2");
  EXPECT_EQ(broken.first_broken->version, 2);
  EXPECT_EQ(broken.events_checked, 4);
  EXPECT_NE(broken.detail.find("hash"), std::string::npos) << broken.detail;
}

// Goal: the same events get the same hashes in PostgreSQL as in SQLite.
TEST_F(postgres_journal, hashes_match_sqlite) {
  temp_dir dir;
  auto sqlite_store = open_journal(dir.file("j.db"));
  ASSERT_NE(sqlite_store, nullptr);
  append_request first = make_request("pod_h", 0, 2);
  first.events[0].payload = std::string("\0\x01\x02", 3);
  const append_request second = make_request("pod_h", 2, 3, 5);
  for (journal_store* store : {store_.get(), sqlite_store.get()}) {
    ASSERT_EQ(append_one(*store, first).status, append_status::committed);
    ASSERT_EQ(append_one(*store, second).status, append_status::committed);
  }
  const std::vector<event_record> pg = store_->read_events("pod_h", 0, 10).value();
  const std::vector<event_record> lite = sqlite_store->read_events("pod_h", 0, 10).value();
  ASSERT_EQ(pg.size(), 5U);
  ASSERT_EQ(lite.size(), 5U);
  for (std::size_t i = 0; i < pg.size(); ++i) {
    EXPECT_EQ(pg[i].hash, lite[i].hash) << i;
    EXPECT_EQ(pg[i].prev_hash, lite[i].prev_hash) << i;
  }
}

// Goal: two stores on one database (two processes) never merge a stream: the second append at
// the same expected version is a version conflict, and the stream keeps one chain.
TEST_F(postgres_journal, two_stores_never_merge_a_stream) {
  std::string error;
  auto other = open_postgres_journal({.uri = uri_}, &error);
  ASSERT_NE(other, nullptr) << error;
  ASSERT_EQ(append_one(*store_, make_request("s", 0, 2)).status, append_status::committed);
  const append_result late = append_one(*other, make_request("s", 0, 1, 7));
  EXPECT_EQ(late.status, append_status::version_conflict);
  EXPECT_EQ(late.last_version, 2);
  EXPECT_EQ(append_one(*other, make_request("s", 2, 1, 3)).status, append_status::committed);
  const append_result stale = append_one(*store_, make_request("s", 2, 1, 8));
  EXPECT_EQ(stale.status, append_status::version_conflict);
  EXPECT_EQ(stale.last_version, 3);
  EXPECT_EQ(side_count("SELECT count(*) FROM events WHERE stream_id = 's'"), 3);
  EXPECT_TRUE(store_->verify().ok);
}

// Goal: when another process inserts the same version between the store's head read and its
// insert (the unique key fires), the request ends as version_conflict, never a merged stream.
TEST_F(postgres_journal, a_racing_insert_ends_as_version_conflict) {
  pqxx::connection side(uri_);
  pqxx::work racing(side);
  const std::string hash = event_hash({genesis_hash, "r", 1, "Raced", 7, "theirs"});
  racing.exec_params("INSERT INTO events VALUES ('r', 1, 'Raced', 'theirs'::bytea, 7, $1, $2)",
                     std::string(genesis_hash), hash);
  // The store cannot see the uncommitted row, so its insert waits on the key until we commit.
  std::future<append_result> appended = std::async(
      std::launch::async, [this] { return append_one(*store_, make_request("r", 0, 1)); });
  const bool store_waits = wait_for_lock_waiter();
  racing.commit();
  const append_result result = appended.get();
  EXPECT_TRUE(store_waits);
  EXPECT_EQ(result.status, append_status::version_conflict) << result.detail;
  EXPECT_EQ(result.last_version, 1);
  const std::vector<event_record> events = store_->read_events("r", 0, 10).value();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].payload, "theirs");
  EXPECT_TRUE(store_->verify().ok);
}

// Goal: if a pending transaction's rows vanished behind the store's back, resolving it fails the
// whole batch with storage_error and nothing of the batch is written.
TEST_F(postgres_journal, missing_pending_rows_fail_the_batch) {
  ASSERT_EQ(
      append_one(*store_, with_ledger("s", 0, t0, {pending_tx("p", transfer("a", "b", 4))})).status,
      append_status::committed);
  side_exec("DELETE FROM ledger_entries WHERE transaction_id = 'p'");
  const std::vector<append_request> batch{make_request("other", 0, 1),
                                          with_ledger("s", 1, t0, {post_tx("p")})};
  const std::vector<append_result> results = store_->append_batch(batch);
  ASSERT_EQ(results.size(), 2U);
  for (const append_result& result : results)
    EXPECT_EQ(result.status, append_status::storage_error) << result.detail;
  EXPECT_TRUE(store_->read_events("other", 0, 5).value().empty());
  EXPECT_EQ(side_count("SELECT count(*) FROM ledger_pending WHERE state = 'PENDING'"), 1);
}

// Goal: a balance that another process created while this batch ran is added to, not overwritten.
TEST_F(postgres_journal, a_racing_new_balance_is_added_to) {
  pqxx::connection side(uri_);
  pqxx::work racing(side);
  racing.exec("INSERT INTO ledger_balances VALUES ('acct:b', 'EUR', 100, 0, 0)");
  std::future<append_result> appended = std::async(std::launch::async, [this] {
    return append_one(*store_,
                      with_ledger("s", 0, t0, {posted_tx("t", transfer("acct:a", "acct:b", 7))}));
  });
  const bool store_waits = wait_for_lock_waiter();
  racing.commit();
  const append_result result = appended.get();
  EXPECT_TRUE(store_waits);
  EXPECT_EQ(result.status, append_status::committed) << result.detail;
  const auto balances = store_->read_balances("acct:", 10);
  ASSERT_TRUE(balances.has_value());
  EXPECT_EQ(*balances, (std::vector<account_balance>{{"acct:a", "EUR", -7, 0, 0},
                                                     {"acct:b", "EUR", 107, 0, 0}}));
}

// Goal: within one batch, a pending transaction created by one request can be posted by a later
// one (on another stream); resolving it again in the same batch is an illegal transition, and a
// stored pending transaction resolved earlier in the batch cannot be voided later in it.
TEST_F(postgres_journal, pending_transactions_resolve_across_requests_of_a_batch) {
  ASSERT_EQ(append_one(*store_, with_ledger("old", 0, t0, {pending_tx("q", transfer("a", "b", 2))}))
                .status,
            append_status::committed);
  const std::vector<append_request> batch{
      with_ledger("s1", 0, t0, {pending_tx("p", transfer("a", "b", 5))}),
      with_ledger("s2", 0, t0, {post_tx("p")}), with_ledger("s3", 0, t0, {void_tx("p")}),
      with_ledger("old", 1, t0, {void_tx("q")}), with_ledger("s4", 0, t0, {post_tx("q")})};
  const std::vector<append_result> results = store_->append_batch(batch);
  ASSERT_EQ(results.size(), 5U);
  EXPECT_EQ(results[0].status, append_status::committed) << results[0].detail;
  EXPECT_EQ(results[1].status, append_status::committed) << results[1].detail;
  EXPECT_EQ(results[2].status, append_status::ledger_rejected);
  EXPECT_EQ(results[2].reason, errc::illegal_transition);
  EXPECT_EQ(results[3].status, append_status::committed) << results[3].detail;
  EXPECT_EQ(results[4].status, append_status::ledger_rejected);
  EXPECT_EQ(results[4].reason, errc::illegal_transition);
  EXPECT_TRUE(store_->read_events("s3", 0, 5).value().empty());

  const auto rows = store_->read_ledger("", 0, 10);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 4U);
  for (const ledger_entry& row : *rows)
    EXPECT_EQ(row.phase, row.transaction_id == "p" ? "POSTED" : "VOIDED") << row.transaction_id;
  const auto balances = store_->read_balances("", 10);
  ASSERT_TRUE(balances.has_value());
  EXPECT_EQ(*balances,
            (std::vector<account_balance>{{"a", "EUR", -5, 0, 0}, {"b", "EUR", 5, 0, 0}}));
  EXPECT_EQ(side_count("SELECT count(*) FROM ledger_pending WHERE state = 'PENDING'"), 0);
}

// Goal: a new hold that reuses a stored id fails alone with already_exists, though a batch's first
// attempt does not read new holds' ids: the primary key refuses the insert and the batch runs
// again reading them. The other requests of the batch commit once, and nothing is doubled.
TEST_F(postgres_journal, a_new_hold_reusing_a_stored_id_fails_alone) {
  ASSERT_EQ(append_one(*store_, with_ledger("old", 0, t0, {pending_tx("q", transfer("a", "b", 2))}))
                .status,
            append_status::committed);
  const std::vector<append_request> batch{
      with_ledger("s1", 0, t0, {pending_tx("p1", transfer("a", "b", 5))}),
      with_ledger("s2", 0, t0, {pending_tx("q", transfer("a", "b", 7))}),
      with_ledger("s3", 0, t0, {pending_tx("p3", transfer("a", "b", 11))})};
  const std::vector<append_result> results = store_->append_batch(batch);
  ASSERT_EQ(results.size(), 3U);
  EXPECT_EQ(results[0].status, append_status::committed) << results[0].detail;
  EXPECT_EQ(results[1].status, append_status::ledger_rejected);
  EXPECT_EQ(results[1].reason, errc::already_exists);
  EXPECT_EQ(results[2].status, append_status::committed) << results[2].detail;
  EXPECT_TRUE(store_->read_events("s2", 0, 5).value().empty());
  EXPECT_EQ(side_count("SELECT count(*) FROM ledger_pending"), 3);
  EXPECT_EQ(side_count("SELECT count(*) FROM ledger_entries"), 6);
  EXPECT_EQ(side_count("SELECT pending_in_minor FROM ledger_balances WHERE account = 'b'"), 18);
}

// Goal: the database itself refuses ledger rows that do not sum to zero per transaction and
// currency, and accepts balanced ones. Each INSERT must carry whole transactions: one that leaves
// a transaction unbalanced fails even if a later statement would make up the difference.
TEST_F(postgres_journal, database_refuses_unbalanced_ledger_rows) {
  const std::string insert =
      "INSERT INTO ledger_entries (transaction_id, account, currency, amount_minor, phase, "
      "stream_id, stream_version, recorded_at_ms) VALUES ";
  EXPECT_THROW(side_exec(insert + "('t1', 'a', 'EUR', 5, 'POSTED', 's', 1, 0), "
                                  "('t1', 'b', 'EUR', -4, 'POSTED', 's', 1, 0)"),
               pqxx::sql_error);
  EXPECT_THROW(side_exec(insert + "('t2', 'a', 'EUR', 5, 'POSTED', 's', 1, 0), "
                                  "('t2', 'b', 'USD', -5, 'POSTED', 's', 1, 0)"),
               pqxx::sql_error);
  EXPECT_THROW(side_exec(insert + "('t4', 'a', 'EUR', 5, 'POSTED', 's', 1, 0); " + insert +
                         "('t4', 'b', 'EUR', -5, 'POSTED', 's', 1, 0)"),
               pqxx::sql_error);
  EXPECT_NO_THROW(side_exec(insert + "('t3', 'a', 'EUR', 5, 'PENDING', 's', 1, 0), "
                                     "('t3', 'b', 'EUR', -5, 'PENDING', 's', 1, 0), "
                                     "('t5', 'a', 'USD', 7, 'VOIDED', 's', 1, 0)"));
  EXPECT_EQ(side_count("SELECT count(*) FROM ledger_entries"), 3);
}

// Goal: under a batch's planning settings, every prepared statement is planned as index probes
// and nested loops, even on the empty tables of a fresh store, where the plan a batch caches
// first is made; no sequential scan, hash or merge join, whatever the tables grow to.
TEST_F(postgres_journal, batch_statements_are_planned_as_index_probes_on_empty_tables) {
  pqxx::connection conn(uri_);
  const std::vector<std::string> names = postgres::prepare_statements(conn);
  for (const auto& name : names) conn.prepare_now(name);
  pqxx::work txn(conn);
  txn.exec(postgres::batch_planning);
  const pqxx::result statements = txn.exec(
      "SELECT name, cardinality(parameter_types) FROM pg_prepared_statements ORDER BY name");
  EXPECT_EQ(statements.size(), names.size());
  EXPECT_GE(statements.size(), 20U);
  for (const auto& statement : statements) {
    const std::string name = statement[0].as<std::string>();
    std::string arguments;
    for (int i = 0; i < statement[1].as<int>(); ++i) arguments += i == 0 ? "NULL" : ", NULL";
    std::string plan;
    for (const auto& line : txn.exec("EXPLAIN (COSTS OFF) EXECUTE " + name + "(" + arguments + ")"))
      plan += line[0].as<std::string>() + "\n";
    for (const char* wrong : {"Seq Scan", "Hash Join", "Hash Semi Join", "Hash Anti Join",
                              "Merge Join", "Merge Semi Join"}) {
      EXPECT_EQ(plan.find(wrong), std::string::npos) << name << " plans " << wrong << ":\n" << plan;
    }
    // A pending transaction's rows are read within its range of entry ids: a walk of the whole
    // primary key (a plain Index Scan with a Filter, which the checks above let through) would
    // read every row of the ledger.
    if (name == "resolve_entries" || name == "select_pending_rows" ||
        name == "prefetch_pending_rows") {
      EXPECT_NE(plan.find("Index Cond: ((entry_id >= p.first_entry_id) AND (entry_id <= "
                          "p.last_entry_id))"),
                std::string::npos)
          << name << " does not probe the range:\n"
          << plan;
      EXPECT_EQ(plan.find("Index Scan using ledger_entries_pkey on ledger_entries e\n        "
                          "Filter"),
                std::string::npos)
          << name << " does not probe the range:\n"
          << plan;
    }
  }
}

// Goal: after the server drops the store's connection, the next call reconnects by itself and
// succeeds, without applying anything twice.
TEST_F(postgres_journal, reconnects_after_a_lost_connection) {
  ASSERT_EQ(append_one(*store_, make_request("s", 0, 1)).status, append_status::committed);
  side_exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  // The lost connection is noticed, replaced, and the append runs once more on the new one.
  const append_result after = append_one(*store_, make_request("s", 1, 1, 2));
  EXPECT_EQ(after.status, append_status::committed) << after.detail;
  EXPECT_EQ(store_->read_events("s", 0, 10).value().size(), 2U);
}

// Goal: the store asks libpq to give up connecting after the statement timeout (whole seconds,
// at least 2), in either form of connection string, unless it names its own timeout.
TEST(postgres_journal_faults, connect_timeout_joins_the_uri_unless_it_names_one) {
  using postgres::with_connect_timeout;
  using std::chrono::milliseconds;
  EXPECT_EQ(with_connect_timeout("postgresql://u@h:5432/db", milliseconds(5000)),
            "postgresql://u@h:5432/db?connect_timeout=5");
  EXPECT_EQ(with_connect_timeout("postgres://u@h/db?sslmode=disable", milliseconds(4500)),
            "postgres://u@h/db?sslmode=disable&connect_timeout=5");
  EXPECT_EQ(with_connect_timeout("postgresql://u@h/db", milliseconds(500)),
            "postgresql://u@h/db?connect_timeout=2");
  EXPECT_EQ(with_connect_timeout("host=h dbname=db", milliseconds(3000)),
            "host=h dbname=db connect_timeout=3");
  EXPECT_EQ(with_connect_timeout("postgresql://u@h/db?connect_timeout=9", milliseconds(5000)),
            "postgresql://u@h/db?connect_timeout=9");
  EXPECT_EQ(with_connect_timeout("postgresql://u@h/db", milliseconds(0)), "postgresql://u@h/db");
}

// Goal: a server that stops answering (frozen, its connections open) costs a call its limit,
// twice the statement timeout, and a connection attempt its connect timeout, instead of a
// hang: the append fails as storage_error and commits nothing, a ping says the store is not
// there, and once the server runs again the store reconnects by itself.
TEST(postgres_journal_faults, a_server_that_stops_answering_cuts_the_call_off) {
  if (!payorch::testing::postgres_available()) GTEST_SKIP() << "PostgreSQL 15 not installed";
  std::string error;
  auto server = payorch::testing::postgres_server::start(&error);
  ASSERT_NE(server, nullptr) << error;
  auto store =
      open_postgres_journal({.uri = server->connection_uri(), .statement_timeout_ms = 500}, &error);
  ASSERT_NE(store, nullptr) << error;
  ASSERT_EQ(append_one(*store, make_request("s", 0, 1)).status, append_status::committed);

  // Each call runs on a thread of its own with a bound, so a hang fails the test (the server
  // is let go, which ends the call) instead of stopping it.
  const auto bounded = [&](auto call) {
    auto answer = std::async(std::launch::async, call);
    if (answer.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      ADD_FAILURE() << "a call to the frozen server did not end";
      server->thaw();
    }
    return answer.get();
  };
  ASSERT_TRUE(server->freeze());
  const append_result cut = bounded([&] { return append_one(*store, make_request("s", 1, 1, 2)); });
  EXPECT_EQ(cut.status, append_status::storage_error) << cut.detail;
  EXPECT_FALSE(bounded([&] { return store->ping(); }));
  server->thaw();

  EXPECT_TRUE(store->ping());
  EXPECT_EQ(store->read_events("s", 0, 10).value().size(), 1U);  // the cut-off append left nothing
  const append_result after = append_one(*store, make_request("s", 1, 1, 3));
  EXPECT_EQ(after.status, append_status::committed) << after.detail;
}

// Goal: reads of a store whose server is down fail with storage_unavailable rather than
// answering an empty page, which a reader would take for the end of the stream or listing; they
// succeed again once the server is back.
TEST(postgres_journal_faults, reads_of_a_stopped_server_fail_instead_of_ending) {
  if (!payorch::testing::postgres_available()) GTEST_SKIP() << "PostgreSQL 15 not installed";
  std::string error;
  auto server = payorch::testing::postgres_server::start(&error);
  ASSERT_NE(server, nullptr) << error;
  auto store = open_postgres_journal({.uri = server->connection_uri()}, &error);
  ASSERT_NE(store, nullptr) << error;
  ASSERT_EQ(append_one(*store, make_request("pod_a", 0, 2)).status, append_status::committed);

  ASSERT_TRUE(server->halt());
  const auto events = store->read_events("pod_a", 0, 10);
  ASSERT_FALSE(events.has_value());
  EXPECT_EQ(events.error().code, errc::storage_unavailable);
  const auto streams = store->list_streams("pod_", "", 10);
  ASSERT_FALSE(streams.has_value());
  EXPECT_EQ(streams.error().code, errc::storage_unavailable);

  ASSERT_TRUE(server->resume(&error)) << error;
  EXPECT_EQ(store->read_events("pod_a", 0, 10).value().size(), 2U);
  EXPECT_EQ(store->list_streams("pod_", "", 10).value(), std::vector<std::string>{"pod_a"});
}

}  // namespace
}  // namespace payorch::persistence::testing
