/// The payorch_process fixture itself: it reports a server that cannot start, stops cleanly,
/// and never leaves a child behind.

#include <signal.h>

#include <cerrno>

#include "tests/integration/integration_support.hpp"

namespace payorch::testing {
namespace {

process_options default_options() {
  process_options o;
  o.binary = payorch_binary();
  return o;
}

/// True while `pid` names a process (a reaped child no longer does).
bool process_exists(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

// Goal: a server that exits at start-up fails `start` at once, with its exit code and log.
TEST(payorch_process_fixture, start_reports_a_server_that_exits) {
  auto o = default_options();
  o.config_toml = "[actors]\nthreads = 0\n";
  std::string error;
  auto p = payorch_process::start(o, &error);
  EXPECT_EQ(p, nullptr);
  EXPECT_NE(error.find("exited with code 2"), std::string::npos) << error;
  EXPECT_NE(error.find("actors.threads"), std::string::npos) << error;
}

// Goal: a missing executable is reported, not waited on.
TEST(payorch_process_fixture, start_reports_a_missing_binary) {
  auto o = default_options();
  o.binary = "/nonexistent/payorch";
  std::string error;
  EXPECT_EQ(payorch_process::start(o, &error), nullptr);
  EXPECT_NE(error.find("exited with code 127"), std::string::npos) << error;
}

// Goal: stop sends SIGTERM and reports exit 0 once; the child is reaped.
TEST(payorch_process_fixture, stop_reports_the_exit_code) {
  std::string error;
  auto p = payorch_process::start(default_options(), &error);
  ASSERT_NE(p, nullptr) << error;
  EXPECT_TRUE(p->running());
  const pid_t pid = p->pid();
  EXPECT_EQ(p->stop(), 0) << p->log();
  EXPECT_FALSE(p->running());
  EXPECT_EQ(p->stop(), 0);
  EXPECT_FALSE(process_exists(pid));
  EXPECT_NE(p->log().find("journal flushed"), std::string::npos) << p->log();
}

// Goal: destroying a fixture whose server still runs kills and reaps it.
TEST(payorch_process_fixture, destructor_kills_a_running_server) {
  std::string error;
  auto p = payorch_process::start(default_options(), &error);
  ASSERT_NE(p, nullptr) << error;
  const pid_t pid = p->pid();
  const auto work = p->work_dir();
  p.reset();
  EXPECT_FALSE(process_exists(pid));
  EXPECT_FALSE(std::filesystem::exists(work));
}

}  // namespace
}  // namespace payorch::testing
