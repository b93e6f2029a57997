#include "tests/support/postgres_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <pqxx/pqxx>
#include <string_view>
#include <thread>

#include "tests/support/payorch_process.hpp"

extern char** environ;

namespace payorch::testing {
namespace {

/// Between two polls of a child or of the server; polling is the only wait we allow.
constexpr std::chrono::milliseconds poll_interval{10};
constexpr int port_attempts = 5;

/// What a child runs and how: everything is prepared before fork, because the child may only
/// call async-signal-safe functions (nothing may allocate after fork).
struct child_spec {
  std::filesystem::path exe;
  std::vector<std::string> args;
  std::filesystem::path cwd;
  std::filesystem::path log_file;  ///< stdout and stderr, opened by the child after setuid
  int death_signal = SIGKILL;      ///< what the child gets when the starting thread dies
  bool drop_privileges = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

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

/// The caller's environment without PG* variables (PGDATA, PGPORT... would override the
/// fixture's choices) and with the C locale, which initdb was told to use.
std::vector<std::string> child_environment() {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.substr(0, 2) == "PG" || entry.substr(0, 7) == "LC_ALL=") continue;
    out.emplace_back(entry);
  }
  out.emplace_back("LC_ALL=C");
  return out;
}

pid_t spawn_child(const child_spec& spec) {
  std::vector<std::string> argv_items{spec.exe.string()};
  argv_items.insert(argv_items.end(), spec.args.begin(), spec.args.end());
  c_strings argv(std::move(argv_items));
  c_strings envp(child_environment());
  const std::string exe = spec.exe.string();
  const std::string log = spec.log_file.string();
  const std::string dir = spec.cwd.string();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;  // parent (or -1)
  if (spec.drop_privileges) {
    const gid_t groups[] = {spec.gid};
    if (::setgroups(1, groups) != 0 || ::setgid(spec.gid) != 0 || ::setuid(spec.uid) != 0)
      ::_exit(126);
  }
  // After setuid: changing credentials clears the parent-death signal.
  if (::prctl(PR_SET_PDEATHSIG, spec.death_signal) != 0 || ::getppid() != parent) ::_exit(126);
  if (::chdir(dir.c_str()) != 0) ::_exit(126);
  const int in_fd = ::open("/dev/null", O_RDONLY);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
  if (in_fd < 0 || log_fd < 0) ::_exit(126);
  if (::dup2(in_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) ::_exit(126);
  // The test's sockets and pipes must not live on in the server.
  ::close_range(3, ~0U, 0);
  ::execve(exe.c_str(), argv.get(), envp.get());
  ::_exit(127);
}

/// Runs `spec` as the server's account (the test runs as root).
void set_account(child_spec& spec, uid_t uid, gid_t gid) {
  spec.drop_privileges = true;
  spec.uid = uid;
  spec.gid = gid;
}

/// initdb's arguments after `-D dir`; a template is reused only if it was made with these.
const std::vector<std::string>& initdb_arguments() {
  // --no-sync: a cluster that lives for one test run need not survive a power cut.
  static const std::vector<std::string> args{"-U",         "postgres",  "-A",
                                             "trust",      "-E",        "UTF8",
                                             "--locale=C", "--no-sync", "--no-instructions"};
  return args;
}

/// What a finished template records: the initdb that made it and how.
std::string template_stamp(const postgres_options& options) {
  std::string stamp = (options.bin_dir / "initdb").string();
  for (const auto& a : initdb_arguments()) stamp += " " + a;
  return stamp + "\n";
}

/// An exclusive flock on a file, held until destruction; polled for at most `bound`.
class file_lock {
 public:
  file_lock(const std::filesystem::path& file, std::chrono::milliseconds bound) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) return;
    const auto give_up = std::chrono::steady_clock::now() + bound;
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK || std::chrono::steady_clock::now() >= give_up) return;
      std::this_thread::sleep_for(poll_interval);
    }
    held_ = true;
  }
  ~file_lock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;

  bool held() const { return held_; }

 private:
  int fd_ = -1;
  bool held_ = false;
};

bool executable(const std::filesystem::path& file) {
  return ::access(file.c_str(), X_OK) == 0;
}

/// A database name as a URI path segment: every byte but the unreserved ones percent-encoded.
std::string uri_encode(const std::string& text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

}  // namespace

bool postgres_available(const std::filesystem::path& bin_dir) {
  return executable(bin_dir / "initdb") && executable(bin_dir / "postgres");
}

postgres_server::postgres_server(postgres_options options) : options_(std::move(options)) {}

postgres_server::~postgres_server() {
  stop();
}

