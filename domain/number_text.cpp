#include "domain/number_text.hpp"

#include <cstddef>

#include "domain/int128.hpp"

namespace payorch::detail {
namespace {

// Exponents beyond this are saturated: they are far outside anything an int64 (19
// digits) can hold, and saturation keeps the arithmetic below free of overflow.
constexpr std::int64_t exponent_cap = 1'000'000'000'000;

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Advances `pos` over a run of digits and returns how many there were.
std::size_t skip_digits(std::string_view text, std::size_t& pos) noexcept {
  const std::size_t start = pos;
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  return pos - start;
}

// Reads the optional "e[+-]digits" part; false on a malformed exponent.
bool read_exponent(std::string_view text, std::size_t& pos, std::int64_t& exponent) noexcept {
  exponent = 0;
  if (pos == text.size() || (text[pos] != 'e' && text[pos] != 'E')) return true;
  ++pos;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) negative = text[pos++] == '-';
  const std::size_t start = pos;
  if (skip_digits(text, pos) == 0) return false;
  for (std::size_t i = start; i < pos; ++i) {
    exponent = exponent * 10 + (text[i] - '0');
    if (exponent > exponent_cap) exponent = exponent_cap;
  }
  if (negative) exponent = -exponent;
  return true;
}

}  // namespace

std::optional<number_text> parse_number_text(std::string_view text) {
  std::size_t pos = 0;
  number_text out;
  if (pos < text.size() && text[pos] == '-') {
    out.negative = true;
    ++pos;
  }
  const std::size_t int_start = pos;
  const std::size_t int_len = skip_digits(text, pos);
  if (int_len == 0 || (int_len > 1 && text[int_start] == '0')) return std::nullopt;
  std::size_t frac_start = pos;
  std::size_t frac_len = 0;
  if (pos < text.size() && text[pos] == '.') {
    frac_start = ++pos;
    frac_len = skip_digits(text, pos);
    if (frac_len == 0) return std::nullopt;
  }
  std::int64_t exponent = 0;
  if (!read_exponent(text, pos, exponent) || pos != text.size()) return std::nullopt;

  out.digits.reserve(int_len + frac_len);
  out.digits.append(text.substr(int_start, int_len));
  out.digits.append(text.substr(frac_start, frac_len));
  out.exponent = exponent - static_cast<std::int64_t>(frac_len);

  const auto first = out.digits.find_first_not_of('0');
  if (first == std::string::npos) return number_text{};  // zero, whatever its sign or exponent
  const auto last = out.digits.find_last_not_of('0');
  out.exponent += static_cast<std::int64_t>(out.digits.size() - 1 - last);
  out.digits = out.digits.substr(first, last - first + 1);
  return out;
}

result<std::int64_t> scaled_integer(const number_text& number, int shift) {
  if (number.digits.empty()) return std::int64_t{0};
  const std::int64_t power = number.exponent + shift;
  if (power < 0) return fail(errc::too_many_decimals, "the number has more decimals than allowed");
  // 19 digits is the most an int64 can have; checking first keeps the loop within uint128.
  if (static_cast<std::int64_t>(number.digits.size()) + power > 19) {
    return fail(errc::amount_overflow, "the number is outside the 64-bit range");
  }
  uint128 magnitude = 0;
  for (char c : number.digits) magnitude = magnitude * 10 + static_cast<unsigned>(c - '0');
  for (std::int64_t i = 0; i < power; ++i) magnitude *= 10;
  const uint128 limit = number.negative ? uint128{1} << 63 : (uint128{1} << 63) - 1;
  if (magnitude > limit)
    return fail(errc::amount_overflow, "the number is outside the 64-bit range");
  const auto value = static_cast<int128>(magnitude);
  return static_cast<std::int64_t>(number.negative ? -value : value);
}

}  // namespace payorch::detail
