#include "tests/support/payorch_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/http_client.hpp"

extern char** environ;

namespace payorch::testing {
namespace {

/// Between two polls of a child; polling a process we started is the only wait we allow.
constexpr std::chrono::milliseconds poll_interval{10};
constexpr int port_attempts = 5;

/// The argv or envp of a child, built before fork (the child may only call async-signal-safe
/// functions, so nothing may allocate after fork).
class c_strings {
 public:
  explicit c_strings(std::vector<std::string> items) : items_(std::move(items)) {
    for (auto& s : items_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  char* const* get() { return pointers_.data(); }

 private:
  std::vector<std::string> items_;
  std::vector<char*> pointers_;
};

std::vector<std::string> child_environment(const env_list& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    // The test states every PAYORCH_* setting itself, so the caller's shell cannot leak in.
    if (entry.substr(0, 8) != "PAYORCH_") out.emplace_back(entry);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

/// Forks and execs `binary` with stdin from /dev/null and stdout/stderr to the given files.
pid_t spawn_child(const std::filesystem::path& binary, const std::vector<std::string>& args,
                  const env_list& env, const std::filesystem::path& out_file,
                  const std::filesystem::path& err_file, const std::filesystem::path& cwd) {
  std::vector<std::string> argv_items{binary.string()};
  argv_items.insert(argv_items.end(), args.begin(), args.end());
  c_strings argv(std::move(argv_items));
  c_strings envp(child_environment(env));
  const std::string exe = binary.string();
  const std::string out = out_file.string();
  const std::string err = err_file.string();
  const std::string dir = cwd.string();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;  // parent (or -1)
  // Child: die with the test process so a crashed test never leaves a server behind.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(126);
  int in_fd = ::open("/dev/null", O_RDONLY);
  int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(126);
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) ::_exit(126);
  if (::chdir(dir.c_str()) != 0) ::_exit(126);
  ::execve(exe.c_str(), argv.get(), envp.get());
  ::_exit(127);
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::optional<int> try_reap(pid_t pid) {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid) return decode_status(status);
  if (r < 0) return -1;  // not our child any more: nothing left to wait for
  return std::nullopt;
}

int wait_exit(pid_t pid, std::chrono::milliseconds bound) {
  const auto give_up = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < give_up) {
    if (auto code = try_reap(pid)) return *code;
    std::this_thread::sleep_for(poll_interval);
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return -1;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

std::uint16_t pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

payorch_process::payorch_process(process_options options) : options_(std::move(options)) {
  data_dir_ = options_.data_dir.empty() ? work_.file("data") : options_.data_dir;
}

payorch_process::~payorch_process() {
  if (pid_ <= 0 || exit_code_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

std::unique_ptr<payorch_process> payorch_process::start(process_options options,
                                                        std::string* error) {
  std::unique_ptr<payorch_process> p{new payorch_process(std::move(options))};
  std::string why;
  for (int attempt = 0; attempt < port_attempts; ++attempt) {
    if (!p->spawn(&why)) break;
    if (p->wait_ready(&why)) return p;
    // Someone else took the port between pick_free_port and the bind: try another.
    bool port_taken = !p->running() && p->log().find("cannot listen") != std::string::npos;
    if (!port_taken) break;
  }
  if (error) *error = why + "\n--- payorch stderr ---\n" + p->log();
  return nullptr;
}

bool payorch_process::spawn(std::string* error) {
  port_ = pick_free_port();
  if (port_ == 0) {
    *error = "no free loopback port";
    return false;
  }
  const std::string address = "127.0.0.1:" + std::to_string(port_);
  std::vector<std::string> args{"serve", "--data-dir", data_dir_.string()};
  env_list env = options_.env;
  std::string config = options_.config_toml.value_or("");
  if (options_.listen == listen_source::flag) {
    args.insert(args.end(), {"--listen", address});
  } else if (options_.listen == listen_source::env) {
    env.emplace_back("PAYORCH_LISTEN", address);
  } else {
    config = "listen = \"" + address + "\"\n" + config;  // top-level keys precede the tables
  }
  if (options_.config_toml || options_.listen == listen_source::config_file) {
    auto file = work_.file("payorch.toml");
    if (!write_text(file, config)) {
      *error = "cannot write " + file.string();
      return false;
    }
    args.insert(args.end(), {"--config", file.string()});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  exit_code_.reset();
  pid_ = spawn_child(options_.binary, args, env, work_.file("stdout.log"), work_.file("stderr.log"),
                     work_.path());
  if (pid_ < 0) {
    *error = "fork failed";
    return false;
  }
  return true;
}

bool payorch_process::wait_ready(std::string* error) {
  const auto give_up = std::chrono::steady_clock::now() + wait_bound;
  std::string last;
  while (std::chrono::steady_clock::now() < give_up) {
    if (!running()) {
      *error = "payorch exited with code " + std::to_string(*exit_code_) + " before it was ready";
      return false;
    }
    auto r = http_get(port_, "/readyz");
    if (r.status == 200) return true;
    last = r.status == 0 ? r.error : "status " + std::to_string(r.status);
    std::this_thread::sleep_for(poll_interval);
  }
  *error = "payorch was not ready within " + std::to_string(wait_bound.count()) +
           " s (last /readyz: " + last + ")";
  return false;
}

bool payorch_process::running() {
  if (pid_ <= 0 || exit_code_) return false;
  exit_code_ = try_reap(pid_);
  return !exit_code_;
}

int payorch_process::stop() {
  if (pid_ <= 0) return -1;
  if (!running()) return *exit_code_;
  ::kill(pid_, SIGTERM);
  exit_code_ = wait_exit(pid_);
  return *exit_code_;
}

std::string payorch_process::log() const {
  return read_text(work_.file("stderr.log"));
}

run_result run_payorch(const std::filesystem::path& binary, const std::vector<std::string>& args,
                       const env_list& env, const std::filesystem::path& work_dir) {
  static int runs = 0;
  const std::string stem = "run-" + std::to_string(++runs);
  const auto out_file = work_dir / (stem + ".out");
  const auto err_file = work_dir / (stem + ".err");
  run_result result;
  const pid_t pid = spawn_child(binary, args, env, out_file, err_file, work_dir);
  if (pid < 0) {
    result.err = "fork failed";
    return result;
  }
  result.exit_code = wait_exit(pid);
  result.out = read_text(out_file);
  result.err = read_text(err_file);
  return result;
}

pid_t spawn_payorch(const std::filesystem::path& binary, const std::vector<std::string>& args,
                    const env_list& env, const std::filesystem::path& out_file,
                    const std::filesystem::path& err_file, const std::filesystem::path& cwd) {
  return spawn_child(binary, args, env, out_file, err_file, cwd);
}

}  // namespace payorch::testing
