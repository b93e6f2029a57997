// The typed provider clients against canned answers: requests, parsing and typed errors.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>

#include "adapters/fx_client.hpp"
#include "adapters/kyc_client.hpp"
#include "adapters/provider_caller.hpp"
#include "adapters/psp_client.hpp"
#include "adapters/rail_client.hpp"
#include "adapters/risk_client.hpp"
#include "adapters/sanctions_client.hpp"
#include "tests/unit/adapters/loopback_server.hpp"

namespace payorch::adapters {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;
using test::canned;
using test::loopback_server;
using test::run_until;
using test::seen_request;

/// A loopback server answering from a table of canned answers by "METHOD target".
struct provider_rig {
  provider_rig()
      : server(ioc, [this](const seen_request& r) { return answer_for(r); }),
        breaker("test", {100, milliseconds(60'000), milliseconds(60'000), 1}),
        caller(ioc, client, breaker, policy(), 99) {}

  static retry_policy policy() {
    retry_policy p;
    p.max_attempts = 2;
    p.initial_backoff = milliseconds(1);
    p.max_backoff = milliseconds(1);
    return p;
  }

  canned answer_for(const seen_request& r) {
    auto found = answers.find(r.method + " " + r.target);
    return found == answers.end() ? canned::json(404, R"({"error":"not_found"})") : found->second;
  }

  /// Runs the context until `result` is set, and returns it.
  template <class T>
  provider_result<T> wait(std::optional<provider_result<T>>& result) {
    EXPECT_TRUE(run_until(ioc, [&] { return result.has_value(); }));
    return std::move(*result);
  }

  const seen_request& last() const { return server.requests().back(); }
  json::object last_body() const { return json::parse(last().body).as_object(); }

  asio::io_context ioc;
  std::map<std::string, canned> answers;
  loopback_server server;
  http_client client{ioc};
  circuit_breaker breaker;
  provider_caller caller;
};

template <class T>
auto into(std::optional<provider_result<T>>& slot) {
  return [&slot](provider_result<T> r) { slot.emplace(std::move(r)); };
}

constexpr std::string_view quote_json =
    R"({"quote_id":"q_1","sell_currency":"EUR","buy_currency":"JPY","sell_amount_minor":10000,)"
    R"("buy_amount_minor":16212,"rate":"162.123456","expires_at":"2024-05-22T14:11:32Z",)"
    R"("status":"QUOTED"})";

// Goal: the FX client reads rates and quotes, sends its bodies and keys, and maps 409.
TEST(fx_client, rates_quotes_locks_and_errors) {
  provider_rig rig;
  fx_client fx(rig.caller, rig.server.url("/"));
  rig.answers["GET /fx/v1/rates?base=EUR&quote=USD"] = canned::json(
      200, R"({"base":"EUR","quote":"USD","rate":"1.084213","as_of":"2024-05-22T14:11:02Z"})");
  std::optional<provider_result<fx_rate_answer>> rate;
  fx.rate("EUR", "USD", into(rate));
  auto r = rig.wait(rate);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r.value(), (fx_rate_answer{"EUR", "USD", "1.084213", "2024-05-22T14:11:02Z"}));

  rig.answers["POST /fx/v1/quotes"] = canned::json(201, std::string(quote_json));
  std::optional<provider_result<fx_quote>> quote;
  fx.quote("EUR", "JPY", 10000, "saga-9:fx", into(quote));
  auto q = rig.wait(quote);
  ASSERT_TRUE(q) << q.error().detail;
  EXPECT_EQ(q->quote_id, "q_1");
  EXPECT_EQ(q->buy_amount_minor, 16212);
  EXPECT_EQ(q->rate, "162.123456");
  EXPECT_EQ(q->locked_until, std::nullopt);
  EXPECT_EQ(rig.last().header("Idempotency-Key"), "saga-9:fx");
  EXPECT_EQ(rig.last().header("Content-Type"), "application/json");
  EXPECT_EQ(rig.last_body(),
            (json::object{
                {"sell_currency", "EUR"}, {"buy_currency", "JPY"}, {"sell_amount_minor", 10000}}));

