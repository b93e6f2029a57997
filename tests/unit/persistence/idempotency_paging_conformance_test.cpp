// The idempotency and paging conformance suites of journal_store: records stored with a batch,
// point reads, bounded purges, and cursor pages without duplicates or gaps. Instantiated per
// backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "store_conformance.hpp"

namespace payorch::persistence::testing {
namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr std::int64_t day_ms = 86'400'000;

// Goal: a stored record reads back field for field; an unknown key or client finds nothing.
TEST_P(idempotency_conformance, put_then_get_round_trip) {
  idempotency_record record = idem("key-1", t0, t0 + day_ms, std::string("{\"a\":1}\0x", 9));
  const batch_results results = commit({}, {record});
  ASSERT_EQ(results.idempotency.size(), 1U);
  EXPECT_EQ(results.idempotency[0].status, append_status::committed);

  auto found = store_->get_idempotency("client-1", "key-1");
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->has_value());
  const idempotency_record& got = **found;
  EXPECT_EQ(got.client_id, "client-1");
  EXPECT_EQ(got.key, "key-1");
  EXPECT_EQ(got.fingerprint, record.fingerprint);
  EXPECT_EQ(got.status, 201);
  EXPECT_EQ(got.content_type, "application/json");
  EXPECT_EQ(got.location, "/pods/pod_1");
  EXPECT_EQ(got.body, record.body);  // binary-safe, embedded NUL included
  EXPECT_EQ(got.created_at_ms, t0);
  EXPECT_EQ(got.expires_at_ms, t0 + day_ms);

  auto other_key = store_->get_idempotency("client-1", "key-2");
  ASSERT_TRUE(other_key.has_value());
  EXPECT_FALSE(other_key->has_value());
  auto other_client = store_->get_idempotency("client-2", "key-1");
  ASSERT_TRUE(other_client.has_value());
  EXPECT_FALSE(other_client->has_value());  // keys are scoped by client
}

