// The ledger conformance suite of journal_store: ledger commands travel with appends, commit with
// their events or not at all, and keep balances equal to the rows. Instantiated per backend.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <tuple>

#include "store_conformance.hpp"

namespace payorch::persistence::testing {
namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

// Goal: a posted transaction writes one POSTED row per posting, tagged with its event, and moves
// the posted balances at once.
TEST_P(ledger_conformance, posted_transaction_moves_posted_balances) {
  const append_result result =
      append(with_ledger("pod_a", 0, t0, {posted_tx("tx1", transfer("pod:a:m1", "pod:a:w", 250))}));
  ASSERT_EQ(result.status, append_status::committed) << result.detail;
  EXPECT_EQ(result.reason, errc::ok);

  const std::vector<ledger_entry> rows = all_entries();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].transaction_id, "tx1");
  EXPECT_EQ(rows[0].account, "pod:a:m1");
  EXPECT_EQ(rows[0].currency, "EUR");
  EXPECT_EQ(rows[0].amount_minor, -250);
  EXPECT_EQ(rows[0].phase, "POSTED");
  EXPECT_EQ(rows[0].stream_id, "pod_a");
  EXPECT_EQ(rows[0].stream_version, 1);
  EXPECT_EQ(rows[0].recorded_at_ms, t0);
  EXPECT_LT(rows[0].entry_id, rows[1].entry_id);
  EXPECT_EQ(rows[1].amount_minor, 250);

  EXPECT_EQ(balance("pod:a:m1", "EUR"), (account_balance{"pod:a:m1", "EUR", -250, 0, 0}));
  EXPECT_EQ(balance("pod:a:w", "EUR"), (account_balance{"pod:a:w", "EUR", 250, 0, 0}));
}

// Goal: a pending transaction reserves money; posting it moves it from pending to posted and
// flips its rows to POSTED.
TEST_P(ledger_conformance, pending_then_post_moves_pending_to_posted) {
  ASSERT_EQ(
      append(with_ledger("pod_a", 0, t0,
                         {pending_tx("plg_1", transfer("pod:a:m1", "pod:a:w", 300), t0 + 1000)}))
          .status,
      append_status::committed);
  EXPECT_EQ(balance("pod:a:m1", "EUR"), (account_balance{"pod:a:m1", "EUR", 0, 0, 300}));
  EXPECT_EQ(balance("pod:a:w", "EUR"), (account_balance{"pod:a:w", "EUR", 0, 300, 0}));
  for (const ledger_entry& row : all_entries()) EXPECT_EQ(row.phase, "PENDING");

  const append_result posted = append(with_ledger("pod_a", 1, t0 + 999, {post_tx("plg_1")}));
  ASSERT_EQ(posted.status, append_status::committed) << posted.detail;
  EXPECT_EQ(balance("pod:a:m1", "EUR"), (account_balance{"pod:a:m1", "EUR", -300, 0, 0}));
  EXPECT_EQ(balance("pod:a:w", "EUR"), (account_balance{"pod:a:w", "EUR", 300, 0, 0}));
  const std::vector<ledger_entry> rows = all_entries();
  ASSERT_EQ(rows.size(), 2U);  // resolving adds no rows: the pending rows change phase
  for (const ledger_entry& row : rows) {
    EXPECT_EQ(row.phase, "POSTED");
    EXPECT_EQ(row.transaction_id, "plg_1");
    EXPECT_EQ(row.stream_version, 1);  // still the event that recorded the pledge
  }
}

// Goal: voiding a pending transaction releases the reservation and marks its rows VOIDED; an
// expired one can still be voided (that is how it expires).
TEST_P(ledger_conformance, void_releases_the_pending_amount) {
  ASSERT_EQ(append(with_ledger("pod_a", 0, t0,
                               {pending_tx("plg_1", transfer("pod:a:m1", "pod:a:w", 300), t0 + 10),
                                posted_tx("seed", transfer("pod:a:bank", "pod:a:m1", 1000))}))
                .status,
            append_status::committed);
  EXPECT_EQ(balance("pod:a:m1", "EUR").available_minor(), 700);
  const append_result voided = append(with_ledger("pod_a", 1, t0 + 50, {void_tx("plg_1")}));
  ASSERT_EQ(voided.status, append_status::committed) << voided.detail;
  EXPECT_EQ(balance("pod:a:m1", "EUR"), (account_balance{"pod:a:m1", "EUR", 1000, 0, 0}));
  EXPECT_EQ(balance("pod:a:w", "EUR"), (account_balance{"pod:a:w", "EUR", 0, 0, 0}));
  std::map<std::string, std::string> phase_by_tx;
  for (const ledger_entry& row : all_entries()) phase_by_tx[row.transaction_id] = row.phase;
  EXPECT_EQ(phase_by_tx["plg_1"], "VOIDED");
  EXPECT_EQ(phase_by_tx["seed"], "POSTED");
}

