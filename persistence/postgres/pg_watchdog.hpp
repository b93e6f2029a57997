#pragma once
/// Cuts off a call to PostgreSQL that gets no answer (internal to the PostgreSQL store).
///
/// `statement_timeout` is enforced by the server, so it does nothing when the server does not run
/// at all: a frozen process or host, a paused VM, a black-holed network. The kernel may still
/// acknowledge the connection's packets, so neither TCP keepalives nor `tcp_user_timeout` notice,
/// and libpq blocks in `recv` for ever. A watchdog thread shuts the connection's socket down once
/// a call has run past its limit: the blocked call then fails as a broken connection, the store
/// answers storage_unavailable and replaces the connection, and nothing waits on a server that
/// does not answer.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace payorch::persistence::postgres {

class connection_watchdog {
 public:
  /// Starts the watchdog's thread; a call armed for longer than `limit` is cut off (never, when
  /// `limit` is not positive).
  explicit connection_watchdog(std::chrono::milliseconds limit);
  ~connection_watchdog();  // stops and joins the thread
  connection_watchdog(const connection_watchdog&) = delete;
  connection_watchdog& operator=(const connection_watchdog&) = delete;

  /// Watches `socket` while it lives: the call made under it must end within the limit, or the
  /// socket is shut down (never closed: the connection still owns it). One at a time.
  class armed {
   public:
    ~armed() { owner_.disarm(); }
    armed(const armed&) = delete;
    armed& operator=(const armed&) = delete;

   private:
    friend class connection_watchdog;
    explicit armed(connection_watchdog& owner) : owner_(owner) {}
    connection_watchdog& owner_;
  };
  [[nodiscard]] armed arm(int socket);

  /// Calls cut off so far.
  std::uint64_t cut_off() const;

 private:
  void disarm();
  void loop();

  const std::chrono::milliseconds limit_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int socket_ = -1;                                 // armed when >= 0 (guarded by mutex_)
  std::chrono::steady_clock::time_point deadline_;  // guarded by mutex_
  std::uint64_t cut_off_ = 0;                       // guarded by mutex_
  bool stopping_ = false;                           // guarded by mutex_
  std::thread thread_;
};

/// `uri` with libpq's `connect_timeout` (whole seconds, at least 2, as libpq counts them) added
/// unless it names one already or `timeout` is not positive, so connecting to a server that does
/// not answer fails too.
/// Takes a `postgresql://` URI (a parameter after `?` or `&`) or a `key=value` string.
std::string with_connect_timeout(const std::string& uri, std::chrono::milliseconds timeout);

}  // namespace payorch::persistence::postgres
