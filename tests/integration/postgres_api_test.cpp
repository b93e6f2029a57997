// What only PostgreSQL can do to payorch serve: go away and come back. The API itself runs on
// PostgreSQL in the store-parameterized suites (store_support.hpp); this server is the test's own
// (tests/support/postgres_fixture.hpp), so halting it disturbs nobody else.
#include <chrono>
#include <thread>

#include "tests/integration/store_support.hpp"
#include "tests/support/auth_client.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace payorch::testing {
namespace {

/// A payorch on a PostgreSQL server of the test's own, which the test may halt and resume.
class postgres_outage : public integration_test {
 protected:
  void SetUp() override {
    std::string error;
    pg_ = postgres_server::start(&error, quick_postgres_options());
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
  // Listings cannot be read either: 503, never an empty last page.
  for (const auto& path : {std::string("/pods"), pod + "/events", pod + "/ledger"}) {
    auto listing = call(*server, token, "GET", path);
    EXPECT_EQ(listing.status, 503) << path << ": " << listing.body;
  }

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
  auto events = call(*server, token, "GET", pod + "/events");
  EXPECT_EQ(events.status, 200) << events.body;
  EXPECT_NE(events.body.find("CrowdPodCreated"), std::string::npos) << events.body;
  auto after = call(*server, token, "POST", "/pods", std::string(summer_trip_body), "after");
  EXPECT_EQ(after.status, 201) << after.body;
  EXPECT_EQ(server->stop(), 0);
}

}  // namespace
}  // namespace payorch::testing
