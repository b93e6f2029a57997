// Tests of the ledger rules: balanced commands and how postings move balances.
#include "domain/ledger.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "domain/errc.hpp"

namespace payorch {
namespace {

ledger_command transfer(ledger_phase phase, std::int64_t amount_minor) {
  return {"tx1", phase, {{"a", "EUR", -amount_minor}, {"b", "EUR", amount_minor}}, 0, {}};
}

ledger_command resolve(ledger_phase phase, std::string pending_id) {
  return {"tx2", phase, {}, 0, std::move(pending_id)};
}

errc code_of(const status& s) {
  return s ? errc::ok : s.error().code;
}

// Two or more postings summing to zero per currency pass, in one currency or several.
TEST(ledger_check, accepts_balanced_transactions) {
  EXPECT_TRUE(check_balanced(transfer(ledger_phase::posted, 500)));
  auto pending = transfer(ledger_phase::pending, 500);
  pending.expires_at_ms = 1'700'000'000'000;
  EXPECT_TRUE(check_balanced(pending));
  const ledger_command multi{
      "fx",
      ledger_phase::posted,
      {{"a", "EUR", -100}, {"b", "EUR", 60}, {"c", "EUR", 40}, {"a", "JPY", 7}, {"d", "JPY", -7}},
      0,
      {}};
  EXPECT_TRUE(check_balanced(multi));
  EXPECT_TRUE(check_balanced(resolve(ledger_phase::post_pending, "tx1")));
  EXPECT_TRUE(check_balanced(resolve(ledger_phase::void_pending, "tx1")));
}

// Postings that leave money over in any currency are ledger_unbalanced, naming the currency.
TEST(ledger_check, rejects_unbalanced_transactions) {
  ledger_command command = transfer(ledger_phase::posted, 500);
  command.postings[1].amount_minor = 499;
  const status checked = check_balanced(command);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, errc::ledger_unbalanced);
  EXPECT_NE(checked.error().detail.find("EUR"), std::string::npos);
  // Balanced in total but not per currency.
  const ledger_command mixed{"m", ledger_phase::posted, {{"a", "EUR", -5}, {"b", "USD", 5}}, 0, {}};
  EXPECT_EQ(code_of(check_balanced(mixed)), errc::ledger_unbalanced);
}

// A sum that leaves int64 is an error, not a wrapped value that happens to be zero.
TEST(ledger_check, rejects_overflowing_sums) {
  const ledger_command command{"o",
                               ledger_phase::posted,
                               {{"a", "EUR", INT64_MAX},
                                {"b", "EUR", 1},
                                {"c", "EUR", INT64_MIN},
                                {"d", "EUR", -1},
                                {"e", "EUR", 1}},
                               0,
                               {}};
  const status checked = check_balanced(command);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, errc::amount_overflow);
  EXPECT_EQ(checked.error().param, "postings[1].amount_minor");
  // Extreme amounts that do balance are fine.
  const ledger_command extreme{
      "x", ledger_phase::posted, {{"a", "EUR", INT64_MAX}, {"b", "EUR", -INT64_MAX}}, 0, {}};
  EXPECT_TRUE(check_balanced(extreme));
}

// Each posting needs an account, a real ISO currency and a non-zero amount.
TEST(ledger_check, rejects_bad_postings) {
  auto command = transfer(ledger_phase::posted, 5);
  command.postings[0].currency = "EUX";
  EXPECT_EQ(code_of(check_balanced(command)), errc::unknown_currency);
  command.postings[0].currency = "XXX";  // "no currency" is not money
  EXPECT_EQ(code_of(check_balanced(command)), errc::unknown_currency);
  command.postings[0].currency = "eur";
  EXPECT_EQ(check_balanced(command).error().param, "postings[0].currency");

  command = transfer(ledger_phase::posted, 0);
  EXPECT_EQ(code_of(check_balanced(command)), errc::invalid_amount);

  command = transfer(ledger_phase::posted, 5);
  command.postings[1].account.clear();
  EXPECT_EQ(check_balanced(command).error().param, "postings[1].account");

  command = transfer(ledger_phase::posted, 5);
  command.postings.pop_back();
  command.postings[0].amount_minor = 0;
  EXPECT_EQ(check_balanced(command).error().param, "postings");
  command.postings.clear();
  EXPECT_EQ(code_of(check_balanced(command)), errc::invalid_argument);
}