  rig.answers["POST /fx/v1/quotes/q_1/lock"] =
      canned::json(409, R"({"error":"quote_expired","detail":"expired at 14:11:32"})");
  std::optional<provider_result<fx_quote>> lock;
  fx.lock("q_1", "saga-9:lock", into(lock));
  auto l = rig.wait(lock);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error(), (provider_error{provider_error_kind::final, 409, "quote_expired",
                                       "expired at 14:11:32"}));
  EXPECT_EQ(rig.last().body, "{}");

  std::string released(quote_json);
  released.replace(released.find("QUOTED"), 6, "RELEASED");
  rig.answers["POST /fx/v1/quotes/q_1/release"] = canned::json(200, released);
  std::optional<provider_result<fx_quote>> release;
  fx.release("q_1", "saga-9:release", into(release));
  EXPECT_EQ(rig.wait(release)->status, "RELEASED");

  std::string locked(quote_json);
  locked.replace(locked.size() - 1, 1, R"(,"locked_until":"2024-05-22T14:16:02Z"})");
  rig.answers["GET /fx/v1/quotes/q%2F2"] = canned::json(200, locked);
  std::optional<provider_result<fx_quote>> got;
  fx.get("q/2", into(got));  // ids are escaped into one path segment
  EXPECT_EQ(rig.wait(got)->locked_until, "2024-05-22T14:16:02Z");
}

// Goal: answers that break the contract are bad_answer, naming what is wrong; rates as JSON
// numbers are refused, and so are a rate or a quote that is not the one asked for.
TEST(fx_client, bad_json_is_bad_answer) {
  provider_rig rig;
  fx_client fx(rig.caller, rig.server.url(""));
  auto rate_error = [&](std::string body) {
    rig.answers["GET /fx/v1/rates?base=EUR&quote=USD"] = canned::json(200, std::move(body));
    std::optional<provider_result<fx_rate_answer>> rate;
    fx.rate("EUR", "USD", into(rate));
    auto r = rig.wait(rate);
    EXPECT_FALSE(r);
    return r ? provider_error{} : r.error();
  };
  auto not_json = rate_error("{not json");
  EXPECT_EQ(not_json.kind, provider_error_kind::bad_answer);
  EXPECT_EQ(not_json.http_status, 200);
  EXPECT_NE(not_json.detail.find("not JSON"), std::string::npos) << not_json.detail;
  EXPECT_NE(rate_error("[1]").detail.find("object"), std::string::npos);
  EXPECT_EQ(rate_error(R"({"base":"EUR","quote":"USD","as_of":"x"})").detail,
            "the answer lacks rate");
  EXPECT_EQ(rate_error(R"({"base":"EUR","quote":"USD","rate":1.08,"as_of":"x"})").detail,
            "rate must be a string, not a fractional number");
  EXPECT_EQ(rate_error(R"({"base":"EUR","quote":"USD","rate":"1,08","as_of":"x"})").detail,
            R"(rate must be decimal text such as "1.0842")");

  rig.answers["POST /fx/v1/quotes"] = canned::json(
      201, R"({"quote_id":"q","sell_currency":"EUR","buy_currency":"JPY","sell_amount_minor":1.5,)"
           R"("buy_amount_minor":1,"rate":"1","expires_at":"x","status":"QUOTED"})");
  std::optional<provider_result<fx_quote>> quote;
  fx.quote("EUR", "JPY", 1, "k", into(quote));
  auto q = rig.wait(quote);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().kind, provider_error_kind::bad_answer);
  EXPECT_EQ(q.error().detail,
            "sell_amount_minor must be an integer within int64, not a "
            "fractional number");

  // Answers for another pair or another sale than asked for are bad answers too.
  EXPECT_EQ(rate_error(R"({"base":"USD","quote":"EUR","rate":"0.92","as_of":"x"})").detail,
            "the rate is for USD/EUR, not the EUR/USD asked for");
  auto quote_error = [&](std::string_view sell, std::string_view buy, std::int64_t amount) {
    rig.answers["POST /fx/v1/quotes"] = canned::json(201, std::string(quote_json));
    std::optional<provider_result<fx_quote>> answer;
    fx.quote(sell, buy, amount, "k2", into(answer));
    auto a = rig.wait(answer);
    EXPECT_FALSE(a);
    return a ? std::string() : a.error().detail;
  };
  EXPECT_EQ(quote_error("EUR", "JPY", 9999),
            "the quote sells 10000 EUR for JPY, not the 9999 EUR for JPY asked for");
  EXPECT_EQ(quote_error("JPY", "EUR", 10000),
            "the quote sells 10000 EUR for JPY, not the 10000 JPY for EUR asked for");
  EXPECT_EQ(quote_error("EUR", "USD", 10000),
            "the quote sells 10000 EUR for JPY, not the 10000 EUR for USD asked for");
}

