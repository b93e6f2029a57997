/// The postgres_server fixture itself: a real PostgreSQL 15 server that takes queries, stops
/// cleanly, leaves nothing behind, and dies with the process that started it; clusters copied
/// from a template made once.

#include "tests/support/postgres_fixture.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <pqxx/pqxx>
#include <thread>

#include "tests/integration/store_support.hpp"
#include "tests/support/payorch_process.hpp"

namespace payorch::testing {
namespace {

constexpr const char* no_postgres =
    "PostgreSQL 15 is not installed in /usr/lib/postgresql/15/bin (docker/install-deps.sh)";

/// The first column of the first row of `sql`, run in its own transaction.
std::string query_one(const std::string& uri, const std::string& sql) {
  pqxx::connection connection{uri};
  pqxx::work tx{connection};
  auto rows = tx.exec(sql);
  tx.commit();
  return rows.at(0).at(0).as<std::string>();
}

/// Runs `sql` in its own transaction and commits it.
void run_sql(const std::string& uri, const std::string& sql) {
  pqxx::connection connection{uri};
  pqxx::work tx{connection};
  tx.exec(sql);
  tx.commit();
}

/// Removes `dir`, retrying while something still writes into it; true once it is gone.
bool remove_when_quiet(const std::filesystem::path& dir) {
  const auto give_up = std::chrono::steady_clock::now() + postgres_wait_bound;
  std::error_code ec;
  while (std::chrono::steady_clock::now() < give_up) {
    std::filesystem::remove_all(dir, ec);
    if (!std::filesystem::exists(dir, ec)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

/// True while `pid` names a process (a reaped child no longer does).
bool process_exists(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

/// Tests that each start (and stop) servers of their own.
class postgres_lifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!postgres_available()) GTEST_SKIP() << no_postgres;
  }
};

/// Tests that share one server, started once for the suite (initdb is the slow part).
class postgres_shared : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (postgres_available())
      server_ = postgres_server::start(&start_error_, quick_postgres_options());
  }
  static void TearDownTestSuite() {
    if (server_) {
      const auto log = server_->log();  // stop removes it
      EXPECT_TRUE(server_->stop()) << log;
    }
    server_.reset();
  }
  void SetUp() override {
    if (!postgres_available()) GTEST_SKIP() << no_postgres;
    ASSERT_NE(server_, nullptr) << start_error_;
  }
  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "--- postgres log ---\n" << server_->log();
  }

  static std::unique_ptr<postgres_server> server_;
  static std::string start_error_;
};

std::unique_ptr<postgres_server> postgres_shared::server_;
std::string postgres_shared::start_error_;

// Goal: the server is PostgreSQL 15 running with the fixture's loopback-only, small settings.
TEST_F(postgres_shared, runs_postgresql_15_with_the_fixture_settings) {
  const auto uri = server_->connection_uri();
  EXPECT_EQ(uri,
            "postgresql://postgres@127.0.0.1:" + std::to_string(server_->port()) + "/postgres");
  EXPECT_NE(query_one(uri, "SELECT version()").find("PostgreSQL 15"), std::string::npos);
  EXPECT_EQ(query_one(uri, "SHOW listen_addresses"), "127.0.0.1");
  EXPECT_EQ(query_one(uri, "SHOW max_connections"), "50");
  EXPECT_EQ(query_one(uri, "SHOW shared_buffers"), "32MB");
  EXPECT_EQ(query_one(uri, "SHOW unix_socket_directories"), server_->work_dir().string());
  EXPECT_EQ(query_one(uri, "SELECT current_user"), "postgres");
}

