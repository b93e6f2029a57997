#include "adapters/psp_client.hpp"

#include "adapters/provider_json.hpp"
#include "adapters/url.hpp"

namespace payorch::adapters {
namespace {

psp_authorization parse_authorization(detail::json_reader& in) {
  psp_authorization out;
  out.authorization_id = in.text("authorization_id");
  out.status = in.text("status");
  out.amount_minor = in.integer("amount_minor");
  out.currency = in.text("currency");
  out.captured_minor = in.integer("captured_minor");
  out.refunded_minor = in.integer("refunded_minor");
  return out;
}

}  // namespace

psp_client::psp_client(provider_caller& caller, std::string base_url)
    : caller_(caller), base_url_(std::move(base_url)) {}

void psp_client::authorize(const psp_authorize_request& request, std::string idempotency_key,
                           std::function<void(provider_result<psp_authorization>)> done) {
  boost::json::object body{{"reference", request.reference},
                           {"amount_minor", request.amount_minor},
                           {"currency", request.currency},
                           {"card_token", request.card_token}};
  if (request.callback_url) body["callback_url"] = *request.callback_url;
  detail::call_json(caller_,
                    detail::json_call("POST", join_url(base_url_, "/psp/v1/authorizations"), body),
                    std::move(idempotency_key), &parse_authorization, std::move(done));
}

void psp_client::capture(std::string_view authorization_id, std::int64_t amount_minor,
                         std::string idempotency_key,
                         std::function<void(provider_result<psp_authorization>)> done) {
  act(authorization_id, "captures", amount_minor, std::move(idempotency_key), std::move(done));
}

void psp_client::refund(std::string_view authorization_id, std::int64_t amount_minor,
                        std::string idempotency_key,
                        std::function<void(provider_result<psp_authorization>)> done) {
  act(authorization_id, "refunds", amount_minor, std::move(idempotency_key), std::move(done));
}

void psp_client::void_authorization(std::string_view authorization_id, std::string idempotency_key,
                                    std::function<void(provider_result<psp_authorization>)> done) {
  act(authorization_id, "void", std::nullopt, std::move(idempotency_key), std::move(done));
}

void psp_client::get(std::string_view authorization_id,
                     std::function<void(provider_result<psp_authorization>)> done) {
  auto url = join_url(base_url_, "/psp/v1/authorizations/" + percent_encode(authorization_id));
  detail::call_json(caller_, detail::get_call(std::move(url)), {}, &parse_authorization,
                    std::move(done));
}

void psp_client::act(std::string_view authorization_id, std::string_view action,
                     std::optional<std::int64_t> amount_minor, std::string idempotency_key,
                     std::function<void(provider_result<psp_authorization>)> done) {
  boost::json::object body;
  if (amount_minor) body["amount_minor"] = *amount_minor;
  auto url = join_url(base_url_, "/psp/v1/authorizations/" + percent_encode(authorization_id) +
                                     "/" + std::string(action));
  detail::call_json(caller_, detail::json_call("POST", std::move(url), body),
                    std::move(idempotency_key), &parse_authorization, std::move(done));
}

}  // namespace payorch::adapters
