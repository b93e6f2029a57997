#include "persistence/postgres/pg_watchdog.hpp"

#include <sys/socket.h>

#include <algorithm>

namespace payorch::persistence::postgres {

connection_watchdog::connection_watchdog(std::chrono::milliseconds limit)
    : limit_(limit), thread_([this] { loop(); }) {}

connection_watchdog::~connection_watchdog() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

connection_watchdog::armed connection_watchdog::arm(int socket) {
  if (limit_.count() <= 0) return armed(*this);  // no limit: nothing is ever cut off
  {
    const std::lock_guard lock(mutex_);
    socket_ = socket;
    deadline_ = std::chrono::steady_clock::now() + limit_;
  }
  changed_.notify_all();
  return armed(*this);
}

void connection_watchdog::disarm() {
  const std::lock_guard lock(mutex_);
  socket_ = -1;  // the thread finds nothing to watch and waits for the next arm
}

std::uint64_t connection_watchdog::cut_off() const {
  const std::lock_guard lock(mutex_);
  return cut_off_;
}

void connection_watchdog::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (socket_ < 0) {
      changed_.wait(lock);
      continue;
    }
    const auto deadline = deadline_;
    if (std::chrono::steady_clock::now() < deadline) {
      changed_.wait_until(lock, deadline);
      continue;  // disarmed, re-armed or stopping meanwhile: look again
    }
    // Still armed past its deadline, under the lock: the call has not returned, and the
    // connection (which would close the socket) cannot have gone away since.
    ::shutdown(socket_, SHUT_RDWR);
    ++cut_off_;
    socket_ = -1;
  }
}

std::string with_connect_timeout(const std::string& uri, std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0 || uri.find("connect_timeout") != std::string::npos) return uri;
  const auto seconds = std::max<std::int64_t>(2, (timeout.count() + 999) / 1000);
  const bool is_uri = uri.starts_with("postgresql://") || uri.starts_with("postgres://");
  if (!is_uri) return uri + " connect_timeout=" + std::to_string(seconds);
  return uri + (uri.find('?') == std::string::npos ? '?' : '&') +
         "connect_timeout=" + std::to_string(seconds);
}

}  // namespace payorch::persistence::postgres
