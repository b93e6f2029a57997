// The CrowdPod API on the real binary: auth, members, roles, lifecycle, pledges, the ledger,
// idempotency, lists with cursors, and money conservation over many random operations; every
// suite runs on SQLite and on PostgreSQL.
#include <sqlite3.h>

#include <chrono>
#include <random>
#include <thread>

#include "tests/integration/store_support.hpp"
#include "tests/support/auth_client.hpp"

namespace payorch::testing {
namespace {

struct crowdpod_config {
  static process_options options() { return {}; }
};

class crowdpod_api : public shared_store_server_test<crowdpod_config> {
 protected:
  void SetUp() override {
    shared_store_server_test::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    admin_ = admin_token(server());
  }

  /// A request with the admin token (or `token`) and, for writes, a fresh Idempotency-Key.
  http_reply call(std::string method, std::string target, std::string body = {},
                  std::string token = {}, std::string key = {}) const {
    http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.headers.push_back({"Authorization", bearer(token.empty() ? admin_ : token)});
    if (!body.empty()) {
      req.headers.push_back({"Content-Type", "application/json"});
      req.body = std::move(body);
    }
    if (req.method == "POST" || req.method == "PATCH") {
      if (key.empty()) key = "k-" + std::to_string(++key_seq_);
      if (key != "-") req.headers.push_back({"Idempotency-Key", key});
    }
    return http_exchange(port(), req);
  }

  /// Creates an ACTIVE pod and returns its id.
  std::string active_pod(std::string_view cycle = {}) const {
    std::string body = R"({"name":"Trip","currency":"EUR","policy":{"spending_limit":5000,)"
                       R"("voting_quorum":0.66,"risk_tier":"STANDARD"})";
    if (!cycle.empty()) body += R"(,"cycle":)" + std::string(cycle);
    body += "}";
    auto created = call("POST", "/pods", body);
    EXPECT_EQ(created.status, 201) << created.body;
    auto id = string_of(json_object_of(created), "pod_id");
    auto activated = call("POST", "/pods/" + id + "/actions/activate");
    EXPECT_EQ(activated.status, 200) << activated.body;
    // The creator (the admin client) is the ADMIN; "owner" is the member who pledges below.
    auto joined =
        call("POST", "/pods/" + id + "/members", R"({"user_id":"owner","role":"MEMBER"})");
    EXPECT_EQ(joined.status, 201) << joined.body;
    return id;
  }

  static std::string pledge_body(std::string_view user, std::int64_t amount,
                                 std::string_view cur = "EUR") {
    return R"({"user_id":")" + std::string(user) + R"(","amount_minor":)" + std::to_string(amount) +
           R"(,"currency":")" + std::string(cur) + R"("})";
  }

  std::string admin_;
  /// Keys are unique across the process's servers, which is more than each needs.
  static inline int key_seq_ = 0;
};

INSTANTIATE_TEST_SUITE_P(stores, crowdpod_api, both_stores(), store_test_name);

// Goal: the creator is ADMIN, members join with roles, and the member view shows reputation.
TEST_P(crowdpod_api, members_join_with_roles) {
  auto pod = active_pod();
  auto added = call("POST", "/pods/" + pod + "/members", R"({"user_id":"mia","role":"MEMBER"})");
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.header("Location").value_or(""), "/pods/" + pod + "/members/mia");
  auto m = json_object_of(added);
  EXPECT_EQ(string_of(m, "role"), "MEMBER");
  EXPECT_EQ(m.at("reputation").as_object().at("score").as_int64(), 50);
  expect_problem(call("POST", "/pods/" + pod + "/members", R"({"user_id":"mia","role":"MEMBER"})"),
                 409, "already_exists", "user_id");
  expect_problem(call("POST", "/pods/" + pod + "/members", R"({"user_id":"zoe","role":"BOSS"})"),
                 400, "invalid_role", "role");
  expect_problem(call("POST", "/pods/" + pod + "/members", R"({"user_id":"zoe"})"), 400,
                 "invalid_field", "role");
  auto changed = call("PATCH", "/pods/" + pod + "/members/mia", R"({"role":"OBSERVER"})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(string_of(json_object_of(changed), "role"), "OBSERVER");
  // An OBSERVER never moves money.
  expect_problem(call("POST", "/pods/" + pod + "/pledges", pledge_body("mia", 100)), 403,
                 "role_forbidden", "user_id");
  const auto removed = call("DELETE", "/pods/" + pod + "/members/mia");
  EXPECT_EQ(removed.status, 204);
  EXPECT_FALSE(removed.header("Content-Length").has_value());  // a 204 has no content at all
  EXPECT_TRUE(removed.body.empty());
  expect_problem(call("GET", "/pods/" + pod + "/members/mia"), 404, "not_found", "user_id");
}

// Goal: a token for another pod is 403, no token 401 with WWW-Authenticate.
TEST_P(crowdpod_api, scopes_limit_what_a_token_sees) {
  auto pod = active_pod();
  auto other = active_pod();
  auto scoped = admin_token(server(), "crowdpod:" + pod + ":read");
  EXPECT_EQ(call("GET", "/pods/" + pod, {}, scoped).status, 200);
  expect_problem(call("GET", "/pods/" + other, {}, scoped), 403, "forbidden");
  expect_problem(
      call("POST", "/pods/" + pod + "/members", R"({"user_id":"x","role":"MEMBER"})", scoped), 403,
      "forbidden");
  auto listed = call("GET", "/pods", {}, scoped);
  ASSERT_EQ(listed.status, 200) << listed.body;
  auto items = json_object_of(listed).at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].as_object().at("pod_id").as_string(), pod);
  auto anonymous = http_get(port(), "/pods/" + pod);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_TRUE(anonymous.header("WWW-Authenticate").has_value());
}

