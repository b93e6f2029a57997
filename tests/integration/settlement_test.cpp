// Cross-border settlement on the real binaries: `payorch sandbox` plays every provider and
// `payorch serve` runs the settlement saga against it, through each path a payout can take.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "tests/integration/integration_support.hpp"
#include "tests/integration/openapi_support.hpp"
#include "tests/integration/store_support.hpp"
#include "tests/support/auth_client.hpp"
#include "tests/support/sandbox_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::testing {
namespace {

namespace json = boost::json;

constexpr std::string_view webhook_secret = "settlement-test-secret";
constexpr std::string_view otp_secret = "settlement-otp-secret-0123456789";
constexpr std::string_view good_iban = "DE89370400440532013000";
constexpr std::string_view good_bic = "COBADEFFXXX";

/// The one-time password of a payout, computed here from the documented rule (RFC 4226's
/// truncation of HMAC-SHA256(secret, payout id)), independently of the server's code.
std::string expected_otp(std::string_view payout_id) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), otp_secret.data(), static_cast<int>(otp_secret.size()),
       reinterpret_cast<const unsigned char*>(payout_id.data()), payout_id.size(), mac, &len);
  const unsigned offset = mac[len - 1] & 0x0f;
  const std::uint32_t bin = ((mac[offset] & 0x7fu) << 24) | (mac[offset + 1] << 16) |
                            (mac[offset + 2] << 8) | mac[offset + 3];
  auto code = std::to_string(bin % 1'000'000);
  return std::string(6 - code.size(), '0') + code;
}

