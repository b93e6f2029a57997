#include "domain/decimal.hpp"

#include <cassert>
#include <cstdint>

#include "domain/int128.hpp"
#include "domain/number_text.hpp"

namespace payorch {

using detail::int128;

result<decimal> decimal::parse(std::string_view text) {
  const auto number = detail::parse_number_text(text);
  if (!number) return fail(errc::invalid_amount, "not a JSON number");
  if (number->exponent >= 0) {
    auto coefficient = detail::scaled_integer(*number, 0);
    if (!coefficient) return coefficient.error();
    return decimal{*coefficient, 0};
  }
  if (number->exponent < -max_scale) {
    return fail(errc::too_many_decimals, "more than 18 decimals");
  }
  const int scale = static_cast<int>(-number->exponent);
  auto coefficient = detail::scaled_integer(*number, scale);
  if (!coefficient) return coefficient.error();
  return decimal{*coefficient, scale};
}

decimal decimal::normalized(std::int64_t coefficient, int scale) noexcept {
  assert(scale >= 0 && scale <= max_scale);
  while (scale > 0 && coefficient % 10 == 0) {
    coefficient /= 10;
    --scale;
  }
  return decimal{coefficient, scale};
}

std::string decimal::to_string() const {
  // The magnitude as unsigned keeps INT64_MIN printable.
  const bool negative = coefficient < 0;
  const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(coefficient)
                                           : static_cast<std::uint64_t>(coefficient);
  std::string digits = std::to_string(magnitude);
  if (scale > 0) {
    const auto width = static_cast<std::size_t>(scale);
    if (digits.size() <= width) digits.insert(0, width + 1 - digits.size(), '0');
    digits.insert(digits.size() - width, 1, '.');
  }
  if (negative) digits.insert(0, 1, '-');
  return digits;
}

result<std::int64_t> decimal::to_minor_units(int exponent) const {
  if (exponent < 0 || exponent > max_scale || scale < 0 || scale > max_scale) {
    return fail(errc::invalid_argument, "decimal scale or exponent outside 0..18");
  }
  const int shift = exponent - scale;
  if (shift >= 0) {
    const int128 value = int128{coefficient} * detail::pow10_128(shift);
    if (!detail::fits_int64(value)) {
      return fail(errc::amount_overflow, "the number is outside the 64-bit range");
    }
    return static_cast<std::int64_t>(value);
  }
  const int128 divisor = detail::pow10_128(-shift);
  if (int128{coefficient} % divisor != 0) {
    return fail(errc::too_many_decimals, "more decimals than " + std::to_string(exponent));
  }
  return static_cast<std::int64_t>(int128{coefficient} / divisor);
}

std::strong_ordering operator<=>(const decimal& a, const decimal& b) noexcept {
  // |coefficient| < 2^63 and 10^18 < 2^60, so the scaled values stay below 2^123.
  const int common = a.scale > b.scale ? a.scale : b.scale;
  const int128 left = int128{a.coefficient} * detail::pow10_128(common - a.scale);
  const int128 right = int128{b.coefficient} * detail::pow10_128(common - b.scale);
  return left <=> right;
}

}  // namespace payorch