// Goal: posting an unknown, voided, already posted or expired pending transaction is refused
// alone, with its reason, while the other requests of the same batch commit.
TEST_P(ledger_conformance, bad_resolutions_fail_alone_in_a_batch) {
  ASSERT_EQ(append(with_ledger("setup", 0, t0,
                               {pending_tx("voided", transfer("a", "b", 5)),
                                pending_tx("done", transfer("a", "b", 6)),
                                pending_tx("late", transfer("a", "b", 7), t0 + 100),
                                pending_tx("open", transfer("a", "b", 8), t0 + 100)}))
                .status,
            append_status::committed);
  ASSERT_EQ(append(with_ledger("setup", 1, t0, {void_tx("voided"), post_tx("done")})).status,
            append_status::committed);
  const std::size_t rows_before = all_entries().size();
  const account_balance a_before = balance("a", "EUR");

  const batch_results results =
      commit({with_ledger("s1", 0, t0 + 100, {post_tx("missing")}),
              with_ledger("s2", 0, t0 + 100, {post_tx("voided")}),
              with_ledger("s3", 0, t0 + 100, {post_tx("done")}),
              with_ledger("s4", 0, t0 + 100, {post_tx("late")}),  // expired at t0 + 100
              with_ledger("s5", 0, t0 + 99, {post_tx("open")}),   // just in time
              make_request("s6", 0, 2)});
  ASSERT_EQ(results.appends.size(), 6U);
  const std::vector<std::pair<append_status, errc>> expected{
      {append_status::ledger_rejected, errc::not_found},
      {append_status::ledger_rejected, errc::illegal_transition},
      {append_status::ledger_rejected, errc::illegal_transition},
      {append_status::ledger_rejected, errc::pending_expired},
      {append_status::committed, errc::ok},
      {append_status::committed, errc::ok}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(results.appends[i].status, expected[i].first) << i << results.appends[i].detail;
    EXPECT_EQ(results.appends[i].reason, expected[i].second) << i;
    if (expected[i].first == append_status::ledger_rejected) {
      EXPECT_EQ(results.appends[i].last_version, 0);
      EXPECT_FALSE(results.appends[i].detail.empty());
      EXPECT_TRUE(store_->read_events("s" + std::to_string(i + 1), 0, 10).value().empty());
    }
  }
  EXPECT_EQ(store_->read_events("s6", 0, 10).value().size(), 2U);
  EXPECT_EQ(all_entries().size(), rows_before);
  // Only "open" moved: a's pending out drops by 8 and its posted balance by 8.
  const account_balance a_after = balance("a", "EUR");
  EXPECT_EQ(a_after.posted_minor, a_before.posted_minor - 8);
  EXPECT_EQ(a_after.pending_out_minor, a_before.pending_out_minor - 8);
}