/// Standard Webhooks headers signing `body` as the providers do.
header_list signed_headers(const std::string& id, const std::string& body) {
  const auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  const auto signed_text = id + "." + ts + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), webhook_secret.data(), static_cast<int>(webhook_secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
  std::string b64(4 * ((len + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(len));
  b64.resize(static_cast<std::size_t>(n));
  return {{"Content-Type", "application/json"},
          {"webhook-id", id},
          {"webhook-timestamp", ts},
          {"webhook-signature", "v1," + b64}};
}

std::int64_t int_member(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : -1;
}

class settlement : public integration_test {
 protected:
  void SetUp() override { start_both(); }

  void start_both(std::filesystem::path data_dir = {}) {
    if (!sandbox_) {
      std::string error;
      // Every callback comes twice, in reversed pairs: the sagas must take each once.
      std::vector<std::string> args = {"--webhook-secret", std::string(webhook_secret),
                                       "--kyc-delay-ms", "20", "--rail-delay-ms", rail_delay_ms_,
                                       "--duplicate-callbacks", "--out-of-order-callbacks"};
      args.insert(args.end(), sandbox_extra_.begin(), sandbox_extra_.end());
      sandbox_ = sandbox_process::start(
          {.binary = payorch_binary(), .seed = 7, .extra_args = std::move(args)}, &error);
      ASSERT_NE(sandbox_, nullptr) << error;
    }
    process_options o;
    o.data_dir = std::move(data_dir);
    o.env = {{"PAYORCH_PROVIDERS_WEBHOOK_SECRET", std::string(webhook_secret)},
             {"PAYORCH_SETTLEMENT_OTP_SECRET", std::string(otp_secret)},
             {"PAYORCH_SETTLEMENT_RETRY_BACKOFF_MS", "50"},
             // Callbacks sent to a process that was killed are lost: at these deadlines the
             // saga asks the provider instead.
             {"PAYORCH_SETTLEMENT_KYC_TIMEOUT_MS", "1500"},
             {"PAYORCH_SETTLEMENT_CONFIRM_TIMEOUT_MS", "1500"}};
    o.env.insert(o.env.end(), extra_env_.begin(), extra_env_.end());
    o.extra_args = {"--providers", sandbox_->base_url()};
    if (!storage_uri_.empty()) {
      o.extra_args.push_back("--storage");
      o.extra_args.push_back(storage_uri_);
    }
    o.config_toml = config_toml_;
    server_ = start(std::move(o));
    ASSERT_NE(server_, nullptr);
    admin_ = config_toml_ ? token_of({"boss", "boss-secret"}, "crowdpod:*:admin operator")
                          : admin_token(*server_, "crowdpod:*:admin operator");
  }

  /// A token of a configured client.
  std::string token_of(const client_credentials& client, const std::string& scope) const {
    auto r = http_exchange(server_->port(), token_request(client, scope));
    EXPECT_EQ(r.status, 200) << r.body;
    return string_of(json_object_of(r), "access_token");
  }

  /// `call` with another client's token.
  http_reply call_as(const std::string& token, std::string method, std::string target,
                     std::string body) const {
    http_request req{std::move(method),
                     std::move(target),
                     {{"Authorization", bearer(token)},
                      {"Content-Type", "application/json"},
                      {"Idempotency-Key", "as-" + std::to_string(++key_seq_)}},
                     std::move(body)};
    auto reply = http_exchange(server_->port(), req);
    EXPECT_EQ(openapi_departures(req.method, req.target, reply), "") << reply.body;
    return reply;
  }

  http_reply call(std::string method, std::string target, std::string body = {},
                  std::string key = {}) const {
    http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.headers.push_back({"Authorization", bearer(admin_)});
    if (!body.empty()) {
      req.headers.push_back({"Content-Type", "application/json"});
      req.body = std::move(body);
    }
    if (req.method == "POST") {
      if (key.empty()) key = "k-" + std::to_string(++key_seq_);
      req.headers.push_back({"Idempotency-Key", key});
    }
    auto reply = http_exchange(server_->port(), req);
    // Every answer of these tests is held to the OpenAPI document.
    const auto target_path = req.target.substr(0, req.target.find('?'));
    EXPECT_EQ(openapi_departures(req.method, target_path, reply), "")
        << req.method << " " << req.target << " -> " << reply.body;
    return reply;
  }

  /// An ACTIVE pod with members ann, ben (MEMBER) and olly (OBSERVER), holding `funds_minor`
  /// of its currency from a settled pledge.
  std::string funded_pod(std::int64_t funds_minor, std::string_view limit = "5000",
                         std::string_view tier = "STANDARD", std::string_view quorum = "0.66") {
    auto created = call("POST", "/pods",
                        R"({"name":"Trip","currency":"EUR","policy":{"spending_limit":)" +
                            std::string(limit) + R"(,"voting_quorum":)" + std::string(quorum) +
                            R"(,"risk_tier":")" + std::string(tier) + R"("}})");
    EXPECT_EQ(created.status, 201) << created.body;
    auto pod = string_of(json_object_of(created), "pod_id");
    EXPECT_EQ(call("POST", "/pods/" + pod + "/actions/activate").status, 200);
    for (auto [user, role] : {std::pair{"ann", "MEMBER"}, {"ben", "MEMBER"}, {"olly", "OBSERVER"}})
      EXPECT_EQ(call("POST", "/pods/" + pod + "/members",
                     R"({"user_id":")" + std::string(user) + R"(","role":")" + role + R"("})")
                    .status,
                201);
    auto pledged = call("POST", "/pods/" + pod + "/pledges",
                        R"({"user_id":"ann","amount_minor":)" + std::to_string(funds_minor) +
                            R"(,"currency":"EUR"})");
    EXPECT_EQ(pledged.status, 201) << pledged.body;
    auto pledge = string_of(json_object_of(pledged), "pledge_id");
    EXPECT_EQ(call("POST", "/pods/" + pod + "/pledges/" + pledge + "/settle").status, 200);
    return pod;
  }

  static std::string payout_body(std::int64_t amount, std::string_view currency = "EUR",
                                 std::string_view name = "Anna Schmidt") {
    return R"({"beneficiary":{"name":")" + std::string(name) + R"(","country":"DE","iban":")" +
           std::string(good_iban) + R"(","bic":")" + std::string(good_bic) +
           R"("},"amount_minor":)" + std::to_string(amount) + R"(,"currency":")" +
           std::string(currency) + R"("})";
  }

  /// Starts a payout; its id.
  std::string pay(const std::string& pod, std::int64_t amount, std::string_view currency = "EUR",
                  std::string_view name = "Anna Schmidt") {
    auto r = call("POST", "/pods/" + pod + "/payouts", payout_body(amount, currency, name));
    EXPECT_EQ(r.status, 202) << r.body;
    auto id = string_of(json_object_of(r), "payout_id");
    EXPECT_EQ(r.header("Location").value_or(""), "/pods/" + pod + "/payouts/" + id);
    return id;
  }

  json::object payout(const std::string& pod, const std::string& id) const {
    auto r = call("GET", "/pods/" + pod + "/payouts/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? json_object_of(r) : json::object{};
  }

  /// Polls the payout until its status is `wanted` (or any terminal one when empty).
  json::object wait_for(const std::string& pod, const std::string& id,
                        std::set<std::string> wanted = {"SETTLED", "FAILED", "NEEDS_ATTENTION"}) {
    json::object last;
    for (int i = 0; i < 2000; ++i) {
      last = payout(pod, id);
      if (wanted.count(string_of(last, "status")) != 0) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "payout " << id << " never reached the status wanted: "
                  << json::serialize(last);
    return last;
  }

  /// The pod's EUR figures: {posted, reserved}.
  std::pair<std::int64_t, std::int64_t> eur_balance(const std::string& pod) const {
    auto r = call("GET", "/pods/" + pod + "/balance");
    EXPECT_EQ(r.status, 200) << r.body;
    const auto body = json_object_of(r);
    for (const auto& b : body.at("balances").as_array()) {
      const auto& o = b.as_object();
      if (string_of(o, "currency") == "EUR")
        return {int_member(o, "posted_minor"), int_member(o, "reserved_minor")};
    }
    return {-1, -1};
  }

  /// Every one of `users` votes `decision` ("approve" or "reject") on payout `id`.
  void cast_votes(const std::string& pod, const std::string& id,
                  std::initializer_list<const char*> users, std::string_view decision) {
    for (const char* user : users)
      EXPECT_EQ(call("POST", "/pods/" + pod + "/payouts/" + id + "/votes",
                     R"({"user_id":")" + std::string(user) + R"(","decision":")" +
                         std::string(decision) + R"("})")
                    .status,
                200)
          << user;
  }

  /// Submits a credit transfer of EndToEndId `end_to_end_id` straight to the sandbox's rail,
  /// under a key of its own: as if an earlier submission had reached the rail and its answer
  /// and key were lost.
  http_reply submit_to_rail(const std::string& end_to_end_id) const {
    http_request req;
    req.method = "POST";
    req.target = "/rail/v1/payments";
    req.headers = {{"Content-Type", "application/xml"},
                   {"Idempotency-Key", "lost-" + end_to_end_id}};
    req.body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\"><FIToFICstmrCdtTrf>"
        "<GrpHdr><MsgId>" +
        end_to_end_id +
        "</MsgId><CreDtTm>2026-12-07T10:00:00Z</CreDtTm>"
        "<NbOfTxs>1</NbOfTxs><SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>"
        "<CdtTrfTxInf><PmtId><EndToEndId>" +
        end_to_end_id +
        "</EndToEndId></PmtId>"
        "<IntrBkSttlmAmt Ccy=\"EUR\">200.00</IntrBkSttlmAmt>"
        "<IntrBkSttlmDt>2026-12-07</IntrBkSttlmDt><ChrgBr>SLEV</ChrgBr>"
        "<Dbtr><Nm>Payorch Pod Treasury</Nm></Dbtr>"
        "<DbtrAgt><FinInstnId><BICFI>COBADEFFXXX</BICFI></FinInstnId></DbtrAgt>"
        "<CdtrAgt><FinInstnId><BICFI>NWBKGB2LXXX</BICFI></FinInstnId></CdtrAgt>"
        "<Cdtr><Nm>Anna Schmidt</Nm></Cdtr>"
        "<CdtrAcct><Id><IBAN>GB82WEST12345698765432</IBAN></Id></CdtrAcct>"
        "</CdtTrfTxInf></FIToFICstmrCdtTrf></Document>";
    return http_exchange(sandbox_->port(), req);
  }

  /// How many payments the rail accepted per EndToEndId (the sandbox's own count).
  std::map<std::string, std::int64_t> rail_submissions() const {
    auto r = http_get(sandbox_->port(), "/sandbox/stats");
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, std::int64_t> out;
    auto v = json::parse(r.body);
    if (auto* per = v.as_object().if_contains("rail_submissions"))
      for (const auto& [k, n] : per->as_object())
        out[std::string(k)] = n.as_object().at("accepted").as_int64();
    return out;
  }

  std::string rail_delay_ms_ = "50";
  std::vector<std::string> sandbox_extra_;  ///< more sandbox flags
  std::string storage_uri_;  ///< a PostgreSQL database; empty: SQLite in the data dir
  std::optional<std::string> config_toml_;
  env_list extra_env_;
  std::unique_ptr<sandbox_process> sandbox_;
  payorch_process* server_ = nullptr;
  std::string admin_;
  static inline int key_seq_ = 0;
};

