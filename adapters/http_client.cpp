#include "adapters/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "adapters/url.hpp"

namespace payorch::adapters {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

/// Largest answer body accepted; provider answers are a few KiB.
constexpr std::uint64_t max_answer_body_bytes = 8u << 20;
/// Largest status line plus header fields accepted.
constexpr std::uint32_t max_answer_header_bytes = 64u << 10;
/// Interim (1xx) answers read before the final one; more is a server that never answers.
constexpr int max_interim_answers = 8;

/// One TCP connection to one host:port, with the read buffer that belongs to it.
struct connection {
  explicit connection(asio::io_context& ioc) : stream(asio::make_strand(ioc)) {}

  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  steady::time_point idle_since{};
};

/// True when the idle socket is still usable: no end of stream, no error, no stray bytes.
bool still_open(connection& c) {
  auto& socket = c.stream.socket();
  if (!socket.is_open() || c.buffer.size() != 0) return false;
  beast::error_code ec;
  socket.non_blocking(true, ec);
  if (ec) return false;
  char byte = 0;
  const std::size_t peeked = socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
  const bool open = ec == asio::error::would_block && peeked == 0;
  socket.non_blocking(false, ec);
  return open && !ec;
}

bool idempotent_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

/// The transport error string for a failed connect, write or read.
std::string classify_error(const beast::error_code& ec) {
  if (ec == beast::error::timeout || ec == asio::error::timed_out) return "timeout";
  if (ec == asio::error::connection_refused) return "connect_refused";
  if (ec == asio::error::network_unreachable || ec == asio::error::host_unreachable ||
      ec == asio::error::network_down) {
    return "connect_failed";
  }
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted || ec == asio::error::eof ||
      ec == http::error::end_of_stream || ec == asio::error::not_connected ||
      ec == asio::error::shut_down) {
    return "connection_reset";
  }
  if (ec.category() == beast::error_code(http::error::need_more).category()) {
    return "bad_response";  // not HTTP, or past the size limits
  }
  if (ec.category() == asio::error::get_netdb_category() ||
      ec.category() == asio::error::get_addrinfo_category()) {
    return "resolve_failed";
  }
  return "io_error";
}

http_answer failed(std::string why) {
  http_answer answer;
  answer.transport_error = std::move(why);
  return answer;
}

}  // namespace

/// The idle connections by host:port, shared by the client and every call in flight.
struct detail::http_pool {
  http_pool(asio::io_context& context, http_client_options opts) : ioc(context), options(opts) {}

  /// The most recently parked usable connection to `key`, or null; stale ones are closed.
  std::unique_ptr<connection> take(const std::string& key) {
    std::unique_ptr<connection> found;
    std::vector<std::unique_ptr<connection>> stale;
    {
      std::lock_guard lock(mutex);
      auto it = idle.find(key);
      if (it == idle.end()) return nullptr;
      auto& list = it->second;
      const auto oldest_allowed = steady::now() - options.idle_timeout;
      while (!list.empty() && !found) {
        auto candidate = std::move(list.back());
        list.pop_back();
        if (candidate->idle_since >= oldest_allowed && still_open(*candidate)) {
          found = std::move(candidate);
        } else {
          stale.push_back(std::move(candidate));
        }
      }
    }
    return found;  // `stale` closes its sockets here, outside the lock
  }

  /// Parks `c` for reuse, unless the pool for `key` is full or the client is gone.
  void give_back(const std::string& key, std::unique_ptr<connection> c) {
    c->stream.expires_never();
    c->idle_since = steady::now();
    std::lock_guard lock(mutex);
    if (closed) return;
    auto& list = idle[key];
    if (list.size() >= options.max_idle_per_host) return;
    list.push_back(std::move(c));
  }

  void close_all() {
    std::unordered_map<std::string, std::vector<std::unique_ptr<connection>>> doomed;
    std::lock_guard lock(mutex);
    closed = true;
    doomed.swap(idle);
  }

  asio::io_context& ioc;
  http_client_options options;
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<std::unique_ptr<connection>>> idle;
  bool closed = false;
};

namespace {

/// One call: pick or open a connection, write, read, park the connection, answer once.
///
/// Everything after `start` runs on the strand of the current connection's stream, so the
/// resolver, the deadline timer and the stream never see two handlers at once.
class exchange : public std::enable_shared_from_this<exchange> {
 public:
  using pool_ptr = std::shared_ptr<detail::http_pool>;

  exchange(pool_ptr pool, http_call call, parsed_url url, std::function<void(http_answer)> done)
      : pool_(std::move(pool)),
        call_(std::move(call)),
        url_(std::move(url)),
        done_(std::move(done)),
        deadline_(steady::now() + call_.timeout) {
    build_request();
  }

  void start() {
    conn_ = pool_->take(url_.pool_key());
    reused_ = conn_ != nullptr;
    if (!conn_) return open_fresh();
    asio::dispatch(conn_->stream.get_executor(), [self = shared_from_this()] { self->write(); });
  }

 private:
  void build_request() {
    const auto verb = http::string_to_verb(call_.method);
    if (verb == http::verb::unknown) {
      request_.method_string(call_.method);
    } else {
      request_.method(verb);
    }
    request_.target(url_.target);
    request_.version(11);
    for (const auto& h : call_.headers) {
      if (beast::iequals(h.name, "Host") || beast::iequals(h.name, "Content-Length")) continue;
      request_.insert(h.name, h.value);
    }
    request_.set(http::field::host, url_.host_header());
    if (request_.find(http::field::user_agent) == request_.end()) {
      request_.set(http::field::user_agent, "payorch");
    }
    request_.keep_alive(true);
    request_.body() = call_.body;
    if (!call_.body.empty() || verb == http::verb::post || verb == http::verb::put ||
        verb == http::verb::patch) {
      request_.prepare_payload();
    }
  }

