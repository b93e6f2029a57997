// The HTTP listener in this process, on a loopback port, with routes of the test's own: what
// the session does with a request its handler drops, with Expect: 100-continue, chunked trailers
// and extensions, a refused body the client keeps sending, and a drain.
#include "gateway/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include "gateway/exchange.hpp"
#include "tests/support/http_client.hpp"

namespace payorch::testing {
namespace {

namespace asio = boost::asio;
namespace http = gateway::http;
using namespace std::chrono_literals;

/// A blocking loopback socket for bytes the test spells itself.
class raw_socket {
 public:
  explicit raw_socket(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~raw_socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;

  bool connected() const { return fd_ >= 0; }

  /// Sends all of `bytes`; false when the peer refused them (reset, closed).
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads until `text` has arrived (true), or the peer closed, reset or went quiet for 5 s.
  bool read_until(std::string_view text) {
    while (received_.find(text) == std::string::npos) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return false;
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      received_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
};

class http_server_test : public ::testing::Test {
 protected:
  void SetUp() override {
    routes_.add(http::verb::post, "/echo", [](const gateway::exchange_ptr& ex) {
      ex->reply_json(http::status::ok, "{\"bytes\":" + std::to_string(ex->request().body().size()) +
                                           ",\"key\":\"" +
                                           std::string(ex->request()["Idempotency-Key"]) + "\"}");
    });
    // A handler that lets its exchange go without replying (as a continuation that threw).
    routes_.add(http::verb::get, "/dropped", [](const gateway::exchange_ptr&) {});
    // The server's count of requests in flight, this one included, as its handler sees it.
    routes_.add(http::verb::get, "/in_flight", [this](const gateway::exchange_ptr& ex) {
      ex->reply_json(http::status::ok, std::to_string(server_->in_flight()));
    });
    gateway::server_options options;
    options.port = 0;
    options.max_body_bytes = 64 * 1024;
    options.request_timeout = 5s;
    server_.emplace(ioc_, options, routes_, metrics_);
    std::string error;
    ASSERT_TRUE(server_->listen(&error)) << error;
    server_->start_accepting();
    thread_ = std::thread([this] { ioc_.run(); });
  }

  void TearDown() override {
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::uint16_t port() const { return server_->port(); }

  asio::io_context ioc_;
  gateway::route_table routes_;
  gateway::http_metrics metrics_;
  std::optional<gateway::http_server> server_;
  std::thread thread_;
};

// Goal: a request its handler drops without a reply is answered 500 (not left to a deadline
// that a dropped exchange can no longer reach), and the connection serves on.
TEST_F(http_server_test, a_dropped_request_is_answered_500) {
  http_connection c{port()};
  ASSERT_TRUE(c.connected()) << c.error();
  auto r = c.exchange({.method = "GET", .target = "/dropped"});
  EXPECT_EQ(r.status, 500) << r.error;  // not a 504 from the deadline, nor a closed connection
  EXPECT_NE(r.body.find("\"code\":\"internal_error\""), std::string::npos) << r.body;
  // The connection serves on, and the session reads its next request only once the 500 is
  // written, which is when the dropped request leaves the count: the next handler sees itself
  // alone in flight.
  auto again = c.exchange({.method = "GET", .target = "/in_flight"});
  EXPECT_EQ(again.status, 200) << again.error;
  EXPECT_EQ(again.body, "1");
}

// Goal: a client that waits for 100 Continue is told to go on, and its body is read.
TEST_F(http_server_test, expect_100_continue_is_answered) {
  raw_socket s{port()};
  ASSERT_TRUE(s.connected());
  ASSERT_TRUE(
      s.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  ASSERT_TRUE(s.read_until("\r\n\r\n")) << s.received();
  EXPECT_EQ(s.received(), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(s.send("{}"));
  ASSERT_TRUE(s.read_until("\"bytes\":2")) << s.received();
  EXPECT_NE(s.received().find("HTTP/1.1 200 OK\r\n"), std::string::npos) << s.received();
}

// Goal: a chunked body's trailer cannot add fields to the head the handler reads (400), and a
// chunk size line longer than the session buffers is refused instead of buffered without end.
TEST_F(http_server_test, chunked_trailers_and_endless_chunk_lines_are_refused) {
  {
    raw_socket s{port()};
    ASSERT_TRUE(s.connected());
    ASSERT_TRUE(
        s.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n"
               "Idempotency-Key: from-the-trailer\r\n\r\n"));
    ASSERT_TRUE(s.read_until("\r\n\r\n")) << s.received();
    EXPECT_EQ(s.received().rfind("HTTP/1.1 400 ", 0), 0u) << s.received();
    s.read_until("trailer fields are not accepted");
    EXPECT_NE(s.received().find("trailer fields are not accepted"), std::string::npos);
    EXPECT_EQ(s.received().find("from-the-trailer"), std::string::npos);
  }
  {
    // Without a trailer the same body is fine.
    raw_socket s{port()};
    ASSERT_TRUE(
        s.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\nIdempotency-Key: k\r\n\r\n2\r\n{}\r\n0\r\n\r\n"));
    ASSERT_TRUE(s.read_until("\"key\":\"k\"")) << s.received();
  }
  raw_socket s{port()};
  ASSERT_TRUE(
      s.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n2;"));
  const std::string extension(16 * 1024, 'x');
  for (int i = 0; i < 16 && s.send(extension); ++i) {
  }
  ASSERT_TRUE(s.read_until("\r\n\r\n")) << s.received();
  EXPECT_EQ(s.received().rfind("HTTP/1.1 400 ", 0), 0u) << s.received();
}

// Goal: a body refused 413 while the client is still sending it: the client reads the 413 (the
// server drains what it sends instead of resetting the connection under it).
TEST_F(http_server_test, a_refused_body_still_gets_its_answer) {
  raw_socket s{port()};
  ASSERT_TRUE(s.connected());
  ASSERT_TRUE(
      s.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n"));
  // Chunks past the 64 KiB limit, then more, as a client that uploads all before it reads: a
  // connection reset under it would fail these sends, and it would never see the answer.
  const std::string chunk = "4000\r\n" + std::string(0x4000, 'a') + "\r\n";
  for (int i = 0; i < 256; ++i) ASSERT_TRUE(s.send(chunk)) << "chunk " << i;
  ASSERT_TRUE(s.send("0\r\n\r\n"));
  ASSERT_TRUE(s.read_until("\r\n\r\n")) << s.received();
  EXPECT_EQ(s.received().rfind("HTTP/1.1 413 ", 0), 0u) << s.received();
  EXPECT_TRUE(s.read_until("body_too_large")) << s.received();
}

// Goal: once a drain has begun and its continuation runs, the listener is closed: a new
// connection is refused rather than accepted and never answered.
TEST_F(http_server_test, a_drain_closes_the_listener_before_going_on) {
  const auto listening = port();
  std::promise<bool> refused;
  asio::post(ioc_, [&] {
    server_->begin_drain([&] {
      raw_socket s{listening};
      refused.set_value(!s.connected());
    });
  });
  auto answer = refused.get_future();
  ASSERT_EQ(answer.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(answer.get());
}

}  // namespace
}  // namespace payorch::testing