// Goal: a committed row is read back by a new connection; an aborted one is not there.
TEST_F(postgres_shared, commits_a_row_and_drops_an_aborted_one) {
  const auto uri = server_->connection_uri();
  {
    pqxx::connection connection{uri};
    pqxx::work tx{connection};
    tx.exec("CREATE TABLE payments (id bigint PRIMARY KEY, amount_minor bigint NOT NULL)");
    tx.exec("INSERT INTO payments VALUES (1, 2500)");
    tx.commit();
    pqxx::work aborted{connection};
    aborted.exec("INSERT INTO payments VALUES (2, 99)");
    aborted.abort();
  }
  EXPECT_EQ(query_one(uri, "SELECT amount_minor FROM payments WHERE id = 1"), "2500");
  EXPECT_EQ(query_one(uri, "SELECT count(*) FROM payments"), "1");
  pqxx::connection connection{uri};
  pqxx::work tx{connection};
  EXPECT_THROW(tx.exec("INSERT INTO payments VALUES (1, 7)"), pqxx::unique_violation);
}

// Goal: create_database makes a separate database, even with an awkward name, and returns its URI.
TEST_F(postgres_shared, create_database_returns_a_working_uri) {
  std::string error;
  const auto uri = server_->create_database("journal_two", &error);
  ASSERT_FALSE(uri.empty()) << error;
  EXPECT_EQ(uri, server_->connection_uri("journal_two"));
  EXPECT_EQ(query_one(uri, "SELECT current_database()"), "journal_two");
  EXPECT_EQ(query_one(uri, "SELECT count(*) FROM pg_tables WHERE tablename = 'payments'"), "0");

  const auto odd = server_->create_database("odd \"name\"/x", &error);
  ASSERT_FALSE(odd.empty()) << error;
  EXPECT_EQ(query_one(odd, "SELECT current_database()"), "odd \"name\"/x");
}

// Goal: a duplicate or empty database name is refused with the server's reason, not thrown.
TEST_F(postgres_shared, create_database_refuses_duplicate_and_empty_names) {
  std::string error;
  ASSERT_FALSE(server_->create_database("twice", &error).empty()) << error;
  EXPECT_EQ(server_->create_database("twice", &error), "");
  EXPECT_NE(error.find("already exists"), std::string::npos) << error;
  error.clear();
  EXPECT_EQ(server_->create_database("", &error), "");
  EXPECT_FALSE(error.empty());
}

// Goal: stop disconnects clients, closes the port, removes the temp dir, and is idempotent.
TEST_F(postgres_lifecycle, stop_closes_the_port_and_removes_the_temp_dir) {
  std::string error;
  auto server = postgres_server::start(&error, quick_postgres_options());
  ASSERT_NE(server, nullptr) << error;
  const auto port = server->port();
  const auto dir = server->work_dir();
  EXPECT_TRUE(std::filesystem::exists(dir / "data" / "PG_VERSION"));
  pqxx::connection held{server->connection_uri()};  // fast shutdown must not wait for it
  EXPECT_FALSE(port_refuses(port));

  EXPECT_TRUE(server->stop());
  EXPECT_FALSE(server->running());
  EXPECT_TRUE(port_refuses(port));
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_TRUE(server->stop());
  EXPECT_EQ(server->log(), "");
  EXPECT_EQ(server->create_database("late", &error), "");
  EXPECT_EQ(error, "the server is not running");
}

