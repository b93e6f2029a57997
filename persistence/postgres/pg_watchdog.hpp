#pragma once
/// Cuts off a call to PostgreSQL that gets no answer (internal to the PostgreSQL store).
///
/// `statement_timeout` is enforced by the server, so it does nothing when the server does not run
/// at all: a frozen process or host, a paused VM, a black-holed network. The kernel may still
/// acknowledge the connection's packets, so neither TCP keepalives nor `tcp_user_timeout` notice,
/// and libpq blocks in `recv` for ever. A watchdog thread shuts the connection's socket down once
/// a call has heard nothing from the server for longer than its limit: the blocked call then fails
/// as a broken connection, the store answers storage_unavailable and replaces the connection, and
/// nothing waits on a server that does not answer. Over TCP, a call that keeps getting answers (a
/// long walk of many round trips) is never cut off; over a Unix-domain socket, where the kernel
/// does not say when the last answer came, the limit counts from the call's start instead.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace payorch::persistence::postgres {

class connection_watchdog {
 public:
  /// Starts the watchdog's thread; a call silent for longer than `limit` is cut off (never, when
  /// `limit` is not positive).
  explicit connection_watchdog(std::chrono::milliseconds limit);
  ~connection_watchdog();  // stops and joins the thread
  connection_watchdog(const connection_watchdog&) = delete;
  connection_watchdog& operator=(const connection_watchdog&) = delete;

  /// Watches the socket `socket` while it lives (one at a time). The watchdog holds a duplicate
  /// of the descriptor, so even if libpq closes its own mid-call the number is never reused under
  /// it; shutting the duplicate down cuts the call off all the same.
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

  /// The armed call is about to ask the server again (the next page of a walk): its silence
  /// counts from now. On TCP the watchdog also counts from the last data the server sent.
  void touch();

  /// Calls cut off so far.
  std::uint64_t cut_off() const;

 private:
  void disarm();
  void loop();
  /// When the armed socket last received data from the server, if the kernel says (TCP only).
  std::chrono::steady_clock::time_point last_heard(std::chrono::steady_clock::time_point now) const;

  const std::chrono::milliseconds limit_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int watched_ = -1;  // the duplicate descriptor, armed when >= 0 (guarded by mutex_)
  std::chrono::steady_clock::time_point since_;  // armed or touched (guarded by mutex_)
  std::uint64_t cut_off_ = 0;                    // guarded by mutex_
  bool stopping_ = false;                        // guarded by mutex_
  std::thread thread_;
};

/// `uri` with libpq's `connect_timeout` (whole seconds, at least 2, as libpq counts them; libpq
/// applies it to each address a host name resolves to) added unless it names one already or
/// `timeout` is not positive, so connecting to a server that does not answer fails too. Takes a
/// `postgresql://` URI (a parameter after `?` or `&`) or a `key=value` string.
std::string with_connect_timeout(const std::string& uri, std::chrono::milliseconds timeout);

}  // namespace payorch::persistence::postgres
