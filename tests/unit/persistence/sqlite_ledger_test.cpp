// The conformance suites on SQLite, and what only the SQLite ledger has: tables added to older
// files, CHECK constraints, and how it reacts when the file was changed behind its back.
#include <gtest/gtest.h>

#include "persistence/sqlite/schema.hpp"
#include "store_conformance.hpp"

namespace payorch::persistence::testing {

INSTANTIATE_TEST_SUITE_P(sqlite, ledger_conformance, ::testing::Values(sqlite_factory()));
INSTANTIATE_TEST_SUITE_P(sqlite, idempotency_conformance, ::testing::Values(sqlite_factory()));
INSTANTIATE_TEST_SUITE_P(sqlite, paging_conformance, ::testing::Values(sqlite_factory()));
INSTANTIATE_TEST_SUITE_P(sqlite, outbox_conformance, ::testing::Values(sqlite_factory()));

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

// The tables exactly as builds before the ledger created them.
constexpr const char* pre_ledger_schema = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE events (
  stream_id TEXT NOT NULL, version INTEGER NOT NULL, event_type TEXT NOT NULL,
  payload BLOB NOT NULL, recorded_at_ms INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  UNIQUE (stream_id, version));
CREATE TABLE snapshots (
  stream_id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, payload BLOB NOT NULL
) WITHOUT ROWID;
INSERT INTO schema_version (version) VALUES (1);
)sql";

append_result append_alone(journal_store& store, append_request request) {
  return append_one(store, std::move(request));
}

// Goal: a file written before the ledger existed gains its tables at open, keeps its events and
// schema version 1, and takes ledger commands.
TEST(sqlite_ledger, older_file_gains_the_ledger_tables) {
  temp_dir dir;
  raw_db(dir.file("old.db")).exec(pre_ledger_schema);
  auto store = open_journal(dir.file("old.db"));
  ASSERT_NE(store, nullptr);
  raw_db raw(dir.file("old.db"));
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM sqlite_master WHERE name IN ('ledger_entries', "
                          "'ledger_pending', 'ledger_balances', 'idempotency')"),
            4);
  EXPECT_EQ(raw.query_int("SELECT version FROM schema_version"), 1);
  const append_result result =
      append_alone(*store, with_ledger("s", 0, t0, {posted_tx("t1", transfer("a", "b", 3))}));
  EXPECT_EQ(result.status, append_status::committed) << result.detail;
  EXPECT_EQ(raw.query_int("SELECT posted_minor FROM ledger_balances WHERE account = 'b'"), 3);
  EXPECT_TRUE(store->verify().ok);
}

// Goal: entries are indexed by their account's scope (the account up to its second ':'), not by
// account, so a pod's postings share index pages; the scope the reads compute agrees with the
// index's expression for every shape of account; and reads by a scope prefix, a narrower one and
// a shorter one all find their rows in entry order.
TEST(sqlite_ledger, entries_are_indexed_by_account_scope) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  ASSERT_NE(store, nullptr);
  raw_db raw(dir.file("j.db"));
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                          "tbl_name = 'ledger_entries' AND name = 'ledger_entries_by_scope'"),
            1);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                          "name = 'ledger_entries_by_account'"),
            0);
  for (const std::string account : {"pod:pod_1:wallet", "pod:pod_1:member:ann", "acct:a", "a", "",
                                    ":", "::", "a::b", ":x:", "\xc3\xa9t\xc3\xa9:\xc3\xbc:z"}) {
    EXPECT_EQ(raw.query_text("SELECT " + std::string(sqlite::ledger_scope_sql) + " FROM (SELECT '" +
                             account + "' AS account)"),
              sqlite::ledger_scope(account))
        << account;
  }

  ASSERT_EQ(
      append_alone(
          *store, with_ledger("pod_1", 0, t0,
                              {posted_tx("t1", transfer("pod:p1:member:ann", "pod:p1:wallet", 3)),
                               posted_tx("t2", transfer("pod:p2:member:ann", "pod:p2:wallet", 4)),
                               posted_tx("t3", transfer("pod:p1:member:ben", "pod:p1:wallet", 5))}))
          .status,
      append_status::committed);
  const auto accounts_of = [&](std::string_view prefix) {
    std::vector<std::string> out;
    const auto rows = store->read_ledger(prefix, 0, 100);
    EXPECT_TRUE(rows.has_value());
    if (rows) {
      for (const ledger_entry& e : *rows) out.push_back(e.account);
    }
    return out;
  };
  EXPECT_EQ(accounts_of("pod:p1:"),
            (std::vector<std::string>{"pod:p1:member:ann", "pod:p1:wallet", "pod:p1:member:ben",
                                      "pod:p1:wallet"}));
  EXPECT_EQ(accounts_of("pod:p1:member:"),
            (std::vector<std::string>{"pod:p1:member:ann", "pod:p1:member:ben"}));
  EXPECT_EQ(accounts_of("pod:").size(), 6U);
  EXPECT_TRUE(accounts_of("pod:p3:").empty());
}

