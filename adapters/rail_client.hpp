#pragma once
/// The bank rail (docs/providers.md, "Bank rail"): submit a pacs.008, read the payment.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/pacs008.hpp"
#include "adapters/provider_result.hpp"

namespace payorch::adapters {

class provider_caller;

/// A payment on the rail: ACCEPTED, then SETTLED or RETURNED (with an ISO 20022 reason code).
struct rail_payment {
  std::string payment_id;
  std::string end_to_end_id;
  std::string status;
  std::optional<std::string> reason_code;

  bool operator==(const rail_payment&) const = default;
};

/// Typed calls to the rail at `base_url`.
class rail_client {
 public:
  rail_client(provider_caller& caller, std::string base_url);

  /// Builds the pacs.008 of `transfer` and submits it; the confirmation goes to
  /// `callback_url` (sent as `X-Callback-Url`; empty sends none). A transfer that
  /// build_pacs008 refuses is an `invalid_request` error whose `code` names the member at
  /// fault, and nothing is sent.
  void submit(const credit_transfer& transfer, std::string callback_url,
              std::string idempotency_key, std::function<void(provider_result<rail_payment>)> done);
  void get(std::string_view payment_id, std::function<void(provider_result<rail_payment>)> done);

 private:
  provider_caller& caller_;
  std::string base_url_;
};

}  // namespace payorch::adapters
