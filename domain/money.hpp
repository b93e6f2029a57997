#pragma once
/// Amounts of money: signed 64-bit minor units plus a currency, with checked arithmetic.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/currency.hpp"
#include "domain/result.hpp"

namespace payorch {

/// An exact amount in minor units (cents for EUR, yen for JPY) of one currency.
///
/// Arithmetic never wraps and never mixes currencies: it returns amount_overflow or
/// currency_mismatch instead. Default-constructed money is zero XXX (see currency).
class money {
 public:
  constexpr money() noexcept = default;

  /// `amount_minor` minor units of `c`; every int64 is a valid amount.
  static constexpr money of_minor(std::int64_t amount_minor, currency c) noexcept {
    return money{amount_minor, c};
  }

  /// Zero in `c`.
  static constexpr money zero(currency c) noexcept { return money{0, c}; }

  /// The same as of_minor, shaped like parse_major for symmetric call sites; never fails.
  static result<money> parse_minor(std::int64_t amount_minor, currency c) {
    return of_minor(amount_minor, c);
  }

  /// Reads a decimal amount in major units, exactly: JSON number text such as "15000",
  /// "15000.5", "-1.25", "1e3" or "2.50e-1". Errors: invalid_amount for anything that is
  /// not a JSON number, too_many_decimals when the value has more decimals than the
  /// currency's minor unit ("1.234" EUR; "1.230" is fine), amount_overflow past int64.
  static result<money> parse_major(std::string_view text, currency c);

  constexpr std::int64_t amount_minor() const noexcept { return amount_minor_; }
  constexpr currency currency_of() const noexcept { return currency_; }

  constexpr bool is_zero() const noexcept { return amount_minor_ == 0; }
  constexpr bool is_negative() const noexcept { return amount_minor_ < 0; }
  constexpr bool is_positive() const noexcept { return amount_minor_ > 0; }

  /// this + other; currency_mismatch or amount_overflow on failure.
  result<money> plus(money other) const;
  /// this - other; currency_mismatch or amount_overflow on failure.
  result<money> minus(money other) const;
  /// -this; amount_overflow for the most negative amount.
  result<money> negated() const;
  /// this * factor; amount_overflow when the product leaves int64.
  result<money> times(std::int64_t factor) const;
  /// The order of two amounts of one currency; currency_mismatch otherwise.
  result<std::strong_ordering> compare(money other) const;

  /// The amount in major units with exactly exponent() decimals: "15000.00", "-0.05",
  /// "100" (JPY), "1.234" (BHD). parse_major reads it back to the same money.
  std::string to_major_string() const;

  /// Same amount and same currency.
  friend constexpr bool operator==(const money&, const money&) = default;

 private:
  constexpr money(std::int64_t amount_minor, currency c) noexcept
      : amount_minor_(amount_minor), currency_(c) {}

  std::int64_t amount_minor_ = 0;
  currency currency_{};
};

}  // namespace payorch
