#include "gateway/http_server.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>
#include <random>

#include "domain/ids.hpp"
#include "gateway/http_wire.hpp"

namespace payorch::gateway {
namespace beast = boost::beast;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return detail::prefixed_hex16("req_", rng());
}

/// A client's request id is echoed when it is short and printable; otherwise we make one.
std::string request_id_of(const http_request& req) {
  auto it = req.find("X-Request-Id");
  if (it == req.end()) return new_request_id();
  auto v = it->value();
  if (v.empty() || v.size() > 128) return new_request_id();
  for (char c : v)
    if (c < 0x21 || c > 0x7e) return new_request_id();
  return std::string(v);
}

/// Beast's static name of a method (its storage outlives every session), or "UNKNOWN".
std::string_view method_name(http::verb v) {
  if (v == http::verb::unknown) return "UNKNOWN";
  auto name = http::to_string(v);
  return {name.data(), name.size()};
}

bool method_has_body(http::verb v) {
  return v == http::verb::post || v == http::verb::put || v == http::verb::patch;
}

/// True when the media type of `ct` (parameters aside, any case) is `expected` (lower case).
bool has_media_type(std::string_view ct, std::string_view expected) {
  auto semi = ct.find(';');
  auto media = ct.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media.size() != expected.size()) return false;
  for (std::size_t i = 0; i < media.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(media[i])) != expected[i]) return false;
  return true;
}

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, std::shared_ptr<server_shared> shared)
      : stream_(std::move(socket)),
        shared_(std::move(shared)),
        // Room for a head and a read's worth of body: Beast 1.81 bounds neither a chunk's size
        // line with its extensions nor the trailer, which would otherwise grow it unbounded.
        buffer_(shared_->options.max_header_bytes + read_room) {}

  void start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&session::do_read_header, shared_from_this()));
  }

 private:
  void do_read_header() {
    if (shared_->draining) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_body_bytes);
    stream_.expires_after(shared_->options.keep_alive_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset)
      return close();
    started_ = std::chrono::steady_clock::now();
    if (ec == http::error::body_limit)  // a Content-Length over the limit is seen with the header
      return reject(http::status::payload_too_large, "body_too_large", body_limit_detail());
    if (ec == http::error::header_limit)
      return reject(http::status::request_header_fields_too_large, "header_too_large",
                    "the request headers exceed " +
                        std::to_string(shared_->options.max_header_bytes) + " bytes");
    if (ec) return reject(http::status::bad_request, "malformed_request", ec.message());
    const auto& req = parser_->get();
    auto count = static_cast<std::size_t>(std::distance(req.begin(), req.end()));
    if (count > shared_->options.max_header_count)
      return reject(http::status::request_header_fields_too_large, "too_many_headers",
                    "the request has " + std::to_string(count) + " headers; at most " +
                        std::to_string(shared_->options.max_header_count) + " are allowed");
    // RFC 9112 section 6.1: a request whose Transfer-Encoding does not end in chunked has no
    // knowable length; read on, its body would be taken for the next request.
    if (req.find(http::field::transfer_encoding) != req.end() && !parser_->chunked())
      return reject(http::status::bad_request, "malformed_request",
                    "a request's Transfer-Encoding must end with chunked");
    header_fields_ = count;
    stream_.expires_after(shared_->options.request_timeout);
    // Most requests arrive whole with their head: finish those from the buffer, without another
    // read through the io_context (a GET has no body to wait for at all).
    if (!parser_->is_done() && buffer_.size() > 0) {
      parser_->eager(true);
      beast::error_code parsed;
      buffer_.consume(parser_->put(buffer_.data(), parsed));
      if (parsed && parsed != http::error::need_more) return on_read(parsed, 0);
    }
    if (parser_->is_done()) return on_read({}, 0);
    // RFC 9110 section 10.1.1: a client that waits for 100 Continue sends its body once told to.
    const auto expect = req[http::field::expect];
    if (req.version() >= 11 && beast::iequals(expect, "100-continue")) {
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(go_on.data(), go_on.size()),
                        [self = shared_from_this()](beast::error_code written, std::size_t) {
                          if (written) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit)
      return reject(http::status::payload_too_large, "body_too_large", body_limit_detail());
    if (ec == beast::error::timeout || ec == asio::error::connection_reset) return close();
    if (ec) return reject(http::status::bad_request, "malformed_request", ec.message());
    // Beast adds a chunked body's trailer fields to the head, past the header checks: a trailer
    // must not carry what a handler reads from the head (Authorization, an Idempotency-Key).
    if (parser_->chunked()) {
      const auto& req = parser_->get();
      if (static_cast<std::size_t>(std::distance(req.begin(), req.end())) != header_fields_)
        return reject(http::status::bad_request, "malformed_request",
                      "trailer fields are not accepted");
    }
    dispatch_request(parser_->release());
  }

  std::string body_limit_detail() const {
    return "the request body exceeds " + std::to_string(shared_->options.max_body_bytes) + " bytes";
  }

  void dispatch_request(http_request req) {
    request_id_ = request_id_of(req);
    method_ = method_name(req.method());
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    head_only_ = req.method() == http::verb::head;
    ++shared_->in_flight;
    counted_ = true;
    auto match = shared_->routes->match(req.method(), req.target());
    route_ = match.found ? std::string_view(match.found->pattern) : std::string_view("unmatched");
    if (!match.found) {
      if (match.path_known) {
        auto res = problem_response(
            make_problem(http::status::method_not_allowed, "method_not_allowed",
                         std::string(method_) + " is not allowed on " + std::string(req.target())),
            version_);
        res.set(http::field::allow, match.allow);
        return write(std::move(res));
      }
      return write(problem_response(
          make_problem(http::status::not_found, "not_found",
                       "no resource at " + std::string(req.target().substr(0, 200))),
          version_));
    }
    const std::string& body_type = match.found->body_type;
    // An empty body has no media type to check (actions and settle take none).
    if (method_has_body(req.method()) && !req.body().empty() &&
        !has_media_type(req[http::field::content_type], body_type)) {
      return write(problem_response(
          make_problem(http::status::unsupported_media_type, "unsupported_media_type",
                       "the request body must be " + body_type, "Content-Type"),
          version_));
    }
    auto self = shared_from_this();
    // Not make_shared: the deadline queue holds a weak reference for up to the request timeout,
    // and with make_shared that would keep the whole exchange's storage allocated, not just the
    // small control block.
    auto ex = exchange_ptr(new exchange(
        std::move(req), std::move(match.params), request_id_, [self](http_response res) {
          asio::post(self->stream_.get_executor(),
                     [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
        }));
    shared_->deadlines.push(std::chrono::steady_clock::now() + shared_->options.request_timeout,
                            ex);
    match.found->run(ex);
  }

  /// Answers an error found before routing and closes: the stream may be mid-message.
  void reject(http::status status, std::string code, std::string detail) {
    request_id_ = parser_ ? request_id_of(parser_->get()) : new_request_id();
    method_ = method_name(parser_ ? parser_->get().method() : http::verb::unknown);
    version_ = 11;
    keep_alive_ = false;
    head_only_ = parser_ && parser_->get().method() == http::verb::head;
    route_ = "unmatched";
    write(problem_response(make_problem(status, std::move(code), std::move(detail)), version_));
  }

  void write(http_response res) {
    bool close_after = !keep_alive_ || shared_->draining;
    res.version(version_);
    res.keep_alive(!close_after);
    res.set(http::field::server, "payorch");
    res.set("X-Request-Id", request_id_);
    res.prepare_payload();
    const bool bodiless = bodiless_status(res.result_int());
    if (bodiless) {
      res.erase(http::field::content_length);
      res.body().clear();
    }
    shared_->metrics->record(method_, route_, static_cast<unsigned>(res.result_int()),
                             std::chrono::steady_clock::now() - started_);
    response_.emplace(std::move(res));
    head_.clear();
    append_head(head_, *response_);
    // A response to HEAD says what a GET would have carried but carries nothing itself.
    const std::array<asio::const_buffer, 2> wire{
        asio::buffer(head_),
        asio::buffer(response_->body().data(), head_only_ ? 0 : response_->body().size())};
    stream_.expires_after(shared_->options.request_timeout);
    // All of it in as few writes as the socket takes (asio's transfer_all would cut at 64 KiB).
    asio::async_write(
        stream_, wire,
        [](const beast::error_code& ec, std::size_t) -> std::size_t {
          return ec ? 0 : std::numeric_limits<std::size_t>::max();
        },
        beast::bind_front_handler(&session::on_write, shared_from_this(), close_after));
  }

  void on_write(bool close_after, beast::error_code ec, std::size_t) {
    response_.reset();
    if (head_.capacity() > 4096) std::string().swap(head_);  // a rare large head is not kept
    if (counted_) {
      --shared_->in_flight;
      counted_ = false;
    }
    if (ec) return close();
    if (close_after) return linger_then_close();
    do_read_header();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  /// After the last response: stops sending, then reads and drops what the client still sends
  /// (the rest of a body refused 413, requests it pipelined) until it closes or a second passes.
  /// Closing with unread bytes would reset the connection, and the client could lose the answer.
  void linger_then_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    buffer_.clear();
    stream_.expires_after(std::chrono::seconds(1));
    drain_input();
  }

  void drain_input() {
    stream_.async_read_some(buffer_.prepare(read_room),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->buffer_.clear();
                              self->drain_input();
                            });
  }

  /// What one read may add to the buffer beyond a request's head.
  static constexpr std::size_t read_room = 64 * 1024;

  beast::tcp_stream stream_;
  std::shared_ptr<server_shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http_response> response_;
  std::string head_;  ///< the response's status line and fields, as sent
  std::chrono::steady_clock::time_point started_;
  std::string request_id_;
  std::string_view method_;  ///< Beast's static method name
  std::string_view route_;   ///< a pattern owned by the route table, or "unmatched"
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_only_ = false;  ///< the request is HEAD: the response goes without its body
  bool counted_ = false;
  std::size_t header_fields_ = 0;  ///< fields of the request's head, before any trailer
};

}  // namespace

