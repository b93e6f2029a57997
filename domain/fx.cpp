#include "domain/fx.hpp"

#include <string>

#include "domain/decimal.hpp"
#include "domain/int128.hpp"

namespace payorch {

using detail::int128;

namespace {
constexpr int rate_decimals = 9;
}  // namespace

result<fx_rate> fx_rate::parse(currency base, currency quote, std::string_view decimal_text) {
  const auto value = decimal::parse(decimal_text);
  if (!value) return fail(errc::invalid_rate, "rate is not a decimal number", "rate");
  if (value->is_negative() || value->is_zero()) {
    return fail(errc::invalid_rate, "rate must be greater than zero", "rate");
  }
  const auto nano = value->to_minor_units(rate_decimals);
  if (!nano) {
    return fail(errc::invalid_rate,
                nano.error().code == errc::too_many_decimals ? "rate has more than 9 decimals"
                                                             : "rate is too large",
                "rate");
  }
  return fx_rate{base, quote, *nano};
}

result<conversion> convert(money from, const fx_rate& rate) {
  if (from.currency_of() != rate.base) {
    return fail(errc::currency_mismatch, "amount is in " + std::string(from.currency_of().code()) +
                                             " but the rate converts from " +
                                             std::string(rate.base.code()));
  }
  if (rate.rate_nano <= 0)
    return fail(errc::invalid_rate, "rate must be greater than zero", "rate");

  const int128 exact = int128{from.amount_minor()} * rate.rate_nano;  // |exact| < 2^126
  const int128 den =
      detail::pow10_128(rate_decimals + rate.base.exponent() - rate.quote.exponent());
  int128 quotient = exact / den;   // truncates toward zero
  int128 remainder = exact % den;  // same sign as exact

  // Round to nearest, ties to even: move one step away from zero when the remainder is
  // more than half, or exactly half and the truncated quotient is odd.
  const int128 twice = remainder < 0 ? -2 * remainder : 2 * remainder;
  if (twice > den || (twice == den && quotient % 2 != 0)) {
    const int step = remainder < 0 ? -1 : 1;
    quotient += step;
    remainder -= step * den;
  }
  if (!detail::fits_int64(quotient)) {
    return fail(errc::amount_overflow, "converted amount overflows 64-bit minor units");
  }
  return conversion{money::of_minor(static_cast<std::int64_t>(quotient), rate.quote),
                    static_cast<std::int64_t>(remainder), static_cast<std::int64_t>(den)};
}

}  // namespace payorch