// Goal: forbidden lifecycle moves are 409 naming the current state.
TEST_P(crowdpod_api, lifecycle_conflicts_name_the_state) {
  auto pod = active_pod();
  auto again = call("POST", "/pods/" + pod + "/actions/activate");
  expect_problem(again, 409, "illegal_transition");
  EXPECT_NE(again.body.find("ACTIVE"), std::string::npos) << again.body;
  EXPECT_EQ(call("POST", "/pods/" + pod + "/actions/suspend", R"({"reason":"risk"})").status, 200);
  expect_problem(call("POST", "/pods/" + pod + "/pledges", pledge_body("x", 1)), 409,
                 "pod_not_active");
  EXPECT_EQ(call("POST", "/pods/" + pod + "/actions/reinstate").status, 200);
  auto closed = call("POST", "/pods/" + pod + "/actions/close");
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(string_of(json_object_of(closed), "status"), "CLOSED");
  expect_problem(call("POST", "/pods/" + pod + "/actions/force-close"), 409, "illegal_transition");
}

// Goal: the policy is versioned (a PATCH that changes nothing keeps the version) and validated
// field by field.
TEST_P(crowdpod_api, policy_patch_is_versioned) {
  auto pod = active_pod();
  auto patched = call("PATCH", "/pods/" + pod + "/policy", R"({"voting_quorum":0.75})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_NE(patched.body.find(R"("voting_quorum":0.75)"), std::string::npos) << patched.body;
  EXPECT_NE(patched.body.find(R"("version":2)"), std::string::npos) << patched.body;
  // The same values again change nothing: the policy version and the pod's stream version stay
  // (no event is journaled).
  auto same = call("PATCH", "/pods/" + pod + "/policy", R"({"voting_quorum":0.75})");
  ASSERT_EQ(same.status, 200) << same.body;
  const auto before = json_object_of(patched);
  const auto after = json_object_of(same);
  EXPECT_EQ(after.at("policy").as_object().at("version").as_int64(), 2) << same.body;
  EXPECT_EQ(after.at("version").as_int64(), before.at("version").as_int64()) << same.body;
  expect_problem(call("PATCH", "/pods/" + pod + "/policy", R"({"voting_quorum":1.5})"), 400,
                 "invalid_quorum", "voting_quorum");
  expect_problem(call("PATCH", "/pods/" + pod + "/policy", R"({})"), 400, "invalid_field",
                 "policy");
}

// Goal: pledge → settle moves money from pending to posted, in the balance and the ledger.
TEST_P(crowdpod_api, pledge_settle_balance_and_ledger) {
  auto pod = active_pod();
  auto pledged = call("POST", "/pods/" + pod + "/pledges", pledge_body("owner", 0));
  expect_problem(pledged, 400, "invalid_amount", "amount_minor");
  // XXX ("no currency") is refused up front; the pod goes on serving.
  expect_problem(call("POST", "/pods/" + pod + "/pledges", pledge_body("owner", 100, "XXX")), 400,
                 "unknown_currency", "currency");
  // The epoch is a time in the past, not "no due time".
  expect_problem(call("POST", "/pods/" + pod + "/pledges",
                      R"({"user_id":"owner","amount_minor":100,"currency":"EUR",)"
                      R"("due_at":"1970-01-01T00:00:00Z"})"),
                 400, "invalid_argument", "due_at");
  ASSERT_EQ(
      call("POST", "/pods/" + pod + "/members", R"({"user_id":"mia","role":"MEMBER"})").status,
      201);
  pledged = call("POST", "/pods/" + pod + "/pledges", pledge_body("mia", 2500));
  ASSERT_EQ(pledged.status, 201) << pledged.body;
  auto pledge_id = string_of(json_object_of(pledged), "pledge_id");
  ASSERT_EQ(call("POST", "/pods/" + pod + "/pledges", pledge_body("mia", 700, "USD")).status, 201);
  auto settled = call("POST", "/pods/" + pod + "/pledges/" + pledge_id + "/settle");
  ASSERT_EQ(settled.status, 200) << settled.body;
  EXPECT_EQ(string_of(json_object_of(settled), "status"), "SETTLED");
  auto balance = call("GET", "/pods/" + pod + "/balance");
  ASSERT_EQ(balance.status, 200) << balance.body;
  auto b = json_object_of(balance).at("balances").as_array();
  ASSERT_EQ(b.size(), 2u) << balance.body;
  EXPECT_EQ(b[0].as_object().at("currency").as_string(), "EUR");
  EXPECT_EQ(b[0].as_object().at("posted_minor").as_int64(), 2500);
  EXPECT_EQ(b[1].as_object().at("pending_minor").as_int64(), 700);
  auto ledger = call("GET", "/pods/" + pod + "/ledger?limit=2");
  ASSERT_EQ(ledger.status, 200) << ledger.body;
  auto page = json_object_of(ledger);
  EXPECT_EQ(page.at("items").as_array().size(), 2u);
  ASSERT_TRUE(page.at("next_cursor").is_string());
  auto events = call("GET", "/pods/" + pod + "/events");
  ASSERT_EQ(events.status, 200) << events.body;
  std::vector<std::string> types;
  const auto event_page = json_object_of(events);
  for (const auto& e : event_page.at("items").as_array())
    types.emplace_back(e.as_object().at("type").as_string());
  EXPECT_EQ(types, (std::vector<std::string>{"CrowdPodCreated", "MemberJoined", "PolicyAccepted",
                                             "MemberJoined", "MemberJoined", "FundsPledged",
                                             "FundsPledged", "PledgeSettled"}));
}

// Goal: a retry replays the first response; another body with the key is 422; no key is 400.
TEST_P(crowdpod_api, idempotency_replays_and_refuses_reuse) {
  auto pod = active_pod();
  auto first = call("POST", "/pods/" + pod + "/pledges", pledge_body("owner", 100), {}, "same");
  ASSERT_EQ(first.status, 201) << first.body;
  auto second = call("POST", "/pods/" + pod + "/pledges", pledge_body("owner", 100), {}, "same");
  EXPECT_EQ(second.status, 201);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.header("Idempotency-Replayed").value_or(""), "true");
  expect_problem(call("POST", "/pods/" + pod + "/pledges", pledge_body("owner", 101), {}, "same"),
                 422, "idempotency_key_reused", "Idempotency-Key");
  expect_problem(call("POST", "/pods/" + pod + "/pledges", pledge_body("owner", 1), {}, "-"), 400,
                 "idempotency_key_required", "Idempotency-Key");
  auto pledges = call("GET", "/pods/" + pod + "/pledges");
  EXPECT_EQ(json_object_of(pledges).at("items").as_array().size(), 1u);
}

