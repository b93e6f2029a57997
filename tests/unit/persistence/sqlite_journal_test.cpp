// Tests of the SQLite journal: opening, appends with optimistic versions, reads, snapshots,
// listing.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "persistence/hash_chain.hpp"
#include "persistence_test_support.hpp"

namespace payorch::persistence {
namespace {

using testing::append_one;
using testing::make_request;
using testing::numbered;
using testing::open_journal;
using testing::raw_db;
using testing::temp_dir;

// Goal: opening creates the schema at version 1 in WAL mode with every table present.
TEST(sqlite_journal, open_creates_schema_in_wal_mode) {
  temp_dir dir;
  ASSERT_NE(open_journal(dir.file("j.db")), nullptr);
  raw_db raw(dir.file("j.db"));
  EXPECT_EQ(raw.query_text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.query_int("SELECT version FROM schema_version"), 1);
  EXPECT_EQ(
      raw.query_int("SELECT count(*) FROM sqlite_master WHERE name IN ('events', 'snapshots')"), 2);
}

// Goal: bad paths, foreign files and future schemas are refused with a reason, never half-opened.
TEST(sqlite_journal, open_refuses_bad_input) {
  temp_dir dir;
  std::string error;
  EXPECT_EQ(open_sqlite_journal({.file = ""}, &error), nullptr);
  EXPECT_FALSE(error.empty());

  error.clear();
  EXPECT_EQ(open_sqlite_journal({.file = dir.file("missing/j.db")}, &error), nullptr);
  EXPECT_FALSE(error.empty());

  std::ofstream(dir.file("garbage.db"))
      << "this is not a sqlite database, just some text that is long enough";
  error.clear();
  EXPECT_EQ(open_sqlite_journal({.file = dir.file("garbage.db")}, &error), nullptr);
  EXPECT_FALSE(error.empty());

  ASSERT_NE(open_journal(dir.file("future.db")), nullptr);
  raw_db(dir.file("future.db")).exec("UPDATE schema_version SET version = 2");
  error.clear();
  EXPECT_EQ(open_sqlite_journal({.file = dir.file("future.db")}, &error), nullptr);
  EXPECT_NE(error.find("schema_version"), std::string::npos) << error;

  EXPECT_EQ(open_sqlite_journal({.file = ""}, nullptr),
            nullptr);  // a null error pointer is allowed
}

// Goal: appended events read back field for field, chained by hash, binary payloads intact.
TEST(sqlite_journal, append_then_read_round_trip) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  append_request request{"pay-1", 0, {}};
  request.events.push_back({"created", std::string("a\0b\xff", 4), 100});
  request.events.push_back({"authorised", "", 200});
  request.events.push_back({"settled", R"({"amount_minor":1250})", 300});
  const append_result result = append_one(*store, request);
  EXPECT_EQ(result.status, append_status::committed) << result.detail;
  EXPECT_EQ(result.last_version, 3);

