// Tests of fault injection: error rates, outages, held answers, seeded draws, the faults
// endpoint, and duplicate and out-of-order callbacks.
#include "tests/providers/sandbox_fixture.hpp"

namespace payorch::testing {
namespace {

using sandbox_faults_test = sandbox_test;

const std::string rates = "/fx/v1/rates?base=EUR&quote=USD";

std::string authorization_body(const std::string& callback_url = {}) {
  std::string body =
      R"({"reference":"o","amount_minor":700,"currency":"EUR","card_token":"tok_ok")";
  if (!callback_url.empty()) body += R"(,"callback_url":")" + callback_url + "\"";
  return body + "}";
}

// An error rate of 10000 bp answers 503 for that provider only, until the faults are cleared.
TEST_F(sandbox_faults_test, full_error_rate_is_503_until_cleared) {
  start();
  auto set = post("/sandbox/faults", R"({"provider":"fx","error_rate_bp":10000})", "-");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(int_of(json_of(set).at("fx"), "error_rate_bp"), 10000);
  EXPECT_EQ(int_of(json_of(set).at("kyc"), "error_rate_bp"), 0);
  for (int i = 0; i < 3; ++i) expect_error(get(rates), 503, "unavailable");
  EXPECT_EQ(post("/risk/v1/scores",
                 R"({"reference":"r","amount_minor":1,"currency":"EUR",)"
                 R"("country":"DE","kyc_status":"APPROVED","sanctions_result":"CLEAR"})")
                .status,
            200);
  EXPECT_EQ(stat("fx", "injected_errors"), 3);
  EXPECT_EQ(stat("fx", "calls"), 3);
  ASSERT_EQ(del("/sandbox/faults").status, 200);
  EXPECT_EQ(get(rates).status, 200);
}

// --error-rate-bp applies to every provider; the sandbox's own routes never fail.
TEST_F(sandbox_faults_test, error_rate_flag_applies_to_all_providers) {
  start({"--error-rate-bp", "10000"});
  expect_error(get(rates), 503, "unavailable");
  expect_error(post("/kyc/v1/verifications", "{}"), 503, "unavailable");
  expect_error(post("/sanctions/v1/screenings", "{}"), 503, "unavailable");
  expect_error(post("/risk/v1/scores", "{}"), 503, "unavailable");
  expect_error(
      post_raw("/rail/v1/payments", "<x/>", "application/xml", {{"Idempotency-Key", fresh_key()}}),
      503, "unavailable");
  expect_error(get("/psp/v1/authorizations/x"), 503, "unavailable");
  EXPECT_EQ(get("/sandbox/health").status, 200);
  EXPECT_EQ(get("/sandbox/stats").status, 200);
  EXPECT_EQ(int_of(json_of(get("/sandbox/faults")).at("psp"), "error_rate_bp"), 10000);
}

// An outage answers 503 for every call of every provider, shows its remaining time, and
// clearing the faults ends it.
TEST_F(sandbox_faults_test, outage_then_clear) {
  start();
  ASSERT_EQ(post("/sandbox/faults", R"({"provider":"*","outage_ms":600000})", "-").status, 200);
  expect_error(get(rates), 503, "outage");
  expect_error(post("/psp/v1/authorizations", authorization_body()), 503, "outage");
  auto faults = json_of(get("/sandbox/faults"));
  EXPECT_GT(int_of(faults.at("rail"), "outage_remaining_ms"), 0);
  EXPECT_EQ(stat("fx", "outage_rejections"), 1);
  ASSERT_EQ(del("/sandbox/faults").status, 200);
  EXPECT_EQ(int_of(json_of(get("/sandbox/faults")).at("rail"), "outage_remaining_ms"), 0);
  EXPECT_EQ(get(rates).status, 200);
}

// --outage-ms starts the sandbox in an outage.
TEST_F(sandbox_faults_test, outage_flag) {
  start({"--outage-ms", "600000"});
  expect_error(get(rates), 503, "outage");
  EXPECT_EQ(get("/sandbox/health").status, 200);
}

// For one seed and call order the same calls fail; another seed fails others.
TEST(sandbox_fault_draws, deterministic_for_seed_and_order) {
  const auto statuses = [](std::uint64_t seed) {
    auto s = start_sandbox({"--error-rate-bp", "5000"}, seed);
    std::string out;
    if (!s) return out;
    for (int i = 0; i < 40; ++i) out += http_get(s->port(), rates).status == 200 ? 'o' : 'x';
    return out;
  };
  const auto first = statuses(9);
  EXPECT_EQ(first, statuses(9));
  EXPECT_NE(first.find('o'), std::string::npos);
  EXPECT_NE(first.find('x'), std::string::npos);
  EXPECT_NE(first, statuses(10));
}

// An injected 503 does nothing, so a retry with the same key is a first call, not a replay.
TEST_F(sandbox_faults_test, injected_error_has_no_effect) {
  start({"--error-rate-bp", "10000"});
  const auto key = fresh_key();
  expect_error(post("/psp/v1/authorizations", authorization_body(), key), 503, "unavailable");
  ASSERT_EQ(del("/sandbox/faults").status, 200);
  EXPECT_EQ(post("/psp/v1/authorizations", authorization_body(), key).status, 201);
  EXPECT_EQ(stat("psp", "replays"), 0);
}

// A "timed out" call took effect: its answer is only held, and the retry replays it.
TEST_F(sandbox_faults_test, held_answer_then_replay) {
  start();
  ASSERT_EQ(post("/sandbox/faults",
                 R"({"provider":"psp","timeout_rate_bp":10000,"hang_ms":150,"latency_ms":10})", "-")
                .status,
            200);
  const auto key = fresh_key();
  auto held = post("/psp/v1/authorizations", authorization_body(), key);
  ASSERT_EQ(held.status, 201) << held.body;  // the test client waits longer than the hold
  EXPECT_EQ(stat("psp", "injected_timeouts"), 1);
  ASSERT_EQ(del("/sandbox/faults").status, 200);
  auto retry = post("/psp/v1/authorizations", authorization_body(), key);
  EXPECT_EQ(retry.body, held.body);
  EXPECT_EQ(stat("psp", "replays"), 1);
}

// The faults endpoint updates only the fields given and refuses bad ones without changing
// anything.
TEST_F(sandbox_faults_test, faults_endpoint_updates_and_validates) {
  start();
  auto initial = json_of(get("/sandbox/faults"));
  EXPECT_EQ(int_of(initial.at("kyc"), "hang_ms"), 10000);
  EXPECT_EQ(initial.at("kyc").at("duplicate_callbacks"), false);
  auto one = json_of(post("/sandbox/faults", R"({"provider":"kyc","latency_ms":5})", "-"));
  auto two =
      json_of(post("/sandbox/faults", R"({"provider":"kyc","duplicate_callbacks":true})", "-"));
  EXPECT_EQ(int_of(two.at("kyc"), "latency_ms"), 5);
  EXPECT_EQ(two.at("kyc").at("duplicate_callbacks"), true);
  EXPECT_EQ(int_of(two.at("fx"), "latency_ms"), 0);
  EXPECT_EQ(post("/kyc/v1/verifications", R"({"reference":"r","name":"N","country":"DE"})").status,
            202);  // answered after the latency
  const auto faults = [&](const std::string& body) { return post("/sandbox/faults", body, "-"); };
  expect_error(faults(R"({"provider":"bank"})"), 400, "invalid_field", "provider");
  expect_error(faults(R"({"provider":"kyc","error_rate_bp":10001})"), 400, "invalid_field",
               "error_rate_bp");
  expect_error(faults(R"({"provider":"kyc","latency_ms":-1})"), 400, "invalid_field", "latency_ms");
  expect_error(faults(R"({"provider":"kyc","latency_ms":5,"hang_ms":"long"})"), 400,
               "invalid_field", "hang_ms");
  expect_error(faults(R"({"provider":"kyc","duplicate_callbacks":"yes"})"), 400, "invalid_field",
               "duplicate_callbacks");
  expect_error(faults(R"({"error_rate_bp":10000,"outage_ms":-5})"), 400, "invalid_field",
               "outage_ms");
  expect_error(faults("nope"), 400, "malformed_json");
  EXPECT_EQ(get("/sandbox/faults").body, post("/sandbox/faults", "{}", "-").body);
  EXPECT_EQ(int_of(json_of(get("/sandbox/faults")).at("fx"), "error_rate_bp"), 0);
  auto cleared = json_of(del("/sandbox/faults"));
  EXPECT_EQ(int_of(cleared.at("kyc"), "latency_ms"), 0);
  EXPECT_EQ(cleared.at("kyc").at("duplicate_callbacks"), false);
  (void)one;
}

// With duplicate callbacks each callback arrives twice with the same webhook-id and body.
TEST_F(sandbox_faults_test, duplicate_callbacks_share_webhook_id) {
  start({"--duplicate-callbacks"});
  ASSERT_EQ(post("/kyc/v1/verifications",
                 R"({"reference":"r","name":"Dup","country":"FR","callback_url":")" +
                     receiver_.url() + "\"}")
                .status,
            202);
  auto got = receiver_.wait_for([](const auto& c) { return c.size() >= 2; });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].header("webhook-id"), got[1].header("webhook-id"));
  EXPECT_EQ(got[0].body, got[1].body);
  EXPECT_TRUE(signature_valid(got[0]));
  EXPECT_TRUE(signature_valid(got[1]));
  EXPECT_TRUE(eventually([&] { return stat("kyc", "callbacks_sent") == 2; }));
}

