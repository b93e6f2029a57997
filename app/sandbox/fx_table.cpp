#include "app/sandbox/fx_table.hpp"

#include "app/sandbox/random.hpp"
#include "domain/int128.hpp"

namespace payorch::app::sandbox {
namespace {

struct table_entry {
  const char* code;
  std::int64_t usd_nano;  ///< US dollars per major unit, in billionths
};

// Round numbers near real mid rates; only their order of magnitude matters for the sandbox.
constexpr table_entry entries[] = {
    {"USD", 1'000'000'000}, {"EUR", 1'085'000'000}, {"GBP", 1'270'000'000}, {"JPY", 6'700'000},
    {"CHF", 1'120'000'000}, {"INR", 12'000'000},    {"BHD", 2'652'000'000},
};
constexpr const char* entry_codes[] = {"USD", "EUR", "GBP", "JPY", "CHF", "INR", "BHD"};
constexpr int walk_scales = 16;
constexpr std::int64_t max_step_bp = 12;

std::optional<std::size_t> index_of(currency c) {
  for (std::size_t i = 0; i < std::size(entries); ++i)
    if (c.code() == entries[i].code) return i;
  return std::nullopt;
}

/// floor(a / b) for b > 0, also for negative a (times before 1970).
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0 && a < 0) ? 1 : 0);
}

}  // namespace

bool fx_table::supports(currency c) {
  return index_of(c).has_value();
}

std::span<const char* const> fx_table::codes() {
  return entry_codes;
}

std::int64_t fx_table::bucket_start_ms(std::int64_t unix_ms) {
  return floor_div(unix_ms, bucket_ms) * bucket_ms;
}

std::int64_t fx_table::deviation_bp(std::size_t index, std::int64_t bucket) const {
  if (index == 0) return 0;  // USD is the yardstick
  std::int64_t sum = 0;
  for (int k = 0; k < walk_scales; ++k) {
    const auto at = static_cast<std::uint64_t>(bucket >> k);
    const auto bits = mix64(seed_ ^ mix64(at ^ (static_cast<std::uint64_t>(index) << 56) ^
                                          (static_cast<std::uint64_t>(k) << 48)));
    sum += static_cast<std::int64_t>(bits % (2 * max_step_bp + 1)) - max_step_bp;
  }
  return sum;
}

std::int64_t fx_table::value_nano(std::size_t index, std::int64_t bucket) const {
  return entries[index].usd_nano * (10'000 + deviation_bp(index, bucket)) / 10'000;
}

std::optional<std::int64_t> fx_table::rate_micro(currency base, currency quote,
                                                 std::int64_t unix_ms) const {
  const auto b = index_of(base);
  const auto q = index_of(quote);
  if (!b || !q || *b == *q) return std::nullopt;
  const auto bucket = floor_div(unix_ms, bucket_ms);
  const detail::int128 num = detail::int128{value_nano(*b, bucket)} * 1'000'000;
  const detail::int128 den = value_nano(*q, bucket);
  auto quotient = num / den;
  const auto twice_remainder = 2 * (num % den);
  // Half-even: up when past the half, or at the half with an odd quotient.
  if (twice_remainder > den || (twice_remainder == den && quotient % 2 != 0)) ++quotient;
  return static_cast<std::int64_t>(quotient);
}

std::string fx_table::rate_text(std::int64_t rate_micro) {
  auto fraction = std::to_string(rate_micro % 1'000'000);
  return std::to_string(rate_micro / 1'000'000) + "." + std::string(6 - fraction.size(), '0') +
         fraction;
}

}  // namespace payorch::app::sandbox