  void open_fresh() {
    conn_ = std::make_unique<connection>(pool_->ioc);
    asio::dispatch(conn_->stream.get_executor(), [self = shared_from_this()] { self->resolve(); });
  }

  void resolve() {
    resolver_.emplace(conn_->stream.get_executor());
    resolve_timer_.emplace(conn_->stream.get_executor());
    resolve_timer_->expires_at(deadline_);
    resolve_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled: the resolve finished first
      self->resolve_timed_out_ = true;
      self->resolver_->cancel();
      // A lookup already running in the resolver's thread is not stopped by the cancel, and may
      // take the system resolver's own timeouts: the call ends now, the lookup's answer is dropped.
      self->finish(failed("timeout"));
    });
    resolver_->async_resolve(url_.host, std::to_string(url_.port), tcp::resolver::numeric_service,
                             [self = shared_from_this()](
                                 beast::error_code ec, const tcp::resolver::results_type& results) {
                               self->on_resolved(ec, results);
                             });
  }

  void on_resolved(beast::error_code ec, const tcp::resolver::results_type& results) {
    resolve_timer_->cancel();
    if (resolve_timed_out_ || !done_) return finish(failed("timeout"));
    if (ec) return finish(failed("resolve_failed"));
    conn_->stream.expires_at(deadline_);
    conn_->stream.async_connect(
        results, [self = shared_from_this()](beast::error_code connect_ec, const tcp::endpoint&) {
          if (connect_ec) return self->finish(failed(classify_error(connect_ec)));
          self->write();
        });
  }

  void write() {
    conn_->stream.expires_at(deadline_);
    http::async_write(conn_->stream, request_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t written) {
                        self->on_written(ec, written);
                      });
  }

  void on_written(beast::error_code ec, std::size_t written) {
    if (ec) {
      // A reused connection that takes no byte was closed by the server while idle.
      if (may_retry_fresh(ec, written == 0)) return retry_fresh();
      return finish(failed(classify_error(ec)));
    }
    read_answer();
  }

  /// Reads the next answer on the connection with a fresh parser.
  void read_answer() {
    parser_.emplace();
    parser_->body_limit(max_answer_body_bytes);
    parser_->header_limit(max_answer_header_bytes);
    if (call_.method == "HEAD") parser_->skip(true);  // the answer to HEAD has no body
    http::async_read(conn_->stream, conn_->buffer, *parser_,
                     [self = shared_from_this()](beast::error_code read_ec, std::size_t read) {
                       self->on_read(read_ec, read);
                     });
  }

  void on_read(beast::error_code ec, std::size_t read) {
    if (ec) {
      if (read == 0 && may_retry_fresh(ec, false)) return retry_fresh();
      return finish(failed(classify_error(ec)));
    }
    const int status = static_cast<int>(parser_->get().result_int());
    if (status >= 100 && status < 200) {
      // An interim answer (102 Processing, 103 Early Hints): the final one follows on the same
      // connection. Taking it as the answer would leave the final one to be read by the next
      // call on this connection. 101 (a protocol switch nobody asked for) ends the call, and
      // the connection is closed.
      if (status != 101 && ++interim_answers_ <= max_interim_answers) return read_answer();
      return finish(failed("unexpected_interim_answer"));
    }
    auto message = parser_->release();
    http_answer answer;
    answer.status = status;
    for (const auto& field : message) {
      answer.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    answer.body = std::move(message.body());
    if (message.keep_alive() && conn_->buffer.size() == 0) {
      pool_->give_back(url_.pool_key(), std::move(conn_));
    }
    finish(std::move(answer));
  }

  /// Whether a failure on a reused connection may be repeated on a fresh one: once, and only
  /// when nothing was sent or the method is idempotent. Timeouts are never repeated.
  bool may_retry_fresh(const beast::error_code& ec, bool nothing_sent) const {
    if (!reused_ || retried_ || ec == beast::error::timeout) return false;
    return nothing_sent || idempotent_method(call_.method);
  }

  void retry_fresh() {
    retried_ = true;
    reused_ = false;
    beast::error_code ignored;
    conn_->stream.socket().close(ignored);
    open_fresh();  // the old connection is destroyed on its own strand, inside open_fresh
  }

  void finish(http_answer answer) {
    if (!done_) return;
    auto done = std::exchange(done_, nullptr);
    done(std::move(answer));
  }

  pool_ptr pool_;
  http_call call_;
  parsed_url url_;
  std::function<void(http_answer)> done_;
  steady::time_point deadline_;
  http::request<http::string_body> request_;
  std::unique_ptr<connection> conn_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::optional<tcp::resolver> resolver_;
  std::optional<asio::steady_timer> resolve_timer_;
  bool resolve_timed_out_ = false;
  int interim_answers_ = 0;
  bool reused_ = false;
  bool retried_ = false;
};

}  // namespace

std::optional<std::string> http_answer::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (beast::iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

http_client::http_client(asio::io_context& ioc, http_client_options options)
    : pool_(std::make_shared<detail::http_pool>(ioc, options)) {}

http_client::~http_client() {
  pool_->close_all();
}

void http_client::send(http_call call, std::function<void(http_answer)> done) {
  auto url = parse_http_url(call.url);
  if (!url) {
    asio::post(pool_->ioc, [done = std::move(done)]() mutable { done(failed("bad_url")); });
    return;
  }
  std::make_shared<exchange>(pool_, std::move(call), std::move(*url), std::move(done))->start();
}

}  // namespace payorch::adapters