std::unique_ptr<postgres_server> postgres_server::start(std::string* error,
                                                        postgres_options options) {
  std::string why;
  if (!postgres_available(options.bin_dir)) {
    why = "PostgreSQL binaries (initdb, postgres) not found in " + options.bin_dir.string() +
          " (docker/install-deps.sh installs them)";
    if (error) *error = why;
    return nullptr;
  }
  std::unique_ptr<postgres_server> server{new postgres_server(std::move(options))};
  if (!server->init_cluster(&why)) {
    if (error) *error = why;
    return nullptr;
  }
  for (int attempt = 0; attempt < port_attempts; ++attempt) {
    if (!server->spawn(&why)) break;
    if (server->wait_ready(&why)) return server;
    // Someone else took the port between pick_free_port and the bind: try another.
    const bool port_taken =
        !server->running() && server->log().find("Address already in use") != std::string::npos;
    if (!port_taken) break;
  }
  if (error) *error = why + "\n--- postgres log ---\n" + server->log();
  return nullptr;
}

bool postgres_server::init_cluster(std::string* error) {
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      *error = "running as root, but there is no postgres user to run the server as";
      return false;
    }
    run_as_ = account{user->pw_uid, user->pw_gid};
  }
  try {
    work_ = options_.work_parent.empty()
                ? std::make_unique<temp_dir>("payorch-pg")
                : std::make_unique<temp_dir>("payorch-pg", options_.work_parent);
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
  work_dir_ = work_->path();
  if (run_as_ && ::chown(work_dir_.c_str(), run_as_->uid, run_as_->gid) != 0) {
    *error = "cannot chown " + work_dir_.string() + " to the postgres user";
    return false;
  }
  if (options_.template_dir.empty())
    return run_initdb(work_dir_ / "data", work_dir_ / "initdb.log", error);
  return ensure_template(error) && copy_template(error);
}

bool postgres_server::run_initdb(const std::filesystem::path& data,
                                 const std::filesystem::path& log, std::string* error) {
  child_spec spec;
  spec.exe = options_.bin_dir / "initdb";
  spec.args = {"-D", data.string()};
  spec.args.insert(spec.args.end(), initdb_arguments().begin(), initdb_arguments().end());
  spec.cwd = data.parent_path();
  spec.log_file = log;
  if (run_as_) set_account(spec, run_as_->uid, run_as_->gid);
  const pid_t pid = spawn_child(spec);
  if (pid < 0) {
    *error = "fork failed";
    return false;
  }
  const int code = wait_exit(pid, postgres_wait_bound);
  if (code != 0) {
    *error = "initdb exited with code " + std::to_string(code) + "\n--- initdb log ---\n" +
             read_text(spec.log_file);
    return false;
  }
  return true;
}

bool postgres_server::ensure_template(std::string* error) {
  const auto& dir = options_.template_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *error = "cannot create the template dir " + dir.string() + ": " + ec.message();
    return false;
  }
  if (run_as_ && ::chown(dir.c_str(), run_as_->uid, run_as_->gid) != 0) {
    *error = "cannot chown " + dir.string() + " to the postgres user";
    return false;
  }
  // Another test process may be making it: it takes at most one initdb.
  file_lock lock(dir / "lock", 2 * postgres_wait_bound);
  if (!lock.held()) {
    *error = "cannot lock " + (dir / "lock").string() + " within " +
             std::to_string(2 * postgres_wait_bound.count()) + " s";
    return false;
  }
  const auto stamp = template_stamp(options_);
  if (read_text(dir / "ready") == stamp) return true;
  std::filesystem::remove(dir / "ready", ec);
  std::filesystem::remove_all(dir / "data", ec);
  if (!run_initdb(dir / "data", dir / "initdb.log", error)) return false;
  if (!write_text(dir / "ready", stamp)) {
    *error = "cannot write " + (dir / "ready").string();
    return false;
  }
  return true;
}

bool postgres_server::copy_template(std::string* error) {
  child_spec spec;
  spec.exe = "/bin/cp";
  // -a keeps the modes postgres insists on (0700 on the data dir).
  spec.args = {"-a", (options_.template_dir / "data").string(), (work_dir_ / "data").string()};
  spec.cwd = work_dir_;
  spec.log_file = work_dir_ / "copy.log";
  if (run_as_) set_account(spec, run_as_->uid, run_as_->gid);
  const pid_t pid = spawn_child(spec);
  if (pid < 0) {
    *error = "fork failed";
    return false;
  }
  const int code = wait_exit(pid, postgres_wait_bound);
  if (code != 0) {
    *error = "copying the template " + options_.template_dir.string() + " failed (exit code " +
             std::to_string(code) + "): " + read_text(spec.log_file);
    return false;
  }
  return true;
}

