// The threaded journal backend's reader (actors/journal_backend.hpp): idempotency look-ups that
// wait for the reader together are read with one store call, and each gets its own answer; the
// filter of stored idempotency keys is filled by the reader before it answers.
#include "actors/journal_backend.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "persistence/group_commit_writer.hpp"
#include "persistence/idempotency_filter.hpp"
#include "tests/support/forwarding_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::actors {
namespace {

using persistence::idempotency_key;
using persistence::idempotency_record;
using persistence::journal_store;

/// A store that forwards to another and records the size of every batched look-up.
class counting_store final : public testing::forwarding_store {
 public:
  using forwarding_store::forwarding_store;

  result<std::vector<std::optional<idempotency_record>>> get_idempotency_records(
      std::span<const idempotency_key> keys) override {
    batch_sizes.push_back(keys.size());  // only the reader thread calls this
    return forwarding_store::get_idempotency_records(keys);
  }

  std::vector<std::size_t> batch_sizes;
};

std::unique_ptr<journal_store> open_file(const std::filesystem::path& file) {
  std::string error;
  auto store = persistence::open_sqlite_journal({.file = file}, &error);
  EXPECT_NE(store, nullptr) << error;
  return store;
}

idempotency_record record_of(std::string key, std::string body) {
  return {"client-1",        std::move(key),   "fp", 201, "application/json", "", std::move(body),
          1'700'000'000'000, 1'700'086'400'000};
}

TEST(journal_backend, lookups_waiting_together_are_read_at_once) {
  testing::temp_dir dir;
  const auto file = dir.path() / "journal.sqlite";
  auto writer = std::make_shared<persistence::group_commit_writer>(open_file(file),
                                                                   persistence::writer_options{});
  auto counting = std::make_unique<counting_store>(open_file(file));
  counting_store* reader = counting.get();
  auto backend = make_threaded_backend(writer, std::move(counting));

  for (const char* key : {"k1", "k2"}) {
    std::promise<persistence::append_status> stored;
    backend->put_idempotency(
        record_of(key, std::string("body of ") + key),
        [&stored](persistence::append_result r) { stored.set_value(r.status); });
    ASSERT_EQ(stored.get_future().get(), persistence::append_status::committed);
  }

  // Hold the reader in a job while the look-ups queue behind it.
  std::promise<void> release;
  std::promise<void> holding;
  backend->lookup([&](journal_store*) -> std::function<void(bool)> {
    holding.set_value();
    release.get_future().wait();
    return [](bool) {};
  });
  holding.get_future().wait();

  const std::vector<idempotency_key> keys{
      {"client-1", "k2"}, {"client-1", "none"}, {"client-2", "k1"}, {"client-1", "k1"}};
  std::mutex mutex;
  std::map<std::size_t, std::string> answers;
  std::promise<void> all_answered;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    backend->lookup_idempotency(keys[i], [&, i](result<std::optional<idempotency_record>> found) {
      const std::lock_guard lock(mutex);
      answers[i] = !found ? "error: " + found.error().detail
                          : (*found ? (*found)->body : std::string("none"));
      if (answers.size() == keys.size()) all_answered.set_value();
    });
  }
  release.set_value();
  // Bounded, so a lost answer fails the test instead of hanging it.
  ASSERT_EQ(all_answered.get_future().wait_for(std::chrono::seconds(60)),
            std::future_status::ready);
  const std::lock_guard lock(mutex);

  EXPECT_EQ(answers[0], "body of k2");
  EXPECT_EQ(answers[1], "none");
  EXPECT_EQ(answers[2], "none");  // another client's key
  EXPECT_EQ(answers[3], "body of k1");
  EXPECT_EQ(reader->batch_sizes, std::vector<std::size_t>{keys.size()});
}

/// Waits (at most 60 s) until the backend's key filter has loaded the stored keys.
bool filter_ready(const journal_backend& backend) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!backend.health().key_filter_ready && std::chrono::steady_clock::now() < until)
    std::this_thread::yield();
  return backend.health().key_filter_ready;
}