// Goal: a keyed write that changes a pod (create, lifecycle, policy, members, pledge, settle)
// stores its answer with its events, so it needs no write of its own, and a retry replays it
// byte for byte; a refused keyed write, which has no events, stores its answer with a put.
TEST_P(crowdpod_api, keyed_writes_store_their_answers_with_their_events) {
  const auto puts = [&] { return metric_value(server().port(), "payorch_idempotency_puts_total"); };
  // A create commits after every put queued before it (and makes none itself).
  const auto flush = [&] {
    EXPECT_EQ(call("POST", "/pods", std::string(summer_trip_body)).status, 201);
  };
  flush();
  const long before = puts();
  auto pod = active_pod();  // a create, an activation and a member joining
  auto pledge = call("POST", "/pods/" + pod + "/pledges", pledge_body("owner", 700), {}, "kept");
  ASSERT_EQ(pledge.status, 201) << pledge.body;
  const auto pledge_id = string_of(json_object_of(pledge), "pledge_id");
  struct keyed_write {
    std::string method, target, body;
    int status;
  };
  const std::vector<keyed_write> writes{
      {"POST", "/pods/" + pod + "/pledges", pledge_body("owner", 700), 201},
      {"POST", "/pods/" + pod + "/pledges/" + pledge_id + "/settle", "", 200},
      {"POST", "/pods/" + pod + "/members", R"({"user_id":"kim","role":"MEMBER"})", 201},
      {"PATCH", "/pods/" + pod + "/members/kim", R"({"role":"TREASURER"})", 200},
      {"PATCH", "/pods/" + pod + "/policy", R"({"spending_limit":6000})", 200},
      {"POST", "/pods/" + pod + "/actions/suspend", "", 200},
      {"POST", "/pods/" + pod + "/actions/reinstate", "", 200},
  };
  std::vector<http_reply> first;
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const auto& w = writes[i];
    // The pledge above is the first write's first answer.
    first.push_back(i == 0 ? pledge
                           : call(w.method, w.target, w.body, {}, "w-" + std::to_string(i)));
    EXPECT_EQ(first.back().status, w.status) << w.target << ": " << first.back().body;
  }
  flush();
  EXPECT_EQ(puts(), before);
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const auto& w = writes[i];
    auto again = call(w.method, w.target, w.body, {}, i == 0 ? "kept" : "w-" + std::to_string(i));
    EXPECT_EQ(again.status, w.status) << w.target;
    EXPECT_EQ(again.body, first[i].body) << w.target;
    EXPECT_EQ(again.header("Location"), first[i].header("Location")) << w.target;
    EXPECT_EQ(again.header("Content-Type"), first[i].header("Content-Type")) << w.target;
    EXPECT_EQ(again.header("Idempotency-Replayed").value_or(""), "true") << w.target;
  }
  auto refused =
      call("POST", "/pods/" + pod + "/pledges/plg_0000000000000000/settle", "", {}, "refused");
  EXPECT_EQ(refused.status, 404) << refused.body;
  flush();
  EXPECT_EQ(puts(), before + 1);
  auto replayed =
      call("POST", "/pods/" + pod + "/pledges/plg_0000000000000000/settle", "", {}, "refused");
  EXPECT_EQ(replayed.status, 404);
  EXPECT_EQ(replayed.body, refused.body);
  EXPECT_EQ(replayed.header("Idempotency-Replayed").value_or(""), "true");
}