// Goal: destroying a running server stops it and removes its temp dir.
TEST_F(postgres_lifecycle, destructor_stops_the_server) {
  std::string error;
  auto server = postgres_server::start(&error, quick_postgres_options());
  ASSERT_NE(server, nullptr) << error;
  const auto port = server->port();
  const auto pid = server->pid();
  const auto dir = server->work_dir();
  server.reset();
  EXPECT_TRUE(port_refuses(port));
  EXPECT_FALSE(process_exists(pid));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// Goal: two servers run at once on different ports with separate data.
TEST_F(postgres_lifecycle, two_servers_run_side_by_side) {
  std::string error;
  auto a = postgres_server::start(&error, quick_postgres_options());
  ASSERT_NE(a, nullptr) << error;
  auto b = postgres_server::start(&error, quick_postgres_options());
  ASSERT_NE(b, nullptr) << error;
  EXPECT_NE(a->port(), b->port());
  EXPECT_NE(a->work_dir(), b->work_dir());
  run_sql(a->connection_uri(), "CREATE TABLE only_in_a (x int)");
  const std::string count = "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'";
  EXPECT_EQ(query_one(a->connection_uri(), count), "1");
  EXPECT_EQ(query_one(b->connection_uri(), count), "0");
  EXPECT_TRUE(a->stop());
  EXPECT_EQ(query_one(b->connection_uri(), "SELECT 1"), "1");
  EXPECT_TRUE(b->stop());
}

// Goal: a server that refuses a setting fails start with its own message, not a timeout.
TEST_F(postgres_lifecycle, start_reports_a_bad_setting_with_the_log) {
  std::string error;
  postgres_options options;
  options.settings = {"shared_buffers=lots"};
  EXPECT_EQ(postgres_server::start(&error, options), nullptr);
  EXPECT_NE(error.find("exited with code 1"), std::string::npos) << error;
  EXPECT_NE(error.find("shared_buffers"), std::string::npos) << error;
}

// Goal: a missing PostgreSQL installation is reported at once, naming where it looked.
TEST(postgres_fixture, start_reports_missing_binaries) {
  std::string error;
  postgres_options options;
  options.bin_dir = "/nonexistent/postgresql/bin";
  EXPECT_FALSE(postgres_available(options.bin_dir));
  EXPECT_EQ(postgres_server::start(&error, options), nullptr);
  EXPECT_NE(error.find("not found in /nonexistent/postgresql/bin"), std::string::npos) << error;
}

// Goal: when the process that started a server dies without cleaning up, the server goes too.
TEST_F(postgres_lifecycle, server_dies_with_the_process_that_started_it) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A test process that crashes: it starts a server and exits without any destructor.
    ::close(pipe_fds[0]);
    auto server = postgres_server::start(nullptr);
    const std::string report =
        server ? std::to_string(server->port()) + "\n" + server->work_dir().string() : "";
    const bool written =
        ::write(pipe_fds[1], report.data(), report.size()) == static_cast<ssize_t>(report.size());
    ::_exit(server && written ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) report.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child could not start";
  const auto newline = report.find('\n');
  ASSERT_NE(newline, std::string::npos) << report;
  const auto port = static_cast<std::uint16_t>(std::stoi(report.substr(0, newline)));
  const std::filesystem::path dir = report.substr(newline + 1);
  EXPECT_TRUE(wait_port_refuses(port));
  // Nobody was left to remove the temp dir: that is this test's job. The postmaster may still be
  // writing its last files after its port closed, so retry until the dir is gone.
  EXPECT_TRUE(remove_when_quiet(dir)) << dir;
}

/// A directory for templates that the server's account may enter (temp dirs are 0700).
class template_holder {
 public:
  template_holder() {
    std::filesystem::permissions(holder_.path(), std::filesystem::perms::owner_all |
                                                     std::filesystem::perms::group_exec |
                                                     std::filesystem::perms::others_exec);
  }
  std::filesystem::path dir() const { return holder_.path() / "template"; }

 private:
  temp_dir holder_{"payorch-pg-template-test"};
};

/// Options that start from the template in `dir`.
postgres_options from_template(const std::filesystem::path& dir) {
  postgres_options options;
  options.template_dir = dir;
  return options;
}

