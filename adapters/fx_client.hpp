#pragma once
/// The FX provider (docs/providers.md, "FX"): rates, quotes, locks and releases.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/provider_result.hpp"

namespace payorch::adapters {

class provider_caller;

/// `GET /fx/v1/rates`: 1 `base` = `rate` `quote`, known at `as_of`.
struct fx_rate_answer {
  std::string base;
  std::string quote;
  std::string rate;   ///< exact decimal text; parse it with fx_rate::parse
  std::string as_of;  ///< RFC 3339 UTC

  bool operator==(const fx_rate_answer&) const = default;
};

/// An FX quote as the provider holds it.
struct fx_quote {
  std::string quote_id;
  std::string sell_currency;
  std::string buy_currency;
  std::int64_t sell_amount_minor = 0;
  std::int64_t buy_amount_minor = 0;
  std::string rate;        ///< exact decimal text
  std::string expires_at;  ///< RFC 3339 UTC
  std::string status;      ///< QUOTED, LOCKED or RELEASED
  std::optional<std::string> locked_until;

  bool operator==(const fx_quote&) const = default;
};

/// Typed calls to the FX provider at `base_url`; every POST takes its idempotency key.
class fx_client {
 public:
  fx_client(provider_caller& caller, std::string base_url);

  void rate(std::string_view base, std::string_view quote,
            std::function<void(provider_result<fx_rate_answer>)> done);
  void quote(std::string_view sell_currency, std::string_view buy_currency,
             std::int64_t sell_amount_minor, std::string idempotency_key,
             std::function<void(provider_result<fx_quote>)> done);
  /// 409 `quote_expired` comes back as a final error with that code.
  void lock(std::string_view quote_id, std::string idempotency_key,
            std::function<void(provider_result<fx_quote>)> done);
  void release(std::string_view quote_id, std::string idempotency_key,
               std::function<void(provider_result<fx_quote>)> done);
  void get(std::string_view quote_id, std::function<void(provider_result<fx_quote>)> done);

 private:
  provider_caller& caller_;
  std::string base_url_;
};

}  // namespace payorch::adapters
