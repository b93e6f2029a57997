#include "tests/integration/store_support.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>

namespace payorch::testing {
namespace {

/// Owns the process's shared PostgreSQL server; gtest tears environments down after the last
/// test, whatever the tests' outcome, and before static destruction.
class postgres_environment : public ::testing::Environment {
 public:
  postgres_server* get(std::string* error) {
    if (!server_) {
      std::string why;
      server_ = postgres_server::start(&why, quick_postgres_options());
      if (!server_ && error) *error = "the shared PostgreSQL server did not start: " + why;
    }
    return server_.get();
  }

  std::string log() const { return server_ ? server_->log() : std::string(); }

  int next_database() { return ++databases_; }

  void TearDown() override {
    if (!server_) return;
    const auto log = server_->log();  // stop removes it
    if (!server_->stop())
      ADD_FAILURE() << "the shared PostgreSQL server did not stop cleanly\n" << log;
    server_.reset();
  }

 private:
  std::unique_ptr<postgres_server> server_;
  int databases_ = 0;
};

postgres_environment& environment() {
  // gtest owns (and deletes) registered environments.
  static auto* const env = static_cast<postgres_environment*>(
      ::testing::AddGlobalTestEnvironment(new postgres_environment));
  return *env;
}

// Registered before main, so the environment exists (and is torn down) even if no test uses it.
[[maybe_unused]] const postgres_environment& registered = environment();

/// Where clusters go when it has room: memory, so copying a cluster costs no disk writes.
const std::filesystem::path memory_dir{"/dev/shm"};

/// Room for the clusters of a few test processes at once, with a wide margin (Docker's default
/// /dev/shm of 64 MiB does not qualify).
constexpr std::uint64_t memory_dir_min_free = std::uint64_t{1} << 30;

/// A cluster dir without a postmaster and untouched for this long was left by a dead process.
constexpr std::chrono::minutes left_behind_after{2};

bool memory_dir_has_room() {
  struct statvfs fs {};
  if (::statvfs(memory_dir.c_str(), &fs) != 0 || ::access(memory_dir.c_str(), W_OK) != 0)
    return false;
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize >= memory_dir_min_free;
}

/// Memory when it has room (after sweeping what dead processes left there); else "" (the
/// system temp dir).
const std::filesystem::path& cluster_parent() {
  static const std::filesystem::path parent = [] {
    if (!memory_dir_has_room()) return std::filesystem::path();
    sweep_left_behind_clusters(memory_dir, left_behind_after);
    return memory_dir;
  }();
  return parent;
}

}  // namespace

std::string_view store_name(store_kind store) {
  return store == store_kind::postgresql ? "postgresql" : "sqlite";
}

void PrintTo(store_kind store, std::ostream* out) {
  *out << store_name(store);
}

std::string store_test_name(const ::testing::TestParamInfo<store_kind>& info) {
  return std::string(store_name(info.param));
}

std::string store_unavailable(store_kind store) {
  if (store == store_kind::postgresql && !postgres_available())
    return "PostgreSQL 15 is not installed in " + postgres_bin_dir.string() +
           " (docker/install-deps.sh)";
  return "";
}

void sweep_left_behind_clusters(const std::filesystem::path& parent,
                                std::chrono::seconds untouched_for) {
  std::error_code ec;
  const auto cutoff = std::filesystem::file_time_type::clock::now() - untouched_for;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    const auto& dir = entry.path();
    if (dir.filename().string().rfind("payorch-pg-", 0) != 0 || !entry.is_directory(ec)) continue;
    if (std::filesystem::exists(dir / "data" / "postmaster.pid", ec)) continue;
    const auto touched = std::filesystem::last_write_time(dir, ec);
    if (ec || touched > cutoff) continue;
    std::filesystem::remove_all(dir, ec);
  }
}

postgres_options quick_postgres_options() {
  postgres_options options;
  // ctest runs each case in a process of its own: initdb once per build dir, then copy.
  options.template_dir = PAYORCH_POSTGRES_TEMPLATE;
  // A throwaway cluster need not survive a power cut; without fsync a commit costs no disk
  // flush, which is most of a PostgreSQL test's time on a busy disk.
  options.settings = {"fsync=off"};
  // On a busy disk, writing a 40 MB copy per process costs more than the test itself.
  options.work_parent = cluster_parent();
  return options;
}

postgres_server* shared_postgres(std::string* error) {
  return environment().get(error);
}

std::string fresh_postgres_database(std::string* error) {
  auto* server = shared_postgres(error);
  if (!server) return "";
  return server->create_database("payorch_" + std::to_string(environment().next_database()), error);
}

std::string shared_postgres_log_tail(std::size_t max_bytes) {
  auto log = environment().log();
  return log.size() <= max_bytes ? log : log.substr(log.size() - max_bytes);
}

process_options store_target::serve(process_options options) const {
  if (kind == store_kind::postgresql)
    options.extra_args.insert(options.extra_args.end(), {"--storage", uri});
  return options;
}

std::vector<std::string> store_target::subcommand_args(
    const std::filesystem::path& data_dir) const {
  if (kind == store_kind::postgresql) return {"--storage", uri};
  return {"--data-dir", data_dir.string()};
}

std::optional<store_target> make_store_target(store_kind kind, std::string* error) {
  store_target target{kind, {}};
  if (kind == store_kind::sqlite) return target;
  target.uri = fresh_postgres_database(error);
  if (target.uri.empty()) return std::nullopt;
  return target;
}

void store_test::SetUp() {
  if (auto why = store_unavailable(store()); !why.empty()) GTEST_SKIP() << why;
  std::string error;
  auto target = make_store_target(store(), &error);
  ASSERT_TRUE(target.has_value()) << error;
  target_ = std::move(*target);
}

void store_test::TearDown() {
  basic_integration_test::TearDown();
  if (HasFailure() && store() == store_kind::postgresql)
    std::cerr << "--- postgres log (tail) ---\n" << shared_postgres_log_tail() << '\n';
}

payorch_process* store_test::start(process_options options) {
  return basic_integration_test::start(target_.serve(std::move(options)));
}

run_result store_test::verify(const std::filesystem::path& data_dir,
                              const std::filesystem::path& work_dir) const {
  auto args = target_.subcommand_args(data_dir);
  args.insert(args.begin(), "verify");
  return run_payorch(payorch_binary(), args, {}, work_dir);
}

}  // namespace payorch::testing