// Goal: two clients racing one key make one pledge; the loser sees 409 or the replay.
TEST_P(crowdpod_api, racing_clients_make_one_pledge) {
  auto pod = active_pod();
  for (int round = 0; round < 5; ++round) {
    const std::string key = "race-" + std::to_string(round);
    http_reply a, b;
    std::thread other(
        [&] { b = call("POST", "/pods/" + pod + "/pledges", pledge_body("owner", 5), {}, key); });
    a = call("POST", "/pods/" + pod + "/pledges", pledge_body("owner", 5), {}, key);
    other.join();
    for (const auto* r : {&a, &b}) EXPECT_TRUE(r->status == 201 || r->status == 409) << r->body;
    EXPECT_TRUE(a.status == 201 || b.status == 201);
  }
  auto pledges = call("GET", "/pods/" + pod + "/pledges?limit=200");
  EXPECT_EQ(json_object_of(pledges).at("items").as_array().size(), 5u);
}

// Goal: cycles sum pledged and settled per member.
TEST_P(crowdpod_api, cycle_sums_pledges) {
  auto pod = active_pod(R"({"period":"MONTHLY","starts_at":"2020-01-01T00:00:00Z"})");
  auto pledged = call("POST", "/pods/" + pod + "/pledges", pledge_body("owner", 300));
  ASSERT_EQ(pledged.status, 201) << pledged.body;
  const auto n = json_object_of(pledged).at("cycle").as_int64();
  auto cycle = call("GET", "/pods/" + pod + "/cycles/" + std::to_string(n));
  ASSERT_EQ(cycle.status, 200) << cycle.body;
  auto members = json_object_of(cycle).at("members").as_array();
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].as_object().at("pledged_minor").as_int64(), 300);
  expect_problem(call("GET", "/pods/" + pod + "/cycles/0"), 400, "invalid_cycle", "n");
}

