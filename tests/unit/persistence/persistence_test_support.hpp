#pragma once
/// Shared helpers of the persistence tests: a temporary directory and a raw SQLite connection.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "persistence/journal.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::persistence::testing {

/// Temporary directories come from the shared test support.
class temp_dir : public payorch::testing::temp_dir {
 public:
  temp_dir() : payorch::testing::temp_dir("payorch-persistence") {}
};

/// A second connection to a journal file that bypasses the store, for inspecting and tampering.
class raw_db {
 public:
  explicit raw_db(const std::filesystem::path& file) {
    if (sqlite3_open(file.string().c_str(), &db_) != SQLITE_OK)
      throw std::runtime_error("raw open failed");
    sqlite3_busy_timeout(db_, 5000);
  }
  ~raw_db() { sqlite3_close(db_); }
  raw_db(const raw_db&) = delete;
  raw_db& operator=(const raw_db&) = delete;

  /// Runs SQL and fails the current test if SQLite refuses it.
  void exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << (message != nullptr ? message : "") << " in: " << sql;
    sqlite3_free(message);
  }

  /// Returns the first column of the first row as text ("" if there is no row).
  std::string query_text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
    std::string value;
    if (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) value = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    return value;
  }

  std::int64_t query_int(const std::string& sql) { return std::stoll("0" + query_text(sql)); }

 private:
  sqlite3* db_ = nullptr;
};

/// Opens a journal in `file` and fails the test if that is impossible.
inline std::unique_ptr<journal_store> open_journal(const std::filesystem::path& file) {
  std::string error;
  auto store = open_sqlite_journal({.file = file}, &error);
  EXPECT_NE(store, nullptr) << error;
  return store;
}

/// Returns `prefix` followed by `n` in decimal ("s", 3 -> "s3").
///
/// Appending instead of writing "literal" + std::to_string(n) sidesteps a GCC 12 -Wrestrict false
/// positive at -O3.
inline std::string numbered(std::string prefix, std::int64_t n) {
  prefix += std::to_string(n);
  return prefix;
}

/// A request of `count` events numbered from `first` (payloads "p<first>", "p<first+1>", ...).
inline append_request make_request(std::string stream_id, std::int64_t expected_version, int count,
                                   int first = 1) {
  append_request request{std::move(stream_id), expected_version, {}};
  for (int i = 0; i < count; ++i) {
    const int n = first + i;
    std::string type = numbered("type", n);
    std::string payload = numbered("p", n);
    request.events.push_back({std::move(type), std::move(payload), 1000 + n});
  }
  return request;
}

/// Appends one request alone and returns its result.
inline append_result append_one(journal_store& store, append_request request) {
  std::vector<append_request> batch;
  batch.push_back(std::move(request));
  std::vector<append_result> results = store.append_batch(batch);
  EXPECT_EQ(results.size(), 1U);
  return results.empty() ? append_result{} : results.front();
}

}  // namespace payorch::persistence::testing