  const stream_read read = store->read_stream("pay-1");
  ASSERT_TRUE(read.ok) << read.detail;
  EXPECT_FALSE(read.snapshot.has_value());
  ASSERT_EQ(read.events.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    const event_record& event = read.events[i];
    EXPECT_EQ(event.stream_id, "pay-1");
    EXPECT_EQ(event.version, static_cast<std::int64_t>(i) + 1);
    EXPECT_EQ(event.event_type, request.events[i].event_type);
    EXPECT_EQ(event.payload, request.events[i].payload);
    EXPECT_EQ(event.recorded_at_ms, request.events[i].recorded_at_ms);
    EXPECT_EQ(event.prev_hash, i == 0 ? std::string(genesis_hash) : read.events[i - 1].hash);
    EXPECT_EQ(event.hash, event_hash({event.prev_hash, event.stream_id, event.version,
                                      event.event_type, event.recorded_at_ms, event.payload}));
  }
  const stream_read unknown = store->read_stream("pay-unknown");
  EXPECT_TRUE(unknown.ok);
  EXPECT_TRUE(unknown.events.empty());
}

// Goal: events survive closing the file and the chain continues where it stopped.
TEST(sqlite_journal, reopen_continues_the_stream) {
  temp_dir dir;
  open_journal(dir.file("j.db"))->append_batch(std::vector{make_request("pay-1", 0, 2)});
  auto store = open_journal(dir.file("j.db"));
  const append_result result = append_one(*store, make_request("pay-1", 2, 1, 3));
  EXPECT_EQ(result.status, append_status::committed);
  EXPECT_EQ(result.last_version, 3);
  const stream_read read = store->read_stream("pay-1");
  ASSERT_EQ(read.events.size(), 3U);
  EXPECT_EQ(read.events[2].prev_hash, read.events[1].hash);
  EXPECT_TRUE(store->verify().ok);
}

// Goal: a stale expected_version fails alone with the stream's real version; the rest of the batch
// commits.
TEST(sqlite_journal, version_conflict_fails_alone) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  append_one(*store, make_request("b", 0, 2));
  const std::vector batch{make_request("a", 0, 1), make_request("b", 1, 1), make_request("c", 0, 2),
                          make_request("d", -1, 1), make_request("e", 3, 1)};
  const std::vector<append_result> results = store->append_batch(batch);
  ASSERT_EQ(results.size(), 5U);
  EXPECT_EQ(results[0].status, append_status::committed);
  EXPECT_EQ(results[1].status, append_status::version_conflict);
  EXPECT_EQ(results[1].last_version, 2);
  EXPECT_FALSE(results[1].detail.empty());
  EXPECT_EQ(results[2].status, append_status::committed);
  EXPECT_EQ(results[2].last_version, 2);
  EXPECT_EQ(results[3].status, append_status::version_conflict);  // negative: no stream is there
  EXPECT_EQ(results[4].status,
            append_status::version_conflict);  // ahead of a stream that does not exist
  EXPECT_EQ(results[4].last_version, 0);
  EXPECT_EQ(store->read_stream("b").events.size(), 2U);
  EXPECT_TRUE(store->read_stream("d").events.empty());
  EXPECT_EQ(store->read_stream("c").events.size(), 2U);
}

// Goal: "create" (expected version 0) on a stream that already has events is a conflict that
// fails alone and writes nothing, even though new streams skip the head lookup.
TEST(sqlite_journal, create_on_existing_stream_conflicts) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  append_one(*store, make_request("b", 0, 2));
  const std::vector batch{make_request("b", 0, 1), make_request("fresh", 0, 1)};
  const std::vector<append_result> results = store->append_batch(batch);
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(results[0].status, append_status::version_conflict);
  EXPECT_EQ(results[0].last_version, 2);
  EXPECT_EQ(results[1].status, append_status::committed);
  EXPECT_EQ(store->read_stream("b").events.size(), 2U);
  EXPECT_TRUE(store->verify().ok);
}

// Goal: two requests for one stream in one batch apply in order; a duplicate of the same version
// loses.
TEST(sqlite_journal, same_stream_twice_in_one_batch) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  const std::vector chained{make_request("s", 0, 2), make_request("s", 2, 1, 3)};
  const std::vector<append_result> first = store->append_batch(chained);
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[0].status, append_status::committed);
  EXPECT_EQ(first[0].last_version, 2);
  EXPECT_EQ(first[1].status, append_status::committed);
  EXPECT_EQ(first[1].last_version, 3);

  const std::vector racing{make_request("s", 3, 1, 4), make_request("s", 3, 1, 40)};
  const std::vector<append_result> second = store->append_batch(racing);
  EXPECT_EQ(second[0].status, append_status::committed);
  EXPECT_EQ(second[1].status, append_status::version_conflict);
  EXPECT_EQ(second[1].last_version, 4);

  const stream_read read = store->read_stream("s");
  ASSERT_EQ(read.events.size(), 4U);
  EXPECT_EQ(read.events[3].payload, "p4");
  EXPECT_TRUE(store->verify().ok);
}

// Goal: malformed requests fail alone; an empty event list only checks the version.
TEST(sqlite_journal, malformed_and_empty_requests) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  const std::vector batch{make_request("", 0, 1), make_request("ok", 0, 1),
                          make_request("ok", 1, 0), make_request("ok", 0, 0)};
  const std::vector<append_result> results = store->append_batch(batch);
  ASSERT_EQ(results.size(), 4U);
  EXPECT_EQ(results[0].status, append_status::storage_error);
  EXPECT_NE(results[0].detail.find("stream_id"), std::string::npos);
  EXPECT_EQ(results[1].status, append_status::committed);
  EXPECT_EQ(results[2].status, append_status::committed);
  EXPECT_EQ(results[2].last_version, 1);
  EXPECT_EQ(results[3].status, append_status::version_conflict);
  EXPECT_TRUE(store->append_batch({}).empty());
}

