// The session's own response head, held to Beast's serializer byte for byte.
#include "gateway/http_wire.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/write.hpp>
#include <sstream>

namespace payorch::gateway {
namespace {

/// What Beast's serializer writes for `res`: its head and then its body.
std::string beast_wire(const http_response& res) {
  std::ostringstream out;
  out << res;
  return out.str();
}

// Goal: for every status, version and keep-alive setting the server uses, with the fields it sets
// (in the order it sets them) and with or without a body, the head plus the body is exactly what
// Beast's serializer writes; a reason phrase set on the response is written too.
TEST(http_wire, head_and_body_are_what_beast_writes) {
  const http::status statuses[] = {http::status::ok,
                                   http::status::created,
                                   http::status::accepted,
                                   http::status::bad_request,
                                   http::status::unauthorized,
                                   http::status::not_found,
                                   http::status::method_not_allowed,
                                   http::status::payload_too_large,
                                   http::status::request_header_fields_too_large,
                                   http::status::internal_server_error,
                                   http::status::service_unavailable,
                                   http::status::gateway_timeout};
  int checked = 0;
  for (const http::status status : statuses) {
    for (const unsigned version : {10U, 11U}) {
      for (const bool keep_alive : {true, false}) {
        for (const std::string body : {std::string(), std::string(R"({"pod_id":"pod_1"})")}) {
          http_response res{status, version};
          res.set(http::field::content_type, "application/problem+json");
          res.set(http::field::location, "/pods/pod_1");
          res.set(http::field::allow, "GET, POST");
          res.keep_alive(keep_alive);
          res.set(http::field::server, "payorch");
          res.set("X-Request-Id", "req_0123");
          res.body() = body;
          res.prepare_payload();
          std::string wire;
          append_head(wire, res);
          wire += res.body();
          EXPECT_EQ(wire, beast_wire(res)) << static_cast<unsigned>(status) << " HTTP/" << version;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 96);

  http_response reasoned{http::status::ok, 11};
  reasoned.reason("Fine Thanks");
  reasoned.body() = "x";
  reasoned.prepare_payload();
  std::string wire;
  append_head(wire, reasoned);
  EXPECT_EQ(wire.substr(0, 26), "HTTP/1.1 200 Fine Thanks\r\n");
  EXPECT_EQ(wire + reasoned.body(), beast_wire(reasoned));
}

// Goal: exactly the informational statuses, 204 and 304 go without content.
TEST(http_wire, only_1xx_204_and_304_are_bodiless) {
  for (unsigned status = 100; status < 600; ++status) {
    const bool expected = status < 200 || status == 204 || status == 304;
    EXPECT_EQ(bodiless_status(status), expected) << status;
  }
}

}  // namespace
}  // namespace payorch::gateway
