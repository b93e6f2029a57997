/// Every 4xx the default server answers for bad input, routing and media type, as problem+json.

#include "tests/integration/integration_support.hpp"
#include "tests/support/auth_client.hpp"

namespace payorch::testing {
namespace {

struct default_server {
  static process_options options() { return {}; }
};

class problems : public shared_server_test<default_server> {
 protected:
  /// `req` with the admin token of the suite's server (fetched once).
  static http_request authorized(http_request req) {
    static const std::string token = admin_token(server());
    req.headers.emplace_back("Authorization", bearer(token));
    return req;
  }

  static http_reply get(std::string target) {
    http_request req;
    req.target = std::move(target);
    return http_exchange(port(), authorized(std::move(req)));
  }

  http_reply post_pod(std::string body) {
    return http_exchange(port(), authorized(json_post("/pods", std::move(body))));
  }

  /// A pod that exists, for the routes that need one.
  std::string existing_pod() {
    auto r = post_pod(std::string(summer_trip_body));
    EXPECT_EQ(r.status, 201) << r.error << r.body;
    return string_of(json_object_of(r), "pod_id");
  }
};

// Goal: a body that is not JSON, or not an object, is 400 malformed_json; valid JSON is accepted.
TEST_F(problems, malformed_json_is_400) {
  expect_problem(post_pod(R"({"name":"Trip","currency":)"), 400, "malformed_json");
  expect_problem(post_pod("{\"name\":\"a\",}"), 400, "malformed_json");
  expect_problem(post_pod(R"([1,2])"), 400, "malformed_json");
  expect_problem(post_pod(""), 400, "malformed_json");
  EXPECT_EQ(post_pod(std::string(summer_trip_body)).status, 201);
}

// Goal: a member of the wrong JSON type is 400 naming the member by its path.
TEST_F(problems, wrong_field_type_names_the_field) {
  expect_problem(post_pod(pod_body(R"("EUR")", "5000", R"("0.66")", R"("STANDARD")")), 400,
                 "invalid_field", "policy.voting_quorum");
  expect_problem(post_pod(pod_body(R"("EUR")", R"("5000")", "0.66", R"("STANDARD")")), 400,
                 "invalid_field", "policy.spending_limit");
  expect_problem(post_pod(pod_body("978", "5000", "0.66", R"("STANDARD")")), 400, "invalid_field",
                 "currency");
  expect_problem(post_pod(R"({"name":"Trip","currency":"EUR","policy":[]})"), 400, "invalid_field",
                 "policy");
}

// Goal: a missing or unknown member is 400 naming it.
TEST_F(problems, missing_or_unknown_field_is_400) {
  expect_problem(post_pod(R"({"name":"Trip","policy":{"spending_limit":1,"voting_quorum":0.5,)"
                          R"("risk_tier":"LOW"}})"),
                 400, "invalid_field", "currency");
  expect_problem(post_pod(R"({"name":"Trip","currency":"EUR","policy":{"spending_limit":1,)"
                          R"("voting_quorum":0.5}})"),
                 400, "invalid_field", "policy.risk_tier");
  expect_problem(post_pod(R"({"name":"Trip","currency":"EUR"})"), 400, "invalid_field", "policy");
  expect_problem(post_pod(R"({"name":"Trip","currency":"EUR","colour":"red","policy":)"
                          R"({"spending_limit":1,"voting_quorum":0.5,"risk_tier":"LOW"}})"),
                 400, "invalid_field", "colour");
}

// Goal: a quorum outside (0, 1] is 400 invalid_quorum; exactly 1 is accepted.
TEST_F(problems, quorum_out_of_range_is_400) {
  for (const char* q : {"0", "1.5", "-0.5", "0.0"}) {
    SCOPED_TRACE(q);
    expect_problem(post_pod(pod_body(R"("EUR")", "5000", q, R"("STANDARD")")), 400,
                   "invalid_quorum", "policy.voting_quorum");
  }
  EXPECT_EQ(post_pod(pod_body(R"("EUR")", "5000", "1", R"("STANDARD")")).status, 201);
}

// Goal: a currency ISO 4217 does not list is 400 naming `currency`; a lowercase code too.
TEST_F(problems, unknown_currency_is_400) {
  for (const char* c : {R"("ABC")", R"("eur")", R"("")", R"("EURO")"}) {
    SCOPED_TRACE(c);
    expect_problem(post_pod(pod_body(c, "5000", "0.66", R"("STANDARD")")), 400, "unknown_currency",
                   "currency");
  }
  EXPECT_EQ(post_pod(pod_body(R"("JPY")", "5000", "0.66", R"("STANDARD")")).status, 201);
}

// Goal: a negative spending limit is 400; zero is accepted.
TEST_F(problems, negative_spending_limit_is_400) {
  expect_problem(post_pod(pod_body(R"("EUR")", "-1", "0.66", R"("STANDARD")")), 400,
                 "invalid_spending_limit", "policy.spending_limit");
  expect_problem(post_pod(pod_body(R"("EUR")", "-0.01", "0.66", R"("STANDARD")")), 400,
                 "invalid_spending_limit", "policy.spending_limit");
  EXPECT_EQ(post_pod(pod_body(R"("EUR")", "0", "0.66", R"("STANDARD")")).status, 201);
}

// Goal: a risk tier other than LOW, STANDARD, HIGH is 400 naming `policy.risk_tier`.
TEST_F(problems, unknown_risk_tier_is_400) {
  for (const char* t : {R"("EXTREME")", R"("standard")", R"("")"}) {
    SCOPED_TRACE(t);
    expect_problem(post_pod(pod_body(R"("EUR")", "5000", "0.66", t)), 400, "unknown_risk_tier",
                   "policy.risk_tier");
  }
  EXPECT_EQ(post_pod(pod_body(R"("EUR")", "5000", "0.66", R"("HIGH")")).status, 201);
}

// Goal: more decimals than the currency's minor unit is 400; exactly as many is accepted.
TEST_F(problems, too_many_decimals_for_the_currency_is_400) {
  expect_problem(post_pod(pod_body(R"("EUR")", "10.001", "0.66", R"("STANDARD")")), 400,
                 "invalid_spending_limit", "policy.spending_limit");
  expect_problem(post_pod(pod_body(R"("JPY")", "1.5", "0.66", R"("STANDARD")")), 400,
                 "invalid_spending_limit", "policy.spending_limit");
  EXPECT_EQ(post_pod(pod_body(R"("EUR")", "10.01", "0.66", R"("STANDARD")")).status, 201);
  EXPECT_EQ(post_pod(pod_body(R"("KWD")", "10.001", "0.66", R"("STANDARD")")).status, 201);
}

// Goal: a path no route serves is 404 not_found with no `Allow`.
TEST_F(problems, unknown_route_is_404) {
  auto r = http_get(port(), "/no/such/thing");
  expect_problem(r, 404, "not_found");
  EXPECT_FALSE(r.header("Allow").has_value());
  expect_problem(http_get(port(), "/podsx"), 404, "not_found");
}

// Goal: a well-formed pod id nobody created, or a malformed one, is 404; an existing one is 200.
TEST_F(problems, unknown_pod_is_404) {
  expect_problem(get("/pods/pod_0123456789abcdef"), 404, "not_found", "pod_id");
  expect_problem(get("/pods/not-a-pod-id"), 404, "not_found", "pod_id");
  EXPECT_EQ(get("/pods/" + existing_pod()).status, 200);
}

// Goal: a known path with a method it does not serve is 405 listing the allowed ones.
TEST_F(problems, wrong_method_is_405_with_allow) {
  http_request del;
  del.method = "DELETE";
  del.target = "/pods/" + existing_pod();
  auto r = http_exchange(port(), del);
  expect_problem(r, 405, "method_not_allowed");
  EXPECT_EQ(r.header("Allow").value_or(""), "GET, HEAD");  // HEAD goes wherever GET does

  http_request put_pods;
  put_pods.method = "PUT";
  put_pods.target = "/pods";
  auto g = http_exchange(port(), put_pods);
  expect_problem(g, 405, "method_not_allowed");
  const auto allow = g.header("Allow").value_or("");
  EXPECT_TRUE(allow == "GET, HEAD, POST" || allow == "POST, GET, HEAD") << allow;

  auto p = http_exchange(port(), json_post("/healthz", "{}"));
  expect_problem(p, 405, "method_not_allowed");
  EXPECT_EQ(p.header("Allow").value_or(""), "GET, HEAD");
}

// Goal: a body that is not application/json is 415 naming Content-Type; a charset is accepted.
TEST_F(problems, wrong_content_type_is_415) {
  auto text = json_post("/pods", std::string(summer_trip_body));
  text.headers = {{"Content-Type", "text/plain"}};
  expect_problem(http_exchange(port(), authorized(text)), 415, "unsupported_media_type",
                 "Content-Type");

  auto none = json_post("/pods", std::string(summer_trip_body));
  none.headers.clear();
  expect_problem(http_exchange(port(), authorized(none)), 415, "unsupported_media_type",
                 "Content-Type");

  auto charset = json_post("/pods", std::string(summer_trip_body));
  charset.headers = {{"Content-Type", "Application/JSON; charset=utf-8"},
                     {"Idempotency-Key", "charset-1"}};
  EXPECT_EQ(http_exchange(port(), authorized(charset)).status, 201);
}

}  // namespace
}  // namespace payorch::testing
