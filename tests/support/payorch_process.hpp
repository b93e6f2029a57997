#pragma once
/// The real `payorch` executable as a child process: `serve` on a free loopback port, or a
/// one-shot subcommand run to completion.
///
/// A `payorch_process` owns a temp dir holding its stderr/stdout logs and its config file (and
/// its data dir unless one is given). `start` returns only once `GET /readyz` answers 200, or
/// fails with the log attached. The destructor SIGKILLs and reaps a child still running, and
/// the child gets SIGKILL if the test process dies first, so no server outlives its test.
/// Every wait is polling with a bound (`wait_bound`). Single-threaded: use from one thread.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace payorch::testing {

/// The longest any readiness or exit poll waits before giving up.
inline constexpr std::chrono::seconds wait_bound{10};

using env_list = std::vector<std::pair<std::string, std::string>>;

/// Where the fixture puts the listen address it picked.
enum class listen_source { flag, env, config_file };

struct process_options {
  std::filesystem::path binary;    ///< the payorch executable
  std::filesystem::path data_dir;  ///< empty: a fresh `data` dir inside the process's temp dir
  std::optional<std::string> config_toml;  ///< written to a file and passed with --config
  env_list env;  ///< added to the child's environment (PAYORCH_* are cleared first)
  listen_source listen = listen_source::flag;
  std::vector<std::string> extra_args;  ///< appended after the fixture's own arguments
};

class payorch_process {
 public:
  /// Spawns `payorch serve` and waits until it is ready; nullptr with `error` (and the log) if
  /// it is not ready within `wait_bound`. Retries on a new port if the chosen one was taken.
  static std::unique_ptr<payorch_process> start(process_options options, std::string* error);

  ~payorch_process();
  payorch_process(const payorch_process&) = delete;
  payorch_process& operator=(const payorch_process&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::filesystem::path& work_dir() const { return work_.path(); }

  /// True while the child has not exited (reaps it if it has).
  bool running();

  /// Sends SIGTERM and waits for the exit; the exit code, 128 + signal if a signal ended it,
  /// or -1 if it did not exit within `wait_bound` (it is then killed).
  int stop();

  /// What the child wrote to stderr so far (its log lines).
  std::string log() const;

 private:
  payorch_process(process_options options);
  bool spawn(std::string* error);
  bool wait_ready(std::string* error);

  process_options options_;
  temp_dir work_{"payorch-proc"};
  std::filesystem::path data_dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

/// The outcome of a subcommand run to completion.
struct run_result {
  int exit_code = -1;  ///< as for payorch_process::stop
  std::string out;
  std::string err;
};

/// Runs `binary args...` with `env` (PAYORCH_* cleared first) in `work_dir`, waiting at most
/// `wait_bound`.
run_result run_payorch(const std::filesystem::path& binary, const std::vector<std::string>& args,
                       const env_list& env, const std::filesystem::path& work_dir);

/// A loopback port that was free a moment ago (bound to port 0, then released).
std::uint16_t pick_free_port();

/// The whole text of a file ("" when it cannot be read).
std::string read_text(const std::filesystem::path& file);

/// A child's exit code once it has exited (128 + signal if a signal ended it), nullopt while it
/// runs; -1 if it is not our child any more.
std::optional<int> try_reap(pid_t pid);

/// Polls until the child exits or `bound` passes; SIGKILLs and reaps it on timeout (then -1).
int wait_exit(pid_t pid, std::chrono::milliseconds bound = wait_bound);

/// Writes `text` to `file`, replacing it; false on failure.
bool write_text(const std::filesystem::path& file, const std::string& text);

/// Forks and execs `binary args...` with `env` (PAYORCH_* cleared first) in `cwd`, stdin from
/// /dev/null and stdout/stderr to the given files; the child dies with the test process. The
/// pid, or -1 when fork failed. For fixtures of other subcommands (e.g. `sandbox_process`).
pid_t spawn_payorch(const std::filesystem::path& binary, const std::vector<std::string>& args,
                    const env_list& env, const std::filesystem::path& out_file,
                    const std::filesystem::path& err_file, const std::filesystem::path& cwd);

}  // namespace payorch::testing
