#pragma once
/// A real PostgreSQL 15 server for one test run, in a temporary directory on a free loopback port.
///
/// `postgres_server::start` runs `initdb` into a fresh temp dir and then `postgres` itself as a
/// child of the test process, both as the `postgres` user when the test runs as root (PostgreSQL
/// refuses to run as root). The server listens on 127.0.0.1 only, trusts every local connection,
/// and gets SIGQUIT (immediate shutdown) if the thread that started it dies, so a crashed test
/// never leaves a server behind. `stop()` (or the destructor) shuts it down and removes the temp
/// dir. Every wait polls with a bound (`postgres_wait_bound`). Single-threaded: create, use and
/// destroy a server on one thread, and keep that thread alive while the server runs.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace payorch::testing {

/// Where Debian's postgresql-15 package puts initdb and postgres (not on PATH).
inline const std::filesystem::path postgres_bin_dir{"/usr/lib/postgresql/15/bin"};

/// The longest initdb, readiness or shutdown may each take before the fixture gives up.
inline constexpr std::chrono::seconds postgres_wait_bound{15};

struct postgres_options {
  std::filesystem::path bin_dir = postgres_bin_dir;  ///< holds initdb and postgres
  std::vector<std::string> settings;  ///< extra `name=value` server settings, passed with -c
  /// Where an initdb'd cluster is kept for reuse; empty: every server runs initdb itself. The
  /// first server to need the template makes it (under a lock on `template_dir/lock`, so test
  /// processes running at once make it once), and every server starts from a copy of it, which
  /// is several times quicker than initdb. A template made with other initdb arguments, or left
  /// half-made, is made again; removing the directory is always safe while no server starts.
  std::filesystem::path template_dir;
  /// Where the server's temp dir (`payorch-pg-XXXXXX`) is made; empty: the system temp dir.
  std::filesystem::path work_parent;
};

/// True when `bin_dir` holds executable initdb and postgres: tests skip without them.
bool postgres_available(const std::filesystem::path& bin_dir = postgres_bin_dir);

class postgres_server {
 public:
  /// Initialises a cluster and starts a server, returning once it accepts connections; nullptr
  /// with `error` (and the server's log) otherwise. Retries on a new port if the bind fails.
  static std::unique_ptr<postgres_server> start(std::string* error, postgres_options options = {});

  ~postgres_server();
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  /// `postgresql://postgres@127.0.0.1:PORT/<database>`; the superuser needs no password.
  std::string connection_uri(const std::string& database = "postgres") const;
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  /// The temp dir holding the cluster, its socket and logs; gone after `stop()`.
  const std::filesystem::path& work_dir() const { return work_dir_; }

  /// Creates a database and returns its connection URI; "" with `error` set when the server
  /// refuses (a duplicate or invalid name, or a stopped server).
  std::string create_database(const std::string& name, std::string* error);

  /// True while the postmaster has not exited (reaps it if it has).
  bool running();

  /// Fast shutdown (SIGINT: clients are disconnected), then removes the temp dir. True when the
  /// server exited cleanly within `postgres_wait_bound`; otherwise it is killed and false is
  /// returned. Stopping again returns the first answer.
  bool stop();

  /// Shuts the server down (fast) but keeps its data and port, so `resume` can bring the same
  /// database back: a database that goes away and returns, as the journal sees it.
  bool halt();

  /// Starts a halted server again on the same port and data; false with `error` if it is not
  /// ready within `postgres_wait_bound`.
  bool resume(std::string* error);

  /// Stops every process of the server (SIGSTOP, the postmaster first so it starts no other), as
  /// a hung host or a paused VM would: connections stay open and the kernel still acknowledges
  /// their packets, but nothing answers. False if the server is not running.
  bool freeze();
  /// Lets a frozen server run again (SIGCONT); `stop` and `halt` do it first themselves.
  void thaw();

  /// What the server wrote to stderr so far ("" once stopped).
  std::string log() const;

 private:
  explicit postgres_server(postgres_options options);
  bool init_cluster(std::string* error);
  bool run_initdb(const std::filesystem::path& data, const std::filesystem::path& log,
                  std::string* error);
  bool ensure_template(std::string* error);
  bool copy_template(std::string* error);
  bool spawn(std::string* error, bool same_port = false);
  bool wait_ready(std::string* error);

  /// The account the server runs as when the test runs as root.
  struct account {
    uid_t uid;
    gid_t gid;
  };

  postgres_options options_;
  std::optional<account> run_as_;
  std::unique_ptr<temp_dir> work_;
  std::filesystem::path work_dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::vector<pid_t> frozen_;  // the processes freeze() stopped, postmaster first
  std::optional<bool> stopped_cleanly_;
};

/// True when a TCP connection to 127.0.0.1:`port` is refused (nothing listens there).
bool port_refuses(std::uint16_t port);

/// Polls `port_refuses` until it holds or `postgres_wait_bound` passes.
bool wait_port_refuses(std::uint16_t port);

}  // namespace payorch::testing
