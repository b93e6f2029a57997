#pragma once
/// The card/PSP provider (docs/providers.md, "Card / PSP"): authorize, capture, refund, void.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/provider_result.hpp"

namespace payorch::adapters {

class provider_caller;

/// What to authorize on a tokenised card.
struct psp_authorize_request {
  std::string reference;
  std::int64_t amount_minor = 0;
  std::string currency;  ///< ISO 4217
  std::string card_token;
  std::optional<std::string> callback_url;
};

/// An authorization and what has been captured and refunded against it.
struct psp_authorization {
  std::string authorization_id;
  /// AUTHORIZED, DECLINED, PARTIALLY_CAPTURED, CAPTURED, PARTIALLY_REFUNDED, REFUNDED or VOIDED.
  std::string status;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::int64_t captured_minor = 0;
  std::int64_t refunded_minor = 0;

  bool operator==(const psp_authorization&) const = default;
};

/// Typed calls to the PSP at `base_url`; every POST takes its idempotency key.
class psp_client {
 public:
  psp_client(provider_caller& caller, std::string base_url);

  void authorize(const psp_authorize_request& request, std::string idempotency_key,
                 std::function<void(provider_result<psp_authorization>)> done);
  /// 409 `amount_exceeds_remaining` comes back as a final error with that code.
  void capture(std::string_view authorization_id, std::int64_t amount_minor,
               std::string idempotency_key,
               std::function<void(provider_result<psp_authorization>)> done);
  void refund(std::string_view authorization_id, std::int64_t amount_minor,
              std::string idempotency_key,
              std::function<void(provider_result<psp_authorization>)> done);
  /// Voids the authorization (`void` is a keyword); 409 once anything was captured.
  void void_authorization(std::string_view authorization_id, std::string idempotency_key,
                          std::function<void(provider_result<psp_authorization>)> done);
  void get(std::string_view authorization_id,
           std::function<void(provider_result<psp_authorization>)> done);

 private:
  /// POST /psp/v1/authorizations/{id}/{action} with `{"amount_minor"}` or `{}`.
  void act(std::string_view authorization_id, std::string_view action,
           std::optional<std::int64_t> amount_minor, std::string idempotency_key,
           std::function<void(provider_result<psp_authorization>)> done);

  provider_caller& caller_;
  std::string base_url_;
};

}  // namespace payorch::adapters
