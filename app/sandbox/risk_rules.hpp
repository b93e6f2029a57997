#pragma once
/// The sandbox's risk rules (after the seed's risk service), scaled to the payout's currency.
///
/// amount > 5,000 major units: +30; > 10,000: +20 more; more than 5 payouts today: +25;
/// sanctions HIT: +100; POSSIBLE_MATCH: +40; KYC not APPROVED: +40. The sum is clamped to 100;
/// HIGH at 50 or more, MEDIUM at 25 or more, else LOW.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/currency.hpp"

namespace payorch::app::sandbox {

struct risk_input {
  std::int64_t amount_minor = 0;
  currency amount_currency;
  std::string kyc_status;        ///< APPROVED, PENDING or REJECTED
  std::string sanctions_result;  ///< CLEAR, POSSIBLE_MATCH or HIT
  std::int64_t payouts_today = 0;
};

struct risk_assessment {
  int score = 0;                     ///< 0..100
  std::string_view level;            ///< LOW, MEDIUM or HIGH
  std::vector<std::string> reasons;  ///< one per rule that fired, in the order above
};

risk_assessment assess_risk(const risk_input& in);

}  // namespace payorch::app::sandbox
