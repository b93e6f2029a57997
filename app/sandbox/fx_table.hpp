#pragma once
/// The sandbox's FX rates: a fixed table of currencies whose values move by a seeded walk over
/// 10-second buckets, so one seed and one instant always give the same rate.
///
/// Each currency has a value in US dollars (nano-dollars per major unit). In bucket
/// b = floor(unix_ms / 10000) a currency other than USD deviates from its value by
/// sum over k = 0..15 of step(seed, currency, k, b >> k) basis points, each step in -12..+12.
/// Neighbouring buckets share most terms, so the rate drifts a few basis points per bucket and
/// stays within ±1.92 % of its base value, and any bucket is computed without the ones before
/// it. The rate base→quote is value(base) / value(quote) rounded half-even to 6 decimals.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "domain/currency.hpp"

namespace payorch::app::sandbox {

class fx_table {
 public:
  /// The width of one rate bucket.
  static constexpr std::int64_t bucket_ms = 10'000;

  explicit fx_table(std::uint64_t seed) : seed_(seed) {}

  /// True for the currencies the table quotes: EUR, USD, GBP, JPY, CHF, INR and BHD.
  static bool supports(currency c);

  /// The codes of the quoted currencies.
  static std::span<const char* const> codes();

  /// The rate base→quote at `unix_ms` in millionths (1.084213 is 1084213); nullopt when a
  /// currency is not quoted or both are the same.
  std::optional<std::int64_t> rate_micro(currency base, currency quote, std::int64_t unix_ms) const;

  /// The first millisecond of the bucket holding `unix_ms` (the rate's `as_of`).
  static std::int64_t bucket_start_ms(std::int64_t unix_ms);

  /// "1.084213": a rate in millionths as exact decimal text with six decimals.
  static std::string rate_text(std::int64_t rate_micro);

 private:
  /// The deviation of currency `index` in bucket `bucket`, in basis points.
  std::int64_t deviation_bp(std::size_t index, std::int64_t bucket) const;
  /// The USD value of currency `index` in bucket `bucket`, in nano-dollars.
  std::int64_t value_nano(std::size_t index, std::int64_t bucket) const;

  std::uint64_t seed_;
};

}  // namespace payorch::app::sandbox
