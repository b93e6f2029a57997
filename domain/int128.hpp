#pragma once
/// 128-bit integer aliases for exact intermediates in money, decimal and FX arithmetic.
///
/// GCC and Clang both provide __int128 on every 64-bit target payorch builds for;
/// `__extension__` keeps -Wpedantic quiet about the non-ISO type.

#include <cstdint>

namespace payorch::detail {

__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

/// 10^n as int128 for n in 0..38.
constexpr int128 pow10_128(int n) noexcept {
  int128 value = 1;
  for (int i = 0; i < n; ++i) value *= 10;
  return value;
}

/// True when `value` fits std::int64_t.
constexpr bool fits_int64(int128 value) noexcept {
  return value >= INT64_MIN && value <= INT64_MAX;
}

}  // namespace payorch::detail