// Goal: 1,000 random pledge/settle/close operations never create or lose money: the pods'
// posted balances add up to exactly the settled pledges.
TEST_P(crowdpod_api, money_is_conserved_over_random_operations) {
  std::mt19937_64 rng{20261123};
  std::vector<std::string> pods;
  for (int i = 0; i < 4; ++i) pods.push_back(active_pod());
  std::vector<std::pair<std::string, std::string>> open;  // pod, pledge
  std::map<std::string, std::int64_t> amount_of;
  std::int64_t settled_total = 0;
  for (int op = 0; op < 1000; ++op) {
    const auto choice = rng() % 10;
    if (choice < 6 || open.empty()) {
      const auto& pod = pods[rng() % pods.size()];
      const std::int64_t amount = 1 + static_cast<std::int64_t>(rng() % 100'000);
      auto r = call("POST", "/pods/" + pod + "/pledges", pledge_body("owner", amount));
      if (r.status == 201) {
        auto id = string_of(json_object_of(r), "pledge_id");
        open.push_back({pod, id});
        amount_of[id] = amount;
      } else {
        EXPECT_EQ(r.status, 409) << r.body;  // only a closed pod refuses
      }
    } else if (choice < 9) {
      auto i = rng() % open.size();
      auto [pod, id] = open[i];
      open.erase(open.begin() + static_cast<std::ptrdiff_t>(i));
      auto r = call("POST", "/pods/" + pod + "/pledges/" + id + "/settle");
      if (r.status == 200)
        settled_total += amount_of[id];
      else
        EXPECT_EQ(r.status, 409) << r.body;  // cancelled by a close
    } else if (op % 50 == 0) {
      call("POST", "/pods/" + pods[rng() % pods.size()] + "/actions/close");
    }
  }
  std::int64_t posted_total = 0;
  for (const auto& pod : pods) {
    auto b = json_object_of(call("GET", "/pods/" + pod + "/balance"));
    for (auto& c : b.at("balances").as_array())
      posted_total += c.as_object().at("posted_minor").as_int64();
  }
  EXPECT_EQ(posted_total, settled_total);
}

}  // namespace
}  // namespace payorch::testing

namespace payorch::testing {
namespace {

/// A server whose configuration holds one FX rate: 1 USD = 0.9215 EUR.
struct fx_config {
  static process_options options() {
    process_options o;
    o.config_toml = "[[fx.rates]]\nbase = \"USD\"\nquote = \"EUR\"\nrate = \"0.9215\"\n";
    return o;
  }
};

class crowdpod_fx : public shared_store_server_test<fx_config> {};
INSTANTIATE_TEST_SUITE_P(stores, crowdpod_fx, both_stores(), store_test_name);

// Goal: the balance totals every currency in the pod's currency at the configured rate, says
// which rate and when, and names a currency it has no rate for instead of guessing.
TEST_P(crowdpod_fx, balance_total_converts_at_configured_rates) {
  const auto token = admin_token(server());
  auto call = [&](std::string method, std::string target, std::string body, std::string key) {
    http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.headers = {{"Authorization", bearer(token)}, {"Content-Type", "application/json"}};
    if (!key.empty()) req.headers.push_back({"Idempotency-Key", key});
    req.body = std::move(body);
    return http_exchange(port(), req);
  };
  auto created = call("POST", "/pods", std::string(summer_trip_body), "fx-pod");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto pod = "/pods/" + string_of(json_object_of(created), "pod_id");
  ASSERT_EQ(call("POST", pod + "/actions/activate", "", "").status, 200);
  ASSERT_EQ(call("POST", pod + "/members", R"({"user_id":"ann","role":"TREASURER"})", "").status,
            201);
  auto settle_pledge = [&](std::int64_t amount, std::string cur, std::string key) {
    auto p = call("POST", pod + "/pledges",
                  R"({"user_id":"ann","amount_minor":)" + std::to_string(amount) +
                      R"(,"currency":")" + cur + R"("})",
                  key);
    ASSERT_EQ(p.status, 201) << p.body;
    auto id = string_of(json_object_of(p), "pledge_id");
    ASSERT_EQ(call("POST", pod + "/pledges/" + id + "/settle", "", "").status, 200);
  };
  settle_pledge(10000, "EUR", "fx-1");  // 100.00 EUR
  settle_pledge(1001, "USD", "fx-2");   // 10.01 USD = 9.224215 EUR -> 922 cents (half-even)
  auto balance = call("GET", pod + "/balance", "", "");
  ASSERT_EQ(balance.status, 200) << balance.body;
  const auto b = json_object_of(balance);
  const auto& total = b.at("total").as_object();
  EXPECT_EQ(total.at("currency").as_string(), "EUR");
  EXPECT_EQ(total.at("available_minor").as_int64(), 10000 + 922) << balance.body;
  const auto& rates = b.at("rates").as_array();
  ASSERT_EQ(rates.size(), 1u);
  EXPECT_EQ(rates[0].as_object().at("rate").as_string(), "0.9215");
  EXPECT_TRUE(is_rfc3339_utc(std::string(rates[0].as_object().at("as_of").as_string())));

  // A pledge in a currency without a rate, not settled: nothing of it is available, so the
  // total needs no rate for it.
  auto pending = call("POST", pod + "/pledges",
                      R"({"user_id":"ann","amount_minor":300,"currency":"CHF"})", "fx-chf");
  ASSERT_EQ(pending.status, 201) << pending.body;
  const auto with_pending = json_object_of(call("GET", pod + "/balance", "", ""));
  EXPECT_EQ(with_pending.at("total").as_object().at("available_minor").as_int64(), 10000 + 922)
      << boost::json::serialize(with_pending);
  EXPECT_TRUE(with_pending.at("total").as_object().at("missing_rates").as_array().empty());

  settle_pledge(500, "GBP", "fx-3");  // no GBP rate configured
  const auto after = json_object_of(call("GET", pod + "/balance", "", ""));
  EXPECT_TRUE(after.at("total").as_object().at("available_minor").is_null());
  const auto& missing = after.at("total").as_object().at("missing_rates").as_array();
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].as_string(), "GBP");
}

}  // namespace
}  // namespace payorch::testing

