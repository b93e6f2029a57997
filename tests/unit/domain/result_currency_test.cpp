// Tests of errc names, result<T>/status, and the ISO 4217 currency table.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <type_traits>

#include "domain/currency.hpp"
#include "domain/errc.hpp"
#include "domain/fwd.hpp"
#include "domain/result.hpp"

namespace payorch {
namespace {

// Every code has a distinct snake_case name and the name reads back to the code.
TEST(errc, names_are_snake_case_and_round_trip) {
  EXPECT_EQ(to_string(errc::ok), "ok");
  EXPECT_EQ(to_string(errc::amount_overflow), "amount_overflow");
  EXPECT_EQ(to_string(errc::invalid_spending_limit), "invalid_spending_limit");
  EXPECT_EQ(to_string(errc::internal_error), "internal_error");
  std::set<std::string_view> seen;
  for (int i = 0; i <= static_cast<int>(errc::internal_error); ++i) {
    const auto code = static_cast<errc>(i);
    const auto name = to_string(code);
    EXPECT_TRUE(seen.insert(name).second) << name;
    EXPECT_EQ(errc_from_string(name), code);
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
  }
  EXPECT_EQ(to_string(static_cast<errc>(200)), "unknown");
  EXPECT_EQ(errc_from_string("Amount_Overflow"), errc::internal_error);
}

result<int> half_of(int value) {
  if (value % 2 != 0) return fail(errc::invalid_argument, "odd", "value");
  return value / 2;
}

// result<T> holds either a value or a failure and converts implicitly from both.
TEST(result, holds_value_or_failure) {
  const auto good = half_of(8);
  ASSERT_TRUE(good.has_value());
  EXPECT_TRUE(static_cast<bool>(good));
  EXPECT_EQ(good.value(), 4);
  EXPECT_EQ(*good, 4);
  EXPECT_EQ(good.value_or(-1), 4);

  const auto bad = half_of(7);
  ASSERT_FALSE(bad.has_value());
  EXPECT_FALSE(static_cast<bool>(bad));
  EXPECT_EQ(bad.error().code, errc::invalid_argument);
  EXPECT_EQ(bad.error().detail, "odd");
  EXPECT_EQ(bad.error().param, "value");
  EXPECT_EQ(bad.value_or(-1), -1);
  EXPECT_EQ(bad.error(), (failure{errc::invalid_argument, "odd", "value"}));
}

// operator-> and moving the value out work for class types; convertible values are accepted.
TEST(result, supports_class_types_and_conversions) {
  result<std::string> text = "abc";
  ASSERT_TRUE(text);
  EXPECT_EQ(text->size(), 3U);
  std::string moved = std::move(text).value();
  EXPECT_EQ(moved, "abc");
  result<std::string> failed = fail(errc::not_found, "missing");
  EXPECT_EQ(failed.error().param, "");
}

// status (result<void>) is success by default and carries a failure otherwise.
TEST(result, void_status) {
  status ok;
  EXPECT_TRUE(ok.has_value());
  ok.value();
  status bad = fail(errc::version_conflict, "stale");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::version_conflict);
}

// Reading the value of a failure aborts instead of returning garbage.
TEST(result_death, value_of_failure_aborts) {
  const auto bad = half_of(3);
  EXPECT_DEATH((void)bad.value(), "invalid_argument");
  const auto good = half_of(2);
  EXPECT_DEATH((void)good.error(), "error\\(\\) of a successful result");
}

std::string_view money_like_code() {
  return currency::from_code("KWD")->code();
}

std::optional<currency> code(std::string_view text) {
  return currency::from_code(text);
}

// The table covers the whole ISO 4217 list, sorted, unique, with three upper-case letters.
TEST(currency, table_is_complete_and_well_formed) {
  const auto all = currency::all();
  EXPECT_GE(all.size(), 180U);
  std::set<std::string_view> codes;
  for (const auto c : all) {
    ASSERT_EQ(c.code().size(), 3U);
    for (char ch : c.code()) EXPECT_TRUE(ch >= 'A' && ch <= 'Z');
    EXPECT_TRUE(codes.insert(c.code()).second) << c.code();
    const auto found = code(c.code());
    ASSERT_TRUE(found.has_value()) << c.code();
    EXPECT_EQ(*found, c);
  }
  for (const char* known : {"EUR", "USD", "GBP", "INR", "CHF", "CLF", "UYW", "XAU", "XDR", "XXX",
                            "BOV", "CHE", "CHW", "COU", "MXV", "USN", "UYI", "XSU", "XUA", "ZWG"}) {
    EXPECT_TRUE(code(known).has_value()) << known;
  }
}

// Exponents: 0 and 3 and 4 for the listed currencies, 2 for everything else.
TEST(currency, exponents_match_iso) {
  const std::set<std::string_view> zero{"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                        "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                        "VND", "VUV", "XAF", "XOF", "XPF"};
  const std::set<std::string_view> three{"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  const std::set<std::string_view> four{"CLF", "UYW"};
  for (const auto c : currency::all()) {
    int expected = 2;
    if (zero.contains(c.code())) expected = 0;
    if (three.contains(c.code())) expected = 3;
    if (four.contains(c.code())) expected = 4;
    EXPECT_EQ(c.exponent(), expected) << c.code();
    std::int64_t factor = 1;
    for (int i = 0; i < expected; ++i) factor *= 10;
    EXPECT_EQ(c.minor_per_major(), factor) << c.code();
  }
  for (auto z : zero) EXPECT_TRUE(code(z).has_value()) << z;
  for (auto t : three) EXPECT_TRUE(code(t).has_value()) << t;
  EXPECT_EQ(code("JPY")->minor_per_major(), 1);
  EXPECT_EQ(code("EUR")->minor_per_major(), 100);
  EXPECT_EQ(code("KWD")->minor_per_major(), 1000);
  EXPECT_EQ(code("CLF")->minor_per_major(), 10000);
}

// Lookup is exact: lower case, wrong length, spaces and unknown codes are rejected.
TEST(currency, from_code_rejects_wrong_input) {
  for (const char* bad :
       {"", "E", "EU", "eur", "Eur", "EURO", " EUR", "EUR ", "ABC", "ZZZ", "AAA", "ZZZZ", "12 "}) {
    EXPECT_FALSE(code(bad).has_value()) << bad;
  }
  EXPECT_FALSE(code(std::string_view("EUR\0", 4)).has_value());
}

// A currency is a small trivially copyable value; the default is XXX ("no currency").
TEST(currency, is_small_value_type) {
  static_assert(std::is_trivially_copyable_v<currency>);
  static_assert(sizeof(currency) <= 2);
  const currency none;
  EXPECT_EQ(none.code(), "XXX");
  EXPECT_EQ(none, *code("XXX"));
  EXPECT_NE(*code("EUR"), *code("USD"));
  EXPECT_LT(*code("EUR"), *code("USD"));
  EXPECT_EQ(std::hash<currency>{}(*code("EUR")), std::hash<currency>{}(*code("EUR")));
}

// code() views static storage, so it outlives the currency object it came from.
TEST(currency, code_view_outlives_the_value) {
  std::string_view view;
  {
    const auto temporary = currency::from_code("CHF");
    view = temporary->code();
  }
  EXPECT_EQ(view, "CHF");
  EXPECT_EQ(money_like_code(), "KWD");
}

// The payorch::domain spelling names the same types.
TEST(fwd, domain_namespace_alias) {
  static_assert(std::is_same_v<payorch::domain::currency, payorch::currency>);
  static_assert(std::is_same_v<payorch::domain::errc, payorch::errc>);
}

}  // namespace
}  // namespace payorch
