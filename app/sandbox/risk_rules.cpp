#include "app/sandbox/risk_rules.hpp"

#include <algorithm>

namespace payorch::app::sandbox {

risk_assessment assess_risk(const risk_input& in) {
  risk_assessment out;
  auto add = [&](int points, std::string reason) {
    out.score += points;
    out.reasons.push_back(std::move(reason));
  };
  const auto per_major = in.amount_currency.minor_per_major();
  // Compared in minor units: amount_minor > 5000 * per_major cannot overflow (per_major <= 10^4).
  if (in.amount_minor > 5'000 * per_major) add(30, "amount_over_5000");
  if (in.amount_minor > 10'000 * per_major) add(20, "amount_over_10000");
  if (in.payouts_today > 5) add(25, "payouts_today_over_5");
  if (in.sanctions_result == "HIT") add(100, "sanctions_hit");
  if (in.sanctions_result == "POSSIBLE_MATCH") add(40, "sanctions_possible_match");
  if (in.kyc_status != "APPROVED") add(40, "kyc_not_approved");
  out.score = std::min(out.score, 100);
  out.level = out.score >= 50 ? "HIGH" : out.score >= 25 ? "MEDIUM" : "LOW";
  return out;
}

}  // namespace payorch::app::sandbox
