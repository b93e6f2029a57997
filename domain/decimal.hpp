#pragma once
/// Exact decimal numbers for rates, quorums and limits read from JSON text.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace payorch {

/// The exact number coefficient * 10^-scale, with scale in 0..18.
///
/// parse() returns it normalised (no trailing zeros in the coefficient unless scale is 0),
/// so "1.50" and "1.5" give equal members. Comparisons are exact across scales (0..18) whether
/// or not a value is normalised.
struct decimal {
  std::int64_t coefficient = 0;
  int scale = 0;

  /// The largest scale a decimal may have (an int64 still holds 10^18).
  static constexpr int max_scale = 18;

  /// Reads JSON number text ("0.66", "5000", "1e3", "2.50e-1"): invalid_amount on bad
  /// syntax, too_many_decimals past 18 decimals, amount_overflow past int64.
  static result<decimal> parse(std::string_view text);

  /// coefficient * 10^-scale with trailing zeros moved out of the coefficient; scale must
  /// be in 0..18.
  static decimal normalized(std::int64_t coefficient, int scale) noexcept;

  /// Plain positional text without exponent: "0.66", "5000", "-1.5", "0".
  std::string to_string() const;

  /// This number in units of 10^-exponent (e.g. cents for exponent 2): too_many_decimals
  /// when that is not an integer, amount_overflow past int64, invalid_argument when
  /// exponent or scale is outside 0..18.
  result<std::int64_t> to_minor_units(int exponent) const;

  bool is_negative() const noexcept { return coefficient < 0; }
  bool is_zero() const noexcept { return coefficient == 0; }

  friend std::strong_ordering operator<=>(const decimal& a, const decimal& b) noexcept;
  friend bool operator==(const decimal& a, const decimal& b) noexcept {
    return (a <=> b) == std::strong_ordering::equal;
  }
};

}  // namespace payorch
