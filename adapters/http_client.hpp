#pragma once
/// An asynchronous HTTP/1.1 client for the provider adapters and the sandbox's callbacks.
///
/// The header stays free of Asio and Beast: `boost::asio::io_context` is forward-declared and
/// everything else lives behind a pimpl in http_client.cpp.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace payorch::adapters {

namespace detail {
struct http_pool;
}  // namespace detail

/// One header field, as sent or received.
struct http_header {
  std::string name;
  std::string value;
};

/// One HTTP request to make; `url` is absolute (`http://host:port/path?query`, http only).
struct http_call {
  std::string method = "GET";        ///< GET, POST, ...
  std::string url;                   ///< absolute: http://host:port/path?query
  std::vector<http_header> headers;  ///< Content-Type etc.; Host, Content-Length are the client's
  std::string body;
  std::chrono::milliseconds timeout{2000};  ///< the whole attempt: connect + write + read
};

/// What came back: an HTTP answer, or why none arrived.
struct http_answer {
  int status = 0;  ///< 0 when the transport failed
  std::vector<http_header> headers;
  std::string body;
  /// "" when an HTTP answer arrived; else one of "timeout", "connect_refused", "connect_failed",
  /// "connection_reset", "resolve_failed", "bad_url", "bad_response" (not HTTP, or too large),
  /// "unexpected_interim_answer" (a 101, or more than 8 interim answers), "io_error" (anything
  /// else).
  std::string transport_error;

  /// The first header named `name`, compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
};

/// Bounds of the keep-alive pool.
struct http_client_options {
  /// Idle connections kept per host:port; 0 disables reuse.
  std::size_t max_idle_per_host = 8;
  /// An idle connection older than this is closed instead of reused.
  std::chrono::milliseconds idle_timeout{30000};
};

/// An asynchronous HTTP/1.1 client over Beast with keep-alive connection reuse per host:port.
/// `done` runs exactly once, on one of the io_context's threads. Safe to call from any thread.
///
/// A pooled connection the server closed while it sat idle is noticed before it is used; when
/// it fails anyway, the request goes once more on a fresh connection, but only if none of it
/// was sent or the method is idempotent (GET, HEAD, PUT, DELETE, OPTIONS, TRACE). Calls still
/// running when the client is destroyed finish normally; their connections are then closed.
class http_client {
 public:
  explicit http_client(boost::asio::io_context& ioc, http_client_options options = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  void send(http_call call, std::function<void(http_answer)> done);

 private:
  std::shared_ptr<detail::http_pool> pool_;
};

}  // namespace payorch::adapters
