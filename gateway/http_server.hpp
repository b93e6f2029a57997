#pragma once
/// The Beast HTTP/1.1 listener and its keep-alive sessions.
///
/// Threads: the sessions run on the io_context's threads (one strand per connection). A session
/// reads one request at a time, rejects what the limits forbid before routing (431, 413, 415,
/// 404, 405), hands the request to its route's handler and writes the reply when the handler
/// posts it back. Every response carries `X-Request-Id`.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "gateway/metrics.hpp"
#include "gateway/route_table.hpp"

namespace payorch::gateway {

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 8192;
  std::size_t max_header_count = 100;
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds keep_alive_timeout{30000};
};

/// Requests waiting for their handler, in arrival order (and so in deadline order, since every
/// request gets the same timeout). A periodic sweep answers the expired ones with 504. Entries of
/// answered requests are dropped lazily when their deadline passes, so the queue holds at most
/// the requests of the last `request_timeout`. One queue instead of an Asio timer per request:
/// arming and cancelling a timer per request cost about a tenth of a GET's throughput.
class deadline_queue {
 public:
  using clock = std::chrono::steady_clock;
  void push(clock::time_point deadline, std::weak_ptr<exchange> ex);
  /// Expires every request whose deadline is at or before `now`.
  void expire_until(clock::time_point now);

 private:
  std::mutex mutex_;
  std::deque<std::pair<clock::time_point, std::weak_ptr<exchange>>> queue_;
};

/// Shared by the listener and its sessions.
struct server_shared {
  server_options options;
  const route_table* routes = nullptr;
  http_metrics* metrics = nullptr;
  std::atomic<std::size_t> in_flight{0};  ///< requests read and not yet answered
  std::atomic<bool> draining{false};      ///< answer in-flight requests, then close
  deadline_queue deadlines;
};

class http_server {
 public:
  http_server(boost::asio::io_context& ioc, server_options options, const route_table& routes,
              http_metrics& metrics);
  ~http_server();

  /// Binds and listens; false with `error` set when the address is unusable.
  bool listen(std::string* error);

  /// The bound port (useful when the options asked for port 0).
  std::uint16_t port() const;

  void start_accepting();

  /// Stops accepting and marks sessions to close after their current request; then calls
  /// `closed` on the io_context, once the listening socket is closed.
  void begin_drain(std::function<void()> closed);

  std::size_t in_flight() const { return shared_->in_flight.load(); }
  bool draining() const { return shared_->draining.load(); }

 private:
  void do_accept();
  void sweep_deadlines();

  boost::asio::io_context& ioc_;
  std::shared_ptr<server_shared> shared_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer accept_pause_;  ///< on the acceptor's strand
};

}  // namespace payorch::gateway