// Goal: the loader thread reads every stored key (expired ones too: the filter judges by its
// caller's clock) while the reader keeps answering; then stored keys are looked up and only
// fresh ones skip the look-up.
TEST(journal_backend, the_key_filter_knows_stored_keys_once_they_are_loaded) {
  testing::temp_dir dir;
  const auto file = dir.path() / "journal.sqlite";
  {
    auto store = open_file(file);
    const std::vector<idempotency_record> stored{record_of("k1", "one"), record_of("k2", "two")};
    const auto results = store->commit_batch({}, stored);
    ASSERT_EQ(results.idempotency.size(), 2U);
    for (const auto& r : results.idempotency)
      ASSERT_EQ(r.status, persistence::append_status::committed);
  }
  auto writer = std::make_shared<persistence::group_commit_writer>(open_file(file),
                                                                   persistence::writer_options{});
  auto filter = std::make_shared<persistence::idempotency_filter>();
  auto backend = make_threaded_backend(writer, open_file(file), filter, open_file(file));
  ASSERT_TRUE(filter_ready(*backend));

  const std::int64_t now = 1'700'000'000'000;  // before the records expire
  const std::int64_t expires = now + 86'400'000;
  auto health = backend->health();
  EXPECT_TRUE(health.key_filter_ready);
  EXPECT_EQ(health.key_filter_keys, 2U);
  EXPECT_FALSE(backend->remember_idempotency_key({"client-1", "k1"}, expires, now));
  EXPECT_FALSE(backend->remember_idempotency_key({"client-1", "k2"}, expires, now));
  EXPECT_TRUE(backend->remember_idempotency_key({"client-2", "k1"}, expires, now));
  EXPECT_TRUE(backend->remember_idempotency_key({"client-1", "fresh"}, expires, now));
  EXPECT_FALSE(backend->remember_idempotency_key({"client-1", "fresh"}, expires, now));
  EXPECT_EQ(backend->health().lookups_skipped, 2U);
}

// Goal: a backend without a filter (a journal other processes may write), or with one but no
// source to load it from, never skips a look-up.
TEST(journal_backend, without_a_loaded_key_filter_every_key_is_looked_up) {
  testing::temp_dir dir;
  const auto file = dir.path() / "journal.sqlite";
  auto writer = std::make_shared<persistence::group_commit_writer>(open_file(file),
                                                                   persistence::writer_options{});
  auto plain = make_threaded_backend(writer, open_file(file));
  auto unloaded = make_threaded_backend(writer, open_file(file),
                                        std::make_shared<persistence::idempotency_filter>());
  for (journal_backend* backend : {plain.get(), unloaded.get()}) {
    EXPECT_FALSE(backend->remember_idempotency_key({"client-1", "fresh"}, 2, 1));
    EXPECT_FALSE(backend->health().key_filter_ready);
    EXPECT_EQ(backend->health().lookups_skipped, 0U);
  }
}

// Goal: with a writer that syncs beside its commits (as `payorch serve`'s does), a look-up read
// from the reader connection, which sees a batch as soon as it commits, reaches its requester
// only once that batch is synced; after a failed sync it answers storage_unavailable.
TEST(journal_backend, reader_answers_wait_for_the_sync_of_what_they_read) {
  for (const bool sync_fails : {false, true}) {
    SCOPED_TRACE(sync_fails ? "the sync fails" : "the sync succeeds");
    testing::temp_dir dir;
    const auto file = dir.path() / "journal.sqlite";
    std::string error;
    auto deferring = persistence::open_sqlite_journal({.file = file, .defer_sync = true}, &error);
    ASSERT_NE(deferring, nullptr) << error;
    auto control = std::make_shared<testing::sync_control>();
    control->fail = sync_fails;
    auto writer = std::make_shared<persistence::group_commit_writer>(
        std::make_unique<testing::held_sync_store>(std::move(deferring), control),
        persistence::writer_options{});
    auto backend = make_threaded_backend(writer, open_file(file));

    std::promise<persistence::append_status> stored;
    backend->put_idempotency(record_of("k1", "body of k1"),
                             [&](persistence::append_result r) { stored.set_value(r.status); });
    ASSERT_TRUE(control->wait_for([&] { return control->entered == 1; }));  // committed, held
    std::promise<std::string> found;
    backend->lookup_idempotency({"client-1", "k1"},
                                [&](result<std::optional<idempotency_record>> r) {
                                  found.set_value(!r ? "error: " + r.error().detail
                                                     : (*r ? (*r)->body : std::string("none")));
                                });
    auto answer = found.get_future();
    // The reader has the record, but its answer waits for the held sync. (A bound, not a
    // timing: an answer that did not wait would come well within it.)
    EXPECT_EQ(answer.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
    control->allow(1);
    ASSERT_EQ(answer.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    const std::string body = answer.get();
    if (sync_fails) {
      EXPECT_NE(body.find("error: "), std::string::npos) << body;
      EXPECT_EQ(stored.get_future().get(), persistence::append_status::storage_error);
    } else {
      EXPECT_EQ(body, "body of k1");
      EXPECT_EQ(stored.get_future().get(), persistence::append_status::committed);
    }
    control->allow(100);
  }
}

}  // namespace
}  // namespace payorch::actors
