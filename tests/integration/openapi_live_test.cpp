/// Live answers of the real binary held to the OpenAPI document (gateway/openapi.json): path,
/// operation, status, media type, documented headers and body schema.
///
/// Routes whose answers come from the journal (pods, members, pledges, the ledger, events,
/// health) run on SQLite and on PostgreSQL; routes the HTTP layer answers by itself (the
/// document, metrics, refusals before any read, OAuth, JWKS) run on SQLite only. Requests to
/// /pods carry the bootstrap operator's bearer token (tests/support/auth_client.hpp).

#include <algorithm>

#include "tests/integration/store_support.hpp"
#include "tests/support/auth_client.hpp"
#include "tests/integration/openapi_support.hpp"
#include "tests/support/openapi_check.hpp"

namespace payorch::testing {
namespace {

namespace json = boost::json;

const json::value& document() {
  return openapi_document();
}

struct default_server {
  static process_options options() { return {}; }
};

/// The checks and requests of both suites below, over `Base`'s shared server (`port()`,
/// `server()`).
template <class Base>
class openapi_suite : public Base {
 protected:
  /// `req` with the operator's bearer token (fetched once per test).
  http_request authorised(http_request req) {
    if (token_.empty()) token_ = bearer(admin_token(this->server()));
    req.headers.emplace_back("Authorization", token_);
    return req;
  }

  /// A fresh Idempotency-Key (a counter: unique within the process, so on each server).
  static std::string new_key() {
    static int next = 0;
    return "openapi-live-" + std::to_string(++next);
  }

  /// `method` `target` with the operator's token on a fresh connection; POST and PATCH as JSON.
  http_reply send(std::string method, std::string target, std::string body = {},
                  header_list headers = {}) {
    http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.headers = std::move(headers);
    bool typed = std::any_of(req.headers.begin(), req.headers.end(),
                             [](const auto& h) { return h.first == "Content-Type"; });
    // The gateway checks the media type of every POST and PATCH, even one without a body.
    bool writes = req.method == "POST" || req.method == "PATCH";
    if (writes && !typed) req.headers.emplace_back("Content-Type", "application/json");
    req.body = std::move(body);
    return http_exchange(this->port(), authorised(std::move(req)));
  }

  /// A POST or PATCH carrying a fresh Idempotency-Key.
  http_reply send_keyed(std::string method, std::string target, std::string body = {}) {
    return send(std::move(method), std::move(target), std::move(body),
                {{"Idempotency-Key", new_key()}});
  }

  /// Expects `r`, the answer to `method` `target`, to be `status` and to conform.
  static void expect_conforms(std::string_view method, std::string_view target, const http_reply& r,
                              int status) {
    SCOPED_TRACE(std::string(method) + " " + std::string(target) + " -> " + r.body);
    ASSERT_EQ(r.status, status) << r.error;
    EXPECT_EQ(joined(openapi::check_response(document(), method, target, sample_of(r))), "");
  }

  /// Expects `r`, whatever its status, to be one the document gives `method` `target`.
  static void expect_documented(std::string_view method, std::string_view target,
                                const http_reply& r) {
    SCOPED_TRACE(std::string(method) + " " + std::string(target) + " -> " + r.body);
    ASSERT_NE(r.status, 0) << r.error;
    EXPECT_EQ(joined(openapi::check_response(document(), method, target, sample_of(r))), "");
  }