// Goal: several keys read at once answer in the order asked, each as its own read would: found,
// absent, another client's, asked twice, or text no store can hold.
TEST_P(idempotency_conformance, several_keys_read_at_once_answer_in_order) {
  commit({}, {idem("k1", t0, t0 + day_ms, "one"), idem("k2", t0, t0 + day_ms, "two")});
  const std::vector<idempotency_key> keys{{"client-1", "k2"},
                                          {"client-1", "missing"},
                                          {"client-2", "k1"},
                                          {"client-1", "k1"},
                                          {"client-1", std::string("k\0", 2)},
                                          {"client-1", "k2"}};
  auto records = store_->get_idempotency_records(keys);
  ASSERT_TRUE(records.has_value()) << records.error().detail;
  ASSERT_EQ(records->size(), keys.size());
  ASSERT_TRUE((*records)[0].has_value());
  EXPECT_EQ((*records)[0]->key, "k2");
  EXPECT_EQ((*records)[0]->body, "two");
  EXPECT_FALSE((*records)[1].has_value());
  EXPECT_FALSE((*records)[2].has_value());  // keys are scoped by client
  ASSERT_TRUE((*records)[3].has_value());
  EXPECT_EQ((*records)[3]->body, "one");
  EXPECT_EQ((*records)[3]->fingerprint, "fp-one");
  EXPECT_EQ((*records)[3]->expires_at_ms, t0 + day_ms);
  EXPECT_FALSE((*records)[4].has_value());
  ASSERT_TRUE((*records)[5].has_value());
  EXPECT_EQ((*records)[5]->body, "two");

  auto none = store_->get_idempotency_records({});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

// Goal: puts share a transaction with appends; a malformed record fails alone; a second put of a
// live key keeps the first answer (the one its retries replay), and a put replaces an expired
// record.
TEST_P(idempotency_conformance, puts_commit_with_appends_and_fail_alone) {
  idempotency_record no_key = idem("", t0, t0 + day_ms);
  idempotency_record backwards = idem("k-back", t0, t0);
  const batch_results results =
      commit({make_request("s", 0, 1)}, {idem("k1", t0, t0 + day_ms, "first"), no_key, backwards});
  EXPECT_EQ(results.appends[0].status, append_status::committed);
  ASSERT_EQ(results.idempotency.size(), 3U);
  EXPECT_EQ(results.idempotency[0].status, append_status::committed);
  EXPECT_EQ(results.idempotency[1].status, append_status::storage_error);
  EXPECT_EQ(results.idempotency[2].status, append_status::storage_error);
  EXPECT_FALSE(results.idempotency[1].detail.empty());
  EXPECT_FALSE(store_->get_idempotency("client-1", "k-back")->has_value());

  ASSERT_EQ(commit({}, {idem("k1", t0 + 5, t0 + day_ms, "second")}).idempotency[0].status,
            append_status::committed);
  auto kept = store_->get_idempotency("client-1", "k1");
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  EXPECT_EQ((*kept)->body, "first");
  EXPECT_EQ((*kept)->created_at_ms, t0);

  ASSERT_EQ(commit({}, {idem("k-old", t0 - 2 * day_ms, t0 - day_ms, "old")}).idempotency[0].status,
            append_status::committed);
  ASSERT_EQ(commit({}, {idem("k-old", t0 + 6, t0 + day_ms, "new")}).idempotency[0].status,
            append_status::committed);
  auto replaced = store_->get_idempotency("client-1", "k-old");
  ASSERT_TRUE(replaced.has_value() && replaced->has_value());
  EXPECT_EQ((*replaced)->body, "new");
  EXPECT_EQ((*replaced)->created_at_ms, t0 + 6);
}

// Goal: puts of one batch are stored together; two of the same key keep the first one, as two
// batches would, and the others are unaffected.
TEST_P(idempotency_conformance, puts_in_one_batch_keep_the_first_of_a_key) {
  const batch_results results =
      commit({}, {idem("k1", t0, t0 + day_ms, "first"), idem("k2", t0, t0 + day_ms, "other"),
                  idem("k1", t0 + 7, t0 + day_ms, std::string("la\0ter", 6))});
  ASSERT_EQ(results.idempotency.size(), 3U);
  for (const auto& r : results.idempotency) EXPECT_EQ(r.status, append_status::committed);
  auto k1 = store_->get_idempotency("client-1", "k1");
  ASSERT_TRUE(k1.has_value() && k1->has_value());
  EXPECT_EQ((*k1)->body, "first");
  EXPECT_EQ((*k1)->created_at_ms, t0);
  auto k2 = store_->get_idempotency("client-1", "k2");
  ASSERT_TRUE(k2.has_value() && k2->has_value());
  EXPECT_EQ((*k2)->body, "other");
}

// Goal: an append's Idempotency-Key claim is written in the same transaction as its events:
// there when they commit, absent when the request fails; it never replaces a stored answer,
// and a malformed claim fails its request alone.
TEST_P(idempotency_conformance, claims_commit_with_their_events) {
  auto claimed = [](const std::string& stream, std::int64_t expected, const std::string& key) {
    append_request r = make_request(stream, expected, 1);
    idempotency_record claim;
    claim.client_id = "client-1";
    claim.key = key;
    claim.fingerprint = "fp-" + key;
    claim.created_at_ms = t0;
    claim.expires_at_ms = t0 + day_ms;
    r.idempotency_claim = claim;
    return r;
  };
  auto malformed = claimed("s-bad", 0, "");
  const batch_results first = commit(
      {claimed("s-claim", 0, "c1"), claimed("s-claim", 5, "c2"), malformed, make_request("s-plain", 0, 1)},
      {});
  ASSERT_EQ(first.appends.size(), 4U);
  EXPECT_EQ(first.appends[0].status, append_status::committed);
  EXPECT_EQ(first.appends[1].status, append_status::version_conflict);
  EXPECT_EQ(first.appends[2].status, append_status::storage_error);
  EXPECT_EQ(first.appends[3].status, append_status::committed);
  auto c1 = store_->get_idempotency("client-1", "c1");
  ASSERT_TRUE(c1.has_value() && c1->has_value());
  EXPECT_EQ((*c1)->status, 0);  // claimed: the effect committed, no answer stored yet
  EXPECT_EQ((*c1)->fingerprint, "fp-c1");
  EXPECT_EQ((*c1)->expires_at_ms, t0 + day_ms);
  EXPECT_FALSE(store_->get_idempotency("client-1", "c2")->has_value());  // its append failed

  // The same request's answer replaces the claim; a later claim of the same key leaves the
  // answer, and so does another request's answer put under the key.
  idempotency_record answer = idem("c1", t0 + 1, t0 + day_ms, "answer");
  answer.fingerprint = "fp-c1";
  ASSERT_EQ(commit({}, {answer}).idempotency[0].status, append_status::committed);
  ASSERT_EQ(commit({}, {idem("c1", t0 + 2, t0 + day_ms, "another")}).idempotency[0].status,
            append_status::committed);
  ASSERT_EQ(commit({claimed("s-claim", 1, "c1")}, {}).appends[0].status, append_status::committed);
  auto answered = store_->get_idempotency("client-1", "c1");
  ASSERT_TRUE(answered.has_value() && answered->has_value());
  EXPECT_EQ((*answered)->status, 201);
  EXPECT_EQ((*answered)->body, "answer");
}

// Goal: an append may store its request's whole answer with its events: it is there exactly when
// they commit, it replaces the claim of the same request and any expired record, and it never
// replaces a live answer or another request's claim. Writing it purges expired records as a put
// does.
TEST_P(idempotency_conformance, answers_commit_with_their_events) {
  auto answered = [](const std::string& stream, std::int64_t expected, const std::string& key,
                     const std::string& fingerprint, std::int64_t created) {
    append_request r = make_request(stream, expected, 1);
    idempotency_record answer = idem(key, created, created + day_ms, "{\"id\":\"" + stream + "\"}");
    answer.fingerprint = fingerprint;
    answer.location = "/things/" + stream;
    r.idempotency_claim = answer;
    return r;
  };
  const auto stored = [&](const std::string& key) {
    auto found = store_->get_idempotency("client-1", key);
    EXPECT_TRUE(found.has_value());
    return found && *found ? **found : idempotency_record{};
  };
  // Rows already there: a claim of "claimed" (fingerprint fp), a live answer of "live", an
  // expired answer of "stale", and enough expired records to show the purge.
  idempotency_record claim = idem("claimed", t0, t0 + day_ms);
  claim.status = 0;
  claim.fingerprint = "fp";
  claim.content_type.clear();
  claim.body.clear();
  idempotency_record other_claim = claim;
  other_claim.key = "other";
  std::vector<idempotency_record> before{claim, other_claim, idem("live", t0, t0 + day_ms, "kept"),
                                         idem("stale", t0 - 2 * day_ms, t0 - day_ms, "old")};
  for (int i = 0; i < 3; ++i) before.push_back(idem("gone-" + std::to_string(i), t0 - 5, t0 - 1));
  for (const auto& r : commit({}, before).idempotency)
    ASSERT_EQ(r.status, append_status::committed);

  const batch_results results = commit(
      {answered("a-new", 0, "new", "fp", t0 + 1), answered("a-claimed", 0, "claimed", "fp", t0 + 1),
       answered("a-other", 0, "other", "fp-2", t0 + 1), answered("a-live", 0, "live", "fp", t0 + 1),
       answered("a-stale", 0, "stale", "fp", t0 + 1),
       answered("a-failed", 3, "failed", "fp", t0 + 1)},
      {});
  ASSERT_EQ(results.appends.size(), 6U);
  for (std::size_t i = 0; i < 5; ++i)
    EXPECT_EQ(results.appends[i].status, append_status::committed);
  EXPECT_EQ(results.appends[5].status, append_status::version_conflict);

  for (const std::string key : {"new", "claimed", "stale"}) {
    const auto got = stored(key);
    EXPECT_EQ(got.status, 201) << key;
    EXPECT_EQ(got.location.substr(0, 8), "/things/") << key;
    EXPECT_EQ(got.created_at_ms, t0 + 1) << key;
    EXPECT_EQ(got.expires_at_ms, t0 + 1 + day_ms) << key;
  }
  EXPECT_EQ(stored("new").body, "{\"id\":\"a-new\"}");
  EXPECT_EQ(stored("claimed").body, "{\"id\":\"a-claimed\"}");
  EXPECT_EQ(stored("other").status, 0);  // another request's claim stays
  EXPECT_EQ(stored("other").fingerprint, "fp");
  EXPECT_EQ(stored("live").body, "kept");
  EXPECT_FALSE(store_->get_idempotency("client-1", "failed")->has_value());
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(store_->get_idempotency("client-1", "gone-" + std::to_string(i))->has_value());
}

// Goal: purge deletes only expired records, at most the requested number (and never more than
// one chunk), oldest first; an expired record is still readable until purged.
TEST_P(idempotency_conformance, purge_is_bounded_and_spares_live_records) {
  std::vector<idempotency_record> records;
  for (int i = 0; i < 5; ++i) records.push_back(idem("old-" + std::to_string(i), t0, t0 + 10 + i));
  records.push_back(idem("live", t0, t0 + day_ms));
  commit({}, records);

  auto expired = store_->get_idempotency("client-1", "old-0");
  ASSERT_TRUE(expired.has_value() && expired->has_value());  // the caller judges expiry

  auto purged = store_->purge_idempotency(t0 + 100, 2);
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 2U);
  EXPECT_FALSE(store_->get_idempotency("client-1", "old-0")->has_value());
  EXPECT_FALSE(store_->get_idempotency("client-1", "old-1")->has_value());
  EXPECT_TRUE(store_->get_idempotency("client-1", "old-2")->has_value());

  EXPECT_EQ(*store_->purge_idempotency(t0 + 12, 100), 1U);  // expiry == now counts as expired
  EXPECT_EQ(*store_->purge_idempotency(t0 + 100, 0), 0U);
  EXPECT_EQ(*store_->purge_idempotency(t0 + 100, 100), 2U);
  EXPECT_EQ(*store_->purge_idempotency(t0 + 100, 100), 0U);
  EXPECT_TRUE(store_->get_idempotency("client-1", "live")->has_value());
}

