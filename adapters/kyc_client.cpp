#include "adapters/kyc_client.hpp"

#include "adapters/provider_json.hpp"
#include "adapters/url.hpp"

namespace payorch::adapters {
namespace {

kyc_verification parse_verification(detail::json_reader& in) {
  kyc_verification out;
  out.verification_id = in.text("verification_id");
  out.reference = in.text("reference");
  out.status = in.text("status");
  out.reason = in.optional_text("reason");
  return out;
}

}  // namespace

kyc_client::kyc_client(provider_caller& caller, std::string base_url)
    : caller_(caller), base_url_(std::move(base_url)) {}

void kyc_client::start_verification(const kyc_request& request, std::string idempotency_key,
                                    std::function<void(provider_result<kyc_verification>)> done) {
  boost::json::object body{
      {"reference", request.reference}, {"name", request.name}, {"country", request.country}};
  if (request.callback_url) body["callback_url"] = *request.callback_url;
  detail::call_json(caller_,
                    detail::json_call("POST", join_url(base_url_, "/kyc/v1/verifications"), body),
                    std::move(idempotency_key), &parse_verification, std::move(done));
}

void kyc_client::get(std::string_view verification_id,
                     std::function<void(provider_result<kyc_verification>)> done) {
  auto url = join_url(base_url_, "/kyc/v1/verifications/" + percent_encode(verification_id));
  detail::call_json(caller_, detail::get_call(std::move(url)), {}, &parse_verification,
                    std::move(done));
}

}  // namespace payorch::adapters