namespace payorch::testing {
namespace {

class crowdpod_restart : public store_test {
 protected:
  static http_reply call(const payorch_process& p, const std::string& token, std::string method,
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

  /// Runs `sql` on the SQLite journal of a stopped server on `data_dir`; it must change one row.
  static void edit_journal(const std::filesystem::path& data_dir, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((data_dir / "journal.sqlite").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_changes(db), 1) << sql;
    sqlite3_close(db);
  }

  /// A payorch on `data_dir` with the summer-trip pod created under `key`.
  struct first_run {
    payorch_process* process = nullptr;  // null if it did not start
    std::string token;
    std::string pod_id;
  };
  first_run start_with_pod(const std::filesystem::path& data_dir, const std::string& key) {
    process_options on_data;
    on_data.data_dir = data_dir;
    first_run run;
    run.process = start(on_data);
    if (run.process == nullptr) return run;
    run.token = admin_token(*run.process);
    auto created =
        call(*run.process, run.token, "POST", "/pods", std::string(summer_trip_body), key);
    EXPECT_EQ(created.status, 201) << created.body;
    run.pod_id = string_of(json_object_of(created), "pod_id");
    return run;
  }
};
INSTANTIATE_TEST_SUITE_P(stores, crowdpod_restart, both_stores(), store_test_name);

// Goal: a response stored under its Idempotency-Key survives a SIGTERM right after it was sent
// and a restart: the retry is replayed, not run again.
TEST_P(crowdpod_restart, idempotent_response_survives_a_restart) {
  temp_dir data{"payorch-idem"};
  process_options on_data;
  on_data.data_dir = data.path();
  auto* first = start(on_data);
  ASSERT_NE(first, nullptr);
  auto create = [&](payorch_process& p) {
    auto req = json_post("/pods", std::string(summer_trip_body));
    req.headers.push_back({"Authorization", bearer(admin_token(p))});
    for (auto& [name, value] : req.headers)
      if (name == "Idempotency-Key") value = "create-once";
    return http_exchange(p.port(), req);
  };
  auto created = create(*first);
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_EQ(first->stop(), 0);
  auto* second = start(on_data);
  ASSERT_NE(second, nullptr);
  auto again = create(*second);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, created.body);
  EXPECT_EQ(again.header("Idempotency-Replayed").value_or(""), "true");
  ASSERT_EQ(second->stop(), 0);
}

// Goal: on SQLite, a restarted server knows the keys stored before it started: a retry under one
// is looked up and replayed, and only fresh keys skip the look-up. PostgreSQL (a database other
// servers may share) looks every key up.
TEST_P(crowdpod_restart, stored_keys_are_looked_up_and_fresh_keys_skip_it) {
  temp_dir data{"payorch-known-keys"};
  auto first = start_with_pod(data.path(), "known-key");
  ASSERT_NE(first.process, nullptr);
  const auto pod_id = first.pod_id;
  ASSERT_EQ(first.process->stop(), 0);
  process_options on_data;
  on_data.data_dir = data.path();
  auto* second = start(on_data);
  ASSERT_NE(second, nullptr);
  const auto token = admin_token(*second);
  const bool sqlite = store() == store_kind::sqlite;
  // The stored keys load on a thread of their own, right after the start.
  const auto ready = [&] {
    return metric_value(second->port(), "payorch_idempotency_filter_ready") == 1;
  };
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       sqlite && !ready() && std::chrono::steady_clock::now() < until;) {
  }
  EXPECT_EQ(ready(), sqlite);
  EXPECT_EQ(metric_value(second->port(), "payorch_idempotency_filter_keys"), sqlite ? 1 : 0);