bool postgres_server::spawn(std::string* error, bool same_port) {
  if (!same_port) port_ = pick_free_port();
  if (port_ == 0) {
    *error = "no free loopback port";
    return false;
  }
  child_spec spec;
  spec.exe = options_.bin_dir / "postgres";
  spec.args = {
      "-D", (work_dir_ / "data").string(), "-p", std::to_string(port_),
      "-c", "listen_addresses=127.0.0.1",  "-c", "unix_socket_directories=" + work_dir_.string(),
      "-c", "max_connections=50",          "-c", "shared_buffers=32MB"};
  for (const auto& setting : options_.settings) spec.args.insert(spec.args.end(), {"-c", setting});
  spec.cwd = work_dir_;
  spec.log_file = work_dir_ / "postgres.log";
  // SIGQUIT is an immediate shutdown: the postmaster takes its backends down and exits.
  spec.death_signal = SIGQUIT;
  if (run_as_) set_account(spec, run_as_->uid, run_as_->gid);
  exit_code_.reset();
  pid_ = spawn_child(spec);
  if (pid_ < 0) {
    *error = "fork failed";
    return false;
  }
  return true;
}

bool postgres_server::wait_ready(std::string* error) {
  // libpq's smallest connect timeout; a refused connection fails at once anyway.
  const std::string probe = connection_uri() + "?connect_timeout=2";
  const auto give_up = std::chrono::steady_clock::now() + postgres_wait_bound;
  std::string last;
  while (std::chrono::steady_clock::now() < give_up) {
    if (!running()) {
      *error = "postgres exited with code " + std::to_string(*exit_code_) + " before it was ready";
      return false;
    }
    try {
      pqxx::connection connection{probe};
      return true;
    } catch (const std::exception& e) {
      last = e.what();
    }
    std::this_thread::sleep_for(poll_interval);
  }
  *error = "postgres was not ready within " + std::to_string(postgres_wait_bound.count()) +
           " s (last attempt: " + last + ")";
  return false;
}

std::string postgres_server::connection_uri(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + uri_encode(database);
}

std::string postgres_server::create_database(const std::string& name, std::string* error) {
  if (!running()) {
    if (error) *error = "the server is not running";
    return "";
  }
  try {
    pqxx::connection connection{connection_uri()};
    // CREATE DATABASE cannot run inside a transaction block.
    pqxx::nontransaction statement{connection};
    statement.exec("CREATE DATABASE " + connection.quote_name(name));
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return "";
  }
  return connection_uri(name);
}

bool postgres_server::running() {
  if (pid_ <= 0 || exit_code_) return false;
  exit_code_ = try_reap(pid_);
  return !exit_code_;
}

/// The processes whose parent is `parent`, from /proc.
static std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_text(entry.path() / "stat");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    int ppid = -1;
    char state = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent)
      out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

bool postgres_server::freeze() {
  if (!running() || !frozen_.empty()) return false;
  ::kill(pid_, SIGSTOP);
  frozen_.push_back(pid_);
  for (pid_t child : children_of(pid_)) {
    ::kill(child, SIGSTOP);
    frozen_.push_back(child);
  }
  return true;
}

void postgres_server::thaw() {
  for (pid_t pid : frozen_) ::kill(pid, SIGCONT);
  frozen_.clear();
}

bool postgres_server::stop() {
  thaw();
  if (stopped_cleanly_) return *stopped_cleanly_;
  if (running()) {
    ::kill(pid_, SIGINT);  // fast shutdown; SIGTERM would wait for every client to leave
    exit_code_ = wait_exit(pid_, postgres_wait_bound);
  }
  const bool exited_cleanly = exit_code_.value_or(0) == 0;
  work_.reset();
  std::error_code ignored;
  stopped_cleanly_ = exited_cleanly && !std::filesystem::exists(work_dir_, ignored);
  return *stopped_cleanly_;
}

bool postgres_server::halt() {
  thaw();
  if (!running()) return false;
  ::kill(pid_, SIGINT);
  exit_code_ = wait_exit(pid_, postgres_wait_bound);
  return exit_code_.value_or(1) == 0;
}

bool postgres_server::resume(std::string* error) {
  if (running() || stopped_cleanly_) {
    *error = running() ? "the server is running" : "the server was stopped for good";
    return false;
  }
  return spawn(error, true) && wait_ready(error);
}

std::string postgres_server::log() const {
  return work_ ? read_text(work_dir_ / "postgres.log") : "";
}

bool port_refuses(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool refused =
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno == ECONNREFUSED;
  ::close(fd);
  return refused;
}

bool wait_port_refuses(std::uint16_t port) {
  const auto give_up = std::chrono::steady_clock::now() + postgres_wait_bound;
  while (std::chrono::steady_clock::now() < give_up) {
    if (port_refuses(port)) return true;
    std::this_thread::sleep_for(poll_interval);
  }
  return false;
}

}  // namespace payorch::testing