// Goal: a batch with puts also purges records that expired by the newest put's creation time, in
// one bounded chunk per batch.
TEST_P(idempotency_conformance, puts_purge_expired_records_in_chunks) {
  std::vector<idempotency_record> old;
  const int total = static_cast<int>(idempotency_purge_chunk) + 5;
  for (int i = 0; i < total; ++i) old.push_back(idem("old-" + std::to_string(i), t0, t0 + 1));
  commit({}, old);
  commit({}, {idem("new-1", t0 + 2, t0 + day_ms)});
  int left = 0;
  for (int i = 0; i < total; ++i)
    left += store_->get_idempotency("client-1", "old-" + std::to_string(i))->has_value() ? 1 : 0;
  EXPECT_EQ(left, 5);
  commit({}, {idem("new-2", t0 + 3, t0 + day_ms)});
  EXPECT_FALSE(
      store_->get_idempotency("client-1", "old-" + std::to_string(total - 1))->has_value());
  EXPECT_TRUE(store_->get_idempotency("client-1", "new-1")->has_value());
}

// Goal: ledger pages by account prefix follow the entry_id cursor with no duplicate, no gap and
// no row of another prefix; limits are clamped and zero reads nothing.
TEST_P(paging_conformance, ledger_pages_by_prefix_and_cursor) {
  std::int64_t version_a = 0;
  std::int64_t version_b = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string id = "t" + std::to_string(i);
    // Interleave two pods so one pod's entry ids have gaps the cursor must step over.
    ASSERT_EQ(append(with_ledger("pod_a", version_a++, t0 + i,
                                 {posted_tx(id + "a", transfer("pod:a:m" + std::to_string(i % 3),
                                                               "pod:a:wallet", i + 1))}))
                  .status,
              append_status::committed);
    ASSERT_EQ(append(with_ledger("pod_b", version_b++, t0 + i,
                                 {posted_tx(id + "b", transfer("pod:b:m", "pod:b:wallet", 1))}))
                  .status,
              append_status::committed);
  }
  std::vector<ledger_entry> expected;
  for (const ledger_entry& row : all_entries()) {
    if (row.account.rfind("pod:a:", 0) == 0) expected.push_back(row);
  }
  ASSERT_EQ(expected.size(), 80U);

  std::vector<std::int64_t> seen;
  std::int64_t cursor = 0;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = store_->read_ledger("pod:a:", cursor, 7);
    ASSERT_TRUE(page.has_value());
    if (page->empty()) break;
    EXPECT_LE(page->size(), 7U);
    for (const ledger_entry& row : *page) {
      EXPECT_EQ(row.account.rfind("pod:a:", 0), 0U) << row.account;
      EXPECT_GT(row.entry_id, cursor);
      seen.push_back(row.entry_id);
    }
    cursor = page->back().entry_id;
  }
  std::vector<std::int64_t> want;
  for (const ledger_entry& row : expected) want.push_back(row.entry_id);
  EXPECT_EQ(seen, want);  // ascending, each once

  EXPECT_TRUE(store_->read_ledger("pod:a:", 0, 0)->empty());
  EXPECT_TRUE(store_->read_ledger("pod:c:", 0, 10)->empty());
  EXPECT_EQ(store_->read_ledger("pod:a:wallet", 0, 1000)->size(), 40U);
  EXPECT_EQ(store_->read_ledger("", 0, static_cast<std::size_t>(-1))->size(), 160U);
}

