// Tests of the journal actor's pages, ledger-carrying appends and idempotency records, on the
// deterministic runtime over a real SQLite journal.
#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/errors.hpp"
#include "actors/journal_actor.hpp"
#include "actors/runtime.hpp"
#include "actors/type_ids.hpp"
#include "domain/result.hpp"
#include "persistence/journal.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::testing {
namespace {

using persistence::append_request;
using persistence::append_result;
using persistence::append_status;

/// An inline backend that can hold reads (a stuck writer) or act like an older backend that only
/// forwards appends, reads of streams and snapshots.
class switchable_backend final : public actors::journal_backend {
 public:
  explicit switchable_backend(std::shared_ptr<actors::journal_backend> inner)
      : inner_(std::move(inner)) {}

  void submit(append_request req, std::function<void(append_result)> done) override {
    inner_->submit(std::move(req), std::move(done));
  }
  void read(std::string stream_id, std::function<void(persistence::stream_read)> done) override {
    inner_->read(std::move(stream_id), std::move(done));
  }
  void snapshot(persistence::snapshot_record snap) override { inner_->snapshot(std::move(snap)); }
  actors::journal_health health() const override { return inner_->health(); }
  void query(std::function<void(persistence::journal_store*)> job) override {
    if (legacy) {
      journal_backend::query(std::move(job));
    } else if (hold_queries) {
      held.push_back(std::move(job));
    } else {
      inner_->query(std::move(job));
    }
  }
  void put_idempotency(persistence::idempotency_record record,
                       std::function<void(append_result)> done) override {
    if (legacy) {
      journal_backend::put_idempotency(std::move(record), std::move(done));
    } else {
      inner_->put_idempotency(std::move(record), std::move(done));
    }
  }

  bool legacy = false;
  bool hold_queries = false;
  std::vector<std::function<void(persistence::journal_store*)>> held;

 private:
  std::shared_ptr<actors::journal_backend> inner_;
};

class journal_reads : public ::testing::Test {
 protected:
  journal_reads() {
    std::string error;
    auto store = persistence::open_sqlite_journal({.file = dir_.file("journal.sqlite")}, &error);
    if (!store) throw std::runtime_error(error);
    backend_ = std::make_shared<switchable_backend>(actors::make_inline_backend(std::move(store)));
    actors::runtime_options options;
    options.deterministic = true;
    runtime_ = actors::actor_runtime::start(options, backend_);
    sched().run();
  }

  caf::actor_system& sys() { return runtime_->system(); }
  caf::scheduler::test_coordinator& sched() {
    return dynamic_cast<caf::scheduler::test_coordinator&>(sys().scheduler());
  }
  actors::journal_actor journal() {
    return sys().registry().get<actors::journal_actor>(actors::journal_registry_name());
  }

  /// Sends `msg` to the journal actor, runs the scheduler until idle and returns the reply.
  template <class Reply, class Message>
  result<Reply> ask(Message msg) {
    caf::scoped_actor self{sys()};
    auto handle = self->request(journal(), caf::infinite, std::move(msg));
    sched().run();
    std::optional<result<Reply>> out;
    handle.receive([&](Reply& r) { out.emplace(std::move(r)); },
                   [&](caf::error& e) { out.emplace(actors::to_failure(e)); });
    return std::move(*out);
  }

  append_result append(append_request request) {
    auto r = ask<append_result>(std::move(request));
    EXPECT_TRUE(r.has_value());
    return r ? *r : append_result{};
  }

