// Tests of FX rate parsing and exact half-even currency conversion.
#include "domain/fx.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>

#include "domain/int128.hpp"

namespace payorch {
namespace {

using detail::int128;
constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();

currency cur(std::string_view code) {
  return currency::from_code(code).value();
}

fx_rate rate(const char* base, const char* quote, std::int64_t nano) {
  return fx_rate{cur(base), cur(quote), nano};
}

// Rates parse from decimal text into nano units, exactly.
TEST(fx_rate, parses_decimal_text) {
  const auto eur = cur("EUR");
  const auto usd = cur("USD");
  EXPECT_EQ(fx_rate::parse(eur, usd, "1.0842")->rate_nano, 1'084'200'000);
  EXPECT_EQ(fx_rate::parse(eur, usd, "151.5")->rate_nano, 151'500'000'000);
  EXPECT_EQ(fx_rate::parse(eur, usd, "1")->rate_nano, 1'000'000'000);
  EXPECT_EQ(fx_rate::parse(eur, usd, "0.000000001")->rate_nano, 1);
  EXPECT_EQ(fx_rate::parse(eur, usd, "1e-9")->rate_nano, 1);
  EXPECT_EQ(fx_rate::parse(eur, usd, "2.50e-1")->rate_nano, 250'000'000);
  EXPECT_EQ(fx_rate::parse(eur, usd, "9.223372036")->rate_nano, 9'223'372'036);
  const auto parsed = fx_rate::parse(eur, usd, "0.9");
  EXPECT_EQ(parsed->base, eur);
  EXPECT_EQ(parsed->quote, usd);
}

// Zero, negative, over-precise, oversized and malformed rates are invalid_rate.
TEST(fx_rate, rejects_wrong_input) {
  for (const char* text : {"0", "-1", "-0.5", "0.0000000001", "1e-10", "1e10", "10000000000", "",
                           "abc", "1,5", "+1", ".5", "1.", "1e400", "0e0"}) {
    const auto r = fx_rate::parse(cur("EUR"), cur("USD"), text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, errc::invalid_rate) << text;
    EXPECT_EQ(r.error().param, "rate") << text;
  }
}

// Worked examples, including a cross-exponent conversion with a remainder.
TEST(fx, converts_worked_examples) {
  // 100.00 EUR at 1.0842 = 108.42 USD exactly.
  auto c = convert(money::of_minor(10000, cur("EUR")), rate("EUR", "USD", 1'084'200'000));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->converted, money::of_minor(10842, cur("USD")));
  EXPECT_EQ(c->remainder_num, 0);
  EXPECT_EQ(c->remainder_den, 1'000'000'000);

  // 1.01 EUR at 151.5 JPY = 153.015 JPY -> 153 JPY, 0.015 left over.
  c = convert(money::of_minor(101, cur("EUR")), rate("EUR", "JPY", 151'500'000'000));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->converted, money::of_minor(153, cur("JPY")));
  EXPECT_EQ(c->remainder_den, 100'000'000'000);
  EXPECT_EQ(c->remainder_num, 1'500'000'000);

  // 1 JPY at 0.006 BHD = 0.006 BHD = 6 fils exactly (eq > eb).
  c = convert(money::of_minor(1, cur("JPY")), rate("JPY", "BHD", 6'000'000));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->converted, money::of_minor(6, cur("BHD")));
  EXPECT_EQ(c->remainder_num, 0);
  EXPECT_EQ(c->remainder_den, 1'000'000);

  // 0.07 USD at 0.9 EUR = 0.063 EUR -> 0.06 EUR, +0.3 cents rounded away.
  c = convert(money::of_minor(7, cur("USD")), rate("USD", "EUR", 900'000'000));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->converted.amount_minor(), 6);
  EXPECT_EQ(c->remainder_num * 10, c->remainder_den * 3);

  // -0.07 USD rounds symmetrically.
  c = convert(money::of_minor(-7, cur("USD")), rate("USD", "EUR", 900'000'000));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->converted.amount_minor(), -6);
  EXPECT_EQ(c->remainder_num * 10, -c->remainder_den * 3);

  // 0.08 USD at 0.9 = 0.072 EUR -> 0.07 EUR.
  EXPECT_EQ(convert(money::of_minor(8, cur("USD")), rate("USD", "EUR", 900'000'000))
                ->converted.amount_minor(),
            7);
  // 0.66 USD at 0.99 = 0.6534 EUR -> 0.65 EUR.
  EXPECT_EQ(convert(money::of_minor(66, cur("USD")), rate("USD", "EUR", 990'000'000))
                ->converted.amount_minor(),
            65);
}

// Exact ties round to the even neighbour, in both signs.
TEST(fx, rounds_ties_half_even) {
  const auto half = rate("EUR", "USD", 500'000'000);  // 0.5
  const std::pair<std::int64_t, std::int64_t> cases[] = {
      {1, 0}, {3, 2}, {5, 2}, {7, 4}, {-1, 0}, {-3, -2}, {-5, -2}, {-7, -4}, {2, 1}, {-2, -1}};
  for (const auto& [amount, expected] : cases) {
    const auto c = convert(money::of_minor(amount, cur("EUR")), half);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->converted.amount_minor(), expected) << amount;
    EXPECT_EQ(int128{c->converted.amount_minor()} * c->remainder_den + c->remainder_num,
              int128{amount} * half.rate_nano)
        << amount;
  }
  // Across exponents: 0.50 / 1.50 / 2.50 EUR at 1 JPY are ties -> 0 / 2 / 2 JPY.
  EXPECT_EQ(convert(money::of_minor(50, cur("EUR")), rate("EUR", "JPY", 1'000'000'000))
                ->converted.amount_minor(),
            0);
  EXPECT_EQ(convert(money::of_minor(150, cur("EUR")), rate("EUR", "JPY", 1'000'000'000))
                ->converted.amount_minor(),
            2);
  EXPECT_EQ(convert(money::of_minor(250, cur("EUR")), rate("EUR", "JPY", 1'000'000'000))
                ->converted.amount_minor(),
            2);
}

// A money not in the rate's base currency is currency_mismatch; a broken rate is invalid_rate.
TEST(fx, rejects_mismatch_and_bad_rate) {
  const auto c = convert(money::of_minor(100, cur("USD")), rate("EUR", "USD", 1'000'000'000));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::currency_mismatch);
  EXPECT_EQ(convert(money::of_minor(100, cur("EUR")), rate("EUR", "USD", 0)).error().code,
            errc::invalid_rate);
  EXPECT_EQ(convert(money::of_minor(100, cur("EUR")), rate("EUR", "USD", -5)).error().code,
            errc::invalid_rate);
}

// Results beyond int64 are amount_overflow; results just inside are exact.
TEST(fx, reports_overflow) {
  const std::int64_t one = 1'000'000'000;
  EXPECT_EQ(convert(money::of_minor(i64_max, cur("JPY")), rate("JPY", "JPY", one))
                ->converted.amount_minor(),
            i64_max);
  EXPECT_EQ(convert(money::of_minor(i64_max, cur("JPY")), rate("JPY", "EUR", one)).error().code,
            errc::amount_overflow);
  EXPECT_EQ(convert(money::of_minor(i64_max, cur("JPY")), rate("JPY", "CLF", i64_max)).error().code,
            errc::amount_overflow);
  EXPECT_EQ(
      convert(money::of_minor(-i64_max, cur("CLF")), rate("CLF", "JPY", i64_max)).error().code,
      errc::amount_overflow);
  EXPECT_EQ(convert(money::of_minor(i64_max, cur("EUR")), rate("EUR", "USD", 2 * one)).error().code,
            errc::amount_overflow);
}

// Reference rounding written differently (floor first, then decide) for the property test.
int128 reference_round(int128 exact, int128 den) {
  int128 floor_q = exact / den;
  int128 rest = exact % den;
  if (rest < 0) {
    floor_q -= 1;
    rest += den;
  }
  if (2 * rest > den || (2 * rest == den && floor_q % 2 != 0)) return floor_q + 1;
  return floor_q;
}

// Property (b): for thousands of random amounts, rates and currency pairs, nothing is
// created or lost beyond the reported remainder, and rounding is nearest, ties to even.
TEST(fx, property_conversion_conserves_value) {
  std::mt19937_64 rng(1234567);
  const char* const codes[] = {"JPY", "EUR", "USD", "BHD", "CLF", "KWD", "ISK"};
  int ties = 0;
  for (int i = 0; i < 50000; ++i) {
    const auto base = cur(codes[rng() % std::size(codes)]);
    const auto quote = cur(codes[rng() % std::size(codes)]);
    std::int64_t amount = static_cast<std::int64_t>(rng()) >> (rng() % 64);
    std::int64_t nano = static_cast<std::int64_t>(rng() >> 1) >> (rng() % 63);
    if (nano == 0) nano = 1;
    if (i % 4 == 0) nano = 500'000'000 >> (rng() % 3);  // 0.5, 0.25, 0.125: many exact ties
    const fx_rate r{base, quote, nano};
    const int128 exact = int128{amount} * nano;
    const int128 den = detail::pow10_128(9 + base.exponent() - quote.exponent());
    const int128 expected = reference_round(exact, den);

    const auto c = convert(money::of_minor(amount, base), r);
    if (!detail::fits_int64(expected)) {
      ASSERT_FALSE(c);
      ASSERT_EQ(c.error().code, errc::amount_overflow);
      continue;
    }
    ASSERT_TRUE(c) << amount << " * " << nano;
    ASSERT_EQ(c->converted.currency_of(), quote);
    ASSERT_EQ(c->remainder_den, static_cast<std::int64_t>(den));
    ASSERT_EQ(int128{c->converted.amount_minor()}, expected) << amount << " * " << nano;
    ASSERT_EQ(int128{c->converted.amount_minor()} * c->remainder_den + c->remainder_num, exact);
    const int128 twice = 2 * int128{c->remainder_num};
    ASSERT_LE(twice < 0 ? -twice : twice, den);
    if (twice == den || twice == -den) {
      ++ties;
      ASSERT_EQ(c->converted.amount_minor() % 2, 0) << amount << " * " << nano;
    }
  }
  EXPECT_GT(ties, 100);  // the tie-heavy rates really exercised half-even
}

// Half-even has no drift: converting every cent of a range at 0.5 loses nothing on average.
TEST(fx, property_half_even_is_unbiased) {
  const auto half = rate("EUR", "USD", 500'000'000);
  int128 rounded_sum = 0;
  int128 exact_sum_nano = 0;
  for (std::int64_t amount = -1000; amount <= 1000; ++amount) {
    const auto c = convert(money::of_minor(amount, cur("EUR")), half);
    ASSERT_TRUE(c);
    rounded_sum += c->converted.amount_minor();
    exact_sum_nano += int128{amount} * half.rate_nano;
  }
  EXPECT_EQ(rounded_sum * 1'000'000'000, exact_sum_nano);
}

}  // namespace
}  // namespace payorch
