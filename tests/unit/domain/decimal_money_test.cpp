// Tests of exact decimal parsing, money formatting/parsing and checked money arithmetic.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "domain/decimal.hpp"
#include "domain/int128.hpp"
#include "domain/money.hpp"

namespace payorch {
namespace {

using detail::int128;
constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();

currency cur(std::string_view code) {
  return currency::from_code(code).value();
}

// Texts that break the JSON number grammar (shared by decimal and money tests).
const char* const not_json_numbers[] = {
    "",      "-",    "+1",  "01",        "00",    "-01", ".5",    "5.",   "-.5",   "1.",
    "1e",    "1e+",  "1E-", "e5",        "abc",   " 1",  "1 ",    "1,5",  "1.5.5", "0x10",
    "NaN",   "nan",  "Inf", "-Infinity", "1_000", "--1", "1e1.5", "1ee2", "\t1",   "1\n",
    "1e+-2", "0.5e", "١",   "1.0e+",     "- 1",   "12a", "1e5x",  "0b1",  "1d",    "½"};

// decimal::parse reads JSON number text exactly and normalises trailing zeros away.
TEST(decimal, parses_json_numbers_exactly) {
  struct example {
    const char* text;
    std::int64_t coefficient;
    int scale;
  };
  const example examples[] = {
      {"0.66", 66, 2},
      {"5000", 5000, 0},
      {"1.50", 15, 1},
      {"1e3", 1000, 0},
      {"2.50e-1", 25, 2},
      {"1.5E+2", 150, 0},
      {"-0", 0, 0},
      {"0", 0, 0},
      {"-0.0e7", 0, 0},
      {"-1.25", -125, 2},
      {"0.1", 1, 1},
      {"1", 1, 0},
      {"0.000000000000000001", 1, 18},
      {"1.0000000000000000000000", 1, 0},
      {"9223372036854775807", i64_max, 0},
      {"-9223372036854775808", i64_min, 0},
      {"12345678901234567.89", 1234567890123456789, 2},
      {"123e-18", 123, 18},
      {"4.2e1", 42, 0},
  };
  for (const auto& e : examples) {
    const auto d = decimal::parse(e.text);
    ASSERT_TRUE(d) << e.text << ": " << d.error().detail;
    EXPECT_EQ(d->coefficient, e.coefficient) << e.text;
    EXPECT_EQ(d->scale, e.scale) << e.text;
  }
}

// decimal::parse rejects bad syntax, too many decimals and values past int64.
TEST(decimal, rejects_wrong_input) {
  for (const char* text : not_json_numbers) {
    const auto d = decimal::parse(text);
    ASSERT_FALSE(d) << text;
    EXPECT_EQ(d.error().code, errc::invalid_amount) << text;
  }
  for (const char* text : {"0.0000000000000000001", "1e-19", "123e-20", "1.0000000000000000001"}) {
    const auto d = decimal::parse(text);
    ASSERT_FALSE(d) << text;
    EXPECT_EQ(d.error().code, errc::too_many_decimals) << text;
  }
  for (const char* text : {"9223372036854775808", "-9223372036854775809", "1e19",
                           "92233720368547758.08", "1e99999999999999999999999"}) {
    const auto d = decimal::parse(text);
    ASSERT_FALSE(d) << text;
    EXPECT_EQ(d.error().code, errc::amount_overflow) << text;
  }
}

// to_string prints plain positional text, including the most negative coefficient.
TEST(decimal, to_string_is_positional) {
  EXPECT_EQ((decimal{66, 2}).to_string(), "0.66");
  EXPECT_EQ((decimal{5000, 0}).to_string(), "5000");
  EXPECT_EQ((decimal{15, 1}).to_string(), "1.5");
  EXPECT_EQ((decimal{-5, 3}).to_string(), "-0.005");
  EXPECT_EQ((decimal{0, 0}).to_string(), "0");
  EXPECT_EQ((decimal{i64_min, 18}).to_string(), "-9.223372036854775808");
  EXPECT_EQ((decimal{1, 18}).to_string(), "0.000000000000000001");
  EXPECT_EQ(decimal::normalized(1500, 3), (decimal{15, 1}));
  EXPECT_EQ(decimal::normalized(1500, 3).scale, 1);
  EXPECT_EQ(decimal::normalized(1500, 0).coefficient, 1500);
}

// Comparisons are exact across scales, even at the int64 extremes.
TEST(decimal, compares_exactly_across_scales) {
  EXPECT_EQ((decimal{15, 1}), (decimal{150, 2}));
  EXPECT_LT((decimal{66, 2}), (decimal{7, 1}));
  EXPECT_LT((decimal{-1, 0}), (decimal{0, 0}));
  EXPECT_GT((decimal{i64_max, 0}), (decimal{i64_max, 18}));
  EXPECT_LT((decimal{i64_min, 0}), (decimal{i64_min, 18}));
  EXPECT_GT((decimal{1, 18}), (decimal{0, 0}));
  EXPECT_LT((decimal{-1, 18}), (decimal{0, 5}));
  EXPECT_NE((decimal{1, 18}), (decimal{1, 17}));
  EXPECT_TRUE((decimal{-3, 1}).is_negative());
  EXPECT_FALSE((decimal{0, 3}).is_negative());
  EXPECT_TRUE((decimal{0, 3}).is_zero());
}

// to_minor_units is exact or fails; it never rounds.
TEST(decimal, to_minor_units_is_exact) {
  EXPECT_EQ(*(decimal{66, 2}).to_minor_units(2), 66);
  EXPECT_EQ(*(decimal{5000, 0}).to_minor_units(2), 500000);
  EXPECT_EQ(*(decimal{120, 2}).to_minor_units(1), 12);
  EXPECT_EQ(*(decimal{-15, 1}).to_minor_units(4), -15000);
  EXPECT_EQ(*(decimal{i64_min, 0}).to_minor_units(0), i64_min);
  EXPECT_EQ((decimal{665, 3}).to_minor_units(2).error().code, errc::too_many_decimals);
  EXPECT_EQ((decimal{15, 1}).to_minor_units(0).error().code, errc::too_many_decimals);
  EXPECT_EQ((decimal{i64_max, 0}).to_minor_units(1).error().code, errc::amount_overflow);
  EXPECT_EQ((decimal{1, 0}).to_minor_units(19).error().code, errc::invalid_argument);
  EXPECT_EQ((decimal{1, 0}).to_minor_units(-1).error().code, errc::invalid_argument);
  EXPECT_EQ((decimal{1, 19}).to_minor_units(2).error().code, errc::invalid_argument);
}

// Property: any coefficient/scale prints and parses back to the normalised value.
TEST(decimal, property_to_string_round_trips) {
  std::mt19937_64 rng(20240522);
  for (int i = 0; i < 20000; ++i) {
    const auto coefficient = static_cast<std::int64_t>(rng()) >> (rng() % 64);
    const int scale = static_cast<int>(rng() % 19);
    const decimal value{coefficient, scale};
    const auto back = decimal::parse(value.to_string());
    ASSERT_TRUE(back) << value.to_string();
    EXPECT_EQ(*back, value);
    const auto normal = decimal::normalized(coefficient, scale);
    EXPECT_EQ(back->coefficient, normal.coefficient) << value.to_string();
    EXPECT_EQ(back->scale, normal.scale) << value.to_string();
  }
}

// parse_major accepts every JSON number form whose value fits the currency exactly.
TEST(money, parse_major_reads_exact_values) {
  const auto eur = cur("EUR");
  struct example {
    const char* text;
    std::int64_t minor;
  };
  const example examples[] = {
      {"15000", 1500000},
      {"15000.5", 1500050},
      {"15000.00", 1500000},
      {"-1.25", -125},
      {"0.1", 10},
      {"1e3", 100000},
      {"1.5E+2", 15000},
      {"2.50e-1", 25},
      {"1.230", 123},
      {"-0", 0},
      {"0e5", 0},
      {"0.000", 0},
      {"1.2300000000000000000000000", 123},
      {"1e16", 1'000'000'000'000'000'000},
      {"92233720368547758.07", i64_max},
      {"-92233720368547758.08", i64_min},
      {"0.01", 1},
      {"123456789e-2", 123456789},
      {"0E0", 0},
      {"7E+0", 700},
  };
  for (const auto& e : examples) {
    const auto m = money::parse_major(e.text, eur);
    ASSERT_TRUE(m) << e.text << ": " << m.error().detail;
    EXPECT_EQ(m->amount_minor(), e.minor) << e.text;
    EXPECT_EQ(m->currency_of(), eur);
  }
  EXPECT_EQ(money::parse_major("100", cur("JPY"))->amount_minor(), 100);
  EXPECT_EQ(money::parse_major("100.0", cur("JPY"))->amount_minor(), 100);
  EXPECT_EQ(money::parse_major("1.234", cur("BHD"))->amount_minor(), 1234);
  EXPECT_EQ(money::parse_major("1.2345", cur("CLF"))->amount_minor(), 12345);
  EXPECT_EQ(money::parse_minor(42, eur)->amount_minor(), 42);
}

// parse_major rejects garbage, excess decimals (never rounding) and values past int64.
TEST(money, parse_major_rejects_wrong_input) {
  const auto eur = cur("EUR");
  for (const char* text : not_json_numbers) {
    const auto m = money::parse_major(text, eur);
    ASSERT_FALSE(m) << text;
    EXPECT_EQ(m.error().code, errc::invalid_amount) << text;
  }
  const std::pair<const char*, const char*> too_precise[] = {{"1.234", "EUR"},
                                                             {"1e-3", "EUR"},
                                                             {"0.001", "EUR"},
                                                             {"100.5", "JPY"},
                                                             {"1e-1", "JPY"},
                                                             {"1.2345", "BHD"},
                                                             {"1.23456", "CLF"},
                                                             {"1e-99999999999999999", "EUR"},
                                                             {"123456789012345678901.234", "EUR"}};
  for (const auto& [text, code] : too_precise) {
    const auto m = money::parse_major(text, cur(code));
    ASSERT_FALSE(m) << text << " " << code;
    EXPECT_EQ(m.error().code, errc::too_many_decimals) << text << " " << code;
  }
  for (const char* text : {"92233720368547758.08", "-92233720368547758.09", "1e17", "-1e17",
                           "1e999999999999999999999", "100000000000000000000"}) {
    const auto m = money::parse_major(text, eur);
    ASSERT_FALSE(m) << text;
    EXPECT_EQ(m.error().code, errc::amount_overflow) << text;
  }
  EXPECT_EQ(money::parse_major("9223372036854775808", cur("JPY")).error().code,
            errc::amount_overflow);
  EXPECT_EQ(money::parse_major("-9223372036854775808", cur("JPY"))->amount_minor(), i64_min);
}

// to_major_string prints exactly exponent() decimals, with a leading zero and sign.
TEST(money, to_major_string_formats_exactly) {
  EXPECT_EQ(money::of_minor(1500000, cur("EUR")).to_major_string(), "15000.00");
  EXPECT_EQ(money::of_minor(-5, cur("EUR")).to_major_string(), "-0.05");
  EXPECT_EQ(money::of_minor(-100, cur("EUR")).to_major_string(), "-1.00");
  EXPECT_EQ(money::of_minor(0, cur("EUR")).to_major_string(), "0.00");
  EXPECT_EQ(money::of_minor(100, cur("JPY")).to_major_string(), "100");
  EXPECT_EQ(money::of_minor(-7, cur("JPY")).to_major_string(), "-7");
  EXPECT_EQ(money::of_minor(1234, cur("BHD")).to_major_string(), "1.234");
  EXPECT_EQ(money::of_minor(1, cur("CLF")).to_major_string(), "0.0001");
  EXPECT_EQ(money::of_minor(i64_min, cur("EUR")).to_major_string(), "-92233720368547758.08");
  EXPECT_EQ(money::of_minor(i64_max, cur("EUR")).to_major_string(), "92233720368547758.07");
  EXPECT_EQ(money::of_minor(i64_min, cur("JPY")).to_major_string(), "-9223372036854775808");
}

// Property (a): for every exponent, formatting then parsing returns the same money,
// also when the text is respelled with an exponent or extra trailing zeros.
TEST(money, property_format_parse_round_trips) {
  std::mt19937_64 rng(42);
  for (const char* code : {"JPY", "EUR", "BHD", "CLF"}) {
    const auto c = cur(code);
    for (int i = 0; i < 5000; ++i) {
      std::int64_t amount = static_cast<std::int64_t>(rng());
      if (i % 3 == 1) amount >>= rng() % 63;  // small magnitudes too
      if (i == 0) amount = i64_min;
      if (i == 1) amount = i64_max;
      if (i == 2) amount = 0;
      const auto m = money::of_minor(amount, c);
      const std::string text = m.to_major_string();
      const auto back = money::parse_major(text, c);
      ASSERT_TRUE(back) << code << " " << text;
      ASSERT_EQ(*back, m) << code << " " << text;
      // The same value spelled as integer * 10^-exponent, and with padded decimals.
      const auto scientific =
          money::parse_major(std::to_string(amount) + "e-" + std::to_string(c.exponent()), c);
      ASSERT_TRUE(scientific) << code << " " << amount;
      ASSERT_EQ(*scientific, m);
      const std::string padded = text + (c.exponent() == 0 ? ".000" : "000");
      ASSERT_EQ(*money::parse_major(padded, c), m) << padded;
    }
  }
}

// Arithmetic on one currency works; mixing currencies is currency_mismatch.
TEST(money, arithmetic_checks_currency) {
  const auto eur = cur("EUR");
  const auto a = money::of_minor(150, eur);
  const auto b = money::of_minor(-20, eur);
  EXPECT_EQ(*a.plus(b), money::of_minor(130, eur));
  EXPECT_EQ(*a.minus(b), money::of_minor(170, eur));
  EXPECT_EQ(*a.negated(), money::of_minor(-150, eur));
  EXPECT_EQ(*a.times(-3), money::of_minor(-450, eur));
  EXPECT_EQ(*a.compare(b), std::strong_ordering::greater);
  EXPECT_EQ(*b.compare(a), std::strong_ordering::less);
  EXPECT_EQ(*a.compare(a), std::strong_ordering::equal);
  const auto usd = money::of_minor(150, cur("USD"));
  EXPECT_EQ(a.plus(usd).error().code, errc::currency_mismatch);
  EXPECT_EQ(a.minus(usd).error().code, errc::currency_mismatch);
  EXPECT_EQ(a.compare(usd).error().code, errc::currency_mismatch);
  EXPECT_NE(a, usd);
  EXPECT_TRUE(money::zero(eur).is_zero());
  EXPECT_TRUE(b.is_negative());
  EXPECT_TRUE(a.is_positive());
  EXPECT_EQ(money{}.currency_of().code(), "XXX");
}

// Overflow is reported at the int64 limits and INT64_MIN cannot be negated.
TEST(money, arithmetic_reports_overflow_at_limits) {
  const auto eur = cur("EUR");
  const auto max = money::of_minor(i64_max, eur);
  const auto min = money::of_minor(i64_min, eur);
  const auto one = money::of_minor(1, eur);
  EXPECT_EQ(max.plus(one).error().code, errc::amount_overflow);
  EXPECT_EQ(min.minus(one).error().code, errc::amount_overflow);
  EXPECT_EQ(min.negated().error().code, errc::amount_overflow);
  EXPECT_EQ(max.times(2).error().code, errc::amount_overflow);
  EXPECT_EQ(min.times(-1).error().code, errc::amount_overflow);
  EXPECT_EQ(*max.negated(), money::of_minor(-i64_max, eur));
  EXPECT_EQ(*max.minus(max), money::zero(eur));
  EXPECT_EQ(*min.plus(max), money::of_minor(-1, eur));
  EXPECT_EQ(*min.times(1), min);
}

// Property (c): near the int64 limits every operation either matches exact 128-bit
// arithmetic or reports amount_overflow; it never wraps.
TEST(money, property_checked_arithmetic_matches_128_bit) {
  std::mt19937_64 rng(7);
  const auto eur = cur("EUR");
  const auto near_limit = [&] {
    const std::int64_t offset = static_cast<std::int64_t>(rng() % 1000);
    switch (rng() % 4) {
      case 0:
        return i64_max - offset;
      case 1:
        return i64_min + offset;
      case 2:
        return static_cast<std::int64_t>(rng());
      default:
        return static_cast<std::int64_t>(rng() % 2001) - 1000;
    }
  };
  const auto check = [](const result<money>& got, int128 exact) {
    if (detail::fits_int64(exact)) {
      ASSERT_TRUE(got);
      ASSERT_EQ(got->amount_minor(), static_cast<std::int64_t>(exact));
    } else {
      ASSERT_FALSE(got);
      ASSERT_EQ(got.error().code, errc::amount_overflow);
    }
  };
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t x = near_limit();
    const std::int64_t y = near_limit();
    const auto a = money::of_minor(x, eur);
    const auto b = money::of_minor(y, eur);
    check(a.plus(b), int128{x} + y);
    check(a.minus(b), int128{x} - y);
    check(a.negated(), -int128{x});
    const std::int64_t factor = static_cast<std::int64_t>(rng() % 7) - 3;
    check(a.times(factor), int128{x} * factor);
    check(a.times(y), int128{x} * y);
  }
}

}  // namespace
}  // namespace payorch