  static append_request pledge(std::string pod, std::int64_t expected, std::string id,
                               std::int64_t amount_minor) {
    append_request request{pod, expected, {{"FundsPledged", "{}", 1'000}}};
    request.ledger.push_back({id,
                              ledger_phase::pending,
                              {{"pod:" + pod + ":member:u1", "EUR", -amount_minor},
                               {"pod:" + pod + ":wallet", "EUR", amount_minor}},
                              0,
                              {}});
    return request;
  }

  temp_dir dir_{"payorch-journal-reads"};
  std::shared_ptr<switchable_backend> backend_;
  std::unique_ptr<actors::actor_runtime> runtime_;
};

// Goal: appends carry ledger commands through the actor; ledger rows and balances read back by
// account prefix; a rejection comes back as ledger_rejected with its reason.
TEST_F(journal_reads, ledger_travels_with_appends_and_reads_back) {
  ASSERT_EQ(append(pledge("pod_a", 0, "plg_1", 250)).status, append_status::committed);
  ASSERT_EQ(append(pledge("pod_b", 0, "plg_2", 10)).status, append_status::committed);
  append_request settle{"pod_a", 1, {{"PledgeSettled", "{}", 2'000}}};
  settle.ledger.push_back({"s1", ledger_phase::post_pending, {}, 0, "plg_1"});
  ASSERT_EQ(append(settle).status, append_status::committed);
  const append_result again = append(settle);  // stale version: a conflict, not a ledger check
  EXPECT_EQ(again.status, append_status::version_conflict);
  settle.expected_version = 2;
  const append_result twice = append(settle);
  EXPECT_EQ(twice.status, append_status::ledger_rejected);
  EXPECT_EQ(twice.reason, errc::illegal_transition);

  auto page = ask<actors::ledger_page>(actors::read_ledger{"pod:pod_a:", 0, 50});
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->entries.size(), 2U);
  EXPECT_EQ(page->entries[0].transaction_id, "plg_1");
  EXPECT_EQ(page->entries[0].phase, "POSTED");
  EXPECT_EQ(page->entries[1].account, "pod:pod_a:wallet");
  auto next =
      ask<actors::ledger_page>(actors::read_ledger{"pod:pod_a:", page->entries[0].entry_id, 50});
  ASSERT_TRUE(next.has_value());
  ASSERT_EQ(next->entries.size(), 1U);
  EXPECT_TRUE(ask<actors::ledger_page>(actors::read_ledger{"pod:pod_a:", 0, 0})->entries.empty());

  auto balances = ask<actors::balance_page>(actors::read_balances{"pod:pod_a:"});
  ASSERT_TRUE(balances.has_value());
  const std::vector<account_balance> want{{"pod:pod_a:member:u1", "EUR", -250, 0, 0},
                                          {"pod:pod_a:wallet", "EUR", 250, 0, 0}};
  EXPECT_EQ(balances->balances, want);
  auto b = ask<actors::balance_page>(actors::read_balances{"pod:pod_b:", 1});
  ASSERT_EQ(b->balances.size(), 1U);
  EXPECT_EQ(b->balances[0].pending_out_minor, 10);
}

// Goal: events and stream ids page with their cursors through the actor.
TEST_F(journal_reads, events_and_streams_page_by_cursor) {
  for (const char* pod : {"pod_1", "pod_2", "pod_3", "other"}) {
    append_request request{pod, 0, {{"A", "{}", 1}, {"B", "{}", 2}, {"C", "{}", 3}}};
    ASSERT_EQ(append(request).status, append_status::committed);
  }
  auto events = ask<actors::event_page>(actors::read_events{"pod_2", 1, 1});
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->events.size(), 1U);
  EXPECT_EQ(events->events[0].version, 2);
  EXPECT_EQ(events->events[0].event_type, "B");
  EXPECT_EQ(ask<actors::event_page>(actors::read_events{"pod_2", 0, 100})->events.size(), 3U);
  EXPECT_TRUE(ask<actors::event_page>(actors::read_events{"missing", 0, 10})->events.empty());

  auto first = ask<actors::stream_page>(actors::list_streams{"pod_", "", 2});
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->stream_ids, (std::vector<std::string>{"pod_1", "pod_2"}));
  auto rest = ask<actors::stream_page>(actors::list_streams{"pod_", first->stream_ids.back(), 2});
  EXPECT_EQ(rest->stream_ids, std::vector<std::string>{"pod_3"});
}

// Goal: an idempotency record is stored (answered after commit) and read back; an unknown key is
// not found; a malformed record is refused with storage_error.
TEST_F(journal_reads, idempotency_put_then_get) {
  persistence::idempotency_record record{
      "client-1", "key-1", "fp", 201, "application/json", "/pods/pod_1", "{\"pod_id\":\"pod_1\"}",
      1'000,      90'000};
  auto stored = ask<append_result>(actors::put_idempotency{record});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->status, append_status::committed);

  auto found = ask<actors::idempotency_lookup>(actors::get_idempotency{"client-1", "key-1"});
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->found);
  EXPECT_EQ(found->record.body, record.body);
  EXPECT_EQ(found->record.location, "/pods/pod_1");
  EXPECT_EQ(found->record.status, 201);
  auto missing = ask<actors::idempotency_lookup>(actors::get_idempotency{"client-1", "key-2"});
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->found);