// Goal: read_ledger and read_balances never return more than max_page_rows, whatever is asked.
TEST_P(paging_conformance, pages_are_capped) {
  std::vector<ledger_posting> wide;
  for (std::size_t i = 0; i < max_page_rows; ++i)
    wide.push_back({"acct:" + std::to_string(i), "EUR", 1});
  wide.push_back({"acct:sink", "EUR", -static_cast<std::int64_t>(max_page_rows)});
  ASSERT_EQ(append(with_ledger("s", 0, t0, {posted_tx("wide", wide)})).status,
            append_status::committed);
  EXPECT_EQ(store_->read_ledger("acct:", 0, max_page_rows * 10)->size(), max_page_rows);
  auto balances = store_->read_balances("acct:", max_page_rows * 10);
  ASSERT_TRUE(balances.has_value());
  EXPECT_EQ(balances->size(), max_page_rows);
  EXPECT_TRUE(std::is_sorted(
      balances->begin(), balances->end(), [](const account_balance& a, const account_balance& b) {
        return std::tie(a.account, a.currency) < std::tie(b.account, b.currency);
      }));
}

// Goal: balances filter by account prefix and order by (account, currency).
TEST_P(paging_conformance, balances_by_prefix) {
  ASSERT_EQ(append(with_ledger("s", 0, t0,
                               {posted_tx("t1", transfer("pod:a:m", "pod:a:wallet", 5, "JPY")),
                                posted_tx("t2", transfer("pod:a:m", "pod:a:wallet", 7, "EUR")),
                                posted_tx("t3", transfer("pod:ab:m", "pod:ab:wallet", 1))}))
                .status,
            append_status::committed);
  auto balances = store_->read_balances("pod:a:", 100);
  ASSERT_TRUE(balances.has_value());
  const std::vector<account_balance> want{{"pod:a:m", "EUR", -7, 0, 0},
                                          {"pod:a:m", "JPY", -5, 0, 0},
                                          {"pod:a:wallet", "EUR", 7, 0, 0},
                                          {"pod:a:wallet", "JPY", 5, 0, 0}};
  EXPECT_EQ(*balances, want);
  EXPECT_EQ(store_->read_balances("pod:a:", 1)->size(), 1U);
  EXPECT_TRUE(store_->read_balances("pod:a:", 0)->empty());
  EXPECT_EQ(store_->read_balances("", 100)->size(), 6U);
}

