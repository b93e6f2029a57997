#include "adapters/fx_rates.hpp"

#include "config/settings.hpp"

namespace payorch::adapters {

static_fx_rates::static_fx_rates(std::vector<fx_quote_text> rates, std::int64_t as_of_ms)
    : rates_(std::move(rates)), as_of_ms_(as_of_ms) {
  for (auto& r : rates_) r.as_of_ms = as_of_ms;
}

static_fx_rates static_fx_rates::from_settings(const config::settings& settings,
                                               std::int64_t as_of_ms) {
  std::vector<fx_quote_text> rates;
  rates.reserve(settings.fx_rates.size());
  for (const auto& r : settings.fx_rates) rates.push_back({r.base, r.quote, r.rate, as_of_ms});
  return static_fx_rates(std::move(rates), as_of_ms);
}

std::optional<fx_quote_text> static_fx_rates::rate(std::string_view base,
                                                   std::string_view quote) const {
  if (base == quote) return fx_quote_text{std::string(base), std::string(quote), "1", as_of_ms_};
  // A linear scan: the table is small (config caps it) and read far less than once a request.
  for (const auto& r : rates_) {
    if (r.base == base && r.quote == quote) return r;
  }
  return std::nullopt;
}

}  // namespace payorch::adapters