  auto again = call(*second, token, "POST", "/pods", std::string(summer_trip_body), "known-key");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.header("Idempotency-Replayed").value_or(""), "true");
  EXPECT_EQ(string_of(json_object_of(again), "pod_id"), pod_id);
  EXPECT_EQ(metric_value(second->port(), "payorch_idempotency_lookups_skipped_total"), 0);

  auto fresh = call(*second, token, "POST", "/pods", std::string(summer_trip_body), "fresh-key");
  ASSERT_EQ(fresh.status, 201) << fresh.body;
  EXPECT_FALSE(fresh.header("Idempotency-Replayed").has_value());
  EXPECT_NE(string_of(json_object_of(fresh), "pod_id"), pod_id);
  EXPECT_EQ(metric_value(second->port(), "payorch_idempotency_lookups_skipped_total"),
            sqlite ? 1 : 0);
  auto retried = call(*second, token, "POST", "/pods", std::string(summer_trip_body), "fresh-key");
  ASSERT_EQ(retried.status, 201) << retried.body;
  EXPECT_EQ(retried.header("Idempotency-Replayed").value_or(""), "true");
  EXPECT_EQ(retried.body, fresh.body);
  ASSERT_EQ(second->stop(), 0);
}

// Goal: when only the claim of a key was stored with its effect (the process died before the
// answer was), the same request runs again and finds what it made, and any other request under
// the key is 422, as for a stored answer (SQLite: the test edits the file to leave the claim).
TEST_P(crowdpod_restart, a_claim_without_its_answer_refuses_other_requests) {
  if (store() != store_kind::sqlite) GTEST_SKIP() << "edits the SQLite file";
  temp_dir data{"payorch-claim"};
  auto first = start_with_pod(data.path(), "crash-key");
  ASSERT_NE(first.process, nullptr);
  const auto pod_id = first.pod_id;
  ASSERT_EQ(first.process->stop(), 0);
  edit_journal(data.path(),
               "UPDATE idempotency SET status = 0, content_type = '', location = '', "
               "body = X'' WHERE key = 'crash-key'");
  process_options on_data;
  on_data.data_dir = data.path();
  auto* second = start(on_data);
  ASSERT_NE(second, nullptr);
  const auto token2 = admin_token(*second);
  auto member = call(*second, token2, "POST", "/pods/" + pod_id + "/members",
                     R"({"user_id":"zoe","role":"MEMBER"})", "crash-key");
  expect_problem(member, 422, "idempotency_key_reused", "Idempotency-Key");
  auto members = call(*second, token2, "GET", "/pods/" + pod_id + "/members");
  ASSERT_EQ(members.status, 200) << members.body;
  EXPECT_EQ(json_object_of(members).at("items").as_array().size(), 1u);  // the creator alone
  auto again = call(*second, token2, "POST", "/pods", std::string(summer_trip_body), "crash-key");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(string_of(json_object_of(again), "pod_id"), pod_id);
  ASSERT_EQ(second->stop(), 0);
}

// Goal: a pod whose creating request's record is gone (expired after 24 h, or lost) and whose
// actor is not live (a restart) is found again by the same request under its key, and another
// request under the key is 422: not a version conflict of a new actor meeting the stored pod.
TEST_P(crowdpod_restart, an_old_creation_key_finds_its_passivated_pod) {
  if (store() != store_kind::sqlite) GTEST_SKIP() << "edits the SQLite file";
  temp_dir data{"payorch-old-key"};
  auto first = start_with_pod(data.path(), "old-key");
  ASSERT_NE(first.process, nullptr);
  const auto pod_id = first.pod_id;
  ASSERT_EQ(first.process->stop(), 0);
  auto forget_and_start = [&]() -> payorch_process* {
    edit_journal(data.path(), "DELETE FROM idempotency WHERE key = 'old-key'");
    process_options on_data;
    on_data.data_dir = data.path();
    return start(on_data);
  };
  auto* second = forget_and_start();
  ASSERT_NE(second, nullptr);
  auto again = call(*second, admin_token(*second), "POST", "/pods", std::string(summer_trip_body),
                    "old-key");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(string_of(json_object_of(again), "pod_id"), pod_id);
  ASSERT_EQ(second->stop(), 0);
  auto* third = forget_and_start();
  ASSERT_NE(third, nullptr);
  auto other = call(*third, admin_token(*third), "POST", "/pods",
                    R"({"name":"Another trip","currency":"EUR","policy":{"spending_limit":1,)"
                    R"("voting_quorum":1,"risk_tier":"LOW"}})",
                    "old-key");
  expect_problem(other, 422, "idempotency_key_reused");
  ASSERT_EQ(third->stop(), 0);
}