  record.key.clear();
  EXPECT_EQ(ask<append_result>(actors::put_idempotency{record})->status,
            append_status::storage_error);
}

// Goal: the runtime's direct put (the gateway's path, past the actors) stores a record the journal
// actor then reads back, and answers storage_error when the backend stores none.
TEST_F(journal_reads, runtime_stores_idempotency_records_directly) {
  const persistence::idempotency_record record{
      "client-1", "key-1", "fp", 201, "application/json", "/pods/pod_1", "{}", 1'000, 90'000};
  std::optional<append_result> stored;
  runtime_->put_idempotency(record, [&](append_result r) { stored = std::move(r); });
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, append_status::committed) << stored->detail;
  auto found = ask<actors::idempotency_lookup>(actors::get_idempotency{"client-1", "key-1"});
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->found);
  EXPECT_EQ(found->record.location, "/pods/pod_1");

  backend_->legacy = true;
  stored.reset();
  runtime_->put_idempotency(record, [&](append_result r) { stored = std::move(r); });
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, append_status::storage_error);
}

// Goal: a backend that offers no store access answers reads with storage_unavailable and puts with
// storage_error, instead of leaving the requester waiting.
TEST_F(journal_reads, backend_without_queries_answers_unavailable) {
  backend_->legacy = true;
  auto page = ask<actors::ledger_page>(actors::read_ledger{"pod:", 0, 10});
  ASSERT_FALSE(page.has_value());
  EXPECT_EQ(page.error().code, errc::storage_unavailable);
  auto put = ask<append_result>(actors::put_idempotency{{"c", "k", "fp", 200, "", "", "", 1, 2}});
  ASSERT_TRUE(put.has_value());
  EXPECT_EQ(put->status, append_status::storage_error);
}

// Goal: a read the writer never answers fails with storage_unavailable after the journal timeout,
// and its late answer is then ignored.
TEST_F(journal_reads, stuck_reads_time_out) {
  backend_->hold_queries = true;
  caf::scoped_actor self{sys()};
  auto handle = self->request(journal(), caf::infinite, actors::read_balances{"pod:"});
  sched().run();
  ASSERT_EQ(backend_->held.size(), 1U);
  sched().advance_time(std::chrono::seconds(31));
  sched().run();
  std::optional<failure> failed;
  handle.receive([&](actors::balance_page&) {},
                 [&](caf::error& e) { failed = actors::to_failure(e); });
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->code, errc::storage_unavailable);
  backend_->held.front()(nullptr);  // the writer wakes up late
  sched().run();
  backend_->hold_queries = false;
  EXPECT_TRUE(ask<actors::balance_page>(actors::read_balances{"pod:"}).has_value());
}

// Goal: an append_request with ledger commands (and an append_result with a reason) survives CAF
// serialisation field for field, so it can cross a node boundary.
TEST_F(journal_reads, ledger_commands_serialise) {
  append_request original = pledge("pod_a", 4, "plg_9", 77);
  original.ledger.push_back({"s9", ledger_phase::void_pending, {}, 0, "plg_9"});
  original.ledger.front().expires_at_ms = 123;
  std::vector<char> buffer;
  caf::binary_serializer sink{sys(), buffer};
  ASSERT_FALSE(sink(original));
  append_request copy;
  caf::binary_deserializer source{sys(), buffer};
  ASSERT_FALSE(source(copy));
  EXPECT_EQ(copy.stream_id, original.stream_id);
  EXPECT_EQ(copy.expected_version, 4);
  EXPECT_EQ(copy.ledger, original.ledger);

  append_result result{append_status::ledger_rejected, 0, "no", errc::pending_expired};
  buffer.clear();
  caf::binary_serializer result_sink{sys(), buffer};
  ASSERT_FALSE(result_sink(result));
  append_result read_back;
  caf::binary_deserializer result_source{sys(), buffer};
  ASSERT_FALSE(result_source(read_back));
  EXPECT_EQ(read_back.status, append_status::ledger_rejected);
  EXPECT_EQ(read_back.reason, errc::pending_expired);
}

}  // namespace
}  // namespace payorch::testing
