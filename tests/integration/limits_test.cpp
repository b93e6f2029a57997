/// The configured request limits: 413 for a large body, 431 for large or many headers.

#include <cstdio>

#include "tests/integration/integration_support.hpp"
#include "tests/support/auth_client.hpp"

namespace payorch::testing {
namespace {

constexpr std::size_t body_limit = 1024;
constexpr std::size_t header_bytes_limit = 4096;
constexpr std::size_t header_count_limit = 8;

struct low_limits {
  static process_options options() {
    process_options o;
    o.config_toml = "[http]\nmax_body_bytes = " + std::to_string(body_limit) +
                    "\nmax_header_bytes = " + std::to_string(header_bytes_limit) +
                    "\nmax_header_count = " + std::to_string(header_count_limit) + "\n";
    return o;
  }
};

class limits : public shared_server_test<low_limits> {};

/// The example pod padded with trailing whitespace (still valid JSON) to exactly `size` bytes.
std::string pod_body_of_size(std::size_t size) {
  std::string body(summer_trip_body);
  body.append(size - body.size(), ' ');
  return body;
}

/// GET /healthz with `extra` header fields after Host.
http_request healthz_with(header_list extra) {
  http_request req;
  req.target = "/healthz";
  req.headers = std::move(extra);
  return req;
}

// Goal: a body of exactly the limit is accepted; one byte more is 413 and the connection closes.
TEST_F(limits, body_over_max_body_bytes_is_413) {
  auto at_limit = json_post("/pods", pod_body_of_size(body_limit));
  at_limit.headers.emplace_back("Authorization", bearer(admin_token(server())));
  EXPECT_EQ(http_exchange(port(), at_limit).status, 201);

  http_connection c(port());
  ASSERT_TRUE(c.connected()) << c.error();
  // Only the head is sent: the server must refuse on Content-Length without reading the body.
  auto req = json_post("/pods", pod_body_of_size(body_limit + 1));
  auto head = serialise(req, port());
  head.resize(head.size() - req.body.size());
  expect_problem(c.exchange_raw(head), 413, "body_too_large");
  EXPECT_TRUE(c.peer_closed());
}

// Goal: a chunked body that grows past the limit is 413 too (no Content-Length to refuse early).
TEST_F(limits, chunked_body_over_max_body_bytes_is_413) {
  auto req = json_post("/pods", "");
  req.content_length = false;
  req.headers.emplace_back("Transfer-Encoding", "chunked");
  std::string body = pod_body_of_size(body_limit + 100);
  char size_hex[16];
  std::snprintf(size_hex, sizeof size_hex, "%zx", body.size());
  req.body = std::string(size_hex) + "\r\n" + body + "\r\n0\r\n\r\n";
  expect_problem(http_exchange(port(), req), 413, "body_too_large");
}

// Goal: headers over max_header_bytes are 431; headers just under it are served.
TEST_F(limits, headers_over_max_header_bytes_are_431) {
  auto ok = http_exchange(port(), healthz_with({{"X-Padding", std::string(3000, 'a')}}));
  EXPECT_EQ(ok.status, 200) << ok.error << ok.body;

  http_connection c(port());
  ASSERT_TRUE(c.connected()) << c.error();
  auto big = c.exchange(healthz_with({{"X-Padding", std::string(header_bytes_limit, 'a')}}));
  expect_problem(big, 431, "header_too_large");
  EXPECT_TRUE(c.peer_closed());
}

// Goal: exactly max_header_count fields are served; one more is 431 too_many_headers.
TEST_F(limits, more_headers_than_max_header_count_are_431) {
  header_list fields;
  for (std::size_t i = 1; i < header_count_limit; ++i)  // plus Host makes the limit
    fields.emplace_back("X-Field-" + std::to_string(i), "v");
  auto ok = http_exchange(port(), healthz_with(fields));
  EXPECT_EQ(ok.status, 200) << ok.error << ok.body;

  fields.emplace_back("X-Field-extra", "v");
  http_connection c(port());
  ASSERT_TRUE(c.connected()) << c.error();
  expect_problem(c.exchange(healthz_with(fields)), 431, "too_many_headers");
  EXPECT_TRUE(c.peer_closed());
}

// Goal: a request whose Transfer-Encoding does not end in chunked has no knowable length: it is
// 400 and the connection closes, so its body is never read as another request.
TEST_F(limits, transfer_encoding_without_chunked_is_400) {
  http_connection c(port());
  ASSERT_TRUE(c.connected()) << c.error();
  expect_problem(c.exchange_raw("POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
                                "Transfer-Encoding: gzip\r\n\r\n"
                                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
                 400, "malformed_request");
  EXPECT_TRUE(c.peer_closed());
}

// Goal: a path parameter that is not UTF-8 echoed in an error keeps the problem valid JSON.
TEST_F(limits, a_path_that_is_not_utf8_gets_a_valid_problem) {
  http_request req;
  req.target = "/pods/pod_%FF";
  req.headers.emplace_back("Authorization", bearer(admin_token(server())));
  expect_problem(http_exchange(port(), req), 404, "not_found", "pod_id");
}

}  // namespace
}  // namespace payorch::testing
