#pragma once
/// A tiny blocking HTTP/1.1 client over a loopback TCP socket, for tests that drive a real server.
///
/// Transport failures are values: a response with `status == 0` and `error` set. Every socket
/// read and write is bounded by `io_timeout_ms`, so a hung server fails the test instead of
/// hanging it. Only what the tests need: Content-Length bodies, keep-alive, raw bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace payorch::testing {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_reply {
  int status = 0;     ///< 0 when the exchange failed before a status line was read
  std::string error;  ///< why, when status is 0
  header_list headers;
  std::string body;

  /// The first header named `name` (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
  /// How many headers are named `name` (case-insensitive).
  std::size_t header_count(std::string_view name) const;
};

struct http_request {
  std::string method = "GET";
  std::string target = "/";
  header_list headers;  ///< sent as given, after Host (and Content-Length when there is a body)
  std::string body;
  bool content_length = true;  ///< false: send no Content-Length (e.g. for a chunked body)
};

/// A POST with a JSON body and a fresh Idempotency-Key.
http_request json_post(std::string target, std::string body);

/// One client connection to 127.0.0.1:`port`; requests on it reuse the connection (keep-alive).
class http_connection {
 public:
  static constexpr int io_timeout_ms = 10'000;

  explicit http_connection(std::uint16_t port);
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  /// True once connected; `error()` says why not.
  bool connected() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

  /// Sends `req` and reads its response.
  http_reply exchange(const http_request& req);

  /// Sends bytes as they are (for malformed or oversized requests), then reads one response.
  http_reply exchange_raw(std::string_view bytes);

  /// Sends bytes without reading; false (with `error()`) if the socket refused them.
  bool send_raw(std::string_view bytes);

  /// Reads one response.
  http_reply read_reply();

  /// True when the server has closed its side: a read returns end of stream.
  bool peer_closed();

 private:
  bool fill();  // reads more bytes into buffer_; false on end of stream or error

  int fd_ = -1;
  std::uint16_t port_;
  std::string buffer_;
  std::string error_;
};

/// Serialises `req` as HTTP/1.1 bytes for 127.0.0.1:`port`.
std::string serialise(const http_request& req, std::uint16_t port);

/// One request on a fresh connection.
http_reply http_exchange(std::uint16_t port, const http_request& req);

/// GET `target` on a fresh connection.
http_reply http_get(std::uint16_t port, const std::string& target);

}  // namespace payorch::testing
