// Tests of the sandbox's risk provider: each rule, the clamp, the levels and bad input.
#include "tests/providers/sandbox_fixture.hpp"

namespace payorch::testing {
namespace {

using sandbox_risk_test = sandbox_test;

struct risk_case {
  std::int64_t amount_minor;
  std::string currency;
  std::string kyc_status;
  std::string sanctions_result;
  std::int64_t payouts_today;
  std::int64_t score;
  std::string level;
  std::vector<std::string> reasons;
};

std::string risk_body(const risk_case& c) {
  return R"({"reference":"p-1","amount_minor":)" + std::to_string(c.amount_minor) +
         R"(,"currency":")" + c.currency + R"(","country":"DE","kyc_status":")" + c.kyc_status +
         R"(","sanctions_result":")" + c.sanctions_result + R"(","payouts_today":)" +
         std::to_string(c.payouts_today) + "}";
}

// Every rule adds its points in the payout currency's major units; the sum clamps to 100.
TEST_F(sandbox_risk_test, rules_scores_and_levels) {
  start();
  const std::vector<risk_case> cases = {
      {100, "EUR", "APPROVED", "CLEAR", 0, 0, "LOW", {}},
      {500000, "EUR", "APPROVED", "CLEAR", 5, 0, "LOW", {}},  // exactly 5,000.00 and 5 payouts
      {500001, "EUR", "APPROVED", "CLEAR", 0, 30, "MEDIUM", {"amount_over_5000"}},
      {1000001,
       "EUR",
       "APPROVED",
       "CLEAR",
       0,
       50,
       "HIGH",
       {"amount_over_5000", "amount_over_10000"}},
      {5001, "JPY", "APPROVED", "CLEAR", 0, 30, "MEDIUM", {"amount_over_5000"}},
      {5000001, "BHD", "APPROVED", "CLEAR", 0, 30, "MEDIUM", {"amount_over_5000"}},
      {100, "EUR", "APPROVED", "CLEAR", 6, 25, "MEDIUM", {"payouts_today_over_5"}},
      {100, "EUR", "APPROVED", "POSSIBLE_MATCH", 0, 40, "MEDIUM", {"sanctions_possible_match"}},
      {100, "EUR", "APPROVED", "HIT", 0, 100, "HIGH", {"sanctions_hit"}},
      {100, "EUR", "PENDING", "CLEAR", 0, 40, "MEDIUM", {"kyc_not_approved"}},
      {100, "EUR", "REJECTED", "CLEAR", 0, 40, "MEDIUM", {"kyc_not_approved"}},
      {100, "EUR", "PENDING", "CLEAR", 6, 65, "HIGH", {"payouts_today_over_5", "kyc_not_approved"}},
      {2000000,
       "USD",
       "REJECTED",
       "HIT",
       9,
       100,
       "HIGH",
       {"amount_over_5000", "amount_over_10000", "payouts_today_over_5", "sanctions_hit",
        "kyc_not_approved"}},
  };
  for (const auto& c : cases) {
    auto r = post("/risk/v1/scores", risk_body(c));
    ASSERT_EQ(r.status, 200) << r.body;
    auto v = json_of(r);
    EXPECT_EQ(int_of(v, "score"), c.score) << r.body;
    EXPECT_EQ(text_of(v, "level"), c.level) << r.body;
    std::vector<std::string> reasons;
    for (const auto& reason : v.at("reasons").as_array()) reasons.emplace_back(reason.as_string());
    EXPECT_EQ(reasons, c.reasons) << r.body;
  }
  // payouts_today is optional (0).
  auto r = post("/risk/v1/scores",
                R"({"reference":"p","amount_minor":1,"currency":"EUR",)"
                R"("country":"DE","kyc_status":"APPROVED","sanctions_result":"CLEAR"})");
  EXPECT_EQ(int_of(json_of(r), "score"), 0);
}

// Missing or malformed fields are 400 naming the field; unknown currencies 422.
TEST_F(sandbox_risk_test, bad_input) {
  start();
  risk_case ok{100, "EUR", "APPROVED", "CLEAR", 0, 0, "LOW", {}};
  auto with = [&](auto change) {
    auto c = ok;
    change(c);
    return post("/risk/v1/scores", risk_body(c));
  };
  expect_error(with([](auto& c) { c.amount_minor = -1; }), 400, "invalid_field", "amount_minor");
  expect_error(with([](auto& c) { c.currency = "eur"; }), 400, "invalid_field", "currency");
  expect_error(with([](auto& c) { c.currency = "ABC"; }), 422, "unsupported_currency", "currency");
  expect_error(with([](auto& c) { c.kyc_status = "approved"; }), 400, "invalid_field",
               "kyc_status");
  expect_error(with([](auto& c) { c.sanctions_result = "MAYBE"; }), 400, "invalid_field",
               "sanctions_result");
  expect_error(with([](auto& c) { c.payouts_today = -2; }), 400, "invalid_field", "payouts_today");
  expect_error(post("/risk/v1/scores", R"({"amount_minor":1})"), 400, "invalid_field", "reference");
  expect_error(post("/risk/v1/scores", R"({"reference":"r","amount_minor":1,"currency":"EUR",)"
                                       R"("kyc_status":"APPROVED","sanctions_result":"CLEAR"})"),
               400, "invalid_field", "country");
  expect_error(post("/risk/v1/scores", R"({"reference":"r","amount_minor":1e3})"), 400,
               "invalid_field", "amount_minor");
  expect_error(post("/risk/v1/scores", ""), 400, "malformed_json");
}

}  // namespace
}  // namespace payorch::testing
