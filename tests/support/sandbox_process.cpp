#include "tests/support/sandbox_process.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/payorch_process.hpp"

namespace payorch::testing {
namespace {

/// Between two polls of the child; polling a process we started is the only wait we allow.
constexpr std::chrono::milliseconds poll_interval{10};
constexpr int port_attempts = 5;

}  // namespace

std::unique_ptr<sandbox_process> sandbox_process::start(sandbox_start_options options,
                                                        std::string* error) {
  std::unique_ptr<sandbox_process> p{new sandbox_process(std::move(options))};
  std::string why;
  for (int attempt = 0; attempt < port_attempts; ++attempt) {
    if (!p->spawn(&why)) break;
    if (p->wait_ready(&why)) return p;
    // Someone else took the port between pick_free_port and the bind: try another.
    const bool port_taken = !p->running() && p->log().find("cannot listen") != std::string::npos;
    if (!port_taken) break;
  }
  if (error) *error = why + "\n--- payorch sandbox stderr ---\n" + p->log();
  return nullptr;
}

sandbox_process::~sandbox_process() {
  if (pid_ <= 0 || exit_code_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

bool sandbox_process::spawn(std::string* error) {
  port_ = pick_free_port();
  if (port_ == 0) {
    *error = "no free loopback port";
    return false;
  }
  std::vector<std::string> args{"sandbox", "--listen", "127.0.0.1:" + std::to_string(port_),
                                "--seed", std::to_string(options_.seed)};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  exit_code_.reset();
  pid_ = spawn_payorch(options_.binary, args, {}, work_.file("stdout.log"),
                       work_.file("stderr.log"), work_.path());
  if (pid_ < 0) {
    *error = "fork failed";
    return false;
  }
  return true;
}

bool sandbox_process::wait_ready(std::string* error) {
  const auto give_up = std::chrono::steady_clock::now() + wait_bound;
  std::string last;
  while (std::chrono::steady_clock::now() < give_up) {
    if (!running()) {
      *error = "payorch sandbox exited with code " + std::to_string(*exit_code_) +
               " before it was ready";
      return false;
    }
    auto r = http_get(port_, "/sandbox/health");
    if (r.status == 200) return true;
    last = r.status == 0 ? r.error : "status " + std::to_string(r.status);
    std::this_thread::sleep_for(poll_interval);
  }
  *error = "payorch sandbox was not ready within " + std::to_string(wait_bound.count()) +
           " s (last /sandbox/health: " + last + ")";
  return false;
}

bool sandbox_process::running() {
  if (pid_ <= 0 || exit_code_) return false;
  exit_code_ = try_reap(pid_);
  return !exit_code_;
}

int sandbox_process::stop() {
  if (pid_ <= 0) return -1;
  if (!running()) return *exit_code_;
  ::kill(pid_, SIGTERM);
  exit_code_ = wait_exit(pid_);
  return *exit_code_;
}

std::string sandbox_process::log() const {
  return read_text(work_.file("stderr.log"));
}

}  // namespace payorch::testing
