// The outbox conformance suite of journal_store: messages are stored with their request's events or
// not at all, read in position order with the events they name, marked published once, and purged
// only once published and old. Instantiated per backend (sqlite_ledger_test.cpp,
// postgres_conformance_test.cpp).
#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "store_conformance.hpp"

namespace payorch::persistence::testing {
namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

/// A message a test tells apart by `tag`, its subject; with_outbox has it name its own event.
outbox_message msg(std::string tag) {
  return {0, std::move(tag)};
}

/// A request with one event per message (at least one), recorded at `recorded_at_ms`; a message
/// without a version names the event of its place, as the journal asks.
append_request with_outbox(std::string stream_id, std::int64_t expected_version,
                           std::int64_t recorded_at_ms, std::vector<outbox_message> outbox) {
  append_request request{std::move(stream_id), expected_version, {}};
  for (std::size_t i = 0; i < std::max<std::size_t>(outbox.size(), 1); ++i)
    request.events.push_back({"Something", "{}", recorded_at_ms});
  for (std::size_t i = 0; i < outbox.size(); ++i) {
    if (outbox[i].version == 0) outbox[i].version = expected_version + 1 + static_cast<int>(i);
  }
  request.outbox = std::move(outbox);
  return request;
}

/// A message naming event `version`, tagged `tag`.
outbox_message named(std::int64_t version, std::string tag) {
  return {version, std::move(tag)};
}

/// The tags (subjects) of `rows`, in order.
std::vector<std::string> tags_of(const std::vector<outbox_entry>& rows) {
  std::vector<std::string> tags;
  for (const outbox_entry& row : rows) tags.push_back(row.subject);
  return tags;
}

std::vector<std::int64_t> positions_of(const std::vector<outbox_entry>& rows) {
  std::vector<std::int64_t> positions;
  for (const outbox_entry& row : rows) positions.push_back(row.position);
  return positions;
}

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Goal: messages are stored with their events and read with them, field for field (binary event
// payloads included), in the order of the request's messages (not of its events), unpublished.
TEST_P(outbox_conformance, rows_are_written_with_their_events) {
  append_request request = make_request("pod_a", 0, 3);  // events recorded at 1001 to 1003
  const std::string binary("bin\0\xff\x01", 6);
  request.events[2].payload = binary;
  request.outbox = {{3, "crowdpay.crowdpod.v1.FundsPledged"},
                    {1, "crowdpay.crowdpod.v1.PodCreated"}};
  const append_result result = append(request);
  ASSERT_EQ(result.status, append_status::committed) << result.detail;
  EXPECT_EQ(result.last_version, 3);

  const std::vector<outbox_entry> rows = all_outbox();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_GT(rows[0].position, 0);
  EXPECT_LT(rows[0].position, rows[1].position);
  EXPECT_EQ(rows[0].message_id(), "pod_a:3");
  EXPECT_EQ(rows[1].message_id(), "pod_a:1");
  EXPECT_EQ(rows[0].subject, "crowdpay.crowdpod.v1.FundsPledged");
  EXPECT_EQ(rows[1].subject, "crowdpay.crowdpod.v1.PodCreated");
  EXPECT_EQ(rows[0].event_type, "type3");
  EXPECT_EQ(rows[0].payload, binary);  // the event's, NUL and non-UTF-8 bytes included
  EXPECT_EQ(rows[0].recorded_at_ms, 1003);
  EXPECT_EQ(rows[1].event_type, "type1");
  EXPECT_EQ(rows[1].payload, "p1");
  EXPECT_EQ(rows[1].recorded_at_ms, 1001);
  for (const outbox_entry& row : rows) {
    EXPECT_EQ(row.stream_id, "pod_a");
    EXPECT_FALSE(row.published_at_ms.has_value());
  }
  EXPECT_EQ(store_->read_events("pod_a", 0, 10).value().size(), 3U);
  EXPECT_TRUE(store_->verify().ok);
}

// Goal: a message announces an event of its request, so a request without events (a bare version
// check) can carry none: it is refused alone, and the same check without messages passes.
TEST_P(outbox_conformance, a_request_without_events_carries_no_message) {
  ASSERT_EQ(append(make_request("pod_a", 0, 1)).status, append_status::committed);
  append_request bare{"pod_a", 1, {}};
  bare.outbox = {named(1, "bare")};  // names the stored event, not its own
  const batch_results results = commit({bare, append_request{"pod_a", 1, {}}});
  EXPECT_EQ(results.appends[0].status, append_status::storage_error);
  EXPECT_NE(results.appends[0].detail.find("names no event"), std::string::npos)
      << results.appends[0].detail;
  EXPECT_EQ(results.appends[1].status, append_status::committed) << results.appends[1].detail;
  EXPECT_TRUE(all_outbox().empty());
}

// Goal: a stale request (a new stream that exists, or an old version) writes none of its messages;
// the other requests of the batch store theirs, and the stale one retried at the right version
// does.
TEST_P(outbox_conformance, a_version_conflict_writes_no_rows) {
  ASSERT_EQ(append(make_request("pod_a", 0, 1)).status, append_status::committed);
  const batch_results results = commit({with_outbox("pod_a", 0, t0, {msg("stale-new")}),
                                        with_outbox("pod_a", 5, t0, {msg("stale-ahead")}),
                                        with_outbox("pod_b", 0, t0, {msg("fresh")})});
  EXPECT_EQ(results.appends[0].status, append_status::version_conflict);
  EXPECT_EQ(results.appends[0].last_version, 1);
  EXPECT_EQ(results.appends[1].status, append_status::version_conflict);
  EXPECT_EQ(results.appends[2].status, append_status::committed) << results.appends[2].detail;
  EXPECT_FALSE(results.transaction_failed);
  EXPECT_EQ(tags_of(all_outbox()), std::vector<std::string>{"fresh"});

  // Retried at the right version, the message goes out: its id was never taken.
  ASSERT_EQ(append(with_outbox("pod_a", 1, t0, {msg("stale-new")})).status,
            append_status::committed);
  EXPECT_EQ(tags_of(all_outbox()), (std::vector<std::string>{"fresh", "stale-new"}));
}

// Goal: a create whose stream exists already is a version conflict, whatever its ledger would
// say: the pod reloads and retries a conflict, while a ledger refusal fails the pod.
TEST_P(outbox_conformance, a_stale_create_is_a_conflict_before_its_ledger_is_judged) {
  ASSERT_EQ(append(make_request("pod_a", 0, 1)).status, append_status::committed);
  const append_result stale = append(with_ledger("pod_a", 0, t0, {post_tx("missing")}));
  EXPECT_EQ(stale.status, append_status::version_conflict) << stale.detail;
  EXPECT_EQ(stale.last_version, 1);
  EXPECT_TRUE(all_entries().empty());
}

// Goal: a request whose ledger command is refused writes none of its messages, events or rows.
TEST_P(outbox_conformance, a_ledger_refusal_writes_no_rows) {
  append_request refused = with_ledger("pod_a", 0, t0, {post_tx("missing")});
  refused.outbox = {named(1, "refused-1")};
  append_request unbalanced =
      with_ledger("pod_b", 0, t0, {posted_tx("t-odd", {{"a", "EUR", 5}, {"b", "EUR", -4}})});
  unbalanced.outbox = {named(1, "refused-2")};
  append_request fine = with_ledger("pod_c", 0, t0, {posted_tx("t-fine", transfer("a", "b", 5))});
  fine.outbox = {named(1, "fine-1")};
  const batch_results results = commit({refused, unbalanced, fine});
  EXPECT_EQ(results.appends[0].status, append_status::ledger_rejected);
  EXPECT_EQ(results.appends[0].reason, errc::not_found);
  EXPECT_EQ(results.appends[1].status, append_status::ledger_rejected);
  EXPECT_EQ(results.appends[2].status, append_status::committed) << results.appends[2].detail;
  EXPECT_EQ(tags_of(all_outbox()), std::vector<std::string>{"fine-1"});
  EXPECT_TRUE(store_->read_events("pod_a", 0, 10).value().empty());
  EXPECT_TRUE(store_->read_events("pod_b", 0, 10).value().empty());
  EXPECT_EQ(all_entries().size(), 2U);  // only the fine request's postings
}

// Goal: an empty subject, a version that names no event of its request (before it, beyond it, zero
// or negative), or one event named twice refuses that request alone (storage_error naming the
// message; nothing of it written, ledger included), while the batch's other requests commit.
TEST_P(outbox_conformance, malformed_messages_refuse_their_request_alone) {
  ASSERT_EQ(append(make_request("s3", 0, 1)).status, append_status::committed);
  append_request with_ledger_rows =
      with_ledger("s7", 0, t0, {posted_tx("t7", transfer("a", "b", 3))});
  with_ledger_rows.outbox = {named(2, "beyond-ledger")};
  append_request zero = with_outbox("s5", 0, t0, {msg("fine-5")});
  zero.outbox.push_back(named(0, "zero"));
  const batch_results results = commit({
      with_outbox("s0", 0, t0, {named(-1, "negative")}),
      with_outbox("s1", 0, t0, {msg("")}),
      with_outbox("s2", 0, t0, {named(1, "twin"), named(1, "twin")}),
      with_outbox("s3", 1, t0, {named(1, "stored-before")}),
      with_outbox("s4", 0, t0, {named(2, "beyond")}),
      zero,
      with_outbox("s6", 0, t0, {msg("fine")}),
      with_ledger_rows,
  });
  ASSERT_EQ(results.appends.size(), 8U);
  EXPECT_FALSE(results.transaction_failed);
  const std::vector<std::pair<append_status, std::string>> expected{
      {append_status::storage_error, "s0:-1 names no event"},
      {append_status::storage_error, "has no subject"},
      {append_status::storage_error, "s2:1 appears twice"},
      {append_status::storage_error, "s3:1 names no event"},
      {append_status::storage_error, "s4:2 names no event"},
      {append_status::storage_error, "s5:0 names no event"},
      {append_status::committed, ""},
      {append_status::storage_error, "s7:2 names no event"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const append_result& got = results.appends[i];
    EXPECT_EQ(got.status, expected[i].first) << i << ": " << got.detail;
    if (expected[i].first != append_status::storage_error) continue;
    EXPECT_EQ(got.last_version, 0) << i;
    EXPECT_NE(got.detail.find(expected[i].second), std::string::npos) << i << ": " << got.detail;
    EXPECT_EQ(store_->read_events("s" + std::to_string(i), 0, 10).value().size(), i == 3 ? 1U : 0U)
        << i;
  }
  EXPECT_EQ(tags_of(all_outbox()), std::vector<std::string>{"fine"});
  EXPECT_TRUE(all_entries().empty());
  EXPECT_EQ(balance("b", "EUR").posted_minor, 0);
}

// Goal: positions ascend in commit order across batches, following the order of the requests and
// of their messages, with refused requests leaving no trace.
TEST_P(outbox_conformance, positions_ascend_in_commit_order) {
  std::vector<std::string> expected;
  std::int64_t version = 0;
  for (int batch = 0; batch < 3; ++batch) {
    const std::string b = std::to_string(batch);
    const batch_results results = commit(
        {with_outbox("pod_a", version, t0 + batch, {msg("a" + b + "-1"), msg("a" + b + "-2")}),
         with_outbox("pod_z", 99, t0, {msg("stale" + b)}),
         with_outbox("pod_b" + b, 0, t0 + batch, {msg("b" + b + "-1")})});
    ASSERT_EQ(results.appends[0].status, append_status::committed) << results.appends[0].detail;
    ASSERT_EQ(results.appends[2].status, append_status::committed) << results.appends[2].detail;
    version += 2;  // an event per message
    for (const std::string& id : {"a" + b + "-1", "a" + b + "-2", "b" + b + "-1"})
      expected.push_back(id);
  }
  const std::vector<outbox_entry> rows = all_outbox();
  EXPECT_EQ(tags_of(rows), expected);
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_LT(rows[i - 1].position, rows[i].position);
  EXPECT_EQ(rows.back().recorded_at_ms, t0 + 2);
}

// Goal: unpublished_only skips published rows; the position cursor works with and without it;
// limits are honoured and zero reads nothing.
TEST_P(outbox_conformance, unpublished_only_filters_published_rows) {
  std::vector<outbox_message> messages;
  for (int i = 0; i < 6; ++i) messages.push_back(msg("m" + std::to_string(i)));
  ASSERT_EQ(append(with_outbox("pod_a", 0, t0, messages)).status, append_status::committed);
  const std::vector<std::int64_t> p = positions_of(all_outbox());
  ASSERT_EQ(p.size(), 6U);
  const std::vector<std::int64_t> marked{p[1], p[3]};
  ASSERT_EQ(*store_->mark_outbox_published(marked, t0 + 5), 2U);

  EXPECT_EQ(tags_of(all_outbox(true)), (std::vector<std::string>{"m0", "m2", "m4", "m5"}));
  EXPECT_EQ(tags_of(*store_->read_outbox(p[2], 100, true)), (std::vector<std::string>{"m4", "m5"}));
  const std::vector<outbox_entry> after_m2 = *store_->read_outbox(p[2], 100, false);
  EXPECT_EQ(tags_of(after_m2), (std::vector<std::string>{"m3", "m4", "m5"}));
  EXPECT_EQ(after_m2[0].published_at_ms, std::optional<std::int64_t>(t0 + 5));
  EXPECT_FALSE(after_m2[1].published_at_ms.has_value());
  EXPECT_EQ(tags_of(*store_->read_outbox(p[0], 2, true)), (std::vector<std::string>{"m2", "m4"}));
  EXPECT_EQ(store_->read_outbox(-5, 100, false)->size(), 6U);  // a cursor before the start
  EXPECT_TRUE(store_->read_outbox(p[5], 100, false)->empty());
  EXPECT_TRUE(store_->read_outbox(0, 0, false)->empty());
  EXPECT_TRUE(store_->read_outbox(0, 0, true)->empty());
}

// Goal: marking counts only rows it changed; a published row keeps its first time; unknown,
// repeated and empty position lists are harmless.
TEST_P(outbox_conformance, marking_published_is_idempotent_and_counts) {
  ASSERT_EQ(append(with_outbox("pod_a", 0, t0, {msg("r0"), msg("r1"), msg("r2")})).status,
            append_status::committed);
  const std::vector<std::int64_t> p = positions_of(all_outbox());
  ASSERT_EQ(p.size(), 3U);

  const std::vector<std::int64_t> first{p[0], p[1]};
  EXPECT_EQ(*store_->mark_outbox_published(first, t0 + 10), 2U);
  const std::vector<std::int64_t> again{p[0], p[2], p[2]};
  EXPECT_EQ(*store_->mark_outbox_published(again, t0 + 20), 1U);
  EXPECT_EQ(*store_->mark_outbox_published({}, t0 + 30), 0U);
  const std::vector<std::int64_t> unknown{p[2] + 1000, -1, 0};
  EXPECT_EQ(*store_->mark_outbox_published(unknown, t0 + 30), 0U);
  EXPECT_EQ(*store_->mark_outbox_published(p, t0 + 40), 0U);

  const std::vector<outbox_entry> rows = all_outbox();
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0].published_at_ms, std::optional<std::int64_t>(t0 + 10));
  EXPECT_EQ(rows[1].published_at_ms, std::optional<std::int64_t>(t0 + 10));
  EXPECT_EQ(rows[2].published_at_ms, std::optional<std::int64_t>(t0 + 20));
  EXPECT_TRUE(all_outbox(true).empty());
}

// Goal: purging deletes only rows published strictly before the cutoff, oldest publication first,
// at most the requested number; unpublished rows stay whatever the cutoff.
TEST_P(outbox_conformance, purge_deletes_only_rows_published_before_the_cutoff) {
  ASSERT_EQ(
      append(with_outbox("pod_a", 0, t0, {msg("c"), msg("a"), msg("b"), msg("d"), msg("unsent")}))
          .status,
      append_status::committed);
  const std::vector<std::int64_t> p = positions_of(all_outbox());
  ASSERT_EQ(p.size(), 5U);
  const std::int64_t cutoff = t0 + 100;
  ASSERT_EQ(*store_->mark_outbox_published(std::vector<std::int64_t>{p[1]}, cutoff - 30), 1U);
  ASSERT_EQ(*store_->mark_outbox_published(std::vector<std::int64_t>{p[2]}, cutoff - 20), 1U);
  ASSERT_EQ(*store_->mark_outbox_published(std::vector<std::int64_t>{p[0]}, cutoff - 10), 1U);
  ASSERT_EQ(*store_->mark_outbox_published(std::vector<std::int64_t>{p[3]}, cutoff), 1U);

  EXPECT_EQ(*store_->purge_outbox(cutoff, 0), 0U);
  EXPECT_EQ(*store_->purge_outbox(cutoff, 2), 2U);
  EXPECT_EQ(tags_of(all_outbox()), (std::vector<std::string>{"c", "d", "unsent"}));  // a, b went
  EXPECT_EQ(*store_->purge_outbox(cutoff, 100), 1U);
  EXPECT_EQ(*store_->purge_outbox(cutoff, 100), 0U);  // published at the cutoff: not before it
  EXPECT_EQ(tags_of(all_outbox()), (std::vector<std::string>{"d", "unsent"}));
  EXPECT_EQ(*store_->purge_outbox(std::numeric_limits<std::int64_t>::max(), 100), 1U);
  EXPECT_EQ(tags_of(all_outbox()), std::vector<std::string>{"unsent"});
  EXPECT_EQ(*store_->purge_outbox(std::numeric_limits<std::int64_t>::min(), 100), 0U);
}

// Goal: a page never holds more than max_page_rows rows, however many are asked for; marking and
// purging many rows work in bounded steps (a purge deletes at most outbox_purge_chunk).
TEST_P(outbox_conformance, pages_and_purges_are_bounded) {
  const std::size_t total = max_page_rows + 5;
  std::vector<append_request> batch;
  for (std::size_t r = 0; r < total / 5; ++r) {
    std::vector<outbox_message> messages;
    for (std::size_t i = 0; i < 5; ++i) messages.push_back(msg("m" + std::to_string(r * 5 + i)));
    batch.push_back(with_outbox("pod_" + std::to_string(r), 0, t0, std::move(messages)));
  }
  for (const append_result& result : commit(batch).appends)
    ASSERT_EQ(result.status, append_status::committed) << result.detail;

  const auto first = store_->read_outbox(0, static_cast<std::size_t>(-1), false);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->size(), max_page_rows);
  EXPECT_EQ(store_->read_outbox(first->back().position, max_page_rows * 2, false)->size(), 5U);
  EXPECT_EQ(store_->read_outbox(0, max_page_rows + 1, true)->size(), max_page_rows);

