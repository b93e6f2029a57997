#pragma once
/// One integration test body on either journal store: the embedded SQLite journal or PostgreSQL,
/// chosen by the test's parameter.
///
/// Suites are value-parameterized over `store_kind` (`TEST_P`) and instantiated with
/// `INSTANTIATE_TEST_SUITE_P(stores, suite, both_stores(), store_test_name)`, which names the
/// cases `stores/suite.test/sqlite` and `stores/suite.test/postgresql`. On PostgreSQL every test
/// (or every shared suite server) gets a fresh database on one server per test process: the first
/// test that needs it starts it, and a gtest environment stops it after the last test, whether
/// tests failed or not; if the process dies the server goes with it (postgres_fixture.hpp).
/// PostgreSQL cases skip only when the PostgreSQL 15 binaries are missing. Single-threaded: the
/// shared server belongs to the gtest main thread.

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/integration_support.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace payorch::testing {

/// The journal store a test runs on.
enum class store_kind { sqlite, postgresql };

/// "sqlite" or "postgresql" (also `/health/deps`'s `journal.backend`).
std::string_view store_name(store_kind store);

/// Prints the store by name (ctest lists each case with its parameter's printout).
void PrintTo(store_kind store, std::ostream* out);

/// The parameter's part of a test name: `store_name(info.param)`.
std::string store_test_name(const ::testing::TestParamInfo<store_kind>& info);

/// Both stores, SQLite first, for INSTANTIATE_TEST_SUITE_P.
inline auto both_stores() {
  return ::testing::Values(store_kind::sqlite, store_kind::postgresql);
}

/// Why a store's cases skip here ("" when the store can run).
std::string store_unavailable(store_kind store);

/// How the integration tests start PostgreSQL servers: from the build dir's template cluster
/// (one initdb per build dir, not per test process), without fsync, and in memory (/dev/shm)
/// when it has 1 GiB free, else in the system temp dir.
postgres_options quick_postgres_options();

/// Removes the cluster dirs (`payorch-pg-*`) in `parent` that test processes which died left
/// behind: no `data/postmaster.pid` (PostgreSQL removes it whenever it exits, even on SIGQUIT)
/// and untouched for `untouched_for`, so no server, running or starting, owns them. Run once
/// per process before the first cluster goes into memory, where leftovers would stay until
/// reboot.
void sweep_left_behind_clusters(const std::filesystem::path& parent,
                                std::chrono::seconds untouched_for);

/// The PostgreSQL server this test process shares, started on first use; nullptr with `error`
/// if it cannot start (the next call tries again).
postgres_server* shared_postgres(std::string* error);

/// A new, empty database on the shared server; its URI, or "" with `error`.
std::string fresh_postgres_database(std::string* error);

/// The last `max_bytes` of the shared server's log ("" when it never started).
std::string shared_postgres_log_tail(std::size_t max_bytes = 4000);

/// Where a test's servers keep their journal.
struct store_target {
  store_kind kind = store_kind::sqlite;
  std::string uri;  ///< the PostgreSQL database's URI; empty for SQLite

  /// `options` serving from this store: `--storage URI` added for PostgreSQL.
  process_options serve(process_options options) const;

  /// Arguments naming this store to `payorch verify` or `migrate`: `--storage URI` for
  /// PostgreSQL, `--data-dir D` for SQLite.
  std::vector<std::string> subcommand_args(const std::filesystem::path& data_dir) const;
};

/// A target on `kind`: for PostgreSQL a fresh database on the shared server; nullopt with
/// `error` when it cannot be made.
std::optional<store_target> make_store_target(store_kind kind, std::string* error);

/// A parameterized test starting servers of its own, all on one store target (for PostgreSQL
/// one fresh database per test, which servers restarted in the test share).
class store_test : public basic_integration_test<::testing::TestWithParam<store_kind>> {
 protected:
  void SetUp() override;
  void TearDown() override;

  store_kind store() const { return GetParam(); }
  const store_target& target() const { return target_; }

  /// Starts `payorch serve` on the test's store.
  payorch_process* start(process_options options = {});

  /// `payorch verify` of the test's store (`data_dir` names SQLite's journal), run in `work_dir`.
  run_result verify(const std::filesystem::path& data_dir,
                    const std::filesystem::path& work_dir) const;

 private:
  store_target target_;
};

/// A parameterized suite sharing one server per store, started with `Config::options()` by the
/// suite's first test on that store (on PostgreSQL with a fresh database); each must exit 0 at
/// the end of the suite.
template <class Config>
class shared_store_server_test : public ::testing::TestWithParam<store_kind> {
 protected:
  static void TearDownTestSuite() {
    for (auto& slot : servers_) {
      if (!slot) continue;
      const int code = slot->stop();
      if (code != 0) ADD_FAILURE() << "exit code " << code << "\n" << slot->log();
      slot.reset();
    }
  }

  void SetUp() override {
    if (auto why = store_unavailable(GetParam()); !why.empty()) GTEST_SKIP() << why;
    auto& slot = servers_[static_cast<std::size_t>(GetParam())];
    if (!slot) {
      std::string error;
      auto target = make_store_target(GetParam(), &error);
      ASSERT_TRUE(target.has_value()) << error;
      slot = start_server(target->serve(Config::options()));
    }
    ASSERT_NE(slot, nullptr) << "the shared server did not start";
  }

  void TearDown() override {
    if (!HasFailure()) return;
    if (const auto& slot = servers_[static_cast<std::size_t>(GetParam())])
      std::cerr << "--- payorch stderr ---\n" << slot->log() << '\n';
    if (GetParam() == store_kind::postgresql)
      std::cerr << "--- postgres log (tail) ---\n" << shared_postgres_log_tail() << '\n';
  }

  store_kind store() const { return GetParam(); }
  std::uint16_t port() const { return server().port(); }
  payorch_process& server() const { return *servers_[static_cast<std::size_t>(GetParam())]; }

 private:
  static inline std::array<std::unique_ptr<payorch_process>, 2> servers_;
};

}  // namespace payorch::testing
