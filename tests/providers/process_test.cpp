// Tests of the `payorch sandbox` process: start, readiness, shutdown, flags, idempotency rules.
#include "tests/providers/sandbox_fixture.hpp"
#include "tests/support/payorch_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::testing {
namespace {

using sandbox_process_test = sandbox_test;

// The sandbox logs its address once ready, answers health, and exits 0 on SIGTERM.
TEST_F(sandbox_process_test, logs_address_and_exits_zero_on_sigterm) {
  start();
  EXPECT_NE(sandbox_->log().find("payorch sandbox serving on http://127.0.0.1:" +
                                 std::to_string(sandbox_->port())),
            std::string::npos)
      << sandbox_->log();
  EXPECT_EQ(get("/sandbox/health").status, 200);
  EXPECT_EQ(sandbox_->stop(), 0);
}

// SIGINT ends it with exit 0 as well.
TEST_F(sandbox_process_test, exits_zero_on_sigint) {
  start();
  ASSERT_EQ(::kill(sandbox_->pid(), SIGINT), 0);
  EXPECT_EQ(wait_exit(sandbox_->pid()), 0);
}

// A malformed --listen is exit 2 and an out-of-range flag is refused by the parser.
TEST(sandbox_flags, bad_flags_are_refused) {
  temp_dir dir;
  auto bad_listen = run_payorch(PAYORCH_BINARY, {"sandbox", "--listen", "nowhere"}, {}, dir.path());
  EXPECT_EQ(bad_listen.exit_code, 2) << bad_listen.err;
  EXPECT_NE(bad_listen.err.find("--listen"), std::string::npos) << bad_listen.err;
  auto bad_rate =
      run_payorch(PAYORCH_BINARY, {"sandbox", "--error-rate-bp", "10001"}, {}, dir.path());
  EXPECT_NE(bad_rate.exit_code, 0);
  auto bad_seed = run_payorch(PAYORCH_BINARY, {"sandbox", "--seed", "minus-one"}, {}, dir.path());
  EXPECT_NE(bad_seed.exit_code, 0);
}

// An address already taken is exit 1 naming the problem.
TEST_F(sandbox_process_test, taken_port_is_exit_one) {
  start();
  temp_dir dir;
  auto taken = run_payorch(PAYORCH_BINARY,
                           {"sandbox", "--listen", "127.0.0.1:" + std::to_string(sandbox_->port())},
                           {}, dir.path());
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("cannot listen"), std::string::npos) << taken.err;
}

// Unknown paths are 404 and a wrong method is 405.
TEST_F(sandbox_process_test, unknown_routes) {
  start();
  EXPECT_EQ(get("/nope").status, 404);
  EXPECT_EQ(get("/psp/v1/authorizations").status, 405);
  EXPECT_EQ(del("/sandbox/health").status, 405);
}

// Every provider POST without an Idempotency-Key is 400 naming the header.
TEST_F(sandbox_process_test, post_without_idempotency_key_is_400) {
  start();
  for (const char* target : {"/fx/v1/quotes", "/fx/v1/quotes/fxq_x/lock", "/kyc/v1/verifications",
                             "/sanctions/v1/screenings", "/risk/v1/scores",
                             "/psp/v1/authorizations", "/psp/v1/authorizations/a/captures"}) {
    SCOPED_TRACE(target);
    expect_error(post(target, "{}", "-"), 400, "missing_idempotency_key", "Idempotency-Key");
  }
  expect_error(post_raw("/rail/v1/payments", "<x/>", "application/xml", {}), 400,
               "missing_idempotency_key", "Idempotency-Key");
}

// A repeated key replays the first answer, even an error; on another endpoint it is 422.
TEST_F(sandbox_process_test, repeated_key_replays_first_answer) {
  start();
  const auto key = fresh_key();
  const std::string body =
      R"({"reference":"r1","amount_minor":500,"currency":"EUR","card_token":"tok_ok"})";
  auto first = post("/psp/v1/authorizations", body, key);
  ASSERT_EQ(first.status, 201) << first.body;
  auto again = post("/psp/v1/authorizations", body, key);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  // The same key with another body still replays: the key, not the body, names the request.
  auto other_body = post("/psp/v1/authorizations", R"({"reference":"r2"})", key);
  EXPECT_EQ(other_body.body, first.body);
  EXPECT_EQ(stat("psp", "replays"), 2);

  const auto bad_key = fresh_key();
  auto bad = post("/psp/v1/authorizations", "{}", bad_key);
  expect_error(bad, 400, "invalid_field", "reference");
  EXPECT_EQ(post("/psp/v1/authorizations", body, bad_key).body, bad.body);

  const auto id = text_of(json_of(first), "authorization_id");
  expect_error(post("/psp/v1/authorizations/" + id + "/void", "{}", key), 422,
               "idempotency_key_reused", "Idempotency-Key");
  // Keys are per provider: the same key on FX is a new request.
  EXPECT_EQ(post("/fx/v1/quotes",
                 R"({"sell_currency":"EUR","buy_currency":"USD","sell_amount_minor":100})", key)
                .status,
            201);
}

}  // namespace
}  // namespace payorch::testing