  /// Creates a pod (with a weekly cycle when `with_cycle`) and returns its id.
  std::string create_pod(bool with_cycle) {
    std::string body(summer_trip_body);
    if (with_cycle)
      body.insert(body.size() - 1,
                  R"(,"cycle":{"period":"WEEKLY","starts_at":"2026-01-05T00:00:00Z"})");
    auto r = send_keyed("POST", "/pods", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return string_of(json_object_of(r), "pod_id");
  }

  /// An ACTIVE pod with a weekly cycle and member `bob`.
  std::string active_pod_with_bob() {
    auto id = create_pod(true);
    EXPECT_EQ(send_keyed("POST", "/pods/" + id + "/actions/activate").status, 200);
    EXPECT_EQ(send_keyed("POST", "/pods/" + id + "/members", R"({"user_id":"bob","role":"MEMBER"})")
                  .status,
              201);
    return id;
  }

  /// A pledge of 25.00 EUR by bob in `pod`; returns its id.
  std::string pledge(const std::string& pod) {
    auto r = send_keyed("POST", "/pods/" + pod + "/pledges",
                        R"({"user_id":"bob","amount_minor":2500,"currency":"EUR"})");
    EXPECT_EQ(r.status, 201) << r.body;
    return string_of(json_object_of(r), "pledge_id");
  }

 private:
  std::string token_;
};

/// Routes whose answers depend on the journal, on each store.
class openapi_live : public openapi_suite<shared_store_server_test<default_server>> {};
INSTANTIATE_TEST_SUITE_P(stores, openapi_live, both_stores(), store_test_name);

/// Routes the HTTP layer answers without the journal, on SQLite.
class openapi_live_http : public openapi_suite<shared_server_test<default_server>> {};

// Goal: GET /openapi.json serves gateway/openapi.json byte for byte, cacheable, as JSON.
TEST_F(openapi_live_http, serves_the_document) {
  auto r = http_get(port(), "/openapi.json");
  expect_conforms("GET", "/openapi.json", r, 200);
  EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(r.header("Cache-Control").value_or(""), "public, max-age=300");
  EXPECT_TRUE(r.body == openapi_text()) << "the served document differs from the source file";
}

// Goal: the liveness, readiness and dependency probes answer as documented.
TEST_P(openapi_live, health_routes_conform) {
  for (const char* path : {"/healthz", "/health/live", "/readyz", "/health/ready", "/health/deps"})
    expect_conforms("GET", path, http_get(port(), path), 200);
}

// Goal: /metrics is documented Prometheus text.
TEST_F(openapi_live_http, metrics_conform) {
  auto r = http_get(port(), "/metrics");
  expect_conforms("GET", "/metrics", r, 200);
  EXPECT_NE(r.body.find("payorch_http_requests_total"), std::string::npos);
}

// Goal: POST /pods answers 201 PodCreated with Location and X-Request-Id as documented.
TEST_P(openapi_live, create_pod_conforms) {
  expect_conforms("POST", "/pods", send_keyed("POST", "/pods", std::string(summer_trip_body)), 201);
}

// Goal: POST /pods's refusals (malformed JSON, unknown field, wrong type, media type) conform.
TEST_F(openapi_live_http, create_pod_problems_conform) {
  expect_conforms("POST", "/pods", send_keyed("POST", "/pods", "{"), 400);
  auto extra = std::string(summer_trip_body);
  extra.insert(1, R"("extra":1,)");
  expect_conforms("POST", "/pods", send_keyed("POST", "/pods", extra), 400);
  expect_conforms("POST", "/pods",
                  send_keyed("POST", "/pods", pod_body(R"("EUR")", "5000", "0.66", "7")), 400);
  expect_conforms("POST", "/pods",
                  send("POST", "/pods", std::string(summer_trip_body),
                       {{"Content-Type", "text/plain"}, {"Idempotency-Key", new_key()}}),
                  415);
}

// Goal: GET /pods/{pod_id} of a created pod answers a documented Pod.
TEST_P(openapi_live, read_pod_conforms) {
  auto id = create_pod(false);
  ASSERT_TRUE(is_pod_id(id));
  expect_conforms("GET", "/pods/" + id, send("GET", "/pods/" + id), 200);
}

// Goal: an unknown pod and a malformed pod id are both a documented 404 problem.
TEST_P(openapi_live, unknown_pods_are_documented_404s) {
  expect_conforms("GET", "/pods/pod_0000000000000000", send("GET", "/pods/pod_0000000000000000"),
                  404);
  expect_conforms("GET", "/pods/not-a-pod", send("GET", "/pods/not-a-pod"), 404);
}

// Goal: an unknown route is the NotFound response; a known path's wrong method MethodNotAllowed.
TEST_F(openapi_live_http, unknown_route_and_wrong_method_conform) {
  auto missing = http_get(port(), "/nowhere");
  ASSERT_EQ(missing.status, 404);
  EXPECT_EQ(joined(openapi::check_component_response(document(), "NotFound", sample_of(missing))),
            "");
  auto wrong = send("DELETE", "/pods");
  ASSERT_EQ(wrong.status, 405);
  EXPECT_EQ(
      joined(openapi::check_component_response(document(), "MethodNotAllowed", sample_of(wrong))),
      "");
  // The document must not claim the method the server refuses.
  EXPECT_FALSE(openapi::check_response(document(), "DELETE", "/pods", sample_of(wrong)).empty());
}

// Goal: a /pods request without a token is a documented 401 with WWW-Authenticate.
TEST_F(openapi_live_http, missing_token_is_a_documented_401) {
  auto r = http_get(port(), "/pods/pod_0000000000000000");
  expect_conforms("GET", "/pods/pod_0000000000000000", r, 401);
  EXPECT_TRUE(r.header("WWW-Authenticate").has_value());
}

// Goal: GET /pods answers a documented page of pods, and a bad limit a documented 400.
TEST_P(openapi_live, pod_list_conforms) {
  create_pod(false);
  create_pod(true);
  expect_conforms("GET", "/pods?limit=1", send("GET", "/pods?limit=1"), 200);
  expect_conforms("GET", "/pods", send("GET", "/pods"), 200);
  expect_conforms("GET", "/pods?limit=0", send("GET", "/pods?limit=0"), 400);
}

// Goal: PATCH policy answers a documented Pod; an empty patch a documented 400.
TEST_P(openapi_live, policy_patch_conforms) {
  auto target = "/pods/" + create_pod(false) + "/policy";
  auto r = send_keyed("PATCH", target, R"({"risk_tier":"HIGH","voting_quorum":0.75})");
  expect_conforms("PATCH", target, r, 200);
  EXPECT_NE(r.body.find(R"("version":2)"), std::string::npos) << r.body;
  expect_conforms("PATCH", target, send_keyed("PATCH", target, "{}"), 400);
}

// Goal: adding, listing, reading, changing and removing members all answer as documented.
TEST_P(openapi_live, members_conform) {
  auto members = "/pods/" + create_pod(false) + "/members";
  expect_conforms("POST", members,
                  send_keyed("POST", members, R"({"user_id":"carol","role":"TREASURER"})"), 201);
  expect_conforms("POST", members,
                  send_keyed("POST", members, R"({"user_id":"dave","role":"KING"})"), 400);
  expect_conforms("GET", members, send("GET", members), 200);
  expect_conforms("GET", members + "/carol", send("GET", members + "/carol"), 200);
  expect_conforms("PATCH", members + "/carol",
                  send_keyed("PATCH", members + "/carol", R"({"role":"OBSERVER"})"), 200);
  expect_conforms("DELETE", members + "/carol", send("DELETE", members + "/carol"), 204);
  expect_conforms("GET", members + "/carol", send("GET", members + "/carol"), 404);
}

// Goal: each lifecycle action answers a documented Pod; a forbidden transition a documented 409.
TEST_P(openapi_live, actions_conform) {
  auto actions = "/pods/" + create_pod(false) + "/actions/";
  for (const char* step : {"activate", "suspend", "reinstate", "suspend", "force-close"})
    expect_conforms("POST", actions + step, send_keyed("POST", actions + step), 200);
  expect_conforms("POST", actions + "activate", send_keyed("POST", actions + "activate"), 409);
  auto other = "/pods/" + create_pod(false) + "/actions/";
  send_keyed("POST", other + "activate");
  expect_conforms("POST", other + "close",
                  send_keyed("POST", other + "close", R"({"reason":"done"})"), 200);
}

// Goal: pledging, listing and reading pledges, and the idempotency answers, are documented.
TEST_P(openapi_live, pledges_conform) {
  auto pledges = "/pods/" + active_pod_with_bob() + "/pledges";
  const std::string body = R"({"user_id":"bob","amount_minor":2500,"currency":"EUR"})";
  header_list key = {{"Idempotency-Key", new_key()}};
  auto first = send("POST", pledges, body, key);
  expect_conforms("POST", pledges, first, 201);
  auto replay = send("POST", pledges, body, key);
  expect_conforms("POST", pledges, replay, 201);
  EXPECT_EQ(replay.header("Idempotency-Replayed").value_or(""), "true");
  expect_conforms(
      "POST", pledges,
      send("POST", pledges, R"({"user_id":"bob","amount_minor":1,"currency":"EUR"})", key), 422);
  expect_conforms("POST", pledges, send("POST", pledges, body), 400);  // no key
  expect_conforms("GET", pledges + "?status=PLEDGED", send("GET", pledges + "?status=PLEDGED"),
                  200);
  auto one = pledges + "/" + string_of(json_object_of(first), "pledge_id");
  expect_conforms("GET", one, send("GET", one), 200);
}

// Goal: settling answers a documented Pledge; settling twice a documented 409.
TEST_P(openapi_live, settle_conforms) {
  auto pod = active_pod_with_bob();
  auto settle = "/pods/" + pod + "/pledges/" + pledge(pod) + "/settle";
  auto r = send_keyed("POST", settle);
  expect_conforms("POST", settle, r, 200);
  EXPECT_EQ(string_of(json_object_of(r), "status"), "SETTLED");
  expect_conforms("POST", settle, send_keyed("POST", settle), 409);
}

// Goal: the balance of a pod with a pledge answers a documented Balance.
TEST_P(openapi_live, balance_conforms) {
  auto pod = active_pod_with_bob();
  pledge(pod);
  expect_conforms("GET", "/pods/" + pod + "/balance", send("GET", "/pods/" + pod + "/balance"),
                  200);
}

// Goal: the ledger of a pod with a pledge answers a documented page of entries.
TEST_P(openapi_live, ledger_conforms) {
  auto pod = active_pod_with_bob();
  pledge(pod);
  auto r = send("GET", "/pods/" + pod + "/ledger?limit=1");
  expect_conforms("GET", "/pods/" + pod + "/ledger?limit=1", r, 200);
  const auto page = json_object_of(r);
  auto* cursor = page.if_contains("next_cursor");
  EXPECT_TRUE(cursor && cursor->is_string()) << "two postings, one per page";
}

// Goal: the event journal answers a documented page of hash-chained events.
TEST_P(openapi_live, events_conform) {
  auto pod = active_pod_with_bob();
  expect_conforms("GET", "/pods/" + pod + "/events", send("GET", "/pods/" + pod + "/events"), 200);
}

// Goal: cycle 1 answers a documented Cycle; cycle 0 a documented error.
TEST_P(openapi_live, cycles_conform) {
  auto pod = active_pod_with_bob();
  pledge(pod);
  auto cycles = "/pods/" + pod + "/cycles/";
  expect_conforms("GET", cycles + "1", send("GET", cycles + "1"), 200);
  auto zero = send("GET", cycles + "0");
  EXPECT_TRUE(zero.status == 400 || zero.status == 404) << zero.status;
  expect_documented("GET", cycles + "0", zero);
}

// Goal: the token endpoint's grant is a documented TokenResponse, its refusals RFC 6749 errors.
TEST_F(openapi_live_http, oauth_token_conforms) {
  auto form = [](std::string body, header_list extra = {}) {
    http_request req;
    req.method = "POST";
    req.target = "/oauth/token";
    req.headers = std::move(extra);
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = std::move(body);
    return http_exchange(port(), req);
  };
  auto granted = http_exchange(port(), token_request(bootstrap_credentials(server().data_dir())));
  expect_conforms("POST", "/oauth/token", granted, 200);
  expect_conforms("POST", "/oauth/token",
                  form("grant_type=client_credentials&client_id=nobody&client_secret=wrong"), 401);
  // Without client authentication this may be invalid_client (401) before the grant is read.
  expect_documented("POST", "/oauth/token", form("grant_type=password"));
  // Basic credentials "nobody:wrong".
  expect_conforms(
      "POST", "/oauth/token",
      form("grant_type=client_credentials", {{"Authorization", "Basic bm9ib2R5Ondyb25n"}}), 401);
}

// Goal: the signing keys answer a documented JWK set.
TEST_F(openapi_live_http, jwks_conforms) {
  auto r = http_get(port(), "/.well-known/jwks.json");
  expect_conforms("GET", "/.well-known/jwks.json", r, 200);
  const auto jwks = json_object_of(r);
  auto* keys = jwks.if_contains("keys");
  EXPECT_TRUE(keys && keys->is_array() && !keys->as_array().empty()) << r.body;
}

}  // namespace
}  // namespace payorch::testing
