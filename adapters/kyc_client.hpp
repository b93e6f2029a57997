#pragma once
/// The KYC provider (docs/providers.md, "KYC"): start a verification, read its result.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/provider_result.hpp"

namespace payorch::adapters {

class provider_caller;

/// Who to verify; the result is posted to `callback_url` when one is given.
struct kyc_request {
  std::string reference;  ///< payorch's own reference, echoed back
  std::string name;
  std::string country;  ///< ISO 3166 alpha-2
  std::optional<std::string> callback_url;
};

/// A verification: PENDING, then APPROVED or REJECTED (with a reason).
struct kyc_verification {
  std::string verification_id;
  std::string reference;
  std::string status;
  std::optional<std::string> reason;

  bool operator==(const kyc_verification&) const = default;
};

/// Typed calls to the KYC provider at `base_url`.
class kyc_client {
 public:
  kyc_client(provider_caller& caller, std::string base_url);

  void start_verification(const kyc_request& request, std::string idempotency_key,
                          std::function<void(provider_result<kyc_verification>)> done);
  void get(std::string_view verification_id,
           std::function<void(provider_result<kyc_verification>)> done);

 private:
  provider_caller& caller_;
  std::string base_url_;
};

}  // namespace payorch::adapters
