#pragma once
/// The exact reading of JSON number text shared by decimal, money and FX parsing.
///
/// Grammar (RFC 8259): `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, nothing
/// else: no leading '+', no leading zeros, no ".5", no "5.", no spaces. The value is
/// kept as a digit string and a power of ten, so nothing is ever rounded.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace payorch::detail {

/// A number as sign * digits * 10^exponent, with digits free of leading and trailing zeros.
struct number_text {
  bool negative = false;      ///< Never true for zero ("-0" reads as 0).
  std::string digits;         ///< Significant digits; empty means the value is zero.
  std::int64_t exponent = 0;  ///< Saturates far outside any range an int64 can reach.
};

/// Reads `text` with the JSON number grammar; nullopt when it is not a JSON number.
std::optional<number_text> parse_number_text(std::string_view text);

/// The number times 10^shift as an exact int64: too_many_decimals when that is not an
/// integer, amount_overflow when it is outside int64.
result<std::int64_t> scaled_integer(const number_text& number, int shift);

}  // namespace payorch::detail
