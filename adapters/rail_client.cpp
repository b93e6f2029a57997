#include "adapters/rail_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "adapters/provider_json.hpp"
#include "adapters/url.hpp"

namespace payorch::adapters {
namespace {

rail_payment parse_payment(detail::json_reader& in) {
  rail_payment out;
  out.payment_id = in.text("payment_id");
  out.end_to_end_id = in.text("end_to_end_id");
  out.status = in.text("status");
  out.reason_code = in.optional_text("reason_code");
  return out;
}

}  // namespace

rail_client::rail_client(provider_caller& caller, std::string base_url)
    : caller_(caller), base_url_(std::move(base_url)) {}

void rail_client::submit(const credit_transfer& transfer, std::string callback_url,
                         std::string idempotency_key,
                         std::function<void(provider_result<rail_payment>)> done) {
  auto document = build_pacs008(transfer);
  if (!document) {
    provider_error error{provider_error_kind::invalid_request, 0, document.error().param,
                         document.error().detail};
    // Like every other outcome, this one arrives on the io_context, never inside submit.
    boost::asio::post(caller_.context(),
                      [error = std::move(error), done = std::move(done)] { done(error); });
    return;
  }
  http_call call;
  call.method = "POST";
  call.url = join_url(base_url_, "/rail/v1/payments");
  call.headers = {{"Content-Type", "application/xml"}, {"Accept", "application/json"}};
  if (!callback_url.empty()) call.headers.push_back({"X-Callback-Url", std::move(callback_url)});
  call.body = std::move(*document);
  // The payment the rail took must be this transfer: another's answer would track the wrong one.
  auto parse = [end_to_end_id = transfer.end_to_end_id](detail::json_reader& in) {
    auto out = parse_payment(in);
    if (!in.problem() && out.end_to_end_id != end_to_end_id)
      in.fail("the payment is for end_to_end_id " + out.end_to_end_id + ", not " + end_to_end_id);
    return out;
  };
  detail::call_json(caller_, std::move(call), std::move(idempotency_key), std::move(parse),
                    std::move(done));
}

void rail_client::get(std::string_view payment_id,
                      std::function<void(provider_result<rail_payment>)> done) {
  auto url = join_url(base_url_, "/rail/v1/payments/" + percent_encode(payment_id));
  auto parse = [payment_id = std::string(payment_id)](detail::json_reader& in) {
    auto out = parse_payment(in);
    if (!in.problem() && out.payment_id != payment_id)
      in.fail("the answer is for payment " + out.payment_id + ", not " + payment_id);
    return out;
  };
  detail::call_json(caller_, detail::get_call(std::move(url)), {}, std::move(parse),
                    std::move(done));
}

}  // namespace payorch::adapters