// Goal: retryable failures end as retryable_exhausted; an open breaker as circuit_open.
TEST(fx_client, exhausted_and_circuit_open_errors) {
  provider_rig rig;
  fx_client fx(rig.caller, rig.server.url(""));
  rig.answers["GET /fx/v1/quotes/q"] = canned::json(503, R"({"error":"maintenance"})");
  std::optional<provider_result<fx_quote>> got;
  fx.get("q", into(got));
  auto g = rig.wait(got);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().kind, provider_error_kind::retryable_exhausted);
  EXPECT_EQ(g.error().http_status, 503);
  EXPECT_EQ(g.error().code, "maintenance");
  EXPECT_EQ(rig.server.requests().size(), 2u);

  circuit_breaker tripped("fx", {1, milliseconds(60'000), milliseconds(60'000), 1});
  tripped.record_failure(tripped.try_acquire());
  provider_caller closed_caller(rig.ioc, rig.client, tripped, provider_rig::policy(), 1);
  fx_client blocked(closed_caller, rig.server.url(""));
  std::optional<provider_result<fx_quote>> refused;
  blocked.get("q", into(refused));
  auto f = rig.wait(refused);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().kind, provider_error_kind::circuit_open);
  EXPECT_EQ(f.error().code, "circuit_open");
  EXPECT_EQ(rig.server.requests().size(), 2u);
  EXPECT_EQ(to_string(provider_error_kind::retryable_exhausted), "retryable_exhausted");
}

// Goal: the KYC client starts verifications (callback optional) and reads results.
TEST(kyc_client, start_and_get) {
  provider_rig rig;
  kyc_client kyc(rig.caller, rig.server.url(""));
  rig.answers["POST /kyc/v1/verifications"] =
      canned::json(202, R"({"verification_id":"v_1","reference":"payee-7","status":"PENDING"})");
  std::optional<provider_result<kyc_verification>> started;
  kyc.start_verification({"payee-7", "Jeanne Dupont", "FR", "http://cb/kyc"}, "saga:kyc",
                         into(started));
  auto s = rig.wait(started);
  ASSERT_TRUE(s) << s.error().detail;
  EXPECT_EQ(s.value(), (kyc_verification{"v_1", "payee-7", "PENDING", std::nullopt}));
  EXPECT_EQ(rig.last_body(), (json::object{{"reference", "payee-7"},
                                           {"name", "Jeanne Dupont"},
                                           {"country", "FR"},
                                           {"callback_url", "http://cb/kyc"}}));
  std::optional<provider_result<kyc_verification>> no_callback;
  kyc.start_verification({"payee-8", "A", "DE", std::nullopt}, "k2", into(no_callback));
  rig.wait(no_callback);
  EXPECT_FALSE(rig.last_body().contains("callback_url"));

  rig.answers["GET /kyc/v1/verifications/v_1"] =
      canned::json(200, R"({"verification_id":"v_1","reference":"payee-7","status":"REJECTED",)"
                        R"("reason":"document_expired"})");
  std::optional<provider_result<kyc_verification>> got;
  kyc.get("v_1", into(got));
  EXPECT_EQ(rig.wait(got)->reason, "document_expired");

  rig.answers["GET /kyc/v1/verifications/v_2"] =
      canned::json(200, R"({"verification_id":"v_2","reference":7,"status":"PENDING"})");
  std::optional<provider_result<kyc_verification>> bad;
  kyc.get("v_2", into(bad));
  auto b = rig.wait(bad);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().detail, "reference must be a string, not an integer");
}