  const std::vector<std::int64_t> p = positions_of(all_outbox());
  ASSERT_EQ(p.size(), total);
  EXPECT_EQ(*store_->mark_outbox_published(p, t0), total);
  EXPECT_EQ(*store_->purge_outbox(t0 + 1, static_cast<std::size_t>(-1)), outbox_purge_chunk);
  EXPECT_EQ(*store_->purge_outbox(t0 + 1, static_cast<std::size_t>(-1)),
            total - outbox_purge_chunk);
  EXPECT_TRUE(all_outbox().empty());
}

// Goal: a reopened store keeps rows and their publication state, and never hands out a position
// again, even after every row was purged.
TEST_P(outbox_conformance, reopened_store_keeps_rows_and_never_reuses_positions) {
  ASSERT_EQ(append(with_outbox("pod_a", 0, t0, {msg("r0"), msg("r1"), msg("r2")})).status,
            append_status::committed);
  const std::vector<std::int64_t> p = positions_of(all_outbox());
  ASSERT_EQ(*store_->mark_outbox_published(std::vector<std::int64_t>{p[0]}, t0 + 1), 1U);

  reopen();
  std::vector<outbox_entry> rows = all_outbox();
  ASSERT_EQ(tags_of(rows), (std::vector<std::string>{"r0", "r1", "r2"}));
  EXPECT_EQ(positions_of(rows), p);
  EXPECT_EQ(rows[0].published_at_ms, std::optional<std::int64_t>(t0 + 1));
  EXPECT_EQ(tags_of(all_outbox(true)), (std::vector<std::string>{"r1", "r2"}));
  // A message must announce its own request's event, not one stored before.
  EXPECT_EQ(append(with_outbox("pod_a", 3, t0, {named(2, "again")})).status,
            append_status::storage_error);

  ASSERT_EQ(*store_->mark_outbox_published(p, t0 + 2), 2U);
  ASSERT_EQ(*store_->purge_outbox(t0 + 3, 100), 3U);
  reopen();
  ASSERT_EQ(append(with_outbox("pod_a", 3, t0, {msg("r3")})).status, append_status::committed);
  rows = all_outbox();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_GT(rows[0].position, p.back());  // a relay's cursor at p.back() still sees it
  EXPECT_EQ(tags_of(*store_->read_outbox(p.back(), 10, true)), std::vector<std::string>{"r3"});
}

}  // namespace
}  // namespace payorch::persistence::testing