// Goal: an unbalanced or malformed ledger rejects its whole request (no events, no rows) and names
// the command, while the batch's other requests commit.
TEST_P(ledger_conformance, invalid_ledger_rejects_its_request_only) {
  std::vector<ledger_posting> lopsided = transfer("a", "b", 10);
  lopsided[1].amount_minor = 9;
  std::vector<ledger_posting> odd_currency = transfer("a", "b", 10, "EUX");
  append_request no_event = with_ledger("s4", 0, t0, {posted_tx("t4", transfer("a", "b", 1))});
  no_event.events.clear();
  const batch_results results = commit(
      {with_ledger("s1", 0, t0,
                   {posted_tx("ok", transfer("a", "b", 1)), posted_tx("t1", lopsided)}),
       with_ledger("s2", 0, t0, {posted_tx("t2", odd_currency)}),
       with_ledger("s3", 0, t0, {pending_tx("t3", transfer("a", "b", 1), t0)}),  // already expired
       no_event, with_ledger("s5", 0, t0, {posted_tx("t5", transfer("a", "b", 3))})});
  ASSERT_EQ(results.appends.size(), 5U);
  EXPECT_EQ(results.appends[0].reason, errc::ledger_unbalanced);
  EXPECT_NE(results.appends[0].detail.find("ledger[1]"), std::string::npos)
      << results.appends[0].detail;
  EXPECT_EQ(results.appends[1].reason, errc::unknown_currency);
  EXPECT_EQ(results.appends[2].reason, errc::invalid_argument);
  EXPECT_EQ(results.appends[3].reason, errc::invalid_argument);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(results.appends[i].status, append_status::ledger_rejected) << i;
  EXPECT_EQ(results.appends[4].status, append_status::committed);
  for (const char* stream : {"s1", "s2", "s3"})
    EXPECT_TRUE(store_->read_events(stream, 0, 5).value().empty());
  const std::vector<ledger_entry> rows = all_entries();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].transaction_id, "t5");
  EXPECT_EQ(balance("b", "EUR").posted_minor, 3);
}

// Goal: an account with a NUL byte or invalid UTF-8 is refused as an invalid request (neither
// store could find it again by its prefix), writing nothing of its request.
TEST_P(ledger_conformance, account_not_utf8_text_is_refused) {
  const std::string with_nul("pod:p\0q:wallet", 14);
  const std::string not_utf8(
      "pod:a\x80"
      "b:wallet");
  const batch_results results =
      commit({with_ledger("s1", 0, t0, {posted_tx("t1", transfer(with_nul, "pod:p:x", 4))}),
              with_ledger("s2", 0, t0, {posted_tx("t2", transfer("a", "b", 3))}),
              with_ledger("s3", 0, t0, {posted_tx("t3", transfer(not_utf8, "pod:a:x", 5))})});
  ASSERT_EQ(results.appends.size(), 3U);
  for (const std::size_t refused : {0U, 2U}) {
    EXPECT_EQ(results.appends[refused].status, append_status::storage_error) << refused;
    EXPECT_NE(results.appends[refused].detail.find("invalid request"), std::string::npos)
        << results.appends[refused].detail;
  }
  EXPECT_EQ(results.appends[1].status, append_status::committed);
  EXPECT_TRUE(store_->read_events("s1", 0, 5).value().empty());
  EXPECT_TRUE(store_->read_events("s3", 0, 5).value().empty());
  ASSERT_EQ(all_entries().size(), 2U);
  EXPECT_EQ(all_entries()[0].transaction_id, "t2");
}

// Goal: a request that loses its version check writes no ledger rows and moves no balance, both on
// an existing stream and when it claims a new stream that already exists.
TEST_P(ledger_conformance, version_conflict_writes_no_ledger) {
  ASSERT_EQ(append(with_ledger("pod_a", 0, t0, {posted_tx("t1", transfer("a", "b", 5))})).status,
            append_status::committed);
  const batch_results results =
      commit({with_ledger("pod_a", 0, t0, {posted_tx("t2", transfer("a", "b", 7))}),
              with_ledger("pod_a", 5, t0, {pending_tx("t3", transfer("a", "b", 9))}),
              with_ledger("pod_a", 1, t0, {posted_tx("t4", transfer("a", "b", 11))})});
  EXPECT_EQ(results.appends[0].status, append_status::version_conflict);
  EXPECT_EQ(results.appends[0].last_version, 1);
  EXPECT_EQ(results.appends[1].status, append_status::version_conflict);
  EXPECT_EQ(results.appends[2].status, append_status::committed);
  std::set<std::string> transactions;
  for (const ledger_entry& row : all_entries()) transactions.insert(row.transaction_id);
  EXPECT_EQ(transactions, (std::set<std::string>{"t1", "t4"}));
  EXPECT_EQ(balance("b", "EUR"), (account_balance{"b", "EUR", 16, 0, 0}));
  // The pending transaction of the lost request does not exist either.
  EXPECT_EQ(append(with_ledger("pod_b", 0, t0, {post_tx("t3")})).reason, errc::not_found);
}