// Goal: the sanctions client reads the result and every match.
TEST(sanctions_client, screen) {
  provider_rig rig;
  sanctions_client sanctions(rig.caller, rig.server.url(""));
  rig.answers["POST /sanctions/v1/screenings"] = canned::json(
      200,
      R"({"screening_id":"s_1","result":"POSSIBLE_MATCH","matches":[)"
      R"({"entry_id":"e1","name":"Ivan Petrov","program":"SDN","country":"RU","score_bp":9120},)"
      R"({"entry_id":"e2","name":"I. Petrova","program":"EU","country":"BY","score_bp":8000}]})");
  std::optional<provider_result<sanctions_screening>> screened;
  sanctions.screen({"Ivan Petrov", "RU"}, "saga:screen", into(screened));
  auto s = rig.wait(screened);
  ASSERT_TRUE(s) << s.error().detail;
  EXPECT_EQ(s->result, "POSSIBLE_MATCH");
  ASSERT_EQ(s->matches.size(), 2u);
  EXPECT_EQ(s->matches[0], (sanctions_match{"e1", "Ivan Petrov", "SDN", "RU", 9120}));
  EXPECT_EQ(s->matches[1].score_bp, 8000);
  EXPECT_EQ(rig.last_body(), (json::object{{"name", "Ivan Petrov"}, {"country", "RU"}}));

  rig.answers["POST /sanctions/v1/screenings"] =
      canned::json(200, R"({"screening_id":"s_2","result":"HIT","matches":[{"entry_id":"e1"}]})");
  std::optional<provider_result<sanctions_screening>> bad;
  sanctions.screen({"X", std::nullopt}, "k", into(bad));
  auto b = rig.wait(bad);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().detail, "the answer lacks matches[0].name");
  EXPECT_EQ(rig.last_body(), (json::object{{"name", "X"}}));
}

// Goal: the risk client sends every field and checks the score's range and the level's word.
TEST(risk_client, score) {
  provider_rig rig;
  risk_client risk(rig.caller, rig.server.url(""));
  rig.answers["POST /risk/v1/scores"] =
      canned::json(200, R"({"score":82,"level":"HIGH","reasons":["new_payee","amount"]})");
  std::optional<provider_result<risk_score>> scored;
  risk.score({"pay-1", 500000, "EUR", "FR", "APPROVED", "CLEAR", 3}, "saga:risk", into(scored));
  auto s = rig.wait(scored);
  ASSERT_TRUE(s) << s.error().detail;
  EXPECT_EQ(s.value(), (risk_score{82, "HIGH", {"new_payee", "amount"}}));
  EXPECT_EQ(rig.last_body(), (json::object{{"reference", "pay-1"},
                                           {"amount_minor", 500000},
                                           {"currency", "EUR"},
                                           {"country", "FR"},
                                           {"kyc_status", "APPROVED"},
                                           {"sanctions_result", "CLEAR"},
                                           {"payouts_today", 3}}));
  rig.answers["POST /risk/v1/scores"] =
      canned::json(200, R"({"score":101,"level":"HIGH","reasons":[]})");
  std::optional<provider_result<risk_score>> bad;
  risk.score({"pay-2", 1, "EUR", "FR", "APPROVED", "CLEAR", std::nullopt}, "k", into(bad));
  auto b = rig.wait(bad);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().detail, "score must be 0 to 100");
  EXPECT_FALSE(rig.last_body().contains("payouts_today"));
  // A level outside the contract is a bad answer, never a lower risk than HIGH.
  for (const char* level : {"high", "CRITICAL", ""}) {
    rig.answers["POST /risk/v1/scores"] =
        canned::json(200, std::string(R"({"score":95,"level":")") + level + R"(","reasons":[]})");
    std::optional<provider_result<risk_score>> odd;
    risk.score({"pay-3", 1, "EUR", "FR", "APPROVED", "CLEAR", std::nullopt}, "k3", into(odd));
    auto o = rig.wait(odd);
    ASSERT_FALSE(o) << level;
    EXPECT_EQ(o.error().detail, "level must be LOW, MEDIUM or HIGH") << level;
  }
}

