#include "adapters/risk_client.hpp"

#include "adapters/provider_json.hpp"
#include "adapters/url.hpp"

namespace payorch::adapters {
namespace {

risk_score parse_score(detail::json_reader& in) {
  risk_score out;
  out.score = in.integer("score");
  out.level = in.text("level");
  out.reasons = in.texts("reasons");
  if (!in.problem() && (out.score < 0 || out.score > 100)) in.fail("score must be 0 to 100");
  // The saga asks for a one-time password on HIGH alone, so any other word (a lower-case "high",
  // a level it does not know) must not pass as a lower risk.
  if (!in.problem() && out.level != "LOW" && out.level != "MEDIUM" && out.level != "HIGH")
    in.fail("level must be LOW, MEDIUM or HIGH");
  return out;
}

}  // namespace

risk_client::risk_client(provider_caller& caller, std::string base_url)
    : caller_(caller), base_url_(std::move(base_url)) {}

void risk_client::score(const risk_request& request, std::string idempotency_key,
                        std::function<void(provider_result<risk_score>)> done) {
  boost::json::object body{
      {"reference", request.reference},   {"amount_minor", request.amount_minor},
      {"currency", request.currency},     {"country", request.country},
      {"kyc_status", request.kyc_status}, {"sanctions_result", request.sanctions_result}};
  if (request.payouts_today) body["payouts_today"] = *request.payouts_today;
  detail::call_json(caller_,
                    detail::json_call("POST", join_url(base_url_, "/risk/v1/scores"), body),
                    std::move(idempotency_key), &parse_score, std::move(done));
}

}  // namespace payorch::adapters