// Fields that belong to another phase are refused instead of ignored.
TEST(ledger_check, rejects_fields_of_other_phases) {
  auto command = transfer(ledger_phase::posted, 5);
  command.transaction_id.clear();
  EXPECT_EQ(check_balanced(command).error().param, "transaction_id");
  command = transfer(ledger_phase::posted, 5);
  command.expires_at_ms = 10;
  EXPECT_EQ(check_balanced(command).error().param, "expires_at_ms");
  command = transfer(ledger_phase::pending, 5);
  command.expires_at_ms = -1;
  EXPECT_EQ(check_balanced(command).error().param, "expires_at_ms");
  command = transfer(ledger_phase::pending, 5);
  command.pending_id = "p";
  EXPECT_EQ(check_balanced(command).error().param, "pending_id");

  auto post = resolve(ledger_phase::post_pending, "");
  EXPECT_EQ(check_balanced(post).error().param, "pending_id");
  post = resolve(ledger_phase::void_pending, "p");
  post.postings.push_back({"a", "EUR", 1});
  EXPECT_EQ(check_balanced(post).error().param, "postings");
  post = resolve(ledger_phase::post_pending, "p");
  post.expires_at_ms = 5;
  EXPECT_EQ(check_balanced(post).error().param, "expires_at_ms");
  post.phase = static_cast<ledger_phase>(9);
  EXPECT_EQ(check_balanced(post).error().param, "phase");
  EXPECT_EQ(to_string(ledger_phase::post_pending), "post_pending");
  EXPECT_EQ(to_string(static_cast<ledger_phase>(9)), "unknown");
}

// A hold reserves money (out of available), settle posts it, release gives it back.
TEST(ledger_balance, holds_settle_and_release) {
  account_balance source{"m", "EUR", 1000, 0, 0};
  account_balance wallet{"w", "EUR", 0, 0, 0};
  ASSERT_TRUE(apply_posting(source, balance_effect::hold, -300));
  ASSERT_TRUE(apply_posting(wallet, balance_effect::hold, 300));
  EXPECT_EQ(source, (account_balance{"m", "EUR", 1000, 0, 300}));
  EXPECT_EQ(source.available_minor(), 700);
  EXPECT_EQ(wallet, (account_balance{"w", "EUR", 0, 300, 0}));
  EXPECT_EQ(wallet.available_minor(), 0);  // incoming money is not available before it posts

  ASSERT_TRUE(apply_posting(source, balance_effect::settle, -300));
  ASSERT_TRUE(apply_posting(wallet, balance_effect::settle, 300));
  EXPECT_EQ(source, (account_balance{"m", "EUR", 700, 0, 0}));
  EXPECT_EQ(wallet, (account_balance{"w", "EUR", 300, 0, 0}));

  ASSERT_TRUE(apply_posting(source, balance_effect::hold, -50));
  ASSERT_TRUE(apply_posting(source, balance_effect::release, -50));
  EXPECT_EQ(source, (account_balance{"m", "EUR", 700, 0, 0}));
  ASSERT_TRUE(apply_posting(source, balance_effect::post, -1700));
  EXPECT_EQ(source.posted_minor, -1000);  // the ledger records; limits are the caller's policy
}

// Overflow and releasing more than is held leave the balance untouched.
TEST(ledger_balance, failures_leave_the_balance_unchanged) {
  account_balance balance{"a", "EUR", INT64_MAX - 1, 0, 0};
  const account_balance before = balance;
  EXPECT_EQ(code_of(apply_posting(balance, balance_effect::post, 2)), errc::amount_overflow);
  EXPECT_EQ(code_of(apply_posting(balance, balance_effect::hold, INT64_MIN)),
            errc::amount_overflow);
  EXPECT_EQ(code_of(apply_posting(balance, balance_effect::release, 5)), errc::internal_error);
  EXPECT_EQ(code_of(apply_posting(balance, balance_effect::settle, -5)), errc::internal_error);
  EXPECT_EQ(balance, before);

  // posted - pending_out must stay representable for available_minor().
  account_balance low{"a", "EUR", INT64_MIN + 10, 0, 0};
  EXPECT_EQ(code_of(apply_posting(low, balance_effect::hold, -11)), errc::amount_overflow);
  EXPECT_EQ(low.pending_out_minor, 0);
  ASSERT_TRUE(apply_posting(low, balance_effect::hold, -10));
  EXPECT_EQ(low.available_minor(), INT64_MIN);
}

}  // namespace
}  // namespace payorch
