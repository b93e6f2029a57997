/// The reference HTTP server that payorch's own HTTP figures are measured against.
///
/// It does the least work a Beast server can do (one io_context thread, keep-alive sessions,
/// a fixed JSON answer) so that the ratio payorch/minimal isolates payorch's own cost.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace payorch::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view default_listen = "127.0.0.1:8090";
constexpr std::string_view ok_body = R"({"status":"ok"})";
// A client that stays silent this long is dropped so a stuck peer cannot pin a session forever.
constexpr std::chrono::seconds idle_timeout{30};

/// One keep-alive connection: read a request, answer it, repeat until the peer leaves.
class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket socket) : stream_(std::move(socket)) {}

  void start() { read_next(); }

 private:
  void read_next() {
    request_ = {};
    stream_.expires_after(idle_timeout);
    http::async_read(
        stream_, buffer_, request_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      close();
      return;
    }
    response_ = {http::status::ok, request_.version()};
    response_.set(http::field::server, "payorch-bench-minimal");
    response_.set(http::field::content_type, "application/json");
    response_.keep_alive(request_.keep_alive());
    response_.body() = ok_body;
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                        self->on_write(write_ec);
                      });
  }

  void on_write(beast::error_code ec) {
    if (ec || !response_.keep_alive()) {
      close();
      return;
    }
    read_next();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

/// Accepts connections until the acceptor is closed, then lets the io_context run dry.
class listener : public std::enable_shared_from_this<listener> {
 public:
  explicit listener(asio::io_context& io) : io_(io), acceptor_(io) {}

  /// Binds and listens, returning the error instead of throwing so main can report it.
  beast::error_code open(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    return ec;
  }

  void accept_next() {
    acceptor_.async_accept(io_,
                           [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                             self->on_accept(ec, std::move(socket));
                           });
  }

  void stop() {
    beast::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // closed by the signal handler
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<session>(std::move(socket))->start();
    }
    accept_next();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
};

/// Parses "HOST:PORT" with a numeric host; nullopt on anything else.
std::optional<tcp::endpoint> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string host(text.substr(0, colon));
  const std::string_view port_text = text.substr(colon + 1);
  unsigned short port = 0;
  const auto [end, errc] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (errc != std::errc{} || end != port_text.data() + port_text.size()) return std::nullopt;
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return tcp::endpoint(address, port);
}

/// Reads the one supported option; nullopt (after printing why) when the command line is wrong.
std::optional<std::string_view> listen_argument(int argc, char** argv) {
  std::string_view listen = default_listen;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--listen" && i + 1 < argc) {
      listen = argv[++i];
    } else if (arg.starts_with("--listen=")) {
      listen = arg.substr(std::strlen("--listen="));
    } else {
      std::fprintf(stderr, "usage: %s [--listen HOST:PORT]   (default %.*s)\n", argv[0],
                   static_cast<int>(default_listen.size()), default_listen.data());
      return std::nullopt;
    }
  }
  return listen;
}

int run(int argc, char** argv) {
  const auto listen = listen_argument(argc, argv);
  if (!listen) return 2;
  const auto endpoint = parse_endpoint(*listen);
  if (!endpoint) {
    std::fprintf(stderr, "invalid --listen '%.*s' (want numeric HOST:PORT)\n",
                 static_cast<int>(listen->size()), listen->data());
    return 2;
  }

  asio::io_context io{1};
  auto server = std::make_shared<listener>(io);
  if (const auto ec = server->open(*endpoint)) {
    std::fprintf(stderr, "cannot listen on %.*s: %s\n", static_cast<int>(listen->size()),
                 listen->data(), ec.message().c_str());
    return 1;
  }
  server->accept_next();

  // Stopping the io_context drops open keep-alive sessions at once, which is what a benchmark
  // harness tearing the server down wants.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    server->stop();
    io.stop();
  });

  std::printf("minimal server listening on %.*s\n", static_cast<int>(listen->size()),
              listen->data());
  std::fflush(stdout);
  io.run();
  return 0;
}

}  // namespace
}  // namespace payorch::bench

int main(int argc, char** argv) {
  return payorch::bench::run(argc, argv);
}
