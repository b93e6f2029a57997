#pragma once
/// ISO 4217 currencies with their minor-unit exponents, compiled into the binary.

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "domain/fwd.hpp"

namespace payorch {

/// One ISO 4217 currency: its three-letter code and the number of decimals of its minor unit.
///
/// Small and trivially copyable (two bytes: a position in the compiled-in table and the
/// exponent), so pass it by value. A default-constructed currency is XXX, ISO's code for
/// "no currency"; it exists so that containers and deserialisers can create values, and
/// no real money should ever carry it.
class currency {
 public:
  constexpr currency() noexcept = default;

  /// The currency with exactly this upper-case code (e.g. "EUR"), or nullopt.
  static std::optional<currency> from_code(std::string_view code) noexcept;

  /// Every known currency, sorted by code.
  static std::span<const currency> all() noexcept;

  /// The three-letter code, e.g. "EUR"; the view points into static storage and stays
  /// valid for the life of the program.
  std::string_view code() const noexcept;

  /// Decimals of the minor unit: 2 for EUR, 0 for JPY, 3 for BHD, 4 for CLF.
  constexpr int exponent() const noexcept { return exponent_; }

  /// 10^exponent(): minor units in one major unit (100 for EUR, 1 for JPY).
  constexpr std::int64_t minor_per_major() const noexcept {
    std::int64_t factor = 1;
    for (int i = 0; i < exponent_; ++i) factor *= 10;
    return factor;
  }

  friend constexpr bool operator==(const currency&, const currency&) = default;
  /// Orders by code (the table is sorted), so currencies can key ordered containers.
  friend constexpr auto operator<=>(const currency&, const currency&) = default;

 private:
  friend struct currency_table;
  /// Position of XXX in the sorted table; currency.cpp checks it at compile time.
  static constexpr std::uint8_t xxx_index = 177;

  constexpr currency(std::uint8_t index, std::uint8_t exponent) noexcept
      : index_(index), exponent_(exponent) {}

  std::uint8_t index_ = xxx_index;
  std::uint8_t exponent_ = 2;
};

}  // namespace payorch

template <>
struct std::hash<payorch::currency> {
  std::size_t operator()(const payorch::currency& c) const noexcept {
    return std::hash<std::string_view>{}(c.code());  // the code is unique per currency
  }
};