// Goal: a storage failure inside the transaction answers every request with storage_error and
// writes nothing.
TEST(sqlite_journal, storage_failure_rolls_back_the_whole_batch) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  raw_db raw(dir.file("j.db"));
  raw.exec(
      "CREATE TRIGGER fail_boom BEFORE INSERT ON events WHEN NEW.stream_id = 'boom' "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  const std::vector batch{make_request("a", 0, 2), make_request("boom", 0, 1),
                          make_request("c", 0, 1)};
  const std::vector<append_result> results = store->append_batch(batch);
  ASSERT_EQ(results.size(), 3U);
  for (const append_result& result : results) {
    EXPECT_EQ(result.status, append_status::storage_error);
    EXPECT_NE(result.detail.find("injected failure"), std::string::npos) << result.detail;
  }
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM events"), 0);

  raw.exec("DROP TRIGGER fail_boom");
  const std::vector<append_result> retried = store->append_batch(batch);
  for (const append_result& result : retried) EXPECT_EQ(result.status, append_status::committed);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM events"), 4);
}

// Goal: the writer keeps the heads of streams it wrote, but only committed ones: after a batch
// that failed, the stream's next append expects the head before that batch.
TEST(sqlite_journal, a_failed_batch_leaves_no_head_behind) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  raw_db raw(dir.file("j.db"));
  ASSERT_EQ(append_one(*store, make_request("s", 0, 2)).status, append_status::committed);
  ASSERT_EQ(append_one(*store, make_request("s", 2, 1, 3)).status, append_status::committed);
  raw.exec(
      "CREATE TRIGGER fail_boom BEFORE INSERT ON events WHEN NEW.stream_id = 'boom' "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  const std::vector failing{make_request("s", 3, 1, 4), make_request("s", 4, 1, 5),
                            make_request("boom", 0, 1)};
  for (const append_result& r : store->append_batch(failing))
    EXPECT_EQ(r.status, append_status::storage_error);
  raw.exec("DROP TRIGGER fail_boom");
  const append_result ahead = append_one(*store, make_request("s", 5, 1, 6));
  EXPECT_EQ(ahead.status, append_status::version_conflict);
  EXPECT_EQ(ahead.last_version, 3);
  const append_result next = append_one(*store, make_request("s", 3, 1, 4));
  EXPECT_EQ(next.status, append_status::committed) << next.detail;
  EXPECT_EQ(next.last_version, 4);
  const append_result stale = append_one(*store, make_request("s", 3, 1, 40));
  EXPECT_EQ(stale.status, append_status::version_conflict);
  EXPECT_EQ(stale.last_version, 4);
  EXPECT_EQ(store->read_stream("s").events.size(), 4U);
  EXPECT_TRUE(store->verify().ok);
}

// Goal: an event written behind the writer's back (another process ignoring the journal lock)
// makes a request that trusted the writer's cached head a conflict, never a fork, and a request
// that knew of it commits on top of it.
TEST(sqlite_journal, a_head_written_elsewhere_is_found) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  raw_db raw(dir.file("j.db"));
  ASSERT_EQ(append_one(*store, make_request("s", 0, 1)).status, append_status::committed);
  ASSERT_EQ(append_one(*store, make_request("s", 1, 1, 2)).status, append_status::committed);
  const auto write_behind = [&](std::int64_t version) {
    const std::string prev =
        raw.query_text("SELECT hash FROM events WHERE stream_id = 's' AND version = " +
                       std::to_string(version - 1));
    const std::string payload = numbered("elsewhere", version);
    const std::string hash = event_hash({prev, "s", version, "t", 7, payload});
    raw.exec("INSERT INTO events VALUES ('s', " + std::to_string(version) + ", 't', '" + payload +
             "', 7, '" + prev + "', '" + hash + "')");
  };
  write_behind(3);
  const append_result trusted = append_one(*store, make_request("s", 2, 1, 3));
  EXPECT_EQ(trusted.status, append_status::version_conflict);
  EXPECT_EQ(trusted.last_version, 3);
  EXPECT_EQ(append_one(*store, make_request("s", 3, 1, 4)).status, append_status::committed);
  write_behind(5);
  const append_result knowing = append_one(*store, make_request("s", 5, 1, 6));
  EXPECT_EQ(knowing.status, append_status::committed) << knowing.detail;
  EXPECT_EQ(knowing.last_version, 6);
  EXPECT_EQ(store->read_stream("s").events.size(), 6U);
  const verify_report report = store->verify();
  EXPECT_TRUE(report.ok) << report.detail;
}