credit_transfer transfer() {
  credit_transfer t;
  t.message_id = "MSG-1";
  t.created_at_ms = 1'716'387'062'000;
  t.end_to_end_id = "E2E-1";
  t.amount_minor = 1500;
  t.currency = "JPY";
  t.settlement_date = "2024-05-23";
  t.debtor_name = "Pool";
  t.debtor_agent_bic = "COBADEFFXXX";
  t.creditor_agent_bic = "BNPAFRPP";
  t.creditor_name = "Jeanne";
  t.creditor_iban = "FR1420041010050500013M02606";
  return t;
}

// Goal: the rail client posts the pacs.008 as XML with the callback header, and reads payments.
TEST(rail_client, submit_and_get) {
  provider_rig rig;
  rail_client rail(rig.caller, rig.server.url(""));
  rig.answers["POST /rail/v1/payments"] =
      canned::json(202, R"({"payment_id":"p_1","end_to_end_id":"E2E-1","status":"ACCEPTED"})");
  std::optional<provider_result<rail_payment>> submitted;
  rail.submit(transfer(), "http://payorch/callbacks/rail", "saga:rail", into(submitted));
  auto s = rig.wait(submitted);
  ASSERT_TRUE(s) << s.error().detail;
  EXPECT_EQ(s.value(), (rail_payment{"p_1", "E2E-1", "ACCEPTED", std::nullopt}));
  EXPECT_EQ(rig.last().header("Content-Type"), "application/xml");
  EXPECT_EQ(rig.last().header("X-Callback-Url"), "http://payorch/callbacks/rail");
  EXPECT_EQ(rig.last().header("Idempotency-Key"), "saga:rail");
  EXPECT_EQ(rig.last().body, build_pacs008(transfer()).value());

  rig.answers["GET /rail/v1/payments/p_1"] = canned::json(
      200,
      R"({"payment_id":"p_1","end_to_end_id":"E2E-1","status":"RETURNED","reason_code":"AC04"})");
  std::optional<provider_result<rail_payment>> got;
  rail.get("p_1", into(got));
  EXPECT_EQ(rig.wait(got)->reason_code, "AC04");

  rig.answers["POST /rail/v1/payments"] =
      canned::json(400, R"({"error":"invalid_pacs008","detail":"CdtrAcct/Id/IBAN is malformed"})");
  std::optional<provider_result<rail_payment>> refused;
  rail.submit(transfer(), "", "k", into(refused));
  auto r = rig.wait(refused);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "invalid_pacs008");
  EXPECT_FALSE(rig.last().header("X-Callback-Url"));

  // An answer about another transfer or another payment is a bad answer, never this one's.
  rig.answers["POST /rail/v1/payments"] =
      canned::json(202, R"({"payment_id":"p_9","end_to_end_id":"E2E-9","status":"ACCEPTED"})");
  std::optional<provider_result<rail_payment>> crossed;
  rail.submit(transfer(), "", "k2", into(crossed));
  auto c = rig.wait(crossed);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, provider_error_kind::bad_answer);
  EXPECT_EQ(c.error().detail, "the payment is for end_to_end_id E2E-9, not E2E-1");
  rig.answers["GET /rail/v1/payments/p_2"] =
      canned::json(200, R"({"payment_id":"p_1","end_to_end_id":"E2E-1","status":"SETTLED"})");
  std::optional<provider_result<rail_payment>> other;
  rail.get("p_2", into(other));
  auto o = rig.wait(other);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().detail, "the answer is for payment p_1, not p_2");
}

// Goal: a transfer build_pacs008 refuses is invalid_request naming the field; nothing is sent.
TEST(rail_client, invalid_transfer_is_not_sent) {
  provider_rig rig;
  rail_client rail(rig.caller, rig.server.url(""));
  auto t = transfer();
  t.creditor_agent_bic = "NOPE";
  bool inside = true;
  bool answered_inside = false;
  std::optional<provider_result<rail_payment>> result;
  rail.submit(t, "", "k", [&](provider_result<rail_payment> r) {
    answered_inside = inside;
    result.emplace(std::move(r));
  });
  inside = false;
  auto r = rig.wait(result);
  EXPECT_FALSE(answered_inside);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, provider_error_kind::invalid_request);
  EXPECT_EQ(r.error().code, "creditor_agent_bic");
  EXPECT_NE(r.error().detail.find("CdtrAgt/FinInstnId/BICFI"), std::string::npos);
  EXPECT_TRUE(rig.server.requests().empty());
}

