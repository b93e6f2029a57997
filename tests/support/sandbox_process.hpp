#pragma once
/// The real `payorch sandbox` as a child process on a free loopback port.
///
/// `start` returns once `GET /sandbox/health` answers 200, or fails with the log attached
/// (retrying on another port if the picked one was taken meanwhile). The destructor SIGKILLs
/// and reaps a child still running, and the child gets SIGKILL if the test process dies, so
/// no sandbox outlives its test. Every wait polls with a bound (`wait_bound`).
/// Single-threaded: use from one thread.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace payorch::testing {

struct sandbox_start_options {
  std::filesystem::path binary;  ///< the payorch executable
  std::uint64_t seed = 1;
  std::vector<std::string> extra_args;  ///< e.g. {"--kyc-delay-ms", "0"}
};

class sandbox_process {
 public:
  /// Spawns `payorch sandbox --listen 127.0.0.1:P --seed N extra_args...` and waits until it
  /// is healthy; nullptr with `error` (and the log) otherwise.
  static std::unique_ptr<sandbox_process> start(sandbox_start_options options, std::string* error);

  ~sandbox_process();
  sandbox_process(const sandbox_process&) = delete;
  sandbox_process& operator=(const sandbox_process&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  /// "http://127.0.0.1:P": the base URL adapters are pointed at.
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// True while the child has not exited (reaps it if it has).
  bool running();

  /// Sends SIGTERM and waits for the exit: the exit code, 128 + signal, or -1 after
  /// `wait_bound` (it is then killed).
  int stop();

  /// What the child wrote to stderr so far.
  std::string log() const;

 private:
  explicit sandbox_process(sandbox_start_options options) : options_(std::move(options)) {}
  bool spawn(std::string* error);
  bool wait_ready(std::string* error);

  sandbox_start_options options_;
  temp_dir work_{"payorch-sandbox"};
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace payorch::testing
