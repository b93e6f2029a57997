#include "domain/money.hpp"

#include <cstdint>

#include "domain/int128.hpp"
#include "domain/number_text.hpp"

namespace payorch {
namespace {

failure mismatch(currency left, currency right) {
  return fail(errc::currency_mismatch,
              "cannot combine " + std::string(left.code()) + " with " + std::string(right.code()));
}

failure overflow(std::string_view what) {
  return fail(errc::amount_overflow, std::string(what) + " overflows 64-bit minor units");
}

}  // namespace

result<money> money::parse_major(std::string_view text, currency c) {
  const auto number = detail::parse_number_text(text);
  if (!number) return fail(errc::invalid_amount, "amount is not a JSON number");
  auto minor = detail::scaled_integer(*number, c.exponent());
  if (!minor) {
    if (minor.error().code == errc::too_many_decimals) {
      return fail(errc::too_many_decimals, std::string(c.code()) + " allows at most " +
                                               std::to_string(c.exponent()) + " decimals");
    }
    return overflow("amount");
  }
  return money{*minor, c};
}

result<money> money::plus(money other) const {
  if (currency_ != other.currency_) return mismatch(currency_, other.currency_);
  std::int64_t sum = 0;
  if (__builtin_add_overflow(amount_minor_, other.amount_minor_, &sum)) return overflow("sum");
  return money{sum, currency_};
}

result<money> money::minus(money other) const {
  if (currency_ != other.currency_) return mismatch(currency_, other.currency_);
  std::int64_t difference = 0;
  if (__builtin_sub_overflow(amount_minor_, other.amount_minor_, &difference)) {
    return overflow("difference");
  }
  return money{difference, currency_};
}

result<money> money::negated() const {
  if (amount_minor_ == INT64_MIN) return overflow("negation");
  return money{-amount_minor_, currency_};
}

result<money> money::times(std::int64_t factor) const {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(amount_minor_, factor, &product)) return overflow("product");
  return money{product, currency_};
}

result<std::strong_ordering> money::compare(money other) const {
  if (currency_ != other.currency_) return mismatch(currency_, other.currency_);
  return amount_minor_ <=> other.amount_minor_;
}

std::string money::to_major_string() const {
  // Work on the unsigned magnitude so that INT64_MIN formats too.
  const bool negative = amount_minor_ < 0;
  const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(amount_minor_)
                                           : static_cast<std::uint64_t>(amount_minor_);
  const auto per_major = static_cast<std::uint64_t>(currency_.minor_per_major());
  std::string text = negative ? "-" : "";
  text += std::to_string(magnitude / per_major);
  if (currency_.exponent() > 0) {
    const std::string fraction = std::to_string(magnitude % per_major);
    text += '.';
    text.append(static_cast<std::size_t>(currency_.exponent()) - fraction.size(), '0');
    text += fraction;
  }
  return text;
}

}  // namespace payorch