http_server::http_server(asio::io_context& ioc, server_options options, const route_table& routes,
                         http_metrics& metrics)
    : ioc_(ioc),
      shared_(std::make_shared<server_shared>()),
      acceptor_(asio::make_strand(ioc)),
      sweep_timer_(ioc),
      accept_pause_(acceptor_.get_executor()) {
  shared_->options = std::move(options);
  shared_->routes = &routes;
  shared_->metrics = &metrics;
}

http_server::~http_server() = default;

bool http_server::listen(std::string* error) {
  beast::error_code ec;
  auto address = asio::ip::make_address(shared_->options.host, ec);
  if (ec) {
    if (error) *error = "listen: '" + shared_->options.host + "' is not an IP address";
    return false;
  }
  tcp::endpoint endpoint{address, shared_->options.port};
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    if (error)
      *error = "listen: cannot listen on " + shared_->options.host + ":" +
               std::to_string(shared_->options.port) + ": " + ec.message();
    return false;
  }
  return true;
}

std::uint16_t http_server::port() const {
  beast::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void http_server::start_accepting() {
  do_accept();
  sweep_deadlines();
}

/// How often expired requests are looked for: a tenth of the timeout, at most every 50 ms.
static std::chrono::milliseconds sweep_period(std::chrono::milliseconds timeout) {
  return std::clamp(timeout / 10, std::chrono::milliseconds(1), std::chrono::milliseconds(50));
}

void http_server::sweep_deadlines() {
  sweep_timer_.expires_after(sweep_period(shared_->options.request_timeout));
  sweep_timer_.async_wait([this](beast::error_code ec) {
    if (ec) return;
    shared_->deadlines.expire_until(std::chrono::steady_clock::now());
    sweep_deadlines();
  });
}

void deadline_queue::push(clock::time_point deadline, std::weak_ptr<exchange> ex) {
  std::lock_guard<std::mutex> guard{mutex_};
  queue_.emplace_back(deadline, std::move(ex));
}

void deadline_queue::expire_until(clock::time_point now) {
  std::vector<exchange_ptr> expired;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    while (!queue_.empty() && queue_.front().first <= now) {
      if (auto ex = queue_.front().second.lock()) expired.push_back(std::move(ex));
      queue_.pop_front();
    }
  }
  for (auto& ex : expired) ex->expire();  // a no-op for requests already answered
}

void http_server::do_accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of file descriptors (EMFILE, ENFILE) or memory, the connection stays queued and
      // the next accept fails at once: pause instead of spinning the io thread on it.
      accept_pause_.expires_after(std::chrono::milliseconds(50));
      accept_pause_.async_wait([this](beast::error_code wait) {
        if (!wait && acceptor_.is_open()) do_accept();
      });
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<session>(std::move(socket), shared_)->start();
    do_accept();
  });
}

void http_server::begin_drain(std::function<void()> closed) {
  shared_->draining = true;
  // On the acceptor's strand (it is not safe to close from another thread), and only then the
  // caller's next step: a drain that finds nothing in flight must not stop the io_context with
  // the listener still open, taking connections nobody answers.
  asio::post(acceptor_.get_executor(), [this, closed = std::move(closed)] {
    beast::error_code ec;
    accept_pause_.cancel();
    acceptor_.close(ec);
    asio::post(ioc_, closed);
  });
}

}  // namespace payorch::gateway
