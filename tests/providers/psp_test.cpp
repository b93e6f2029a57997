// Tests of the sandbox's card PSP: the authorization state machine, declines, webhooks and bad
// input.
#include <set>

#include "tests/providers/sandbox_fixture.hpp"

namespace payorch::testing {
namespace {

class sandbox_psp_test : public sandbox_test {
 protected:
  http_reply authorize(std::int64_t amount, const std::string& token = "tok_visa",
                       bool with_callback = true) {
    std::string body = R"({"reference":"order-1","amount_minor":)" + std::to_string(amount) +
                       R"(,"currency":"EUR","card_token":")" + token + "\"";
    if (with_callback) body += R"(,"callback_url":")" + receiver_.url("psp") + "\"";
    return post("/psp/v1/authorizations", body + "}");
  }
  http_reply act(const std::string& id, const std::string& action, const std::string& body) {
    return post("/psp/v1/authorizations/" + id + "/" + action, body);
  }
  static std::string amount(std::int64_t minor) {
    return R"({"amount_minor":)" + std::to_string(minor) + "}";
  }
};

// Authorize, two partial captures, partial and full refunds: each change is a signed webhook.
TEST_F(sandbox_psp_test, capture_and_refund_flow_with_webhooks) {
  start();
  std::set<std::string> webhook_ids;
  std::string id;
  // Waits for the n-th webhook before the next step, so they arrive in the order of changes.
  const auto expect_webhook = [&](std::size_t n, const std::string& type) {
    auto got = receiver_.wait_for([n](const auto& c) { return c.size() >= n; });
    ASSERT_EQ(got.size(), n);
    auto body = json_of(got.back());
    EXPECT_EQ(text_of(body, "type"), type);
    EXPECT_EQ(text_of(body.at("data"), "authorization_id"), id);
    EXPECT_TRUE(signature_valid(got.back()));
    webhook_ids.insert(got.back().header("webhook-id"));
  };
  auto created = authorize(10000);
  ASSERT_EQ(created.status, 201) << created.body;
  auto a = json_of(created);
  id = text_of(a, "authorization_id");
  EXPECT_EQ(text_of(a, "status"), "AUTHORIZED");
  EXPECT_EQ(int_of(a, "captured_minor"), 0);
  expect_webhook(1, "authorization.authorized");
  auto c1 = act(id, "captures", amount(4000));
  EXPECT_EQ(text_of(json_of(c1), "status"), "PARTIALLY_CAPTURED");
  EXPECT_EQ(int_of(json_of(c1), "captured_minor"), 4000);
  expect_webhook(2, "authorization.partially_captured");
  expect_error(act(id, "captures", amount(6001)), 409, "amount_exceeds_remaining", "amount_minor");
  auto c2 = act(id, "captures", amount(6000));
  EXPECT_EQ(text_of(json_of(c2), "status"), "CAPTURED");
  expect_webhook(3, "authorization.captured");
  expect_error(act(id, "captures", amount(1)), 409, "invalid_state");
  expect_error(act(id, "void", "{}"), 409, "invalid_state");
  auto r1 = act(id, "refunds", amount(3000));
  EXPECT_EQ(text_of(json_of(r1), "status"), "PARTIALLY_REFUNDED");
  expect_webhook(4, "authorization.partially_refunded");
  expect_error(act(id, "refunds", amount(7001)), 409, "amount_exceeds_remaining");
  expect_error(act(id, "captures", amount(1)), 409, "invalid_state");
  auto r2 = act(id, "refunds", amount(7000));
  auto done = json_of(r2);
  EXPECT_EQ(text_of(done, "status"), "REFUNDED");
  EXPECT_EQ(int_of(done, "refunded_minor"), 10000);
  expect_webhook(5, "authorization.refunded");
  expect_error(act(id, "refunds", amount(1)), 409, "invalid_state");
  EXPECT_EQ(get("/psp/v1/authorizations/" + id).body, r2.body);
  EXPECT_EQ(webhook_ids.size(), 5u);  // refused changes post nothing
  EXPECT_EQ(receiver_.received().size(), 5u);
}