// Goal: past the cache's bound (16,384 streams) heads are dropped and read again, and every
// append still lands on its stream's real head; a create on a known stream is still a conflict.
TEST(sqlite_journal, more_streams_than_the_head_cache_holds) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  constexpr int streams = 20000;
  for (int round = 0; round < 3; ++round) {
    for (int first = 0; first < streams; first += 2000) {
      std::vector<append_request> batch;
      for (int i = first; i < first + 2000; ++i)
        batch.push_back(make_request(numbered("s", i), round, 1, round + 1));
      for (const append_result& r : store->append_batch(batch))
        ASSERT_EQ(r.status, append_status::committed) << r.detail;
    }
  }
  const append_result create = append_one(*store, make_request("s7", 0, 1));
  EXPECT_EQ(create.status, append_status::version_conflict);
  EXPECT_EQ(create.last_version, 3);
  EXPECT_EQ(append_one(*store, make_request("s7", 3, 1, 4)).status, append_status::committed);
  const verify_report report = store->verify();
  EXPECT_TRUE(report.ok) << report.detail;
  EXPECT_EQ(report.events_checked, 3 * streams + 1);
}

// Goal: read_stream returns the newest snapshot plus only the events after it.
TEST(sqlite_journal, snapshot_plus_tail) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  append_one(*store, make_request("s", 0, 5));
  ASSERT_TRUE(store->save_snapshot({"s", 3, "state@3"}));
  stream_read read = store->read_stream("s");
  ASSERT_TRUE(read.ok);
  ASSERT_TRUE(read.snapshot.has_value());
  EXPECT_EQ(read.snapshot->stream_id, "s");
  EXPECT_EQ(read.snapshot->version, 3);
  EXPECT_EQ(read.snapshot->payload, "state@3");
  ASSERT_EQ(read.events.size(), 2U);
  EXPECT_EQ(read.events[0].version, 4);
  EXPECT_EQ(read.events[1].version, 5);

  EXPECT_TRUE(
      store->save_snapshot({"s", 2, "state@2"}));  // older: accepted but the newer one stays
  EXPECT_EQ(store->read_stream("s").snapshot->version, 3);
  EXPECT_TRUE(store->save_snapshot({"s", 5, "state@5"}));
  read = store->read_stream("s");
  EXPECT_EQ(read.snapshot->payload, "state@5");
  EXPECT_TRUE(read.events.empty());
}

// Goal: snapshots that would hide or invent events are refused.
TEST(sqlite_journal, snapshot_refuses_bad_input) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  append_one(*store, make_request("s", 0, 2));
  EXPECT_FALSE(store->save_snapshot({"s", 3, "beyond the last event"}));
  EXPECT_FALSE(store->save_snapshot({"s", 0, "version zero"}));
  EXPECT_FALSE(store->save_snapshot({"", 1, "no stream"}));
  EXPECT_FALSE(store->save_snapshot({"unknown", 1, "no events"}));
  EXPECT_FALSE(store->read_stream("s").snapshot.has_value());
}

// Goal: read_events pages through a stream by version and ignores snapshots.
TEST(sqlite_journal, read_events_pages_by_version) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  append_one(*store, make_request("s", 0, 5));
  ASSERT_TRUE(store->save_snapshot({"s", 4, "state"}));
  std::vector<event_record> page = store->read_events("s", 0, 2).value();
  ASSERT_EQ(page.size(), 2U);
  EXPECT_EQ(page[0].version, 1);
  page = store->read_events("s", 2, 10).value();
  ASSERT_EQ(page.size(), 3U);
  EXPECT_EQ(page[0].version, 3);
  EXPECT_TRUE(store->read_events("s", 5, 10).value().empty());
  EXPECT_TRUE(store->read_events("s", 0, 0).value().empty());
  EXPECT_TRUE(store->read_events("unknown", 0, 10).value().empty());
  EXPECT_EQ(store->read_events("s", -7, static_cast<std::size_t>(-1)).value().size(), 5U);
}