// Goal: the first server makes the template with initdb, later ones copy it: each gets a cluster
// of its own, and stopping a server removes its copy but not the template.
TEST_F(postgres_lifecycle, template_is_made_once_then_copied) {
  template_holder holder;
  std::string error;
  auto a = postgres_server::start(&error, from_template(holder.dir()));
  ASSERT_NE(a, nullptr) << error;
  const auto ready = holder.dir() / "ready";
  ASSERT_TRUE(std::filesystem::exists(ready));
  const auto made_at = std::filesystem::last_write_time(ready);
  EXPECT_TRUE(std::filesystem::exists(holder.dir() / "data" / "PG_VERSION"));
  EXPECT_FALSE(std::filesystem::exists(a->work_dir() / "initdb.log")) << "a ran initdb itself";

  auto b = postgres_server::start(&error, from_template(holder.dir()));
  ASSERT_NE(b, nullptr) << error;
  EXPECT_EQ(std::filesystem::last_write_time(ready), made_at) << "the template was made again";
  run_sql(a->connection_uri(), "CREATE TABLE only_in_a (x int)");
  const std::string count = "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'";
  EXPECT_EQ(query_one(b->connection_uri(), count), "0");
  EXPECT_FALSE(b->create_database("in_b", &error).empty()) << error;
  const auto b_dir = b->work_dir();
  EXPECT_TRUE(b->stop());
  EXPECT_FALSE(std::filesystem::exists(b_dir));
  EXPECT_TRUE(std::filesystem::exists(holder.dir() / "data" / "PG_VERSION"));
  // The template never ran: a copy of it starts clean, without the tables of earlier servers.
  auto c = postgres_server::start(&error, from_template(holder.dir()));
  ASSERT_NE(c, nullptr) << error;
  EXPECT_EQ(query_one(c->connection_uri(), count), "0");
}

// Goal: a template made by another initdb, or left half-made, is made again before use.
TEST_F(postgres_lifecycle, stale_template_is_made_again) {
  template_holder holder;
  std::filesystem::create_directories(holder.dir() / "data");
  ASSERT_TRUE(write_text(holder.dir() / "ready", "initdb from another version\n"));
  std::string error;
  auto server = postgres_server::start(&error, from_template(holder.dir()));
  ASSERT_NE(server, nullptr) << error;
  EXPECT_NE(read_text(holder.dir() / "ready").find("--locale=C"), std::string::npos);
  EXPECT_EQ(query_one(server->connection_uri(), "SELECT 1"), "1");
}

// Goal: a template dir that cannot be made fails start with a reason naming it.
TEST_F(postgres_lifecycle, unusable_template_dir_is_reported) {
  template_holder holder;
  std::filesystem::create_directories(holder.dir().parent_path());
  ASSERT_TRUE(write_text(holder.dir(), "a file, not a directory"));
  std::string error;
  EXPECT_EQ(postgres_server::start(&error, from_template(holder.dir() / "inside")), nullptr);
  EXPECT_NE(error.find("cannot create the template dir"), std::string::npos) << error;
}

// Goal: the sweep removes only clusters nobody owns: named like one, no postmaster.pid, and
// untouched for the given time; a running, a fresh or an unrelated dir stays.
TEST(postgres_clusters, sweep_removes_only_left_behind_clusters) {
  temp_dir parent{"payorch-sweep"};
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  auto make = [&](const std::string& name, bool with_pid, bool aged) {
    const auto dir = parent.path() / name;
    std::filesystem::create_directories(dir / "data");
    if (with_pid) {
      EXPECT_TRUE(write_text(dir / "data" / "postmaster.pid", "4242\n"));
    }
    if (aged) std::filesystem::last_write_time(dir, old);
    return dir;
  };
  const auto dead = make("payorch-pg-dead01", false, true);
  const auto running = make("payorch-pg-live01", true, true);
  const auto starting = make("payorch-pg-new001", false, false);
  const auto other = make("someone-else", false, true);
  sweep_left_behind_clusters(parent.path(), std::chrono::minutes(2));
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(running));
  EXPECT_TRUE(std::filesystem::exists(starting));
  EXPECT_TRUE(std::filesystem::exists(other));
  // A parent that does not exist is nothing to sweep.
  sweep_left_behind_clusters(parent.path() / "missing", std::chrono::minutes(2));
}

}  // namespace
}  // namespace payorch::testing
