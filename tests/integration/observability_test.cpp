/// Request ids, keep-alive, the health endpoints and the Prometheus metrics of a running server;
/// the journal's state in /health/deps on SQLite and on PostgreSQL.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <initializer_list>
#include <vector>

#include "tests/integration/store_support.hpp"
#include "tests/support/auth_client.hpp"

namespace payorch::testing {
namespace {

struct default_server {
  static process_options options() { return {}; }
};

class observability : public shared_server_test<default_server> {
 protected:
  /// POST /pods with `body` and the admin token of the suite's server (fetched once).
  static http_request create_pod(std::string body) {
    static const std::string token = admin_token(server());
    auto req = json_post("/pods", std::move(body));
    req.headers.emplace_back("Authorization", bearer(token));
    return req;
  }
};

http_request get_with_id(std::string target, std::string id) {
  http_request req;
  req.target = std::move(target);
  req.headers.emplace_back("X-Request-Id", std::move(id));
  return req;
}

bool is_generated_request_id(std::string_view id) {
  if (id.size() <= 4 || id.substr(0, 4) != "req_") return false;
  for (char c : id.substr(4))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Goal: a client's X-Request-Id is echoed, on successes and on errors alike.
TEST_F(observability, client_request_id_is_echoed) {
  auto ok = http_exchange(port(), get_with_id("/healthz", "trace-abc-123"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.header("X-Request-Id").value_or(""), "trace-abc-123");
  EXPECT_EQ(ok.header_count("X-Request-Id"), 1u);

  auto missing = http_exchange(port(), get_with_id("/nowhere", "trace-404"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("X-Request-Id").value_or(""), "trace-404");

  auto bad = create_pod("{");
  bad.headers.emplace_back("X-Request-Id", "trace-400");
  auto r = http_exchange(port(), bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("X-Request-Id").value_or(""), "trace-400");
}

/// Every byte the server sends on a new connection after `pieces`, sent one after another, until
/// it closes.
std::string raw_exchange(std::uint16_t port, std::initializer_list<std::string_view> pieces) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string got;
  bool sent = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  for (const std::string_view piece : pieces) {
    sent = sent && ::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL) ==
                       static_cast<ssize_t>(piece.size());
  }
  if (sent) {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return got;
}

// Goal: a response on the wire is an HTTP/1.x message byte for byte: the client's version and the
// status with its reason phrase, each field on a line of its own, a blank line, then exactly
// Content-Length bytes of body; an HTTP/1.0 request without keep-alive is answered and closed.
TEST_F(observability, responses_are_well_formed_on_the_wire) {
  for (const auto& [request, start] :
       {std::pair<std::string, std::string>{"GET /healthz HTTP/1.0\r\nX-Request-Id: wire-1\r\n\r\n",
                                            "HTTP/1.0 200 OK\r\n"},
        {"GET /nowhere HTTP/1.1\r\nHost: x\r\nX-Request-Id: wire-1\r\nConnection: "
         "close\r\n\r\n",
         "HTTP/1.1 404 Not Found\r\n"}}) {
    SCOPED_TRACE(request);
    const std::string wire = raw_exchange(port(), {request});
    ASSERT_EQ(wire.substr(0, start.size()), start) << wire;
    const auto end_of_head = wire.find("\r\n\r\n");
    ASSERT_NE(end_of_head, std::string::npos) << wire;
    const std::string head = wire.substr(0, end_of_head + 2);
    EXPECT_NE(head.find("\r\nServer: payorch\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("\r\nX-Request-Id: wire-1\r\n"), std::string::npos) << head;
    const auto length_at = head.find("\r\nContent-Length: ");
    ASSERT_NE(length_at, std::string::npos) << head;
    const std::size_t length = std::stoul(head.substr(length_at + 18));
    EXPECT_GT(length, 0U);
    EXPECT_EQ(wire.size() - (end_of_head + 4), length) << wire;  // the body, and nothing after it
  }
}

// Goal: HEAD is answered as GET would be, fields included (Content-Length the GET's), but without
// the body, as is a HEAD that finds nothing (404) or a path without GET (405, whose Allow names
// HEAD only beside GET); the next response on the same connection is read from its first byte.
TEST_F(observability, a_head_request_gets_the_fields_of_get_and_no_body) {
  const std::string get =
      raw_exchange(port(), {"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"});
  const auto get_head_end = get.find("\r\n\r\n");
  ASSERT_NE(get_head_end, std::string::npos) << get;
  const std::string get_body = get.substr(get_head_end + 4);
  ASSERT_FALSE(get_body.empty());

  const std::string wire = raw_exchange(
      port(), {"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
               "HEAD /oauth/token HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: "
               "x\r\nConnection: close\r\n\r\n"});
  std::vector<std::string> heads;
  std::size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    const auto end = wire.find("\r\n\r\n", at);
    ASSERT_NE(end, std::string::npos) << wire;
    heads.push_back(wire.substr(at, end + 4 - at));
    at = end + 4;  // no body follows a response to HEAD
  }
  EXPECT_EQ(heads[0].substr(0, 17), "HTTP/1.1 200 OK\r\n") << heads[0];
  EXPECT_NE(heads[0].find("\r\nContent-Length: " + std::to_string(get_body.size()) + "\r\n"),
            std::string::npos)
      << heads[0];
  EXPECT_EQ(heads[1].substr(0, 13), "HTTP/1.1 404 ") << heads[1];
  EXPECT_EQ(heads[2].substr(0, 13), "HTTP/1.1 405 ") << heads[2];
  EXPECT_NE(heads[2].find("\r\nAllow: POST\r\n"), std::string::npos) << heads[2];
  EXPECT_EQ(wire.substr(at, 17), "HTTP/1.1 200 OK\r\n") << wire;
  EXPECT_EQ(wire.substr(wire.size() - get_body.size()), get_body);
}

// Goal: a request's body is read whole whether it came with the head or after it, in one piece or
// several (the server finishes a request from what it buffered with the head, and reads the rest
// when there is more).
TEST_F(observability, a_body_is_read_whole_however_it_arrives) {
  const std::string token = admin_token(server());
  const std::string body(summer_trip_body);
  const std::string head = "POST /pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                           "\r\nContent-Type: application/json\r\nIdempotency-Key: ";
  const auto rest = [&](const std::string& key) {
    return key + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n";
  };
  const std::string whole = head + rest("whole") + body;
  EXPECT_EQ(raw_exchange(port(), {whole}).substr(0, 13), "HTTP/1.1 201 ");
  const std::string split_head = head + rest("split-1");
  EXPECT_EQ(raw_exchange(port(), {split_head, body.substr(0, 10), body.substr(10)}).substr(0, 13),
            "HTTP/1.1 201 ");
  const std::string half = head + rest("split-2") + body.substr(0, body.size() / 2);
  EXPECT_EQ(raw_exchange(port(), {half, body.substr(body.size() / 2)}).substr(0, 13),
            "HTTP/1.1 201 ");
  // Chunked, cut inside the chunk's size line.
  char size[17];
  std::snprintf(size, sizeof size, "%zx", body.size());
  const std::string chunked_head =
      head + "chunked\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + size[0];
  const std::string chunked_rest = std::string(size + 1) + "\r\n" + body + "\r\n0\r\n\r\n";
  EXPECT_EQ(raw_exchange(port(), {chunked_head, chunked_rest}).substr(0, 13), "HTTP/1.1 201 ");
}

// Goal: without a usable client id the server makes one (req_ + hex), distinct per request.
TEST_F(observability, request_id_is_generated_otherwise) {
  auto a = http_get(port(), "/healthz");
  auto b = http_get(port(), "/nowhere");
  ASSERT_EQ(a.status, 200) << a.error;
  ASSERT_EQ(b.status, 404) << b.error;
  const auto id_a = a.header("X-Request-Id").value_or("");
  const auto id_b = b.header("X-Request-Id").value_or("");
  EXPECT_TRUE(is_generated_request_id(id_a)) << id_a;
  EXPECT_TRUE(is_generated_request_id(id_b)) << id_b;
  EXPECT_NE(id_a, id_b);
  // An id with a space in it, or one too long, is replaced rather than echoed.
  auto spaced = http_exchange(port(), get_with_id("/healthz", "two words"));
  EXPECT_TRUE(is_generated_request_id(spaced.header("X-Request-Id").value_or("")));
  auto long_id = http_exchange(port(), get_with_id("/healthz", std::string(200, 'x')));
  EXPECT_TRUE(is_generated_request_id(long_id.header("X-Request-Id").value_or("")));
}

// Goal: one connection serves many requests in turn, errors included, until the client closes.
TEST_F(observability, keep_alive_serves_several_requests_on_one_connection) {
  http_connection c(port());
  ASSERT_TRUE(c.connected()) << c.error();
  const struct {
    const char* target;
    int status;
  } steps[] = {{"/healthz", 200}, {"/health/live", 200}, {"/readyz", 200}, {"/health/ready", 200},
               {"/nowhere", 404}, {"/health/deps", 200}, {"/metrics", 200}};
  for (const auto& step : steps) {
    SCOPED_TRACE(step.target);
    http_request req;
    req.target = step.target;
    auto r = c.exchange(req);
    ASSERT_EQ(r.status, step.status) << r.error << r.body;
    EXPECT_NE(r.header("Connection").value_or(""), "close");
  }
  auto created = c.exchange(create_pod(std::string(summer_trip_body)));
  EXPECT_EQ(created.status, 201) << created.error;
  // Connection: close is honoured: the server answers, then closes.
  http_request last;
  last.target = "/healthz";
  last.headers.emplace_back("Connection", "close");
  auto closing = c.exchange(last);
  EXPECT_EQ(closing.status, 200) << closing.error;
  EXPECT_EQ(closing.header("Connection").value_or(""), "close");
  EXPECT_TRUE(c.peer_closed());
}

// Goal: liveness and readiness answer 200 with a JSON status.
TEST_F(observability, liveness_and_readiness_are_200) {
  for (const char* target : {"/healthz", "/health/live"}) {
    auto r = http_get(port(), target);
    ASSERT_EQ(r.status, 200) << target << r.error;
    EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
    EXPECT_EQ(string_of(json_object_of(r), "status"), "ok");
  }
  for (const char* target : {"/readyz", "/health/ready"}) {
    auto r = http_get(port(), target);
    ASSERT_EQ(r.status, 200) << target << r.error;
    EXPECT_EQ(string_of(json_object_of(r), "status"), "ready");
  }
}

// Goal: /metrics is Prometheus text with per-route request counts and the batch-size histogram.
TEST_F(observability, metrics_are_prometheus_text) {
  ASSERT_EQ(http_get(port(), "/healthz").status, 200);
  ASSERT_EQ(http_get(port(), "/nowhere").status, 404);
  auto r = http_get(port(), "/metrics");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("Content-Type").value_or("").rfind("text/plain", 0), 0u);
  EXPECT_NE(r.body.find("# TYPE payorch_http_requests_total counter"), std::string::npos);
  EXPECT_NE(
      r.body.find(R"(payorch_http_requests_total{method="GET",route="/healthz",status="200"})"),
      std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"(route="unmatched",status="404"})"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("# TYPE payorch_journal_batch_size histogram"), std::string::npos);
  EXPECT_NE(r.body.find(R"(payorch_journal_batch_size_bucket{le="+Inf"})"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("payorch_journal_batch_size_count"), std::string::npos);
}

/// What the server reports of its journal, on each store.
// Goal: operators see one closed breaker per provider, in JSON and in /metrics; a token without
// the operator scope is 403 and no token 401.
TEST_F(observability, circuit_breakers_are_shown_to_operators_only) {
  http_request req;
  req.target = "/ops/circuit-breakers";
  req.headers.emplace_back("Authorization", bearer(admin_token(server(), "operator")));
  auto r = http_exchange(port(), req);
  ASSERT_EQ(r.status, 200) << r.body;
  auto list = json_object_of(r).at("circuit_breakers").as_array();
  std::vector<std::string> providers;
  for (const auto& b : list) {
    providers.push_back(string_of(b.as_object(), "provider"));
    EXPECT_EQ(string_of(b.as_object(), "state"), "closed");
  }
  EXPECT_EQ(providers, (std::vector<std::string>{"fx", "kyc", "psp", "rail", "risk", "sanctions"}));
  auto metrics = http_get(port(), "/metrics");
  EXPECT_NE(metrics.body.find(R"(payorch_circuit_breaker_state{provider="rail",state="closed"} 1)"),
            std::string::npos);

  req.headers = {{"Authorization", bearer(admin_token(server(), "crowdpod:*:admin"))}};
  expect_problem(http_exchange(port(), req), 403, "forbidden");
  expect_problem(http_get(port(), "/ops/circuit-breakers"), 401, "unauthorized");
}

class observability_journal : public shared_store_server_test<default_server> {};
INSTANTIATE_TEST_SUITE_P(stores, observability_journal, both_stores(), store_test_name);

// Goal: /health/deps reports the journal running on the configured backend, with counters that
// grow after a create.
TEST_P(observability_journal, deps_reports_the_journal_state) {
  auto appends = [&] {
    auto r = http_get(port(), "/health/deps");
    EXPECT_EQ(r.status, 200) << r.error << r.body;
    auto o = json_object_of(r);
    EXPECT_EQ(string_of(o, "status"), "ok");
    auto* j = o.if_contains("journal");
    if (!j || !j->is_object()) {
      ADD_FAILURE() << "no journal object: " << r.body;
      return std::int64_t{-1};
    }
    EXPECT_EQ(string_of(j->as_object(), "state"), "running");
    EXPECT_EQ(string_of(j->as_object(), "backend"), store_name(store()));
    auto* n = j->as_object().if_contains("appends");
    return n && n->is_int64() ? n->as_int64() : std::int64_t{-1};
  };
  const auto before = appends();
  ASSERT_GE(before, 0);
  auto create = json_post("/pods", std::string(summer_trip_body));
  create.headers.emplace_back("Authorization", bearer(admin_token(server())));
  ASSERT_EQ(http_exchange(port(), create).status, 201);
  EXPECT_GT(appends(), before);
}

}  // namespace
}  // namespace payorch::testing