// A void before any capture voids; voiding again is fine; a voided authorization takes nothing.
TEST_F(sandbox_psp_test, void_before_capture) {
  start();
  const auto id = text_of(json_of(authorize(2500, "tok_visa", false)), "authorization_id");
  auto voided = act(id, "void", "");
  ASSERT_EQ(voided.status, 200) << voided.body;
  EXPECT_EQ(text_of(json_of(voided), "status"), "VOIDED");
  EXPECT_EQ(act(id, "void", "{}").status, 200);
  expect_error(act(id, "captures", amount(1)), 409, "invalid_state");
  expect_error(act(id, "refunds", amount(1)), 409, "invalid_state");
}

// tok_decline and tok_insufficient are declined with a reason, and declined stays final.
TEST_F(sandbox_psp_test, declines) {
  start();
  auto declined = json_of(authorize(100, "tok_decline"));
  EXPECT_EQ(text_of(declined, "status"), "DECLINED");
  EXPECT_EQ(text_of(declined, "decline_reason"), "do_not_honor");
  auto poor = json_of(authorize(100, "tok_insufficient"));
  EXPECT_EQ(text_of(poor, "status"), "DECLINED");
  EXPECT_EQ(text_of(poor, "decline_reason"), "insufficient_funds");
  expect_error(act(text_of(poor, "authorization_id"), "captures", amount(1)), 409, "invalid_state");
  expect_error(act(text_of(poor, "authorization_id"), "void", "{}"), 409, "invalid_state");
  auto got = receiver_.wait_for([](const auto& c) { return c.size() >= 2; });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(text_of(json_of(got[0]), "type"), "authorization.declined");
}

// A refund needs something captured; partial captures add up.
TEST_F(sandbox_psp_test, refund_needs_capture) {
  start();
  const auto id = text_of(json_of(authorize(900, "tok_visa", false)), "authorization_id");
  expect_error(act(id, "refunds", amount(1)), 409, "invalid_state");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(act(id, "captures", amount(300)).status, 200);
  EXPECT_EQ(text_of(json_of(get("/psp/v1/authorizations/" + id)), "status"), "CAPTURED");
}

// Malformed bodies and fields are 400 naming the field; unknown ids are 404.
TEST_F(sandbox_psp_test, bad_input) {
  start();
  const auto create = [&](const std::string& body) { return post("/psp/v1/authorizations", body); };
  expect_error(create(R"({"reference":"r","amount_minor":0,"currency":"EUR","card_token":"t"})"),
               400, "invalid_field", "amount_minor");
  expect_error(create(R"({"reference":"r","amount_minor":1.5,"currency":"EUR","card_token":"t"})"),
               400, "invalid_field", "amount_minor");
  expect_error(create(R"({"reference":"r","amount_minor":1,"currency":"usd","card_token":"t"})"),
               400, "invalid_field", "currency");
  expect_error(create(R"({"reference":"r","amount_minor":1,"currency":"EUR"})"), 400,
               "invalid_field", "card_token");
  expect_error(create(R"({"reference":"r","amount_minor":1,"currency":"EUR","card_token":"t",)"
                      R"("callback_url":"https:/x"})"),
               400, "invalid_field", "callback_url");
  expect_error(create(R"({"reference":"r","reference":"s"})"), 400, "malformed_json");
  const auto id = text_of(json_of(authorize(100, "tok_visa", false)), "authorization_id");
  expect_error(act(id, "captures", "{}"), 400, "invalid_field", "amount_minor");
  expect_error(act(id, "captures", ""), 400, "malformed_json");
  expect_error(act(id, "refunds", R"({"amount_minor":-1})"), 400, "invalid_field", "amount_minor");
  expect_error(act("auth_unknown", "captures", amount(1)), 404, "not_found");
  expect_error(act("auth_unknown", "void", "{}"), 404, "not_found");
  expect_error(get("/psp/v1/authorizations/auth_unknown"), 404, "not_found");
}

}  // namespace
}  // namespace payorch::testing
