#pragma once
/// The backend-neutral conformance suites of `journal_store`: the ledger, idempotency records,
/// paged reads and the outbox, written against the interface only.
///
/// A backend runs them by instantiating the suites with a factory that yields a fresh, empty store:
///   INSTANTIATE_TEST_SUITE_P(sqlite, ledger_conformance, ::testing::Values(sqlite_factory()));
/// (and the same for idempotency_conformance, paging_conformance and outbox_conformance). The
/// SQLite instantiations are in sqlite_ledger_test.cpp, the PostgreSQL ones in
/// postgres_conformance_test.cpp.

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence_test_support.hpp"

namespace payorch::persistence::testing {

/// Opens a new, empty store of one backend for one test; `dir` is a fresh temporary directory the
/// backend may use (a server-based backend would create a fresh schema instead).
struct store_factory {
  std::string name;
  std::function<std::unique_ptr<journal_store>(const std::filesystem::path& dir)> open;
  /// Opens the store `open` made in `dir` once more (a new handle on the same data), after the
  /// first one was closed.
  std::function<std::unique_ptr<journal_store>(const std::filesystem::path& dir)> reopen;
};

/// Prints the factory's name in gtest's parameter listing.
inline void PrintTo(const store_factory& factory, std::ostream* out) {
  *out << factory.name;
}

/// Holds the store under test.
class store_conformance : public ::testing::TestWithParam<store_factory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_.path());
    ASSERT_NE(store_, nullptr) << GetParam().name;
  }

  /// Commits one batch of appends and idempotency records.
  batch_results commit(std::vector<append_request> appends,
                       std::vector<idempotency_record> records = {}) {
    batch_results results = store_->commit_batch(appends, records);
    EXPECT_EQ(results.appends.size(), appends.size());
    EXPECT_EQ(results.idempotency.size(), records.size());
    return results;
  }

  /// Appends one request alone.
  append_result append(append_request request) {
    std::vector<append_request> batch;
    batch.push_back(std::move(request));
    batch_results results = commit(std::move(batch));
    return results.appends.empty() ? append_result{} : results.appends.front();
  }

  /// Every ledger row of accounts starting with `prefix`, read page by page.
  std::vector<ledger_entry> all_entries(const std::string& prefix = "") {
    std::vector<ledger_entry> all;
    std::int64_t after = 0;
    for (;;) {
      auto page = store_->read_ledger(prefix, after, max_page_rows);
      EXPECT_TRUE(page.has_value());
      if (!page || page->empty()) return all;
      after = page->back().entry_id;
      all.insert(all.end(), page->begin(), page->end());
    }
  }

  /// The stored balance of (account, currency), or zeros if there is none.
  account_balance balance(const std::string& account, const std::string& currency) {
    auto balances = store_->read_balances(account, max_page_rows);
    EXPECT_TRUE(balances.has_value());
    if (balances) {
      for (const account_balance& b : *balances) {
        if (b.account == account && b.currency == currency) return b;
      }
    }
    return {account, currency, 0, 0, 0};
  }

  /// Every outbox row after `after`, read page by page.
  std::vector<outbox_entry> all_outbox(bool unpublished_only = false, std::int64_t after = 0) {
    std::vector<outbox_entry> all;
    for (;;) {
      auto page = store_->read_outbox(after, max_page_rows, unpublished_only);
      EXPECT_TRUE(page.has_value());
      if (!page || page->empty()) return all;
      after = page->back().position;
      all.insert(all.end(), page->begin(), page->end());
    }
  }

  /// Closes the store and opens it again on the same data.
  void reopen() {
    store_.reset();
    store_ = GetParam().reopen(dir_.path());
    ASSERT_NE(store_, nullptr) << GetParam().name;
  }

  temp_dir dir_;
  std::unique_ptr<journal_store> store_;
};

class ledger_conformance : public store_conformance {};
class idempotency_conformance : public store_conformance {};
class paging_conformance : public store_conformance {};
class outbox_conformance : public store_conformance {};

// ---- builders ----

inline ledger_command posted_tx(std::string id, std::vector<ledger_posting> postings) {
  return {std::move(id), ledger_phase::posted, std::move(postings), 0, {}};
}

inline ledger_command pending_tx(std::string id, std::vector<ledger_posting> postings,
                                 std::int64_t expires_at_ms = 0) {
  return {std::move(id), ledger_phase::pending, std::move(postings), expires_at_ms, {}};
}

inline ledger_command post_tx(std::string pending_id) {
  return {"post-" + pending_id, ledger_phase::post_pending, {}, 0, std::move(pending_id)};
}

inline ledger_command void_tx(std::string pending_id) {
  return {"void-" + pending_id, ledger_phase::void_pending, {}, 0, std::move(pending_id)};
}

/// `amount_minor` of `currency` from account `from` to account `to`.
inline std::vector<ledger_posting> transfer(const std::string& from, const std::string& to,
                                            std::int64_t amount_minor,
                                            const std::string& currency = "EUR") {
  return {{from, currency, -amount_minor}, {to, currency, amount_minor}};
}

/// A request with one event recorded at `recorded_at_ms` that carries `ledger`.
inline append_request with_ledger(std::string stream_id, std::int64_t expected_version,
                                  std::int64_t recorded_at_ms, std::vector<ledger_command> ledger) {
  append_request request{std::move(stream_id), expected_version, {}, std::move(ledger)};
  request.events.push_back({"LedgerMoved", "{}", recorded_at_ms});
  return request;
}

inline idempotency_record idem(std::string key, std::int64_t created_at_ms,
                               std::int64_t expires_at_ms, std::string body = "{}") {
  return {"client-1",    std::move(key),  "fp-" + body,  201,          "application/json",
          "/pods/pod_1", std::move(body), created_at_ms, expires_at_ms};
}

/// A default store factory: a SQLite journal in the test's directory.
inline store_factory sqlite_factory() {
  const auto open = [](const std::filesystem::path& dir) -> std::unique_ptr<journal_store> {
    return open_journal(dir / "journal.db");
  };
  return {"sqlite", open, open};
}

}  // namespace payorch::persistence::testing
