#include "persistence/postgres/pg_watchdog.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>

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
  if (watched_ >= 0) ::close(watched_);
}

connection_watchdog::armed connection_watchdog::arm(int socket) {
  // No limit, or no socket to watch (a connection already lost): the call is not watched.
  if (limit_.count() <= 0 || socket < 0) return armed(*this);
  const int copy = ::fcntl(socket, F_DUPFD_CLOEXEC, 0);
  {
    const std::lock_guard lock(mutex_);
    if (watched_ >= 0) ::close(watched_);
    watched_ = copy;  // -1 if dup failed (out of descriptors): this call goes unwatched
    since_ = std::chrono::steady_clock::now();
  }
  changed_.notify_all();
  return armed(*this);
}

void connection_watchdog::touch() {
  const std::lock_guard lock(mutex_);
  since_ = std::chrono::steady_clock::now();
}

void connection_watchdog::disarm() {
  const std::lock_guard lock(mutex_);
  if (watched_ >= 0) ::close(watched_);
  watched_ = -1;  // the thread finds nothing to watch and waits for the next arm
}

std::uint64_t connection_watchdog::cut_off() const {
  const std::lock_guard lock(mutex_);
  return cut_off_;
}

std::chrono::steady_clock::time_point connection_watchdog::last_heard(
    std::chrono::steady_clock::time_point now) const {
  tcp_info info{};
  socklen_t size = sizeof info;
  if (::getsockopt(watched_, IPPROTO_TCP, TCP_INFO, &info, &size) != 0 ||
      size < offsetof(tcp_info, tcpi_last_data_recv) + sizeof info.tcpi_last_data_recv)
    return std::chrono::steady_clock::time_point::min();  // not TCP: count from arm or touch
  return now - std::chrono::milliseconds(info.tcpi_last_data_recv);
}

void connection_watchdog::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (watched_ < 0) {
      changed_.wait(lock);
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    const auto deadline = std::max(since_, last_heard(now)) + limit_;
    if (now < deadline) {
      changed_.wait_until(lock, deadline);
      continue;  // disarmed, re-armed, touched or stopping meanwhile: look again
    }
    // Armed and silent past the limit: the call is still waiting for the server.
    ::shutdown(watched_, SHUT_RDWR);
    ::close(watched_);
    watched_ = -1;
    ++cut_off_;
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