// With out-of-order callbacks a provider's callbacks arrive in reversed pairs.
TEST_F(sandbox_faults_test, out_of_order_callbacks_swap_pairs) {
  start();
  ASSERT_EQ(
      post("/sandbox/faults", R"({"provider":"psp","out_of_order_callbacks":true})", "-").status,
      200);
  auto created = post("/psp/v1/authorizations", authorization_body(receiver_.url("psp")));
  ASSERT_EQ(created.status, 201);
  const auto id = text_of(json_of(created), "authorization_id");
  ASSERT_EQ(post("/psp/v1/authorizations/" + id + "/captures", R"({"amount_minor":700})").status,
            200);
  auto got = receiver_.wait_for([](const auto& c) { return c.size() >= 2; });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(text_of(json_of(got[0]), "type"), "authorization.captured");
  EXPECT_EQ(text_of(json_of(got[1]), "type"), "authorization.authorized");
  // A lone callback is still delivered once its hold runs out.
  ASSERT_EQ(post("/psp/v1/authorizations/" + id + "/refunds", R"({"amount_minor":1})").status, 200);
  got = receiver_.wait_for([](const auto& c) { return c.size() >= 3; });
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(text_of(json_of(got[2]), "type"), "authorization.partially_refunded");
}

}  // namespace
}  // namespace payorch::testing