// Goal: one request may create and resolve a pending transaction; a pending id is never reused,
// within a request or later, and a posted transaction cannot take it either.
TEST_P(ledger_conformance, pending_ids_are_unique_and_resolvable_in_one_request) {
  const append_result both =
      append(with_ledger("s", 0, t0,
                         {pending_tx("p1", transfer("a", "b", 4)), post_tx("p1"),
                          pending_tx("p2", transfer("a", "b", 6)), void_tx("p2")}));
  ASSERT_EQ(both.status, append_status::committed) << both.detail;
  EXPECT_EQ(balance("a", "EUR"), (account_balance{"a", "EUR", -4, 0, 0}));
  EXPECT_EQ(balance("b", "EUR"), (account_balance{"b", "EUR", 4, 0, 0}));

  EXPECT_EQ(append(with_ledger("s", 1, t0, {pending_tx("p1", transfer("a", "b", 1))})).reason,
            errc::already_exists);
  EXPECT_EQ(append(with_ledger("s", 1, t0, {posted_tx("p2", transfer("a", "b", 1))})).reason,
            errc::already_exists);
  EXPECT_EQ(append(with_ledger("s", 1, t0,
                               {pending_tx("p3", transfer("a", "b", 1)),
                                pending_tx("p3", transfer("a", "b", 1))}))
                .reason,
            errc::already_exists);
  EXPECT_EQ(append(with_ledger("s", 1, t0, {post_tx("p1")})).reason, errc::illegal_transition);
  EXPECT_EQ(append(with_ledger("s", 1, t0, {void_tx("p2")})).reason, errc::illegal_transition);
  EXPECT_EQ(all_entries().size(), 4U);
}

// Goal: a reused hold id is what a request hears about first, whatever else is wrong with it:
// an expiry already past, a later command of the request refused, or a malformed outbox message.
TEST_P(ledger_conformance, a_reused_hold_id_is_reported_before_other_refusals) {
  ASSERT_EQ(append(with_ledger("s", 0, t0, {pending_tx("p1", transfer("a", "b", 4))})).status,
            append_status::committed);
  const append_result expired =
      append(with_ledger("s", 1, t0, {pending_tx("p1", transfer("a", "b", 1), t0)}));
  EXPECT_EQ(expired.reason, errc::already_exists) << expired.detail;
  const append_result later =
      append(with_ledger("s", 1, t0, {pending_tx("p1", transfer("a", "b", 1)), post_tx("none")}));
  EXPECT_EQ(later.reason, errc::already_exists) << later.detail;
  EXPECT_NE(later.detail.find("ledger[0]"), std::string::npos) << later.detail;
  const append_result second = append(with_ledger(
      "s", 1, t0,
      {pending_tx("p2", transfer("a", "b", 1)), pending_tx("p1", transfer("a", "b", 1), t0)}));
  EXPECT_EQ(second.reason, errc::already_exists) << second.detail;
  EXPECT_NE(second.detail.find("ledger[1]"), std::string::npos) << second.detail;
  append_request with_bad_message =
      with_ledger("s", 1, t0, {pending_tx("p1", transfer("a", "b", 1))});
  with_bad_message.outbox.push_back({1, "not-this-event"});
  const append_result outbox = append(with_bad_message);
  EXPECT_EQ(outbox.reason, errc::already_exists) << outbox.detail;
  EXPECT_EQ(all_entries().size(), 2U);
}

// Goal: a balance that would leave int64 is refused before anything is written.
TEST_P(ledger_conformance, balance_overflow_is_refused) {
  ASSERT_EQ(
      append(with_ledger("s", 0, t0, {posted_tx("t1", transfer("a", "b", INT64_MAX))})).status,
      append_status::committed);
  const append_result again =
      append(with_ledger("s", 1, t0, {posted_tx("t2", transfer("c", "b", 1))}));
  EXPECT_EQ(again.status, append_status::ledger_rejected);
  EXPECT_EQ(again.reason, errc::amount_overflow);
  EXPECT_EQ(balance("b", "EUR").posted_minor, INT64_MAX);
  EXPECT_EQ(balance("c", "EUR").posted_minor, 0);
  EXPECT_EQ(store_->read_events("s", 0, 10).value().size(), 1U);
}