// Goal: the zero-sum guard checks every ledger row a batch wrote: a row that does not add up
// (here a trigger changes one behind the code's back) rolls back the whole batch, the requests
// before it included, and names the transaction.
TEST(sqlite_ledger, an_unbalanced_row_rolls_the_whole_batch_back) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  raw_db raw(dir.file("j.db"));
  raw.exec(
      "CREATE TRIGGER skew AFTER INSERT ON ledger_entries WHEN NEW.account = 'skewed' BEGIN "
      "UPDATE ledger_entries SET amount_minor = amount_minor + 1 WHERE entry_id = NEW.entry_id; "
      "END");
  std::vector<append_request> batch;
  batch.push_back(with_ledger("a", 0, t0, {posted_tx("t1", transfer("x", "y", 5))}));
  batch.push_back(with_ledger("b", 0, t0, {posted_tx("t2", transfer("skewed", "y", 7))}));
  batch.push_back(with_ledger("c", 0, t0, {posted_tx("t3", transfer("x", "z", 9))}));
  const std::vector<append_result> results = store->append_batch(batch);
  ASSERT_EQ(results.size(), 3U);
  for (const append_result& r : results) {
    EXPECT_EQ(r.status, append_status::storage_error);
    EXPECT_NE(r.detail.find("t2"), std::string::npos) << r.detail;
  }
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM ledger_entries"), 0);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM events"), 0);
  raw.exec("DROP TRIGGER skew");
  for (const append_result& r : store->append_batch(batch))
    EXPECT_EQ(r.status, append_status::committed) << r.detail;
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM ledger_entries"), 6);
}

// Goal: the tables refuse rows the code never writes (zero amounts, unknown phases, negative
// pending figures), as a second line behind the checks in code.
TEST(sqlite_ledger, check_constraints_refuse_impossible_rows) {
  temp_dir dir;
  ASSERT_NE(open_journal(dir.file("j.db")), nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("j.db").string().c_str(), &db), SQLITE_OK);
  const auto refused = [db](const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    sqlite3_free(message);
    return rc == SQLITE_CONSTRAINT;
  };
  EXPECT_TRUE(
      refused("INSERT INTO ledger_entries (transaction_id, account, currency, amount_minor, "
              "phase, stream_id, stream_version, recorded_at_ms) "
              "VALUES ('t', 'a', 'EUR', 0, 'POSTED', 's', 1, 0)"));
  EXPECT_TRUE(
      refused("INSERT INTO ledger_entries (transaction_id, account, currency, amount_minor, "
              "phase, stream_id, stream_version, recorded_at_ms) "
              "VALUES ('t', 'a', 'EUR', 5, 'SETTLED', 's', 1, 0)"));
  EXPECT_TRUE(refused("INSERT INTO ledger_balances VALUES ('a', 'EUR', 0, -1, 0)"));
  EXPECT_TRUE(refused("INSERT INTO ledger_pending VALUES ('t', 'LOST', 0, 1, 2)"));
  EXPECT_FALSE(refused("INSERT INTO ledger_balances VALUES ('a', 'EUR', -5, 0, 0)"));
  sqlite3_close(db);
}

// Goal: if a pending transaction's rows were deleted behind the store's back, resolving it fails
// the whole batch with storage_error rather than guessing, and nothing of the batch is written.
TEST(sqlite_ledger, missing_pending_rows_fail_the_batch) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  ASSERT_EQ(append_alone(*store, with_ledger("s", 0, t0, {pending_tx("p", transfer("a", "b", 4))}))
                .status,
            append_status::committed);
  raw_db(dir.file("j.db")).exec("DELETE FROM ledger_entries WHERE amount_minor = 4");
  const std::vector<append_request> batch{make_request("other", 0, 1),
                                          with_ledger("s", 1, t0, {post_tx("p")})};
  const std::vector<append_result> results = store->append_batch(batch);
  ASSERT_EQ(results.size(), 2U);
  for (const append_result& result : results)
    EXPECT_EQ(result.status, append_status::storage_error) << result.detail;
  EXPECT_TRUE(store->read_events("other", 0, 5).value().empty());
  raw_db raw(dir.file("j.db"));
  EXPECT_EQ(raw.query_text("SELECT state FROM ledger_pending WHERE transaction_id = 'p'"),
            "PENDING");
}

// Goal: if a balance no longer covers a pending transaction (edited behind the store's back),
// voiding it is refused alone with internal_error instead of driving the figure negative.
TEST(sqlite_ledger, balances_that_disagree_with_rows_are_refused) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  ASSERT_EQ(append_alone(*store, with_ledger("s", 0, t0, {pending_tx("p", transfer("a", "b", 4))}))
                .status,
            append_status::committed);
  raw_db(dir.file("j.db"))
      .exec("UPDATE ledger_balances SET pending_out_minor = 1 WHERE account = 'a'");
  const append_result result = append_alone(*store, with_ledger("s", 1, t0, {void_tx("p")}));
  EXPECT_EQ(result.status, append_status::ledger_rejected);
  EXPECT_EQ(result.reason, errc::internal_error);
  EXPECT_EQ(store->read_events("s", 0, 5).value().size(), 1U);
}

// Goal: a ledger row records the version of its request's first event, also when the request
// appends several events to a stream that already has some.
TEST(sqlite_ledger, rows_name_the_first_event_of_their_request) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  ASSERT_EQ(append_alone(*store, make_request("s", 0, 3)).status, append_status::committed);
  append_request request = with_ledger("s", 3, t0 + 7, {posted_tx("t", transfer("a", "b", 1))});
  request.events.push_back({"Second", "{}", t0 + 8});
  ASSERT_EQ(append_alone(*store, request).status, append_status::committed);
  auto rows = store->read_ledger("", 0, 10);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2U);
  EXPECT_EQ((*rows)[0].stream_version, 4);
  EXPECT_EQ((*rows)[0].recorded_at_ms, t0 + 7);
}

}  // namespace
}  // namespace payorch::persistence::testing
