#include "adapters/fx_client.hpp"

#include "adapters/provider_json.hpp"
#include "adapters/url.hpp"

namespace payorch::adapters {
namespace {

using detail::json_reader;

fx_rate_answer parse_rate(json_reader& in) {
  fx_rate_answer out;
  out.base = in.text("base");
  out.quote = in.text("quote");
  out.rate = in.decimal_text("rate");
  out.as_of = in.text("as_of");
  return out;
}

fx_quote parse_quote(json_reader& in) {
  fx_quote out;
  out.quote_id = in.text("quote_id");
  out.sell_currency = in.text("sell_currency");
  out.buy_currency = in.text("buy_currency");
  out.sell_amount_minor = in.integer("sell_amount_minor");
  out.buy_amount_minor = in.integer("buy_amount_minor");
  out.rate = in.decimal_text("rate");
  out.expires_at = in.text("expires_at");
  out.status = in.text("status");
  out.locked_until = in.optional_text("locked_until");
  return out;
}

}  // namespace

fx_client::fx_client(provider_caller& caller, std::string base_url)
    : caller_(caller), base_url_(std::move(base_url)) {}

void fx_client::rate(std::string_view base, std::string_view quote,
                     std::function<void(provider_result<fx_rate_answer>)> done) {
  auto url = join_url(
      base_url_, "/fx/v1/rates?base=" + percent_encode(base) + "&quote=" + percent_encode(quote));
  // A rate of another pair (the two swapped, say) would price the hold wrongly: a bad answer.
  auto parse = [base = std::string(base), quote = std::string(quote)](json_reader& in) {
    auto out = parse_rate(in);
    if (!in.problem() && (out.base != base || out.quote != quote))
      in.fail("the rate is for " + out.base + "/" + out.quote + ", not the " + base + "/" + quote +
              " asked for");
    return out;
  };
  detail::call_json(caller_, detail::get_call(std::move(url)), {}, std::move(parse),
                    std::move(done));
}

void fx_client::quote(std::string_view sell_currency, std::string_view buy_currency,
                      std::int64_t sell_amount_minor, std::string idempotency_key,
                      std::function<void(provider_result<fx_quote>)> done) {
  boost::json::object body{{"sell_currency", sell_currency},
                           {"buy_currency", buy_currency},
                           {"sell_amount_minor", sell_amount_minor}};
  // The quote must be the sale asked for: its currencies and the amount sold.
  auto parse = [sell = std::string(sell_currency), buy = std::string(buy_currency),
                sell_amount_minor](json_reader& in) {
    auto out = parse_quote(in);
    if (!in.problem() && (out.sell_currency != sell || out.buy_currency != buy ||
                          out.sell_amount_minor != sell_amount_minor))
      in.fail("the quote sells " + std::to_string(out.sell_amount_minor) + " " + out.sell_currency +
              " for " + out.buy_currency + ", not the " + std::to_string(sell_amount_minor) + " " +
              sell + " for " + buy + " asked for");
    return out;
  };
  detail::call_json(caller_, detail::json_call("POST", join_url(base_url_, "/fx/v1/quotes"), body),
                    std::move(idempotency_key), std::move(parse), std::move(done));
}

void fx_client::lock(std::string_view quote_id, std::string idempotency_key,
                     std::function<void(provider_result<fx_quote>)> done) {
  auto url = join_url(base_url_, "/fx/v1/quotes/" + percent_encode(quote_id) + "/lock");
  detail::call_json(caller_, detail::json_call("POST", std::move(url), {}),
                    std::move(idempotency_key), &parse_quote, std::move(done));
}

void fx_client::release(std::string_view quote_id, std::string idempotency_key,
                        std::function<void(provider_result<fx_quote>)> done) {
  auto url = join_url(base_url_, "/fx/v1/quotes/" + percent_encode(quote_id) + "/release");
  detail::call_json(caller_, detail::json_call("POST", std::move(url), {}),
                    std::move(idempotency_key), &parse_quote, std::move(done));
}

void fx_client::get(std::string_view quote_id,
                    std::function<void(provider_result<fx_quote>)> done) {
  auto url = join_url(base_url_, "/fx/v1/quotes/" + percent_encode(quote_id));
  detail::call_json(caller_, detail::get_call(std::move(url)), {}, &parse_quote, std::move(done));
}

}  // namespace payorch::adapters
