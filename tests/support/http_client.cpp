#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace payorch::testing {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

http_reply failed(std::string why) {
  http_reply r;
  r.error = std::move(why);
  return r;
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

/// Parses the status line and header fields (everything before the blank line).
bool parse_head(std::string_view head, http_reply& out) {
  auto eol = head.find("\r\n");
  auto status_line = head.substr(0, eol);
  if (status_line.substr(0, 9) != "HTTP/1.1 " && status_line.substr(0, 9) != "HTTP/1.0 ")
    return false;
  auto code = status_line.substr(9, 3);
  auto [ptr, ec] = std::from_chars(code.data(), code.data() + code.size(), out.status);
  if (ec != std::errc{} || ptr != code.data() + code.size()) return false;
  while (eol != std::string_view::npos) {
    auto start = eol + 2;
    eol = head.find("\r\n", start);
    auto line = head.substr(start, eol == std::string_view::npos ? head.npos : eol - start);
    if (line.empty()) continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    out.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(trim(line.substr(colon + 1))));
  }
  return true;
}

}  // namespace

std::optional<std::string> http_reply::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return std::nullopt;
}

std::size_t http_reply::header_count(std::string_view name) const {
  std::size_t n = 0;
  for (const auto& [k, v] : headers) n += iequals(k, name) ? 1 : 0;
  return n;
}

http_request json_post(std::string target, std::string body) {
  http_request req;
  req.method = "POST";
  req.target = std::move(target);
  req.headers.emplace_back("Content-Type", "application/json");
  // A fresh key per request, as a careful client sends; tests of the key build their own.
  static std::atomic<std::uint64_t> next_key{0};
  req.headers.emplace_back("Idempotency-Key",
                           "test-" + std::to_string(::getpid()) + "-" + std::to_string(++next_key));
  req.body = std::move(body);
  return req;
}

std::string serialise(const http_request& req, std::uint16_t port) {
  std::string out = req.method + " " + req.target + " HTTP/1.1\r\n";
  out += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  bool has_body =
      !req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  if (has_body && req.content_length)
    out += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
  for (const auto& [k, v] : req.headers) out += k + ": " + v + "\r\n";
  out += "\r\n";
  out += req.body;
  return out;
}

http_connection::http_connection(std::uint16_t port) : port_(port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = errno_text("socket");
    return;
  }
  timeval tv{io_timeout_ms / 1000, (io_timeout_ms % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    error_ = errno_text("connect");
    ::close(fd_);
    fd_ = -1;
  }
}

http_connection::~http_connection() {
  if (fd_ >= 0) ::close(fd_);
}

bool http_connection::send_raw(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = errno_text("send");
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool http_connection::fill() {
  char chunk[16384];
  for (;;) {
    auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = errno_text("recv");
      return false;
    }
    if (n == 0) {
      error_ = "the server closed the connection";
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

http_reply http_connection::read_reply() {
  if (fd_ < 0) return failed(error_.empty() ? "not connected" : error_);
  std::size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill()) return failed("reading the head: " + error_);
  http_reply reply;
  if (!parse_head(std::string_view(buffer_).substr(0, head_end), reply))
    return failed("malformed response head: " + buffer_.substr(0, head_end));
  buffer_.erase(0, head_end + 4);
  if (reply.header("Transfer-Encoding")) return failed("chunked responses are not supported");
  // These never have content, whatever their fields say (RFC 9110 section 6.3).
  if (reply.status < 200 || reply.status == 204 || reply.status == 304) return reply;
  auto length_text = reply.header("Content-Length");
  if (!length_text) {
    // No length: the body runs to the end of the stream.
    while (fill()) {
    }
    reply.body = std::exchange(buffer_, {});
    return reply;
  }
  std::size_t length = 0;
  auto [ptr, ec] =
      std::from_chars(length_text->data(), length_text->data() + length_text->size(), length);
  if (ec != std::errc{}) return failed("bad Content-Length: " + *length_text);
  while (buffer_.size() < length)
    if (!fill()) return failed("reading the body: " + error_);
  reply.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return reply;
}

http_reply http_connection::exchange_raw(std::string_view bytes) {
  if (!send_raw(bytes)) return failed(error_.empty() ? "not connected" : error_);
  return read_reply();
}

http_reply http_connection::exchange(const http_request& req) {
  return exchange_raw(serialise(req, port_));
}

bool http_connection::peer_closed() {
  if (fd_ < 0 || !buffer_.empty()) return fd_ < 0;
  char byte;
  for (;;) {
    auto n = ::recv(fd_, &byte, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) buffer_.push_back(byte);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }
}

http_reply http_exchange(std::uint16_t port, const http_request& req) {
  http_connection c(port);
  if (!c.connected()) return failed(c.error());
  return c.exchange(req);
}

http_reply http_get(std::uint16_t port, const std::string& target) {
  http_request req;
  req.target = target;
  return http_exchange(port, req);
}

}  // namespace payorch::testing
