#pragma once
/// A Beast HTTP server on 127.0.0.1 port 0 for the adapter tests, run on the test's io_context.
///
/// Each request is handed to a script that says what to do: answer, never answer, or close the
/// connection. The server counts accepted connections, so tests can see keep-alive reuse.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http_client.hpp"

namespace payorch::adapters::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

/// One request as the server received it.
struct seen_request {
  std::string method;
  std::string target;
  std::vector<http_header> headers;
  std::string body;
  std::size_t connection = 0;  ///< which accepted connection carried it, from 1

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& h : headers) {
      if (beast::iequals(h.name, name)) return h.value;
    }
    return std::nullopt;
  }
};

/// What the server does with one request.
struct canned {
  enum class action { answer, hang, close };
  action act = action::answer;
  int status = 200;
  std::string body = "{}";
  std::string content_type = "application/json";
  /// Close the connection right after answering, without saying `Connection: close`.
  bool close_after = false;

  static canned json(int status, std::string body) {
    return {action::answer, status, std::move(body)};
  }
  static canned hang() { return {action::hang}; }
  static canned close() { return {action::close}; }
};

using script = std::function<canned(const seen_request&)>;

class loopback_server {
 public:
  loopback_server(asio::io_context& ioc, script handler)
      : shared_(std::make_shared<state>(ioc, std::move(handler))) {
    tcp::endpoint at(asio::ip::make_address("127.0.0.1"), 0);
    shared_->acceptor.open(at.protocol());
    shared_->acceptor.set_option(asio::socket_base::reuse_address(true));
    shared_->acceptor.bind(at);
    shared_->acceptor.listen();
    port_ = shared_->acceptor.local_endpoint().port();
    accept(shared_);
  }

  ~loopback_server() {
    beast::error_code ignored;
    shared_->acceptor.close(ignored);
    for (auto& s : shared_->sessions) s->stream.socket().close(ignored);
  }

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::size_t accepts() const { return shared_->accepts; }
  const std::vector<seen_request>& requests() const { return shared_->requests; }

 private:
  struct session {
    explicit session(tcp::socket socket, std::size_t number)
        : stream(std::move(socket)), id(number) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
    std::size_t id;
  };

  struct state {
    state(asio::io_context& ioc, script handler) : acceptor(ioc), handle(std::move(handler)) {}
    tcp::acceptor acceptor;
    script handle;
    std::size_t accepts = 0;
    std::vector<seen_request> requests;
    std::vector<std::shared_ptr<session>> sessions;
  };

  static void accept(const std::shared_ptr<state>& s) {
    s->acceptor.async_accept([s](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto one = std::make_shared<session>(std::move(socket), ++s->accepts);
      s->sessions.push_back(one);
      read(s, one);
      accept(s);
    });
  }

  static void read(const std::shared_ptr<state>& s, const std::shared_ptr<session>& one) {
    one->request = {};
    http::async_read(one->stream, one->buffer, one->request,
                     [s, one](beast::error_code ec, std::size_t) {
                       if (ec) return;
                       answer(s, one);
                     });
  }

  static void answer(const std::shared_ptr<state>& s, const std::shared_ptr<session>& one) {
    seen_request seen{std::string(one->request.method_string()),
                      std::string(one->request.target()),
                      {},
                      one->request.body(),
                      one->id};
    for (const auto& field : one->request) {
      seen.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    s->requests.push_back(seen);
    const canned what = s->handle(seen);
    if (what.act == canned::action::hang) return;  // the session stays open in `sessions`
    if (what.act == canned::action::close) {
      beast::error_code ignored;
      one->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      one->stream.socket().close(ignored);
      return;
    }
    one->response = {};
    one->response.result(static_cast<unsigned>(what.status));
    one->response.version(11);
    one->response.set(http::field::content_type, what.content_type);
    one->response.keep_alive(one->request.keep_alive());
    one->response.body() = what.body;
    one->response.prepare_payload();
    http::async_write(one->stream, one->response,
                      [s, one, close = what.close_after](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (close) {
                          beast::error_code ignored;
                          one->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                          one->stream.socket().close(ignored);
                          return;
                        }
                        read(s, one);
                      });
  }

  std::shared_ptr<state> shared_;
  std::uint16_t port_ = 0;
};

/// Runs `ioc` one handler at a time until `finished()` holds; false if the context ran dry.
template <class Predicate>
bool run_until(asio::io_context& ioc, Predicate finished) {
  if (ioc.stopped()) ioc.restart();  // a context that ran out of work stops until restarted
  while (!finished()) {
    if (ioc.run_one() == 0) return false;
  }
  return true;
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
inline std::uint16_t refused_port(asio::io_context& ioc) {
  tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = probe.local_endpoint().port();
  probe.close();
  return port;
}

}  // namespace payorch::adapters::test
