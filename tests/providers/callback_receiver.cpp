#include "tests/providers/callback_receiver.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <map>
#include <stdexcept>

namespace payorch::testing {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Takes one complete request off the front of `buffer`, if there is one.
std::optional<received_callback> take_request(std::string& buffer) {
  const auto head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string::npos) return std::nullopt;
  received_callback r;
  std::string_view head(buffer.data(), head_end);
  auto eol = head.find("\r\n");
  auto request_line = head.substr(0, eol);
  auto sp1 = request_line.find(' ');
  auto sp2 = request_line.find(' ', sp1 + 1);
  r.method = std::string(request_line.substr(0, sp1));
  r.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::size_t length = 0;
  while (eol != std::string_view::npos) {
    const auto start = eol + 2;
    eol = head.find("\r\n", start);
    auto line = head.substr(start, eol == std::string_view::npos ? head.npos : eol - start);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    r.headers.emplace_back(std::string(line.substr(0, colon)),
                           std::string(trim(line.substr(colon + 1))));
    if (iequals(r.headers.back().first, "Content-Length")) {
      const auto& v = r.headers.back().second;
      std::from_chars(v.data(), v.data() + v.size(), length);
    }
  }
  if (buffer.size() < head_end + 4 + length) return std::nullopt;
  r.body = buffer.substr(head_end + 4, length);
  buffer.erase(0, head_end + 4 + length);
  return r;
}

}  // namespace

std::string received_callback::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

callback_receiver::callback_receiver() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::pipe2(wake_pipe_, O_CLOEXEC) != 0)
    throw std::runtime_error("callback_receiver: cannot listen on loopback");
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

callback_receiver::~callback_receiver() {
  stopping_ = true;
  const char byte = 0;
  [[maybe_unused]] auto ignored = ::write(wake_pipe_[1], &byte, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

std::string callback_receiver::url(std::string_view name) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/callbacks/" + std::string(name);
}

void callback_receiver::script(std::vector<int> statuses) {
  std::lock_guard<std::mutex> lock(mutex_);
  script_.assign(statuses.begin(), statuses.end());
}

std::vector<received_callback> callback_receiver::wait_for(
    const std::function<bool(const std::vector<received_callback>&)>& done,
    std::chrono::milliseconds bound) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, bound, [&] { return done(received_); });
  return received_;
}

std::vector<received_callback> callback_receiver::received() {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

void callback_receiver::run() {
  std::map<int, std::string> connections;  // fd → bytes not yet parsed
  while (!stopping_) {
    std::vector<pollfd> fds{{wake_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const auto& [fd, buffer] : connections) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) return;
    if (fds[1].revents & POLLIN) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) connections.emplace(fd, std::string());
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      const int fd = fds[i].fd;
      char chunk[8192];
      const auto n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) {
        ::close(fd);
        connections.erase(fd);
        continue;
      }
      auto& buffer = connections[fd];
      buffer.append(chunk, static_cast<std::size_t>(n));
      while (auto request = take_request(buffer)) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          request->answered = 200;
          if (!script_.empty()) {
            request->answered = script_.front();
            script_.pop_front();
          }
          received_.push_back(*request);
        }
        changed_.notify_all();
        const std::string reply = "HTTP/1.1 " + std::to_string(request->answered) +
                                  " Scripted\r\nContent-Length: 0\r\n\r\n";
        [[maybe_unused]] auto written = ::write(fd, reply.data(), reply.size());
      }
    }
  }
  for (const auto& [fd, buffer] : connections) ::close(fd);
}

}  // namespace payorch::testing