// Goal: stream ids page by prefix with the last id as cursor, with no duplicate or gap, even for
// streams with many events.
TEST_P(paging_conformance, streams_page_by_cursor) {
  std::set<std::string> created;
  for (int i = 0; i < 23; ++i) {
    const std::string id = "pod_" + std::to_string(1000 + i * 7);
    ASSERT_EQ(append(make_request(id, 0, 1 + i % 4)).status, append_status::committed);
    created.insert(id);
  }
  ASSERT_EQ(append(make_request("other_1", 0, 1)).status, append_status::committed);
  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 50; ++pages) {
    const std::vector<std::string> page = store_->list_streams("pod_", cursor, 5).value();
    if (page.empty()) break;
    EXPECT_LE(page.size(), 5U);
    seen.insert(seen.end(), page.begin(), page.end());
    cursor = page.back();
  }
  EXPECT_EQ(seen, std::vector<std::string>(created.begin(), created.end()));
}

// Goal: events page by version after a cursor.
TEST_P(paging_conformance, events_page_by_version) {
  ASSERT_EQ(append(make_request("s", 0, 9)).status, append_status::committed);
  std::vector<std::int64_t> versions;
  std::int64_t after = 0;
  for (int pages = 0; pages < 10; ++pages) {
    const std::vector<event_record> page = store_->read_events("s", after, 4).value();
    if (page.empty()) break;
    for (const event_record& e : page) versions.push_back(e.version);
    after = page.back().version;
  }
  EXPECT_EQ(versions, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_TRUE(store_->read_events("missing", 0, 4).value().empty());
}

}  // namespace
}  // namespace payorch::persistence::testing
