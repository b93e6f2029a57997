// payorch serve on PostgreSQL: the CrowdPod flow, idempotent replay, restart and verify, with
// the journal in a real PostgreSQL 15 server (tests/support/postgres_fixture.hpp).
#include <chrono>
#include <thread>

#include "tests/integration/integration_support.hpp"
#include "tests/support/auth_client.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace payorch::testing {
namespace {

class postgres_api : public integration_test {
 protected:
  void SetUp() override {
    std::string error;
    pg_ = postgres_server::start(&error);
    ASSERT_NE(pg_, nullptr) << error;
    uri_ = pg_->create_database("payorch", &error);
    ASSERT_FALSE(uri_.empty()) << error;
  }

  payorch_process* serve(const std::filesystem::path& data) {
    process_options o;
    o.data_dir = data;
    o.extra_args = {"--storage", uri_};
    return start(o);
  }

  static http_reply call(payorch_process& p, const std::string& token, std::string method,
                         std::string target, std::string body = {}, std::string key = {}) {
    http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.headers = {{"Authorization", bearer(token)}};
    if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    if (!key.empty()) req.headers.push_back({"Idempotency-Key", key});
    req.body = std::move(body);
    return http_exchange(p.port(), req);
  }

  std::unique_ptr<postgres_server> pg_;
  std::string uri_;
};

// Goal: create, activate, pledge, settle, balance, ledger and events all work on PostgreSQL,
// a retried pledge is replayed, and everything survives a restart and verifies.
TEST_F(postgres_api, crowdpod_flow_survives_a_restart_and_verifies) {
  temp_dir data{"payorch-pgdata"};
  auto* first = serve(data.path());
  ASSERT_NE(first, nullptr);
  const auto token = admin_token(*first);
  auto created = call(*first, token, "POST", "/pods", std::string(summer_trip_body), "pg-pod");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto pod = "/pods/" + string_of(json_object_of(created), "pod_id");
  ASSERT_EQ(call(*first, token, "POST", pod + "/actions/activate").status, 200);
  ASSERT_EQ(
      call(*first, token, "POST", pod + "/members", R"({"user_id":"mia","role":"MEMBER"})").status,
      201);
  const std::string pledge_body = R"({"user_id":"mia","amount_minor":2500,"currency":"EUR"})";
  auto pledged = call(*first, token, "POST", pod + "/pledges", pledge_body, "pg-pledge");
  ASSERT_EQ(pledged.status, 201) << pledged.body;
  auto replayed = call(*first, token, "POST", pod + "/pledges", pledge_body, "pg-pledge");
  EXPECT_EQ(replayed.body, pledged.body);
  EXPECT_EQ(replayed.header("Idempotency-Replayed").value_or(""), "true");
  const auto pledge_id = string_of(json_object_of(pledged), "pledge_id");
  ASSERT_EQ(call(*first, token, "POST", pod + "/pledges/" + pledge_id + "/settle").status, 200);
  const auto before = call(*first, token, "GET", pod + "/balance");
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_EQ(first->stop(), 0);

  auto* second = serve(data.path());
  ASSERT_NE(second, nullptr);
  const auto token2 = admin_token(*second);
  auto balance = call(*second, token2, "GET", pod + "/balance");
  ASSERT_EQ(balance.status, 200) << balance.body;
  const auto b = json_object_of(balance);
  EXPECT_EQ(b.at("balances").as_array()[0].as_object().at("posted_minor").as_int64(), 2500);
  auto ledger = call(*second, token2, "GET", pod + "/ledger");
  ASSERT_EQ(ledger.status, 200) << ledger.body;
  const auto entries = json_object_of(ledger).at("items").as_array();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].as_object().at("phase").as_string(), "POSTED");
  auto events = call(*second, token2, "GET", pod + "/events");
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_EQ(json_object_of(events).at("items").as_array().size(), 6u);
  // The stored response outlives the process too.
  auto again = call(*second, token2, "POST", pod + "/pledges", pledge_body, "pg-pledge");
  EXPECT_EQ(again.header("Idempotency-Replayed").value_or(""), "true");
  ASSERT_EQ(second->stop(), 0);

  auto verified = run_payorch(payorch_binary(), {"verify", "--storage", uri_}, {}, data.path());
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("journal intact"), std::string::npos) << verified.out;
  auto migrated = run_payorch(payorch_binary(), {"migrate", "--storage", uri_}, {}, data.path());
  EXPECT_EQ(migrated.exit_code, 0) << migrated.err;
}

}  // namespace
}  // namespace payorch::testing

namespace payorch::testing {
namespace {

class postgres_outage : public postgres_api {};

// Goal: while PostgreSQL is down, requests are answered 503 at once (no hang), /readyz says not
// ready, and nothing acknowledged is lost; when it returns, payorch reconnects by itself.
TEST_F(postgres_outage, requests_fail_fast_then_recover_by_themselves) {
  temp_dir data{"payorch-pgdata"};
  auto* server = serve(data.path());
  ASSERT_NE(server, nullptr);
  const auto token = admin_token(*server);
  auto created = call(*server, token, "POST", "/pods", std::string(summer_trip_body), "before");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto pod = "/pods/" + string_of(json_object_of(created), "pod_id");

  ASSERT_TRUE(pg_->halt());
  const auto started = std::chrono::steady_clock::now();
  auto during = call(*server, token, "POST", "/pods", std::string(summer_trip_body), "during");
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(during.status, 503) << during.body;
  // "Quickly" means well inside the request deadline (5 s), not a hang until it.
  EXPECT_LT(took, std::chrono::seconds(3));
  bool not_ready = false;
  for (int i = 0; i < 100 && !not_ready; ++i) {
    not_ready = http_get(server->port(), "/readyz").status == 503;
    if (!not_ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(not_ready);

  std::string error;
  ASSERT_TRUE(pg_->resume(&error)) << error;
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    ready = http_get(server->port(), "/readyz").status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(ready);
  auto read = call(*server, token, "GET", pod);
  EXPECT_EQ(read.status, 200) << read.body;  // acknowledged before the outage, still there
  auto after = call(*server, token, "POST", "/pods", std::string(summer_trip_body), "after");
  EXPECT_EQ(after.status, 201) << after.body;
  EXPECT_EQ(server->stop(), 0);
}

}  // namespace
}  // namespace payorch::testing