constexpr std::string_view authorization_json =
    R"({"authorization_id":"a_1","status":"%s","amount_minor":5000,"currency":"EUR",)"
    R"("captured_minor":%c,"refunded_minor":0})";

std::string authorization(const std::string& status, int captured) {
  std::string text(authorization_json);
  text.replace(text.find("%s"), 2, status);
  text.replace(text.find("%c"), 2, std::to_string(captured));
  return text;
}

// Goal: the PSP client authorizes, captures, refunds, voids and reads, with its bodies.
TEST(psp_client, authorization_lifecycle) {
  provider_rig rig;
  psp_client psp(rig.caller, rig.server.url(""));
  rig.answers["POST /psp/v1/authorizations"] = canned::json(201, authorization("AUTHORIZED", 0));
  rig.answers["POST /psp/v1/authorizations/a_1/captures"] =
      canned::json(200, authorization("PARTIALLY_CAPTURED", 2000));
  rig.answers["POST /psp/v1/authorizations/a_1/refunds"] =
      canned::json(409, R"({"error":"amount_exceeds_remaining","detail":"only 2000 captured"})");
  rig.answers["POST /psp/v1/authorizations/a_1/void"] =
      canned::json(200, authorization("VOIDED", 0));
  rig.answers["GET /psp/v1/authorizations/a_1"] =
      canned::json(200, authorization("CAPTURED", 5000));

  std::optional<provider_result<psp_authorization>> authorized;
  psp.authorize({"order-1", 5000, "EUR", "tok_visa", std::nullopt}, "saga:auth", into(authorized));
  auto a = rig.wait(authorized);
  ASSERT_TRUE(a) << a.error().detail;
  EXPECT_EQ(a.value(), (psp_authorization{"a_1", "AUTHORIZED", 5000, "EUR", 0, 0}));
  EXPECT_EQ(rig.last_body(), (json::object{{"reference", "order-1"},
                                           {"amount_minor", 5000},
                                           {"currency", "EUR"},
                                           {"card_token", "tok_visa"}}));

  std::optional<provider_result<psp_authorization>> captured;
  psp.capture("a_1", 2000, "saga:capture", into(captured));
  EXPECT_EQ(rig.wait(captured)->captured_minor, 2000);
  EXPECT_EQ(rig.last_body(), (json::object{{"amount_minor", 2000}}));

  std::optional<provider_result<psp_authorization>> refunded;
  psp.refund("a_1", 9000, "saga:refund", into(refunded));
  auto r = rig.wait(refunded);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, provider_error_kind::final);
  EXPECT_EQ(r.error().code, "amount_exceeds_remaining");
  EXPECT_EQ(rig.last_body(), (json::object{{"amount_minor", 9000}}));

  std::optional<provider_result<psp_authorization>> voided;
  psp.void_authorization("a_1", "saga:void", into(voided));
  EXPECT_EQ(rig.wait(voided)->status, "VOIDED");
  EXPECT_EQ(rig.last().body, "{}");

  std::optional<provider_result<psp_authorization>> got;
  psp.get("a_1", into(got));
  EXPECT_EQ(rig.wait(got)->captured_minor, 5000);
  EXPECT_EQ(rig.last().method, "GET");
  EXPECT_FALSE(rig.last().header("Idempotency-Key"));

  rig.answers["GET /psp/v1/authorizations/a_2"] = canned::json(
      200, R"({"authorization_id":"a_2","status":"AUTHORIZED","amount_minor":99999999999999999999,)"
           R"("currency":"EUR","captured_minor":0,"refunded_minor":0})");
  std::optional<provider_result<psp_authorization>> huge;
  psp.get("a_2", into(huge));
  auto h = rig.wait(huge);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().kind, provider_error_kind::bad_answer);
}

}  // namespace
}  // namespace payorch::adapters
