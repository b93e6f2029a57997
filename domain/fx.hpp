#pragma once
/// Fixed-point foreign-exchange rates and exact, half-even currency conversion.
///
/// Rule. A rate says 1 major unit of `base` = rate_nano * 10^-9 major units of `quote`.
/// With eb and eq the minor-unit exponents of base and quote, converting `a` minor units
/// of base gives exactly
///
///     a * rate_nano / D   minor units of quote,   D = 10^(9 + eb - eq)
///
/// (eb and eq are 0..4, so D is 10^5..10^13 and always an integer). The product
/// a * rate_nano is below 2^126 and is formed in 128-bit integers; the quotient is rounded
/// to the nearest integer with ties to even (banker's rounding, so repeated conversions
/// carry no bias). Nothing is lost silently: the part rounding removed comes back as
/// remainder_num / remainder_den with remainder_den = D, so always
///
///     converted.amount_minor() * remainder_den + remainder_num == a * rate_nano
///
/// and |remainder_num| <= remainder_den / 2. A rounded result outside int64 is
/// amount_overflow.

#include <cstdint>
#include <string_view>

#include "domain/currency.hpp"
#include "domain/money.hpp"
#include "domain/result.hpp"

namespace payorch {

/// 1 major unit of base = rate_nano * 10^-9 major units of quote (rate_nano > 0).
struct fx_rate {
  currency base;
  currency quote;
  std::int64_t rate_nano = 0;

  /// Reads a rate from decimal text ("1.0842", "151.5"): JSON number grammar, at most
  /// 9 decimals, strictly positive, below 2^63 nano; invalid_rate otherwise.
  static result<fx_rate> parse(currency base, currency quote, std::string_view decimal_text);

  friend bool operator==(const fx_rate&, const fx_rate&) = default;
};

/// A rounded conversion and the exact part rounding removed.
///
/// The exact converted value, in minor units of the quote currency, is
/// converted.amount_minor() + remainder_num / remainder_den. remainder_den is the power of
/// ten D of the rule above (10^5..10^13), and |remainder_num| <= remainder_den / 2.
struct conversion {
  money converted;
  std::int64_t remainder_num = 0;
  std::int64_t remainder_den = 1;
};

/// Converts `from` (which must be in rate.base) into rate.quote, rounding half-even:
/// currency_mismatch when from is not in rate.base, amount_overflow when the result
/// leaves int64, invalid_rate when rate_nano is not positive.
result<conversion> convert(money from, const fx_rate& rate);

}  // namespace payorch
