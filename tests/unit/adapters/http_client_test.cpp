// The HTTP client against a loopback server: answers, reuse, timeouts and transport errors.
#include "adapters/http_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <optional>
#include <thread>

#include "adapters/url.hpp"
#include "tests/unit/adapters/loopback_server.hpp"

namespace payorch::adapters {
namespace {

namespace asio = boost::asio;
using test::canned;
using test::loopback_server;
using test::run_until;
using test::seen_request;

/// Sends `call` and runs the context until its answer arrives.
http_answer send_and_wait(asio::io_context& ioc, http_client& client, http_call call) {
  std::optional<http_answer> answer;
  client.send(std::move(call), [&](http_answer a) { answer = std::move(a); });
  EXPECT_TRUE(run_until(ioc, [&] { return answer.has_value(); }));
  return answer.value_or(http_answer{});
}

http_call get(std::string url) {
  http_call call;
  call.url = std::move(url);
  return call;
}

// Goal: a request reaches the server with its method, target, headers and body, and the answer
// comes back with status, headers and body.
TEST(http_client, round_trip) {
  asio::io_context ioc;
  loopback_server server(ioc, [](const seen_request& r) {
    return canned::json(201, "{\"echo\":\"" + r.body + "\"}");
  });
  http_client client(ioc);
  http_call call;
  call.method = "POST";
  call.url = server.url("/fx/v1/quotes?x=1");
  call.headers = {
      {"Content-Type", "application/json"}, {"Idempotency-Key", "k-1"}, {"Host", "ignored"}};
  call.body = "abc";
  auto answer = send_and_wait(ioc, client, call);
  EXPECT_EQ(answer.transport_error, "");
  EXPECT_EQ(answer.status, 201);
  EXPECT_EQ(answer.body, "{\"echo\":\"abc\"}");
  EXPECT_EQ(answer.header("content-TYPE"), "application/json");
  EXPECT_EQ(answer.header("x-missing"), std::nullopt);
  ASSERT_EQ(server.requests().size(), 1u);
  const auto& seen = server.requests()[0];
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/fx/v1/quotes?x=1");
  EXPECT_EQ(seen.body, "abc");
  EXPECT_EQ(seen.header("idempotency-key"), "k-1");
  EXPECT_EQ(seen.header("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen.header("content-length"), "3");
}

// Goal: sequential calls to one host:port share one keep-alive connection.
TEST(http_client, keep_alive_reuses_the_connection) {
  asio::io_context ioc;
  loopback_server server(ioc, [](const seen_request&) { return canned::json(200, "{}"); });
  http_client client(ioc);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(send_and_wait(ioc, client, get(server.url("/a"))).status, 200);
  }
  EXPECT_EQ(server.accepts(), 1u);
  EXPECT_EQ(server.requests().size(), 5u);
}

// Goal: with reuse disabled, every call opens its own connection.
TEST(http_client, no_idle_pool_means_no_reuse) {
  asio::io_context ioc;
  loopback_server server(ioc, [](const seen_request&) { return canned::json(200, "{}"); });
  http_client client(ioc, {.max_idle_per_host = 0});
  for (int i = 0; i < 3; ++i) send_and_wait(ioc, client, get(server.url("/a")));
  EXPECT_EQ(server.accepts(), 3u);
}

// Goal: concurrent calls open parallel connections, and the pool keeps no more than its bound.
TEST(http_client, concurrent_calls_and_the_idle_bound) {
  asio::io_context ioc;
  loopback_server server(ioc, [](const seen_request&) { return canned::json(200, "{}"); });
  http_client client(ioc, {.max_idle_per_host = 2});
  int answered = 0;
  for (int i = 0; i < 4; ++i) {
    client.send(get(server.url("/a")), [&](const http_answer& a) {
      EXPECT_EQ(a.status, 200);
      ++answered;
    });
  }
  ASSERT_TRUE(run_until(ioc, [&] { return answered == 4; }));
  EXPECT_EQ(server.accepts(), 4u);
  // Four more in parallel: two reuse the parked connections, two open new ones.
  answered = 0;
  for (int i = 0; i < 4; ++i) {
    client.send(get(server.url("/b")), [&](const http_answer&) { ++answered; });
  }
  ASSERT_TRUE(run_until(ioc, [&] { return answered == 4; }));
  EXPECT_EQ(server.accepts(), 6u);
}

// Goal: a connection the server closed while idle is noticed, and a fresh one carries the call.
TEST(http_client, server_closed_idle_connection_is_replaced) {
  asio::io_context ioc;
  loopback_server server(ioc, [](const seen_request&) {
    canned c = canned::json(200, "{}");
    c.close_after = true;  // closes without announcing it, as an idle timeout on the server does
    return c;
  });
  http_client client(ioc);
  EXPECT_EQ(send_and_wait(ioc, client, get(server.url("/a"))).status, 200);
  http_call post;
  post.method = "POST";
  post.url = server.url("/b");
  post.body = "{}";
  auto answer = send_and_wait(ioc, client, post);
  EXPECT_EQ(answer.transport_error, "");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(server.accepts(), 2u);
  EXPECT_EQ(server.requests().size(), 2u);  // the POST was sent once
}

// Goal: when a reused connection drops a request after it was sent, a GET is repeated once on a
// fresh connection, and a POST is not (the server may have acted on it).
TEST(http_client, dropped_request_is_repeated_only_when_idempotent) {
  asio::io_context ioc;
  // The second request on every connection is dropped without an answer.
  loopback_server server(ioc, [&](const seen_request& r) {
    std::size_t on_this_connection = 0;
    for (const auto& seen : server.requests())
      on_this_connection += seen.connection == r.connection;
    return on_this_connection == 2 ? canned::close() : canned::json(200, "{}");
  });
  http_client client(ioc);
  EXPECT_EQ(send_and_wait(ioc, client, get(server.url("/1"))).status, 200);
  auto repeated = send_and_wait(ioc, client, get(server.url("/2")));
  EXPECT_EQ(repeated.status, 200) << repeated.transport_error;
  EXPECT_EQ(server.accepts(), 2u);
  EXPECT_EQ(server.requests().size(), 3u);

  http_call post;
  post.method = "POST";
  post.url = server.url("/3");
  auto dropped = send_and_wait(ioc, client, post);
  EXPECT_EQ(dropped.status, 0);
  EXPECT_EQ(dropped.transport_error, "connection_reset");
  EXPECT_EQ(server.accepts(), 2u);
  EXPECT_EQ(server.requests().size(), 4u);
}

// Goal: a server that never answers ends the attempt with "timeout".
TEST(http_client, silent_server_times_out) {
  asio::io_context ioc;
  loopback_server server(ioc, [](const seen_request&) { return canned::hang(); });
  http_client client(ioc);
  http_call call = get(server.url("/slow"));
  call.timeout = std::chrono::milliseconds(30);
  auto answer = send_and_wait(ioc, client, call);
  EXPECT_EQ(answer.status, 0);
  EXPECT_EQ(answer.transport_error, "timeout");
}

// Goal: nothing listening is "connect_refused"; a malformed URL is "bad_url", answered on the
// io_context rather than inside send.
TEST(http_client, refused_and_bad_urls) {
  asio::io_context ioc;
  http_client client(ioc);
  const auto port = test::refused_port(ioc);
  auto refused = send_and_wait(ioc, client, get("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(refused.transport_error, "connect_refused");
  EXPECT_EQ(refused.status, 0);
  for (std::string bad : {"", "https://127.0.0.1/", "ftp://x/", "http://", "http://:80/",
                          "http://u@h/", "http://h:0/", "http://h:99999/", "http://h/a b"}) {
    bool answered_inside_send = false;
    bool in_send = true;
    std::optional<http_answer> answer;
    client.send(get(bad), [&](http_answer a) {
      answered_inside_send = in_send;
      answer = std::move(a);
    });
    in_send = false;
    ASSERT_TRUE(run_until(ioc, [&] { return answer.has_value(); }));
    EXPECT_FALSE(answered_inside_send) << bad;
    EXPECT_EQ(answer->transport_error, "bad_url") << bad;
  }
}

// Goal: an answer that is not HTTP is "bad_response".
TEST(http_client, garbage_answer_is_bad_response) {
  asio::io_context ioc;
  test::tcp::acceptor acceptor(ioc, test::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  test::tcp::socket peer(ioc);
  std::string junk = "NOT HTTP AT ALL\r\n\r\n";
  acceptor.async_accept(peer, [&](test::beast::error_code ec) {
    if (!ec) asio::write(peer, asio::buffer(junk), ec);
  });
  http_client client(ioc);
  auto answer = send_and_wait(
      ioc, client, get("http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port())));
  EXPECT_EQ(answer.transport_error, "bad_response");
}

/// The answer of a server that writes `raw` as soon as it accepts a connection.
http_answer answer_of_raw(const std::string& raw) {
  asio::io_context ioc;
  test::tcp::acceptor acceptor(ioc, test::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  test::tcp::socket peer(ioc);
  acceptor.async_accept(peer, [&](test::beast::error_code ec) {
    if (!ec) asio::write(peer, asio::buffer(raw), ec);
  });
  http_client client(ioc);
  return send_and_wait(ioc, client,
                       get("http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port())));
}

// Goal: interim answers (102, 103) are read past: the call gets the final answer, never the
// interim one (which would leave the final answer for the next call on the connection); a 101
// nobody asked for ends the call.
TEST(http_client, interim_answers_are_read_past) {
  auto answer = answer_of_raw(
      "HTTP/1.1 102 Processing\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
      "{\"final\":1}");
  EXPECT_EQ(answer.transport_error, "");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "{\"final\":1}");

  auto upgraded = answer_of_raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n");
  EXPECT_EQ(upgraded.transport_error, "unexpected_interim_answer");
  std::string endless;
  for (int i = 0; i < 9; ++i) endless += "HTTP/1.1 102 Processing\r\n\r\n";
  EXPECT_EQ(answer_of_raw(endless).transport_error, "unexpected_interim_answer");
}

// Goal: calls sent from several threads, completed on several io threads, all get their own
// answer exactly once, and the pool stays within its bound.
TEST(http_client, many_threads_share_one_client) {
  asio::io_context server_ioc;
  loopback_server server(server_ioc,
                         [](const seen_request& r) { return canned::json(200, r.target); });
  std::thread server_thread([&] { server_ioc.run(); });

  asio::io_context ioc;
  auto work = asio::make_work_guard(ioc);
  std::vector<std::thread> io_threads;
  io_threads.reserve(2);
  for (int i = 0; i < 2; ++i) io_threads.emplace_back([&] { ioc.run(); });
  {
    http_client client(ioc, {.max_idle_per_host = 4});
    constexpr int per_sender = 100;
    std::atomic<int> answered{0};
    std::atomic<int> wrong{0};
    std::promise<void> all_done;
    auto send_some = [&](int sender) {
      for (int i = 0; i < per_sender; ++i) {
        std::string target = "/s" + std::to_string(sender) + "/" + std::to_string(i);
        client.send(get(server.url(target)), [&, target](const http_answer& a) {
          if (a.status != 200 || a.body != target) ++wrong;
          if (++answered == 2 * per_sender) all_done.set_value();
        });
      }
    };
    std::thread first(send_some, 1);
    std::thread second(send_some, 2);
    first.join();
    second.join();
    all_done.get_future().wait();
    EXPECT_EQ(wrong.load(), 0);
  }
  work.reset();
  for (auto& t : io_threads) t.join();
  server_ioc.stop();
  server_thread.join();
  EXPECT_EQ(server.requests().size(), 200u);
  EXPECT_GE(server.accepts(), 1u);
  EXPECT_LE(server.accepts(), 200u);
}

// Goal: URLs are taken apart into host, port and target; IPv6 keeps no brackets.
TEST(url, parse_and_join) {
  auto a = parse_http_url("http://example.com:8080/x/y?q=1#frag");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "example.com");
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->target, "/x/y?q=1");
  EXPECT_EQ(a->host_header(), "example.com:8080");
  auto b = parse_http_url("HTTP://[::1]?z");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 80);
  EXPECT_EQ(b->target, "/?z");
  EXPECT_EQ(b->pool_key(), "[::1]:80");
  EXPECT_EQ(b->host_header(), "[::1]");
  EXPECT_FALSE(parse_http_url("http://[::1/"));
  EXPECT_FALSE(parse_http_url("http://[::1]x/"));
  EXPECT_FALSE(parse_http_url("http://h:/"));
  EXPECT_EQ(join_url("http://h:1/", "/fx/v1"), "http://h:1/fx/v1");
  EXPECT_EQ(join_url("http://h:1/base", "/fx"), "http://h:1/base/fx");
  EXPECT_EQ(percent_encode("a b/c~_-.é"), "a%20b%2Fc~_-.%C3%A9");
}

}  // namespace
}  // namespace payorch::adapters