// Goal: after many random transactions in random batches, every balance equals the sum of its
// rows (POSTED into posted, PENDING into pending in/out, VOIDED nowhere) and every transaction's
// rows sum to zero per currency.
TEST_P(ledger_conformance, balances_equal_the_rows_after_random_transactions) {
  std::mt19937_64 rng(20251123);
  const std::vector<std::string> accounts{"pod:x:w", "pod:x:m1", "pod:x:m2", "pod:y:w", "pod:y:m1"};
  const std::vector<std::string> currencies{"EUR", "JPY", "BHD"};
  std::vector<std::string> open_pendings;
  std::int64_t version = 0;
  std::int64_t now = t0;
  int next_id = 0;
  int committed = 0;
  for (int round = 0; round < 60; ++round) {
    std::vector<append_request> batch;
    const int requests = 1 + static_cast<int>(rng() % 4);
    for (int r = 0; r < requests; ++r) {
      now += 10;
      std::vector<ledger_command> commands;
      const int count = 1 + static_cast<int>(rng() % 3);
      for (int c = 0; c < count; ++c) {
        const auto pick = rng() % 10;
        if (pick < 3 && !open_pendings.empty()) {
          const std::size_t at = rng() % open_pendings.size();
          commands.push_back(pick == 0 ? void_tx(open_pendings[at]) : post_tx(open_pendings[at]));
          open_pendings.erase(open_pendings.begin() + static_cast<std::ptrdiff_t>(at));
          continue;
        }
        const std::string id = "t" + std::to_string(next_id++);
        std::vector<ledger_posting> postings;
        const std::string& currency = currencies[rng() % currencies.size()];
        std::int64_t rest = 0;
        const int legs = 2 + static_cast<int>(rng() % 3);
        for (int l = 0; l + 1 < legs; ++l) {
          const std::int64_t amount = static_cast<std::int64_t>(rng() % 100'000) - 50'000;
          if (amount == 0) continue;
          postings.push_back({accounts[rng() % accounts.size()], currency, amount});
          rest -= amount;
        }
        if (rest == 0 || postings.empty()) continue;
        postings.push_back({accounts[rng() % accounts.size()], currency, rest});
        if (pick < 6) {
          commands.push_back(pending_tx(id, postings, now + 5'000));
          open_pendings.push_back(id);
        } else {
          commands.push_back(posted_tx(id, postings));
        }
      }
      if (commands.empty()) continue;
      batch.push_back(with_ledger("pod_x", version, now, commands));
      ++version;  // every request is meant to commit; a rejection shows as a conflict below
    }
    if (batch.empty()) continue;
    for (const append_result& result : commit(batch).appends) {
      ASSERT_EQ(result.status, append_status::committed) << result.detail;
      ++committed;
    }
  }
  ASSERT_GT(committed, 50);

  std::map<std::pair<std::string, std::string>, account_balance> from_rows;
  std::map<std::pair<std::string, std::string>, std::int64_t> per_transaction;
  std::map<std::string, int> rows_by_phase;
  for (const ledger_entry& row : all_entries()) {
    ++rows_by_phase[row.phase];
    account_balance& b = from_rows[{row.account, row.currency}];
    b.account = row.account;
    b.currency = row.currency;
    if (row.phase == "POSTED") b.posted_minor += row.amount_minor;
    if (row.phase == "PENDING") {
      (row.amount_minor > 0 ? b.pending_in_minor : b.pending_out_minor) +=
          row.amount_minor > 0 ? row.amount_minor : -row.amount_minor;
    }
    per_transaction[{row.transaction_id, row.currency}] += row.amount_minor;
  }
  EXPECT_GT(rows_by_phase["POSTED"], 0);  // the seed exercises every phase
  EXPECT_GT(rows_by_phase["PENDING"], 0);
  EXPECT_GT(rows_by_phase["VOIDED"], 0);
  for (const auto& [key, sum] : per_transaction) EXPECT_EQ(sum, 0) << key.first;
  auto stored = store_->read_balances("", max_page_rows);
  ASSERT_TRUE(stored.has_value());
  ASSERT_EQ(stored->size(), from_rows.size());
  for (const account_balance& b : *stored) EXPECT_EQ(b, (from_rows[{b.account, b.currency}]));
}

}  // namespace
}  // namespace payorch::persistence::testing