/// The settlement on each journal store: SQLite, and PostgreSQL (a fresh database per test).
class settlement_stores : public settlement, public ::testing::WithParamInterface<store_kind> {
 protected:
  void SetUp() override {
    std::string error;
    if (auto why = store_unavailable(GetParam()); !why.empty()) GTEST_SKIP() << why;
    auto target = make_store_target(GetParam(), &error);
    ASSERT_TRUE(target.has_value()) << error;
    storage_uri_ = target->uri;
    settlement::SetUp();
  }
};

INSTANTIATE_TEST_SUITE_P(stores, settlement_stores, both_stores(), store_test_name);

std::string step_status(const json::object& payout, std::string_view step) {
  for (const auto& s : payout.at("steps").as_array())
    if (s.as_object().at("name").as_string() == step) return string_of(s.as_object(), "status");
  return {};
}

// Goal: a payout in the pod's currency goes through every step and settles; the hold is posted
// and the wallet shows the money gone.
TEST_P(settlement_stores, same_currency_payout_settles) {
  auto pod = funded_pod(100'000);
  auto id = pay(pod, 25'000);
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "SETTLED") << json::serialize(done);
  EXPECT_TRUE(done.at("reason").is_null());
  for (auto step : {"reserve", "kyc", "kyc_result", "sanctions", "risk", "approval", "otp", "fx",
                    "post", "submit", "confirm"}) {
    EXPECT_EQ(step_status(done, step), "SUCCEEDED") << step;
  }
  // Every step shows its attempts with times.
  const auto& first = done.at("steps").as_array()[0].as_object();
  EXPECT_GE(first.at("attempts").as_int64(), 1);
  EXPECT_TRUE(first.at("started_at").is_string());
  EXPECT_FALSE(first.at("history").as_array().empty());
  const auto& wallet = done.at("wallet").as_object();
  EXPECT_EQ(string_of(wallet, "status"), "POSTED");
  EXPECT_EQ(int_member(wallet, "sell_minor"), 25'000);
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{75'000, 0}));
  EXPECT_EQ(rail_submissions()[id], 1);
}

// Goal: a payout in another currency locks an FX quote, spends only what the locked rate needs
// out of its hold, and keeps the rounding in the FX account.
TEST_P(settlement_stores, cross_currency_payout_sells_what_the_rate_needs) {
  auto pod = funded_pod(100'000);
  auto id = pay(pod, 20'000, "GBP");
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "SETTLED") << json::serialize(done);
  const auto& wallet = done.at("wallet").as_object();
  const auto sell = int_member(wallet, "sell_minor");
  const auto hold = int_member(wallet, "hold_minor");
  EXPECT_GT(sell, 0);
  EXPECT_LE(sell, hold);
  EXPECT_GE(int_member(wallet, "buy_minor"), 20'000);
  EXPECT_EQ(int_member(wallet, "fx_rounding_minor"), int_member(wallet, "buy_minor") - 20'000);
  EXPECT_FALSE(string_of(wallet, "quote_id").empty());
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{100'000 - sell, 0}));
}

// Goal: a payout in a currency the wallet holds is paid from it, with nothing sold; then the
// wallet is empty of it, and a pod closes only once every currency has been paid out.
TEST_P(settlement_stores, a_payout_in_a_currency_the_wallet_holds_sells_nothing) {
  auto pod = funded_pod(100'000);
  auto pledged = call("POST", "/pods/" + pod + "/pledges",
                      R"({"user_id":"ann","amount_minor":30000,"currency":"GBP"})");
  ASSERT_EQ(pledged.status, 201) << pledged.body;
  ASSERT_EQ(call("POST", "/pods/" + pod + "/pledges/" +
                             string_of(json_object_of(pledged), "pledge_id") + "/settle")
                .status,
            200);
  auto id = pay(pod, 30'000, "GBP");
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "SETTLED") << json::serialize(done);
  EXPECT_EQ(string_of(done.at("request").as_object(), "funding_currency"), "GBP");
  EXPECT_EQ(string_of(done.at("request").as_object(), "pod_currency"), "EUR");
  const auto& wallet = done.at("wallet").as_object();
  EXPECT_EQ(string_of(wallet, "hold_currency"), "GBP");
  EXPECT_EQ(int_member(wallet, "hold_minor"), 30'000);
  EXPECT_EQ(int_member(wallet, "sell_minor"), 30'000);
  EXPECT_EQ(string_of(wallet, "quote_id"), "");
  for (const auto& step : done.at("steps").as_array()) {
    const auto& o = step.as_object();
    if (string_of(o, "name") == "fx") {
      EXPECT_EQ(json::serialize(o.at("output")), R"({"fx":false})");
    }
  }
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{100'000, 0}));
  // The pod's journal and ledger, payout events and the payouts account included, are answered
  // as the OpenAPI document describes them (call() holds every answer to it).
  EXPECT_EQ(call("GET", "/pods/" + pod + "/events?limit=200").status, 200);
  EXPECT_EQ(call("GET", "/pods/" + pod + "/ledger?limit=200").status, 200);
  // The EUR is still there: the pod does not close until it is paid out too.
  expect_problem(call("POST", "/pods/" + pod + "/actions/close"), 409, "illegal_transition");
  auto rest = pay(pod, 100'000);
  ASSERT_EQ(string_of(wait_for(pod, rest), "status"), "SETTLED");
  auto closed = call("POST", "/pods/" + pod + "/actions/close");
  ASSERT_EQ(closed.status, 200) << closed.body;
}

// Goal: each failing path ends FAILED with its reason, and the hold goes back to the wallet.
TEST_P(settlement_stores, kyc_rejection_releases_the_hold) {
  auto pod = funded_pod(100'000);
  auto id = pay(pod, 10'000, "EUR", "Please Reject Me");
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "FAILED") << json::serialize(done);
  EXPECT_NE(string_of(done, "reason").find("kyc_rejected"), std::string::npos);
  EXPECT_EQ(step_status(done, "reserve"), "COMPENSATED");
  EXPECT_EQ(string_of(done.at("wallet").as_object(), "status"), "RELEASED");
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{100'000, 0}));
  EXPECT_EQ(rail_submissions().count(id), 0u);
}

TEST_P(settlement_stores, sanctions_hit_stops_the_payout) {
  auto pod = funded_pod(100'000);
  auto id = pay(pod, 10'000, "EUR", "Jerome Quillabrand");
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "FAILED") << json::serialize(done);
  EXPECT_NE(string_of(done, "reason").find("sanctions_"), std::string::npos);
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{100'000, 0}));
}

TEST_P(settlement_stores, rail_return_reverses_the_posting) {
  auto pod = funded_pod(100'000);
  auto id = pay(pod, 30'000, "EUR", "Please Return This");
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "FAILED") << json::serialize(done);
  EXPECT_NE(string_of(done, "reason").find("rail_returned: AC04"), std::string::npos);
  EXPECT_EQ(step_status(done, "post"), "COMPENSATED");
  EXPECT_EQ(string_of(done.at("wallet").as_object(), "status"), "REVERSED");
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{100'000, 0}));
  EXPECT_EQ(rail_submissions()[id], 1);
  // A late callback that contradicts the outcome is acknowledged and changes nothing.
  const std::string late =
      R"({"payment_id":"pay_late","end_to_end_id":")" + id + R"(","status":"SETTLED"})";
  auto ack = http_exchange(server_->port(),
                           {"POST", "/callbacks/rail", signed_headers("wh_late_1", late), late});
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(json_object_of(ack).at("accepted").as_bool(), false);
  EXPECT_EQ(openapi_departures("POST", "/callbacks/rail", ack), "");
  EXPECT_EQ(string_of(payout(pod, id), "status"), "FAILED");
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{100'000, 0}));
  // Unsigned or wrongly signed callbacks are refused; an unknown payout is 404.
  auto headers = signed_headers("wh_late_2", late);
  headers.back().second = "v1,AAAA";
  auto forged = http_exchange(server_->port(), {"POST", "/callbacks/rail", headers, late});
  expect_problem(forged, 401, "invalid_signature", "webhook-signature");
  EXPECT_EQ(openapi_departures("POST", "/callbacks/rail", forged), "");
  const std::string unknown =
      R"({"payment_id":"p","end_to_end_id":"pout_00000000000000ff","status":"SETTLED"})";
  auto missing = http_exchange(
      server_->port(), {"POST", "/callbacks/rail", signed_headers("wh_late_3", unknown), unknown});
  EXPECT_EQ(missing.status, 404) << missing.body;
}

// Goal: a pod lists its own payouts, oldest first, with what each pays and where it stands, a
// page at a time and by status; an unknown pod is 404, an unknown status or a cursor not from
// this list 400.
TEST_P(settlement_stores, a_pod_lists_its_payouts_oldest_first) {
  auto pod = funded_pod(100'000);
  auto rejected = pay(pod, 10'000, "EUR", "Please Reject Me");
  wait_for(pod, rejected);
  auto settled = pay(pod, 20'000, "GBP");
  wait_for(pod, settled);
  auto other_pod = funded_pod(50'000);
  auto elsewhere = pay(other_pod, 5'000);

  // A page of one: its line and its next cursor.
  const auto page_of_one = [](const http_reply& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    const auto page = r.status == 200 ? json_object_of(r) : json::object{};
    const auto* items = page.if_contains("items");
    EXPECT_TRUE(items && items->as_array().size() == 1u) << r.body;
    json::object line =
        items && items->as_array().size() == 1u ? items->as_array()[0].as_object() : json::object{};
    return std::pair{std::move(line), string_of(page, "next_cursor")};
  };
  const auto [first, cursor] = page_of_one(call("GET", "/pods/" + pod + "/payouts?limit=1"));
  EXPECT_EQ(string_of(first, "payout_id"), rejected);
  EXPECT_EQ(string_of(first, "status"), "FAILED");
  EXPECT_NE(string_of(first, "reason").find("kyc_rejected"), std::string::npos);
  EXPECT_EQ(int_member(first, "amount_minor"), 10'000);
  EXPECT_EQ(string_of(first, "currency"), "EUR");
  EXPECT_TRUE(first.contains("created_at") && first.at("created_at").is_string());
  ASSERT_FALSE(cursor.empty());

  const auto [second, end] =
      page_of_one(call("GET", "/pods/" + pod + "/payouts?limit=1&cursor=" + cursor));
  EXPECT_EQ(string_of(second, "payout_id"), settled);
  EXPECT_EQ(string_of(second, "status"), "SETTLED");
  EXPECT_TRUE(second.contains("reason") && second.at("reason").is_null());
  EXPECT_EQ(int_member(second, "amount_minor"), 20'000);
  EXPECT_EQ(string_of(second, "currency"), "GBP");
  EXPECT_EQ(end, "");  // next_cursor null: the last page

  // A status keeps only the payouts that have it.
  const auto [failed_only, failed_end] =
      page_of_one(call("GET", "/pods/" + pod + "/payouts?status=FAILED"));
  EXPECT_EQ(string_of(failed_only, "payout_id"), rejected);
  EXPECT_EQ(failed_end, "");
  const auto [settled_only, settled_end] =
      page_of_one(call("GET", "/pods/" + pod + "/payouts?status=SETTLED"));
  EXPECT_EQ(string_of(settled_only, "payout_id"), settled);
  auto waiting = call("GET", "/pods/" + pod + "/payouts?status=AWAITING_VOTES");
  ASSERT_EQ(waiting.status, 200) << waiting.body;
  EXPECT_TRUE(json_object_of(waiting).at("items").as_array().empty());
  expect_problem(call("GET", "/pods/" + pod + "/payouts?status=DONE"), 400, "invalid_query",
                 "status");

  auto theirs = call("GET", "/pods/" + other_pod + "/payouts");
  ASSERT_EQ(theirs.status, 200) << theirs.body;
  const auto their_page = json_object_of(theirs);
  const auto& their_items = their_page.at("items").as_array();
  ASSERT_EQ(their_items.size(), 1u);
  EXPECT_EQ(string_of(their_items[0].as_object(), "payout_id"), elsewhere);

  // The other pod's cursor (its payout's id) means nothing here.
  auto foreign = call("GET", "/pods/" + other_pod + "/payouts?cursor=" + cursor);
  expect_problem(foreign, 400, "invalid_query", "cursor");
  expect_problem(call("GET", "/pods/pod_00000000000000ff/payouts"), 404, "not_found", "pod_id");
}

/// Clients of their own: "boss" may do anything; "tess" and "mia" write to pods as
/// themselves (tess becomes a TREASURER, mia a MEMBER).
class settlement_roles : public settlement {
 protected:
  void SetUp() override {
    temp_dir work{"payorch-hash"};
    std::string toml;
    for (auto [id, scopes] : {std::pair{"boss", R"("crowdpod:*:admin", "operator")"},
                              {"tess", R"("crowdpod:*:write")"},
                              {"mia", R"("crowdpod:*:write")"}}) {
      const std::string cmd = "printf '%s\\n' '" + std::string(id) + "-secret' | '" +
                              payorch_binary().string() + "' hash-secret --iterations 10000";
      auto hashed = run_payorch("/bin/sh", {"-c", cmd}, {}, work.path());
      ASSERT_EQ(hashed.exit_code, 0) << hashed.err;
      toml += "[[auth.clients]]\nid = \"" + std::string(id) + "\"\nsecret_hash = \"" +
              hashed.out.substr(0, hashed.out.find('\n')) + "\"\nscopes = [" + scopes + "]\n";
    }
    config_toml_ = toml;
    settlement::SetUp();
  }
};

// Goal: only a TREASURER or ADMIN pays out, and only the member who asked enters the password.
TEST_F(settlement_roles, payout_roles_and_the_requesters_password) {
  auto pod = funded_pod(100'000, "5000", "HIGH");
  ASSERT_EQ(call("POST", "/pods/" + pod + "/members", R"({"user_id":"tess","role":"TREASURER"})")
                .status,
            201);
  ASSERT_EQ(call("POST", "/pods/" + pod + "/members", R"({"user_id":"mia","role":"MEMBER"})")
                .status,
            201);
  const auto tess = token_of({"tess", "tess-secret"}, "crowdpod:*:write");
  const auto mia = token_of({"mia", "mia-secret"}, "crowdpod:*:write");
  expect_problem(call_as(mia, "POST", "/pods/" + pod + "/payouts", payout_body(1'000)), 403,
                 "role_forbidden");
  auto started = call_as(tess, "POST", "/pods/" + pod + "/payouts", payout_body(1'000));
  ASSERT_EQ(started.status, 202) << started.body;
  const auto id = string_of(json_object_of(started), "payout_id");
  wait_for(pod, id, {"AWAITING_OTP"});
  const std::string code = R"({"code":")" + expected_otp(id) + R"("})";
  expect_problem(call_as(mia, "POST", "/pods/" + pod + "/payouts/" + id + "/otp", code), 403,
                 "role_forbidden");
  // A member votes for themselves only.
  expect_problem(call_as(mia, "POST", "/pods/" + pod + "/payouts/" + id + "/votes",
                         R"({"user_id":"ann","decision":"approve"})"),
                 403, "role_forbidden", "user_id");
  ASSERT_EQ(call_as(tess, "POST", "/pods/" + pod + "/payouts/" + id + "/otp", code).status, 200);
  EXPECT_EQ(string_of(wait_for(pod, id), "status"), "SETTLED");
}

/// Votes and one-time passwords that expire after a second.
class settlement_deadlines : public settlement {
 protected:
  void SetUp() override {
    extra_env_ = {{"PAYORCH_SETTLEMENT_VOTE_TIMEOUT_MS", "1000"},
                  {"PAYORCH_SETTLEMENT_OTP_TIMEOUT_MS", "1000"}};
    settlement::SetUp();
  }
};

// Goal: a vote that does not reach quorum by its deadline fails the payout, and the hold goes
// back; so does a one-time password never entered.
TEST_F(settlement_deadlines, votes_and_passwords_expire) {
  auto pod = funded_pod(100'000, "100");
  auto voted = pay(pod, 20'000);
  EXPECT_EQ(call("POST", "/pods/" + pod + "/payouts/" + voted + "/votes",
                 R"({"user_id":"ann","decision":"approve"})")
                .status,
            200);
  auto done = wait_for(pod, voted);
  ASSERT_EQ(string_of(done, "status"), "FAILED") << json::serialize(done);
  EXPECT_NE(string_of(done, "reason").find("vote_expired"), std::string::npos);
  auto high = funded_pod(100'000, "5000", "HIGH");
  auto stepped = pay(high, 1'000);
  done = wait_for(high, stepped);
  ASSERT_EQ(string_of(done, "status"), "FAILED") << json::serialize(done);
  EXPECT_NE(string_of(done, "reason").find("otp_expired"), std::string::npos);
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{100'000, 0}));
  EXPECT_EQ(eur_balance(high), (std::pair<std::int64_t, std::int64_t>{100'000, 0}));
}

/// FX quotes that expire 10 ms after they are made, and every provider answering 50 ms late:
/// no quote can be locked in time.
class settlement_expiring_quotes : public settlement {
 protected:
  void SetUp() override {
    sandbox_extra_ = {"--quote-ttl-ms", "10", "--latency-ms", "50"};
    settlement::SetUp();
  }
};

// Goal: a quote that expires before its lock fails the payout with quote_expired, and the hold
// goes back to the wallet; a payout in the pod's own currency needs no quote and settles.
TEST_F(settlement_expiring_quotes, quote_expired_releases_the_hold) {
  auto pod = funded_pod(100'000);
  auto id = pay(pod, 10'000, "GBP");
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "FAILED") << json::serialize(done);
  EXPECT_NE(string_of(done, "reason").find("quote_expired"), std::string::npos);
  EXPECT_EQ(string_of(done, "failed_step"), "fx");
  EXPECT_EQ(step_status(done, "reserve"), "COMPENSATED");
  EXPECT_EQ(string_of(done.at("wallet").as_object(), "status"), "RELEASED");
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{100'000, 0}));
  EXPECT_EQ(rail_submissions().count(id), 0u);
  auto same = pay(pod, 10'000);
  EXPECT_EQ(string_of(wait_for(pod, same), "status"), "SETTLED");
}

/// A rail that takes a minute to settle: longer than every deadline of the saga.
class settlement_slow_rail : public settlement {
 protected:
  void SetUp() override {
    rail_delay_ms_ = "60000";
    settlement::SetUp();
  }
};

// Goal: a payment the rail still holds after the confirmation deadline is never credited back
// (it may yet settle): the saga ends NEEDS_ATTENTION with the money posted, for an operator.
TEST_F(settlement_slow_rail, unconfirmed_payment_is_not_credited_back) {
  auto pod = funded_pod(100'000);
  auto id = pay(pod, 10'000);
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "NEEDS_ATTENTION") << json::serialize(done);
  EXPECT_NE(string_of(done, "reason").find("payout_in_flight"), std::string::npos);
  EXPECT_EQ(step_status(done, "post"), "COMPENSATION_FAILED");
  EXPECT_EQ(string_of(done.at("wallet").as_object(), "status"), "POSTED");
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{90'000, 0}));
  EXPECT_NE(server_->log().find("operator alert"), std::string::npos);
  auto failed = call("GET", "/ops/sagas?status=FAILED");
  ASSERT_EQ(failed.status, 200);
  EXPECT_NE(failed.body.find("saga_" + id.substr(5)), std::string::npos);
}

// Goal: an operator who reconciled such payouts with the rail resolves them: COMPLETED when the
// rail paid (the payout is SETTLED, the wallet stays debited), COMPENSATE when the money came back
// (it is credited back and the payout is FAILED). The resolution shows on the payout; bad bodies
// are 400 naming the field, a second resolution 409.
TEST_F(settlement_slow_rail, operator_resolves_payouts_that_need_attention) {
  auto pod = funded_pod(100'000);
  auto paid = pay(pod, 10'000);
  auto returned = pay(pod, 20'000);
  ASSERT_EQ(string_of(wait_for(pod, paid), "status"), "NEEDS_ATTENTION");
  ASSERT_EQ(string_of(wait_for(pod, returned), "status"), "NEEDS_ATTENTION");
  ASSERT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{70'000, 0}));
  const auto resolve = [&](const std::string& payout_id, const std::string& body) {
    return call("POST", "/ops/sagas/saga_" + payout_id.substr(5) + "/resolve", body);
  };
  expect_problem(resolve(paid, R"({"outcome":"SETTLED","reason":"paid"})"), 400, "invalid_field",
                 "outcome");
  expect_problem(resolve(paid, R"({"outcome":"COMPLETED"})"), 400, "invalid_field", "reason");
  expect_problem(resolve(paid, R"({"outcome":"COMPLETED","reason":""})"), 400, "invalid_field",
                 "reason");
  expect_problem(resolve(paid, R"({"outcome":"COMPLETED","reason":"x","extra":1})"), 400,
                 "invalid_field", "extra");
  EXPECT_EQ(resolve("pout_00000000000000ff", R"({"outcome":"COMPLETED","reason":"x"})").status,
            404);

  auto settled = resolve(paid, R"({"outcome":"COMPLETED","reason":"rail statement: paid"})");
  ASSERT_EQ(settled.status, 200) << settled.body;
  EXPECT_EQ(string_of(json_object_of(settled), "status"), "COMPLETED");
  auto p = payout(pod, paid);
  EXPECT_EQ(string_of(p, "status"), "SETTLED") << json::serialize(p);
  ASSERT_TRUE(p.at("resolution").is_object()) << json::serialize(p);
  const auto& resolution = p.at("resolution").as_object();
  EXPECT_EQ(string_of(resolution, "outcome"), "COMPLETED");
  EXPECT_EQ(string_of(resolution, "step"), "post");
  EXPECT_EQ(string_of(resolution, "reason"), "rail statement: paid");
  EXPECT_FALSE(string_of(resolution, "by").empty());
  // The payout's reason names the resolution; failed_step still names the step whose failure
  // started the undo, as that step's history does.
  EXPECT_EQ(string_of(p, "reason"),
            "resolved by " + string_of(resolution, "by") + ": rail statement: paid");
  ASSERT_TRUE(p.at("failed_step").is_string()) << json::serialize(p);
  EXPECT_EQ(step_status(p, string_of(p, "failed_step")), "FAILED") << json::serialize(p);
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{70'000, 0}));
  expect_problem(resolve(paid, R"({"outcome":"COMPENSATE","reason":"no"})"), 409,
                 "illegal_transition");

  auto back = resolve(returned, R"({"outcome":"COMPENSATE","reason":"returned, camt.054 ref 7"})");
  ASSERT_EQ(back.status, 200) << back.body;
  auto done = wait_for(pod, returned, {"FAILED"});
  EXPECT_EQ(string_of(done, "status"), "FAILED") << json::serialize(done);
  EXPECT_EQ(step_status(done, "post"), "COMPENSATED");
  EXPECT_EQ(string_of(done.at("wallet").as_object(), "status"), "REVERSED");
  EXPECT_EQ(string_of(done.at("resolution").as_object(), "outcome"), "COMPENSATE");
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{90'000, 0}));
}

// Goal: above the spending limit, members vote; quorum approves, enough rejections stop it.
TEST_P(settlement_stores, votes_above_the_limit_reach_quorum) {
  auto pod = funded_pod(100'000, "100");  // the limit is 100.00 EUR
  auto id = pay(pod, 20'000);
  auto waiting = wait_for(pod, id, {"AWAITING_VOTES"});
  const auto& wallet = waiting.at("wallet").as_object();
  EXPECT_TRUE(wallet.at("above_spending_limit").as_bool());
  EXPECT_EQ(int_member(wallet, "voters"), 3);  // the creator, ann, ben; not the observer
  EXPECT_EQ(int_member(wallet, "approvals_needed"), 2);
  auto vote = [&](std::string_view user, std::string_view decision) {
    return call("POST", "/pods/" + pod + "/payouts/" + id + "/votes",
                R"({"user_id":")" + std::string(user) + R"(","decision":")" +
                    std::string(decision) + R"("})");
  };
  expect_problem(vote("olly", "approve"), 403, "role_forbidden", "user_id");
  // A member who joined after the payout was requested does not vote on it.
  ASSERT_EQ(call("POST", "/pods/" + pod + "/members", R"({"user_id":"late","role":"MEMBER"})")
                .status,
            201);
  expect_problem(vote("late", "approve"), 403, "role_forbidden", "user_id");
  expect_problem(vote("nobody", "approve"), 404, "not_found", "user_id");
  expect_problem(vote("ann", "maybe"), 400, "invalid_field", "decision");
  // Refused votes reach neither the saga nor anyone's reputation.
  EXPECT_EQ(int_member(payout(pod, id).at("votes").as_object(), "approvals"), 0);
  auto first = vote("ann", "approve");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(string_of(json_object_of(first), "status"), "AWAITING_VOTES");
  EXPECT_EQ(vote("ann", "approve").status, 200);  // the same member twice counts once
  EXPECT_EQ(string_of(payout(pod, id), "status"), "AWAITING_VOTES");
  EXPECT_EQ(vote("ben", "approve").status, 200);
  auto done = wait_for(pod, id);
  EXPECT_EQ(string_of(done, "status"), "SETTLED") << json::serialize(done);
  EXPECT_EQ(int_member(done.at("votes").as_object(), "approvals"), 2);
  // Each vote counts once in its member's reputation.
  auto ann = call("GET", "/pods/" + pod + "/members/ann");
  ASSERT_EQ(ann.status, 200) << ann.body;
  const auto reputation = json_object_of(ann).at("reputation").as_object();
  EXPECT_EQ(int_member(reputation, "votes_cast"), 1) << ann.body;
}

// Goal: a rail that refuses the submission as a duplicate EndToEndId (it took that payment
// before, under a key it no longer knows) leaves the payment in doubt: the payout needs an
// operator and the wallet is not credited back, since the money may be on its way.
TEST_F(settlement, a_duplicate_end_to_end_id_leaves_the_payout_in_doubt) {
  auto pod = funded_pod(100'000, "100");
  auto id = pay(pod, 20'000);
  wait_for(pod, id, {"AWAITING_VOTES"});
  auto earlier = submit_to_rail(id);
  ASSERT_EQ(earlier.status, 202) << earlier.body;
  cast_votes(pod, id, {"ann", "ben"}, "approve");
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "NEEDS_ATTENTION") << json::serialize(done);
  EXPECT_EQ(string_of(done, "failed_step"), "submit");
  EXPECT_NE(string_of(done, "reason").find("payout_in_doubt"), std::string::npos)
      << json::serialize(done);
  EXPECT_EQ(string_of(done.at("wallet").as_object(), "status"), "POSTED");
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{80'000, 0}));
}

// Goal: a payout retried after its stored answer was lost finds the payout its key started, as
// it is now, instead of checking the wallet again (its hold has drawn on it: 422 before); the
// same key with another request is refused.
TEST_F(settlement, a_retry_whose_answer_was_lost_finds_its_payout) {
  auto pod = funded_pod(1'000);
  auto first = call("POST", "/pods/" + pod + "/payouts", payout_body(800), "lost-answer");
  ASSERT_EQ(first.status, 202) << first.body;
  const auto id = string_of(json_object_of(first), "payout_id");
  ASSERT_EQ(string_of(wait_for(pod, id), "status"), "SETTLED");
  auto forget_answers = [this] {
    const auto data_dir = server_->data_dir();
    ASSERT_EQ(server_->stop(), 0);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((data_dir / "journal.sqlite").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "DELETE FROM idempotency WHERE key = 'lost-answer'", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_close(db);
    start_both(data_dir);
  };
  forget_answers();
  auto again = call("POST", "/pods/" + pod + "/payouts", payout_body(800), "lost-answer");
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(string_of(json_object_of(again), "payout_id"), id);
  EXPECT_EQ(string_of(json_object_of(again), "status"), "SETTLED") << again.body;
  forget_answers();
  expect_problem(call("POST", "/pods/" + pod + "/payouts", payout_body(100), "lost-answer"), 422,
                 "idempotency_key_reused", "Idempotency-Key");
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{200, 0}));
}

TEST_P(settlement_stores, rejected_vote_fails_the_payout) {
  auto pod = funded_pod(100'000, "100");
  auto id = pay(pod, 20'000);
  wait_for(pod, id, {"AWAITING_VOTES"});
  cast_votes(pod, id, {"ann", "ben"}, "reject");
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "FAILED") << json::serialize(done);
  EXPECT_NE(string_of(done, "reason").find("vote_rejected"), std::string::npos);
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{100'000, 0}));
  // A vote after the end is refused.
  expect_problem(call("POST", "/pods/" + pod + "/payouts/" + id + "/votes",
                      R"({"user_id":"ann","decision":"approve"})"),
                 409, "illegal_transition");
}

// Goal: a pod suspended while its payout waits for votes keeps the money: approved, the
// payout fails at post (pod_not_active), the hold is released, and nothing reaches the rail.
TEST_F(settlement, a_pod_suspended_mid_payout_keeps_its_money) {
  auto pod = funded_pod(100'000, "100");
  auto id = pay(pod, 20'000);
  wait_for(pod, id, {"AWAITING_VOTES"});
  auto suspended = call("POST", "/pods/" + pod + "/actions/suspend", R"({"reason":"review"})");
  ASSERT_EQ(suspended.status, 200) << suspended.body;
  cast_votes(pod, id, {"ann", "ben"}, "approve");
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "FAILED") << json::serialize(done);
  EXPECT_EQ(string_of(done, "failed_step"), "post");
  EXPECT_NE(string_of(done, "reason").find("post_refused"), std::string::npos)
      << json::serialize(done);
  EXPECT_NE(string_of(done, "reason").find("SUSPENDED"), std::string::npos)
      << json::serialize(done);
  EXPECT_EQ(string_of(done.at("wallet").as_object(), "status"), "RELEASED");
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{100'000, 0}));
}

// Goal: a HIGH risk tier asks for the one-time password; wrong codes count, the right one
// lets the payout through.
TEST_P(settlement_stores, high_risk_needs_the_one_time_password) {
  auto pod = funded_pod(100'000, "5000", "HIGH");
  auto id = pay(pod, 10'000);
  wait_for(pod, id, {"AWAITING_OTP"});
  expect_problem(call("POST", "/pods/" + pod + "/payouts/" + id + "/otp", R"({"code":"12ab56"})"),
                 400, "invalid_field", "code");
  const auto right = expected_otp(id);
  const auto wrong = right == "000000" ? std::string("000001") : std::string("000000");
  auto tried = call("POST", "/pods/" + pod + "/payouts/" + id + "/otp",
                    R"({"code":")" + wrong + R"("})");
  ASSERT_EQ(tried.status, 200) << tried.body;
  EXPECT_EQ(string_of(json_object_of(tried), "status"), "AWAITING_OTP");
  // Without an Idempotency-Key each request is a try of its own, even under one X-Request-Id.
  auto keyless = [&](const std::string& code) {
    http_request req;
    req.method = "POST";
    req.target = "/pods/" + pod + "/payouts/" + id + "/otp";
    req.headers = {{"Authorization", bearer(admin_)},
                   {"Content-Type", "application/json"},
                   {"X-Request-Id", "same-request-id"}};
    req.body = R"({"code":")" + code + R"("})";
    return http_exchange(server_->port(), req);
  };
  ASSERT_EQ(keyless(wrong).status, 200);
  ASSERT_EQ(keyless(right).status, 200);
  auto done = wait_for(pod, id);
  EXPECT_EQ(string_of(done, "status"), "SETTLED") << json::serialize(done);
  // Readers see the tries, never a code.
  std::size_t tries = 0;
  for (const auto& step : done.at("steps").as_array()) {
    if (string_of(step.as_object(), "name") != "otp") continue;
    for (const auto& signal : step.as_object().at("signals").as_array()) {
      ++tries;
      EXPECT_TRUE(signal.as_object().at("payload").is_null()) << json::serialize(signal);
      EXPECT_EQ(string_of(signal.as_object(), "signal_id").find("same-request-id"),
                std::string::npos);
    }
  }
  EXPECT_EQ(tries, 3u);
}

TEST_P(settlement_stores, wrong_passwords_fail_the_payout) {
  auto pod = funded_pod(100'000, "5000", "HIGH");
  auto id = pay(pod, 10'000);
  wait_for(pod, id, {"AWAITING_OTP"});
  const auto right = expected_otp(id);
  int sent = 0;
  for (auto code : {"000000", "000001", "000002", "000003"}) {
    if (code == right) continue;
    if (++sent > 3) break;
    call("POST", "/pods/" + pod + "/payouts/" + id + "/otp", R"({"code":")" + std::string(code) + R"("})");
  }
  auto done = wait_for(pod, id);
  ASSERT_EQ(string_of(done, "status"), "FAILED") << json::serialize(done);
  EXPECT_NE(string_of(done, "reason").find("otp_failed"), std::string::npos);
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{100'000, 0}));
}

// Goal: bad requests are refused before anything starts, with problem details.
TEST_P(settlement_stores, bad_requests_are_refused_up_front) {
  auto pod = funded_pod(10'000);
  const auto target = "/pods/" + pod + "/payouts";
  expect_problem(call("POST", target, payout_body(20'000)), 422, "insufficient_funds",
                 "amount_minor");
  expect_problem(call("POST", target,
                      R"({"beneficiary":{"name":"A","country":"DE","iban":"DE00370400440532013000",)"
                      R"("bic":"COBADEFFXXX"},"amount_minor":100,"currency":"EUR"})"),
                 400, "invalid_iban", "beneficiary.iban");
  expect_problem(call("POST", target, payout_body(0)), 400, "invalid_amount", "amount_minor");
  expect_problem(call("POST", target, payout_body(100, "XYZ")), 400, "unknown_currency",
                 "currency");
  expect_problem(call("POST", target,
                      R"({"beneficiary":{"name":"A","country":"IN","vpa":"a@upi"},)"
                      R"("amount_minor":100,"currency":"INR"})"),
                 422, "unsupported_rail", "beneficiary");
  // Paying out needs write access to the pod.
  auto reader = admin_token(*server_, "crowdpod:" + pod + ":read");
  http_request req{"POST",
                   target,
                   {{"Authorization", bearer(reader)},
                    {"Content-Type", "application/json"},
                    {"Idempotency-Key", "reader-try"}},
                   payout_body(100)};
  expect_problem(http_exchange(server_->port(), req), 403, "forbidden");
  expect_problem(call("GET", target + "/pout_0000000000000000"), 404, "not_found", "payout_id");
  auto anonymous = http_get(server_->port(), target + "/pout_0000000000000000");
  EXPECT_EQ(anonymous.status, 401);
}

// Goal: operators list sagas by status and read one; the payout retried with the same key is
// the same payout.
TEST_P(settlement_stores, operators_see_sagas_and_retries_name_the_same_payout) {
  auto pod = funded_pod(100'000);
  auto first = call("POST", "/pods/" + pod + "/payouts", payout_body(1'000), "same-key");
  ASSERT_EQ(first.status, 202) << first.body;
  auto again = call("POST", "/pods/" + pod + "/payouts", payout_body(1'000), "same-key");
  EXPECT_EQ(again.status, 202);
  auto id = string_of(json_object_of(first), "payout_id");
  EXPECT_EQ(string_of(json_object_of(again), "payout_id"), id);
  wait_for(pod, id);
  auto listed = call("GET", "/ops/sagas?status=COMPLETED");
  ASSERT_EQ(listed.status, 200) << listed.body;
  bool found = false;
  const auto page = json_object_of(listed);
  for (const auto& item : page.at("items").as_array())
    found = found || item.as_object().at("saga_id").as_string() == "saga_" + id.substr(5);
  EXPECT_TRUE(found) << listed.body;
  auto one = call("GET", "/ops/sagas/saga_" + id.substr(5));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(string_of(json_object_of(one), "status"), "COMPLETED");
  expect_problem(call("POST", "/ops/sagas/saga_" + id.substr(5) + "/retry"), 409,
                 "illegal_transition");
  auto not_operator = admin_token(*server_, "crowdpod:*:admin");
  http_request req{"GET", "/ops/sagas", {{"Authorization", bearer(not_operator)}}, {}};
  EXPECT_EQ(http_exchange(server_->port(), req).status, 403);
}

// Goal: kill -9 in the middle of many sagas; after a restart every saga ends, none paid twice,
// and the wallet holds exactly what the settled payouts left.
TEST_P(settlement_stores, kill_nine_mid_flight_pays_each_payout_once) {
  auto pod = funded_pod(1'000'000);
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(pay(pod, 1'000 + i, i % 2 ? "GBP" : "EUR"));
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  const auto data_dir = server_->data_dir();
  ASSERT_EQ(::kill(server_->pid(), SIGKILL), 0);
  for (int i = 0; i < 500 && server_->running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_FALSE(server_->running());
  start_both(data_dir);
  std::int64_t spent = 0;
  for (const auto& id : ids) {
    auto done = wait_for(pod, id);
    ASSERT_EQ(string_of(done, "status"), "SETTLED") << json::serialize(done);
    spent += int_member(done.at("wallet").as_object(), "sell_minor");
  }
  auto submitted = rail_submissions();
  for (const auto& id : ids) EXPECT_EQ(submitted[id], 1) << id;
  EXPECT_EQ(eur_balance(pod), (std::pair<std::int64_t, std::int64_t>{1'000'000 - spent, 0}));
}

}  // namespace
}  // namespace payorch::testing