// Goal: a listing with a pod it cannot read (here: a journal edited so that the pod's first
// event no longer decodes) fails 503 rather than answering a short page whose cursor would hide
// that pod for good.
TEST_P(crowdpod_restart, a_listing_never_leaves_out_a_pod_it_cannot_read) {
  if (store() != store_kind::sqlite) GTEST_SKIP() << "edits the SQLite file";
  temp_dir data{"payorch-list"};
  auto first = start_with_pod(data.path(), "listed-1");
  ASSERT_NE(first.process, nullptr);
  auto other =
      call(*first.process, first.token, "POST", "/pods", std::string(summer_trip_body), "listed-2");
  ASSERT_EQ(other.status, 201) << other.body;
  ASSERT_EQ(first.process->stop(), 0);
  edit_journal(data.path(), "UPDATE events SET payload = X'7B' WHERE stream_id = '" + first.pod_id +
                                "' AND version = 1");
  process_options on_data;
  on_data.data_dir = data.path();
  auto* second = start(on_data);
  ASSERT_NE(second, nullptr);
  auto listed = call(*second, admin_token(*second), "GET", "/pods");
  EXPECT_EQ(listed.status, 503) << listed.body;
  ASSERT_EQ(second->stop(), 0);
}

// Goal: create, activate, pledge, settle, balance, ledger and events all survive a restart, a
// retried pledge is replayed before and after it, and the store verifies and migrates cleanly.
TEST_P(crowdpod_restart, crowdpod_flow_survives_a_restart_and_verifies) {
  temp_dir data{"payorch-flow"};
  auto run = start_with_pod(data.path(), "flow-pod");
  ASSERT_NE(run.process, nullptr);
  auto* first = run.process;
  const auto token = run.token;
  const auto pod = "/pods/" + run.pod_id;
  process_options on_data;
  on_data.data_dir = data.path();
  ASSERT_EQ(call(*first, token, "POST", pod + "/actions/activate").status, 200);
  ASSERT_EQ(
      call(*first, token, "POST", pod + "/members", R"({"user_id":"mia","role":"MEMBER"})").status,
      201);
  const std::string pledge_body = R"({"user_id":"mia","amount_minor":2500,"currency":"EUR"})";
  auto pledged = call(*first, token, "POST", pod + "/pledges", pledge_body, "flow-pledge");
  ASSERT_EQ(pledged.status, 201) << pledged.body;
  auto replayed = call(*first, token, "POST", pod + "/pledges", pledge_body, "flow-pledge");
  EXPECT_EQ(replayed.body, pledged.body);
  EXPECT_EQ(replayed.header("Idempotency-Replayed").value_or(""), "true");
  const auto pledge_id = string_of(json_object_of(pledged), "pledge_id");
  ASSERT_EQ(call(*first, token, "POST", pod + "/pledges/" + pledge_id + "/settle").status, 200);
  ASSERT_EQ(first->stop(), 0);

  auto* second = start(on_data);
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
  auto again = call(*second, token2, "POST", pod + "/pledges", pledge_body, "flow-pledge");
  EXPECT_EQ(again.body, pledged.body);
  EXPECT_EQ(again.header("Idempotency-Replayed").value_or(""), "true");
  ASSERT_EQ(second->stop(), 0);

  auto verified = verify(data.path(), data.path());
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("journal intact"), std::string::npos) << verified.out;
  auto args = target().subcommand_args(data.path());
  args.insert(args.begin(), "migrate");
  auto migrated = run_payorch(payorch_binary(), args, {}, data.path());
  EXPECT_EQ(migrated.exit_code, 0) << migrated.err;
  EXPECT_NE(migrated.out.find("up to date"), std::string::npos) << migrated.out;
}

}  // namespace
}  // namespace payorch::testing