// Goal: list_streams filters by prefix, resumes after a key and orders bytewise.
TEST(sqlite_journal, list_streams_by_prefix_and_cursor) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  const std::vector batch{make_request("pay-2", 0, 1),  make_request("pay-10", 0, 2),
                          make_request("acct-1", 0, 1), make_request("pay-1", 0, 1),
                          make_request("pay.", 0, 1),   make_request("\xff\xff-x", 0, 1)};
  store->append_batch(batch);
  using names = std::vector<std::string>;
  EXPECT_EQ(store->list_streams("pay-", "", 100).value(), (names{"pay-1", "pay-10", "pay-2"}));
  EXPECT_EQ(store->list_streams("pay-", "pay-1", 100).value(), (names{"pay-10", "pay-2"}));
  EXPECT_EQ(store->list_streams("pay-", "", 1).value(), (names{"pay-1"}));
  EXPECT_EQ(store->list_streams("", "", 100).value(),
            (names{"acct-1", "pay-1", "pay-10", "pay-2", "pay.", "\xff\xff-x"}));
  EXPECT_EQ(store->list_streams("\xff", "", 100).value(), (names{"\xff\xff-x"}));
  EXPECT_TRUE(store->list_streams("zzz", "", 100).value().empty());
  EXPECT_TRUE(store->list_streams("pay-", "pay-2", 100).value().empty());
  EXPECT_TRUE(store->list_streams("", "", 0).value().empty());
}

// Goal: a journal opened with synchronous=NORMAL appends and reads like a FULL one.
TEST(sqlite_journal, synchronous_level_follows_options) {
  temp_dir dir;
  std::string error;
  auto store = open_sqlite_journal({.file = dir.file("j.db"), .synchronous_full = false}, &error);
  ASSERT_NE(store, nullptr) << error;
  EXPECT_EQ(append_one(*store, make_request("s", 0, 1)).status, append_status::committed);
  EXPECT_EQ(store->read_stream("s").events.size(), 1U);
}

// Goal: the key scan lists the key of every record live after `now`, in expiry order, and none
// twice or left out where a read chunk ends between records of the same expiry.
TEST(sqlite_journal, idempotency_keys_are_scanned_in_expiry_order_across_chunks) {
  temp_dir dir;
  auto store = open_journal(dir.file("j.db"));
  const std::int64_t now = 1'700'000'000'000;
  const auto count_all = [&](std::int64_t at) {
    std::size_t n = 0;
    auto scanned = store->scan_idempotency_keys(at, [&](const idempotency_key&, std::int64_t) {
      ++n;
      return true;
    });
    EXPECT_TRUE(scanned.has_value());
    return scanned ? *scanned : 0;
  };
  EXPECT_EQ(count_all(now), 0U);

  const std::size_t live = idempotency_scan_chunk + 7;
  std::vector<idempotency_record> records;
  std::set<std::string> expected;
  for (std::size_t i = 0; i < live; ++i) {
    // Every expiry twice or thrice, so chunks end between records of one expiry.
    const auto expires = now + 1 + static_cast<std::int64_t>((i * 7919) % 4000);
    records.push_back({"client-" + std::to_string(i % 3), "key-" + std::to_string(i), "fp", 201,
                       "application/json", "", "{}", now - 1000, expires});
    expected.insert(records.back().client_id + "/" + records.back().key);
  }
  for (std::int64_t ago : {0, 1, 500})  // expired at `now` or before
    records.push_back({"client-0", "old-" + std::to_string(ago), "fp", 201, "application/json", "",
                       "{}", now - 1000, now - ago});
  const auto results = store->commit_batch({}, records);
  ASSERT_EQ(results.idempotency.size(), records.size());
  for (const auto& r : results.idempotency) ASSERT_EQ(r.status, append_status::committed);

  std::set<std::string> seen;
  std::vector<std::int64_t> expiries;
  auto scanned =
      store->scan_idempotency_keys(now, [&](const idempotency_key& key, std::int64_t expires) {
        EXPECT_TRUE(seen.insert(key.client_id + "/" + key.key).second) << key.key << " twice";
        expiries.push_back(expires);
        return true;
      });
  ASSERT_TRUE(scanned.has_value()) << scanned.error().detail;
  EXPECT_EQ(*scanned, live);
  EXPECT_EQ(seen, expected);
  EXPECT_TRUE(std::is_sorted(expiries.begin(), expiries.end()));
  EXPECT_EQ(count_all(now - 500), live + 2);  // "old-0" and "old-1" are live before `now`

  // `each` ends the scan by answering false, in the first chunk or a later one.
  for (const std::size_t stop_at : {std::size_t{3}, idempotency_scan_chunk + 2}) {
    std::size_t calls = 0;
    auto stopped = store->scan_idempotency_keys(
        now, [&](const idempotency_key&, std::int64_t) { return ++calls < stop_at; });
    ASSERT_TRUE(stopped.has_value());
    EXPECT_EQ(*stopped, stop_at);
    EXPECT_EQ(calls, stop_at);
  }
}

}  // namespace
}  // namespace payorch::persistence
