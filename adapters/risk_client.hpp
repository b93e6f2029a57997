#pragma once
/// The risk scoring provider (docs/providers.md, "Risk").

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "adapters/provider_result.hpp"

namespace payorch::adapters {

class provider_caller;

/// What the risk score is asked about.
struct risk_request {
  std::string reference;
  std::int64_t amount_minor = 0;
  std::string currency;  ///< ISO 4217
  std::string country;   ///< ISO 3166 alpha-2 of the payee
  std::string kyc_status;
  std::string sanctions_result;
  std::optional<std::int64_t> payouts_today;
};

/// A score of 0..100 and its level: LOW, MEDIUM or HIGH (HIGH asks for an OTP step-up).
struct risk_score {
  std::int64_t score = 0;
  std::string level;
  std::vector<std::string> reasons;

  bool operator==(const risk_score&) const = default;
};

/// Typed calls to the risk provider at `base_url`.
class risk_client {
 public:
  risk_client(provider_caller& caller, std::string base_url);

  void score(const risk_request& request, std::string idempotency_key,
             std::function<void(provider_result<risk_score>)> done);

 private:
  provider_caller& caller_;
  std::string base_url_;
};

}  // namespace payorch::adapters
