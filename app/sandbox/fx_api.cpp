// The FX provider: rates from the seeded table, quotes valid 30 s (--quote-ttl-ms), locks held
// 5 min.
#include <memory>

#include "app/sandbox/fx_table.hpp"
#include "app/sandbox/provider_route.hpp"
#include "app/sandbox/routes.hpp"
#include "app/sandbox/state.hpp"
#include "domain/fx.hpp"
#include "domain/time.hpp"
#include "gateway/json_output.hpp"

namespace payorch::app::sandbox {
namespace {

constexpr std::int64_t lock_valid_ms = 300'000;
constexpr std::int64_t max_sell_amount_minor = 1'000'000'000'000'000;  // 10^15

enum class quote_state { quoted, locked, released };

struct fx_quote {
  std::string quote_id;
  currency sell;
  currency buy;
  std::int64_t sell_amount_minor = 0;
  std::int64_t buy_amount_minor = 0;
  std::int64_t rate_micro = 0;
  std::int64_t expires_at_ms = 0;
  std::int64_t locked_until_ms = 0;
  quote_state state = quote_state::quoted;
};

struct fx_provider {
  explicit fx_provider(std::uint64_t seed) : table(seed) {}
  fx_table table;
  bounded_table<fx_quote> quotes;
};

/// QUOTED, LOCKED, RELEASED, or EXPIRED once the quote or its lock ran out.
std::string_view status_of(const fx_quote& q, std::int64_t now_ms) {
  switch (q.state) {
    case quote_state::released:
      return "RELEASED";
    case quote_state::locked:
      return now_ms > q.locked_until_ms ? "EXPIRED" : "LOCKED";
    case quote_state::quoted:
      break;
  }
  return now_ms > q.expires_at_ms ? "EXPIRED" : "QUOTED";
}

std::string quote_json(const fx_quote& q, std::int64_t now_ms) {
  gateway::json_writer w;
  w.begin_object()
      .field("quote_id", q.quote_id)
      .field("sell_currency", q.sell.code())
      .field("buy_currency", q.buy.code())
      .field("sell_amount_minor", q.sell_amount_minor)
      .field("buy_amount_minor", q.buy_amount_minor)
      .field("rate", fx_table::rate_text(q.rate_micro))
      .field("expires_at", format_rfc3339_utc(q.expires_at_ms))
      .field("status", status_of(q, now_ms));
  if (q.locked_until_ms > 0) w.field("locked_until", format_rfc3339_utc(q.locked_until_ms));
  return w.end_object().take();
}

/// The currency of query parameter `name`: 400 when absent or malformed, 422 when not quoted.
std::variant<currency, wire_answer> query_currency(
    const std::vector<std::pair<std::string, std::string>>& query, std::string_view name) {
  auto text = query_value(query, name);
  if (!text) return bad_field(name, std::string(name) + " is required");
  bool shaped = text->size() == 3;
  for (char ch : *text) shaped = shaped && ch >= 'A' && ch <= 'Z';
  if (!shaped) return bad_field(name, std::string(name) + " must be an ISO 4217 code");
  auto c = currency::from_code(*text);
  if (!c || !fx_table::supports(*c))
    return error_answer(http::status::unprocessable_entity, "unsupported_currency",
                        *text + " is not quoted by this provider", name);
  return *c;
}

wire_answer get_rate(fx_provider& fx, sandbox_state& state, const gateway::exchange& ex) {
  auto query = query_of(ex.request());
  if (auto* bad = std::get_if<wire_answer>(&query)) return std::move(*bad);
  const auto& fields = std::get<0>(query);
  auto base = query_currency(fields, "base");
  if (auto* bad = std::get_if<wire_answer>(&base)) return std::move(*bad);
  auto quote = query_currency(fields, "quote");
  if (auto* bad = std::get_if<wire_answer>(&quote)) return std::move(*bad);
  std::int64_t at_ms = state.now_ms();
  if (auto at = query_value(fields, "at")) {
    auto parsed = parse_rfc3339(*at, "at");
    if (!parsed) return bad_field("at", "at must be an RFC 3339 timestamp");
    at_ms = *parsed;
  }
  auto rate = fx.table.rate_micro(std::get<currency>(base), std::get<currency>(quote), at_ms);
  if (!rate) return bad_field("quote", "quote must differ from base");
  gateway::json_writer w;
  w.begin_object()
      .field("base", std::get<currency>(base).code())
      .field("quote", std::get<currency>(quote).code())
      .field("rate", fx_table::rate_text(*rate))
      .field("as_of", format_rfc3339_utc(fx_table::bucket_start_ms(at_ms)))
      .end_object();
  return {http::status::ok, w.take()};
}

/// A currency from the body that the table quotes.
std::optional<currency> quoted_currency(field_reader& in, std::string_view key) {
  auto c = in.currency_code(key);
  if (c && !fx_table::supports(*c)) {
    in.fail(error_answer(http::status::unprocessable_entity, "unsupported_currency",
                         std::string(c->code()) + " is not quoted by this provider", key));
    return std::nullopt;
  }
  return c;
}

wire_answer create_quote(fx_provider& fx, sandbox_state& state, const gateway::exchange& ex) {
  auto body = object_body(ex.request().body());
  if (auto* bad = std::get_if<wire_answer>(&body)) return std::move(*bad);
  field_reader in(std::get<gateway::json_node>(body));
  auto sell = quoted_currency(in, "sell_currency");
  auto buy = quoted_currency(in, "buy_currency");
  auto amount = in.integer("sell_amount_minor", 1, max_sell_amount_minor);
  if (in.error()) return *in.error();
  const auto now = state.now_ms();
  auto rate = fx.table.rate_micro(*sell, *buy, now);
  if (!rate) return bad_field("buy_currency", "buy_currency must differ from sell_currency");
  auto converted = convert(money::of_minor(amount, *sell), fx_rate{*sell, *buy, *rate * 1000});
  if (!converted)
    return error_answer(http::status::unprocessable_entity, "amount_overflow",
                        converted.error().detail, "sell_amount_minor");
  fx_quote q;
  q.quote_id = state.new_id("fxq_");
  q.sell = *sell;
  q.buy = *buy;
  q.sell_amount_minor = amount;
  q.buy_amount_minor = converted->converted.amount_minor();
  q.rate_micro = *rate;
  q.expires_at_ms = now + state.options().quote_ttl_ms;
  fx.quotes.put(q.quote_id, q);
  return {http::status::created, quote_json(q, now)};
}

/// Locks a live quote for 5 minutes; locking a locked quote again is not an error.
wire_answer lock_quote(fx_quote& q, std::int64_t now) {
  const auto status = status_of(q, now);
  if (status == "RELEASED")
    return error_answer(http::status::conflict, "quote_released",
                        "quote " + q.quote_id + " was released");
  if (status == "EXPIRED")
    return error_answer(http::status::conflict, "quote_expired",
                        "quote " + q.quote_id + " expired at " +
                            format_rfc3339_utc(q.state == quote_state::locked ? q.locked_until_ms
                                                                              : q.expires_at_ms));
  if (q.state == quote_state::quoted) {
    q.state = quote_state::locked;
    q.locked_until_ms = now + lock_valid_ms;
  }
  return {http::status::ok, quote_json(q, now)};
}

/// Runs `change` on the quote named in the path after checking the (empty) body.
template <class F>
wire_answer on_quote(fx_provider& fx, sandbox_state& state, const gateway::exchange& ex, F change) {
  auto body = object_body(ex.request().body(), true);
  if (auto* bad = std::get_if<wire_answer>(&body)) return std::move(*bad);
  auto* q = fx.quotes.find(std::string(ex.param("quote_id")));
  if (q == nullptr) return not_found("quote", ex.param("quote_id"));
  return change(*q, state.now_ms());
}

}  // namespace

void add_fx_routes(gateway::route_table& routes, sandbox_state& state) {
  auto fx = std::make_shared<fx_provider>(state.options().seed);
  const auto p = provider::fx;
  add_provider_route(routes, state, p, http::verb::get, "/fx/v1/rates",
                     [fx, &state](const auto& ex) { return get_rate(*fx, state, ex); });
  add_provider_route(routes, state, p, http::verb::post, "/fx/v1/quotes",
                     [fx, &state](const auto& ex) { return create_quote(*fx, state, ex); });
  add_provider_route(routes, state, p, http::verb::post, "/fx/v1/quotes/{quote_id}/lock",
                     [fx, &state](const auto& ex) { return on_quote(*fx, state, ex, lock_quote); });
  add_provider_route(routes, state, p, http::verb::post, "/fx/v1/quotes/{quote_id}/release",
                     [fx, &state](const auto& ex) {
                       return on_quote(*fx, state, ex, [](fx_quote& q, std::int64_t now) {
                         q.state = quote_state::released;
                         return wire_answer{http::status::ok, quote_json(q, now)};
                       });
                     });
  add_provider_route(routes, state, p, http::verb::get, "/fx/v1/quotes/{quote_id}",
                     [fx, &state](const gateway::exchange& ex) {
                       const auto* q = fx->quotes.find(std::string(ex.param("quote_id")));
                       if (q == nullptr) return not_found("quote", ex.param("quote_id"));
                       return wire_answer{http::status::ok, quote_json(*q, state.now_ms())};
                     });
}

}  // namespace payorch::app::sandbox
