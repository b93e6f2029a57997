#pragma once
/// Where FX rates come from: an interface, and the static table from configuration.
///
/// Rates travel as exact decimal text ("1.0842") so no binary floating point ever touches them;
/// a consumer that converts money parses the text with `fx_rate::parse` (domain/fx.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/fwd.hpp"

namespace payorch::adapters {

/// One quoted rate: 1 major unit of `base` = `rate` major units of `quote`, known at `as_of_ms`.
struct fx_quote_text {
  std::string base;           ///< ISO 4217 code
  std::string quote;          ///< ISO 4217 code
  std::string rate;           ///< exact positive decimal text, at most 9 decimals
  std::int64_t as_of_ms = 0;  ///< when the rate was known, Unix milliseconds

  bool operator==(const fx_quote_text&) const = default;
};

/// A source of FX rates; implementations must be safe to call from any thread.
class fx_rate_source {
 public:
  virtual ~fx_rate_source() = default;

  /// The rate from `base` to `quote` (ISO 4217 codes), or nullopt when the source has none.
  /// The same currency on both sides is always the rate "1".
  virtual std::optional<fx_quote_text> rate(std::string_view base,
                                            std::string_view quote) const = 0;
};

/// The `[[fx.rates]]` table: fixed for the life of the process, so reads need no lock.
///
/// Only the configured direction is known: EUR/USD does not give USD/EUR, since the inverse of
/// an exact decimal is rarely exact.
class static_fx_rates final : public fx_rate_source {
 public:
  /// Rates as given; `as_of_ms` is stamped on every one (the time they were loaded).
  static_fx_rates(std::vector<fx_quote_text> rates, std::int64_t as_of_ms);

  /// The configured table (config has checked the codes and rates), stamped `as_of_ms`.
  static static_fx_rates from_settings(const config::settings& settings, std::int64_t as_of_ms);

  std::optional<fx_quote_text> rate(std::string_view base, std::string_view quote) const override;

  /// Every configured rate, in configuration order.
  const std::vector<fx_quote_text>& all() const { return rates_; }

 private:
  std::vector<fx_quote_text> rates_;
  std::int64_t as_of_ms_;
};

}  // namespace payorch::adapters
