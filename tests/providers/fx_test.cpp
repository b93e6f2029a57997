// Tests of the sandbox's FX provider: seeded rates, quotes, locks, expiry and bad input.
#include "domain/fx.hpp"

#include <regex>
#include <set>
#include <tuple>

#include "domain/time.hpp"
#include "tests/providers/sandbox_fixture.hpp"

namespace payorch::testing {
namespace {

using sandbox_fx_test = sandbox_test;

const std::vector<std::string> codes = {"EUR", "USD", "GBP", "JPY", "CHF", "INR", "BHD"};

std::string rate_at(sandbox_process& s, const std::string& base, const std::string& quote,
                    const std::string& at) {
  auto r = http_get(s.port(), "/fx/v1/rates?base=" + base + "&quote=" + quote + "&at=" + at);
  EXPECT_EQ(r.status, 200) << r.body;
  return text_of(json_of(r), "rate");
}

std::int64_t micro(const std::string& rate) {
  auto dot = rate.find('.');
  return std::stoll(rate.substr(0, dot)) * 1'000'000 + std::stoll(rate.substr(dot + 1));
}

// One seed and one instant give the same rates in two processes; another seed differs.
TEST(sandbox_fx_rates, deterministic_for_seed_and_time) {
  auto a = start_sandbox({}, 42);
  auto b = start_sandbox({}, 42);
  auto c = start_sandbox({}, 43);
  ASSERT_TRUE(a && b && c);
  const std::string at = "2025-03-01T12:00:05Z";
  const std::regex six_decimals("^[0-9]+\\.[0-9]{6}$");
  int differing = 0;
  for (const auto& base : codes) {
    for (const auto& quote : codes) {
      if (base == quote) continue;
      const auto ra = rate_at(*a, base, quote, at);
      EXPECT_TRUE(std::regex_match(ra, six_decimals)) << base << quote << " " << ra;
      EXPECT_EQ(ra, rate_at(*b, base, quote, at)) << base << quote;
      differing += ra != rate_at(*c, base, quote, at) ? 1 : 0;
    }
  }
  EXPECT_GT(differing, 0);
}

// A rate and its inverse multiply to one within the rounding of six decimals.
TEST_F(sandbox_fx_test, inverse_rates_multiply_to_about_one) {
  start();
  const std::string at = "2025-03-01T12:00:05Z";
  for (const auto& base : codes) {
    for (const auto& quote : codes) {
      if (base == quote) continue;
      const auto there = micro(rate_at(*sandbox_, base, quote, at));
      const auto back = micro(rate_at(*sandbox_, quote, base, at));
      // there = t + e1, back = b + e2 with t * b = 10^12 and |e| <= 1/2, so the product is
      // off by at most (t + b) / 2 + 1/4.
      EXPECT_LE(std::llabs(there * back - 1'000'000'000'000LL), (there + back) / 2 + 1)
          << base << quote;
    }
  }
}

// The rate moves between 10-second buckets but stays within 2 % of its base, and as_of is the
// start of the bucket.
TEST_F(sandbox_fx_test, rates_walk_by_bucket) {
  start({}, 7);
  std::set<std::string> seen;
  for (int bucket = 0; bucket < 30; ++bucket) {
    const auto at = format_rfc3339_utc(1'740'000'000'000 + bucket * 10'000 + 3'000);
    auto r = get("/fx/v1/rates?base=EUR&quote=USD&at=" + at);
    ASSERT_EQ(r.status, 200) << r.body;
    auto v = json_of(r);
    EXPECT_EQ(text_of(v, "as_of"), format_rfc3339_utc(1'740'000'000'000 + bucket * 10'000));
    const auto rate = micro(text_of(v, "rate"));
    EXPECT_GE(rate, 1'085'000 * 98 / 100);
    EXPECT_LE(rate, 1'085'000 * 102 / 100);
    seen.insert(text_of(v, "rate"));
  }
  EXPECT_GT(seen.size(), 5u);
  // Without `at` the rate is the current one.
  auto now = json_of(get("/fx/v1/rates?base=GBP&quote=JPY"));
  EXPECT_EQ(text_of(now, "base"), "GBP");
  EXPECT_EQ(text_of(now, "quote"), "JPY");
}

// Missing, malformed, unquoted and identical currencies and a bad `at` are refused.
TEST_F(sandbox_fx_test, rate_bad_input) {
  start();
  expect_error(get("/fx/v1/rates?quote=USD"), 400, "invalid_field", "base");
  expect_error(get("/fx/v1/rates?base=EUR"), 400, "invalid_field", "quote");
  expect_error(get("/fx/v1/rates?base=eur&quote=USD"), 400, "invalid_field", "base");
  expect_error(get("/fx/v1/rates?base=EUR&quote=AUD"), 422, "unsupported_currency", "quote");
  expect_error(get("/fx/v1/rates?base=ABC&quote=USD"), 422, "unsupported_currency", "base");
  expect_error(get("/fx/v1/rates?base=EUR&quote=EUR"), 400, "invalid_field", "quote");
  expect_error(get("/fx/v1/rates?base=EUR&quote=USD&at=yesterday"), 400, "invalid_field", "at");
  expect_error(get("/fx/v1/rates?base=EUR&quote=USD&at=%zz"), 400, "invalid_query");
}

// A quote converts at its rate, half-even into the buy currency, and is QUOTED for 30 s.
TEST_F(sandbox_fx_test, quote_converts_half_even) {
  start();
  for (const auto& [sell, buy, amount] :
       std::vector<std::tuple<std::string, std::string, std::int64_t>>{{"EUR", "JPY", 12345},
                                                                       {"JPY", "BHD", 987654},
                                                                       {"BHD", "INR", 1001},
                                                                       {"USD", "EUR", 1}}) {
    auto r = post("/fx/v1/quotes", R"({"sell_currency":")" + sell + R"(","buy_currency":")" + buy +
                                       R"(","sell_amount_minor":)" + std::to_string(amount) + "}");
    ASSERT_EQ(r.status, 201) << r.body;
    auto v = json_of(r);
    EXPECT_EQ(text_of(v, "status"), "QUOTED");
    EXPECT_EQ(text_of(v, "sell_currency"), sell);
    EXPECT_EQ(int_of(v, "sell_amount_minor"), amount);
    const auto base = *currency::from_code(sell);
    const auto quote = *currency::from_code(buy);
    auto rate = fx_rate::parse(base, quote, text_of(v, "rate"));
    ASSERT_TRUE(rate);
    auto expected = convert(money::of_minor(amount, base), *rate);
    ASSERT_TRUE(expected);
    EXPECT_EQ(int_of(v, "buy_amount_minor"), expected->converted.amount_minor()) << r.body;
    auto expires = parse_rfc3339(text_of(v, "expires_at"), "expires_at");
    auto now = parse_rfc3339(text_of(json_of(get("/sandbox/clock")), "now"), "now");
    ASSERT_TRUE(expires && now);
    EXPECT_GT(*expires, *now);
    EXPECT_LE(*expires - *now, 30'000);
    auto read = get("/fx/v1/quotes/" + text_of(v, "quote_id"));
    EXPECT_EQ(read.status, 200);
    EXPECT_EQ(read.body, r.body);
  }
}

// Lock holds a quote; locking again is fine; release ends it and a released quote cannot lock.
TEST_F(sandbox_fx_test, lock_and_release) {
  start();
  auto q = json_of(post(
      "/fx/v1/quotes", R"({"sell_currency":"GBP","buy_currency":"CHF","sell_amount_minor":5000})"));
  const auto id = text_of(q, "quote_id");
  auto locked = post("/fx/v1/quotes/" + id + "/lock", "{}");
  ASSERT_EQ(locked.status, 200) << locked.body;
  EXPECT_EQ(text_of(json_of(locked), "status"), "LOCKED");
  EXPECT_FALSE(text_of(json_of(locked), "locked_until").empty());
  auto again = post("/fx/v1/quotes/" + id + "/lock", "");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(text_of(json_of(again), "locked_until"), text_of(json_of(locked), "locked_until"));
  auto released = post("/fx/v1/quotes/" + id + "/release", "{}");
  EXPECT_EQ(text_of(json_of(released), "status"), "RELEASED");
  EXPECT_EQ(post("/fx/v1/quotes/" + id + "/release", "{}").status, 200);  // twice is fine
  expect_error(post("/fx/v1/quotes/" + id + "/lock", "{}"), 409, "quote_released");
  EXPECT_EQ(text_of(json_of(get("/fx/v1/quotes/" + id)), "status"), "RELEASED");
}

// After 30 s a quote cannot be locked (409 quote_expired); a lock runs out after 5 minutes.
TEST_F(sandbox_fx_test, quotes_and_locks_expire) {
  start();
  const std::string body =
      R"({"sell_currency":"EUR","buy_currency":"INR","sell_amount_minor":100})";
  const auto stale = text_of(json_of(post("/fx/v1/quotes", body)), "quote_id");
  const auto held = text_of(json_of(post("/fx/v1/quotes", body)), "quote_id");
  ASSERT_EQ(post("/fx/v1/quotes/" + held + "/lock", "{}").status, 200);
  ASSERT_EQ(post("/sandbox/clock", R"({"advance_ms":31000})", "-").status, 200);
  expect_error(post("/fx/v1/quotes/" + stale + "/lock", "{}"), 409, "quote_expired");
  EXPECT_EQ(text_of(json_of(get("/fx/v1/quotes/" + stale)), "status"), "EXPIRED");
  EXPECT_EQ(text_of(json_of(get("/fx/v1/quotes/" + held)), "status"), "LOCKED");
  ASSERT_EQ(post("/sandbox/clock", R"({"advance_ms":300000})", "-").status, 200);
  EXPECT_EQ(text_of(json_of(get("/fx/v1/quotes/" + held)), "status"), "EXPIRED");
  expect_error(post("/fx/v1/quotes/" + held + "/lock", "{}"), 409, "quote_expired");
  expect_error(post("/sandbox/clock", R"({"advance_ms":-1})", "-"), 400, "invalid_field",
               "advance_ms");
}

// Quote bodies are checked field by field; unknown quotes are 404.
TEST_F(sandbox_fx_test, quote_bad_input) {
  start();
  const auto quote = [&](const std::string& body) { return post("/fx/v1/quotes", body); };
  expect_error(quote("not json"), 400, "malformed_json");
  expect_error(quote("[1]"), 400, "malformed_json");
  expect_error(quote(R"({"buy_currency":"USD","sell_amount_minor":1})"), 400, "invalid_field",
               "sell_currency");
  expect_error(quote(R"({"sell_currency":"EUR","buy_currency":"USD"})"), 400, "invalid_field",
               "sell_amount_minor");
  expect_error(quote(R"({"sell_currency":"EUR","buy_currency":"USD","sell_amount_minor":0})"), 400,
               "invalid_field", "sell_amount_minor");
  expect_error(quote(R"({"sell_currency":"EUR","buy_currency":"USD","sell_amount_minor":1.5})"),
               400, "invalid_field", "sell_amount_minor");
  expect_error(quote(R"({"sell_currency":"EUR","buy_currency":"USD","sell_amount_minor":"5"})"),
               400, "invalid_field", "sell_amount_minor");
  expect_error(quote(R"({"sell_currency":"EUR","buy_currency":"SEK","sell_amount_minor":5})"), 422,
               "unsupported_currency", "buy_currency");
  expect_error(quote(R"({"sell_currency":"EUR","buy_currency":"EUR","sell_amount_minor":5})"), 400,
               "invalid_field", "buy_currency");
  expect_error(quote(R"({"sell_currency":7,"buy_currency":"EUR","sell_amount_minor":5})"), 400,
               "invalid_field", "sell_currency");
  expect_error(post("/fx/v1/quotes/fxq_missing/lock", "{}"), 404, "not_found");
  expect_error(post("/fx/v1/quotes/fxq_missing/release", "{}"), 404, "not_found");
  expect_error(get("/fx/v1/quotes/fxq_missing"), 404, "not_found");
  auto id = text_of(
      json_of(quote(R"({"sell_currency":"EUR","buy_currency":"USD","sell_amount_minor":5})")),
      "quote_id");
  expect_error(post("/fx/v1/quotes/" + id + "/lock", "nope"), 400, "malformed_json");
}

}  // namespace
}  // namespace payorch::testing
