// Settlement sagas per second: `payorch serve` against `payorch sandbox`, both real processes on
// loopback, and the figures as JSON (see bench/README.md, "bench/sagas").
//
// One run: start the sandbox (no injected latency, KYC and rail answering at once, and
// `--error-rate-bp` of every provider call answered 503), start payorch on a fresh SQLite data
// dir, fund one pod, start N payouts from C client threads (half in the pod's currency, half in
// another), wait until no saga is running, then read every saga: completed sagas per second
// from the first start to the last finish, the distribution of saga durations, how many
// completed, and how many step attempts failed and were retried per saga. Then restart payorch
// on the same data dir and time how long until it is ready and until its first saga listing
// answers (a listing waits until every saga in the journal has been resumed and reported).
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "domain/time.hpp"
#include "tests/support/auth_client.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/payorch_process.hpp"
#include "tests/support/sandbox_process.hpp"

namespace {

using namespace payorch;
using namespace payorch::testing;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

struct options {
  std::filesystem::path binary;
  int count = 1000;
  int concurrency = 16;
  int error_rate_bp = 0;
  int pods = 16;
  std::string out = "bench/results/sagas.json";
};

[[noreturn]] void usage() {
  std::cerr << "usage: payorch_bench_sagas --payorch BIN [--count N] [--concurrency C]\n"
               "                           [--pods P] [--error-rate-bp BP] [--out FILE]\n";
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--payorch") o.binary = next();
    else if (a == "--count") o.count = std::stoi(next());
    else if (a == "--concurrency") o.concurrency = std::stoi(next());
    else if (a == "--error-rate-bp") o.error_rate_bp = std::stoi(next());
    else if (a == "--pods") o.pods = std::stoi(next());
    else if (a == "--out") o.out = next();
    else usage();
  }
  if (o.binary.empty() || o.count < 1 || o.concurrency < 1 || o.pods < 1) usage();
  o.binary = std::filesystem::absolute(o.binary);  // the children run in their own dirs
  return o;
}

class client {
 public:
  client(std::uint16_t port, std::string token) : port_(port), token_(std::move(token)) {}

  http_reply call(const std::string& method, const std::string& target, std::string body = {},
                  const std::string& key = {}) const {
    http_request req;
    req.method = method;
    req.target = target;
    req.headers.push_back({"Authorization", bearer(token_)});
    if (!body.empty()) {
      req.headers.push_back({"Content-Type", "application/json"});
      req.body = std::move(body);
    }
    if (!key.empty()) req.headers.push_back({"Idempotency-Key", key});
    return http_exchange(port_, req);
  }

  json::object object(const http_reply& r) const {
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    return !ec && v.is_object() ? v.as_object() : json::object{};
  }

 private:
  std::uint16_t port_;
  std::string token_;
};

std::string text(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t ms_of(const json::object& o, std::string_view key) {
  auto t = parse_rfc3339(text(o, key), std::string(key));
  return t ? *t : 0;
}

[[noreturn]] void fail(const std::string& why) {
  std::cerr << "bench: " << why << "\n";
  std::exit(1);
}

std::string must_id(const client& c, const http_reply& r, std::string_view key) {
  if (r.status / 100 != 2) fail("HTTP " + std::to_string(r.status) + ": " + r.body);
  return text(c.object(r), key);
}

double percentile(std::vector<std::int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(i, v.size() - 1)]);
}

}  // namespace

int main(int argc, char** argv) {
  const auto o = parse(argc, argv);
  const std::string secret = "bench-webhook-secret";
  std::string error;
  std::vector<std::string> sandbox_args = {"--webhook-secret", secret, "--kyc-delay-ms", "0",
                                           "--rail-delay-ms", "0"};
  if (o.error_rate_bp > 0) {
    sandbox_args.push_back("--error-rate-bp");
    sandbox_args.push_back(std::to_string(o.error_rate_bp));
  }
  auto sandbox = sandbox_process::start({.binary = o.binary, .seed = 11, .extra_args = sandbox_args},
                                        &error);
  if (!sandbox) fail("sandbox: " + error);
  process_options po;
  po.binary = o.binary;
  po.env = {{"PAYORCH_PROVIDERS_WEBHOOK_SECRET", secret},
            {"PAYORCH_SETTLEMENT_RETRY_BACKOFF_MS", "50"},
            {"PAYORCH_SETTLEMENT_MAX_ATTEMPTS", "20"},
            {"PAYORCH_LOG_LEVEL", "warn"}};
  po.extra_args = {"--providers", sandbox->base_url()};
  auto server = payorch_process::start(po, &error);
  if (!server) fail("payorch: " + error);
  const client c(server->port(), admin_token(*server, "crowdpod:*:admin operator"));

  // P pods with enough money for every payout; payout i goes out of pod i % P.
  std::vector<std::string> pods;
  for (int p = 0; p < o.pods; ++p) {
    const auto n = std::to_string(p);
    const auto pod = must_id(c, c.call("POST", "/pods",
                                       R"({"name":"Bench )" + n + R"(","currency":"EUR","policy":)"
                                       R"({"spending_limit":1000000,"voting_quorum":0.5,)"
                                       R"("risk_tier":"LOW"}})",
                                       "bench-pod-" + n),
                             "pod_id");
    must_id(c, c.call("POST", "/pods/" + pod + "/actions/activate", {}, "bench-activate-" + n),
            "pod_id");
    must_id(c, c.call("POST", "/pods/" + pod + "/members", R"({"user_id":"ann","role":"MEMBER"})",
                      "bench-member-" + n),
            "user_id");
    const auto pledge = must_id(c, c.call("POST", "/pods/" + pod + "/pledges",
                                          R"({"user_id":"ann","amount_minor":100000000000,)"
                                          R"("currency":"EUR"})",
                                          "bench-pledge-" + n),
                                "pledge_id");
    must_id(c, c.call("POST", "/pods/" + pod + "/pledges/" + pledge + "/settle", {},
                      "bench-settle-" + n),
            "pledge_id");
    pods.push_back(pod);
  }

  // N payouts from C threads.
  std::atomic<int> next{0};
  std::atomic<int> refused{0};
  std::mutex ids_mutex;
  std::vector<std::string> sagas;
  const auto started = clock_type::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < o.concurrency; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < o.count; i = next++) {
        const char* cur = i % 2 ? "GBP" : "EUR";
        // 64 payees, paid again and again, as a group's payouts are.
        static constexpr const char* first[] = {"Anna", "Ben", "Clara", "David",
                                                "Emma", "Felix", "Lena", "Hugo"};
        static constexpr const char* last[] = {"Schmidt", "Novak", "Rossi", "Dubois",
                                               "Jansen", "Silva", "Berg", "Keller"};
        const std::string payee = std::string(first[i % 8]) + " " + last[(i / 8) % 8];
        const auto& pod = pods[static_cast<std::size_t>(i % o.pods)];
        auto r = c.call("POST", "/pods/" + pod + "/payouts",
                        R"({"beneficiary":{"name":")" + payee + R"(","country":"DE",)"
                        R"("iban":"DE89370400440532013000","bic":"COBADEFFXXX"},"amount_minor":)" +
                            std::to_string(1000 + i) + R"(,"currency":")" + cur + R"("})",
                        "bench-payout-" + std::to_string(i));
        if (r.status != 202) {
          ++refused;
          continue;
        }
        std::lock_guard<std::mutex> guard{ids_mutex};
        sagas.push_back(text(c.object(r), "saga_id"));
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto submitted = clock_type::now();

  // Wait until nothing runs or compensates (bounded: 10 minutes).
  for (int i = 0; i < 6000; ++i) {
    auto running = c.object(c.call("GET", "/ops/sagas?status=RUNNING&limit=1"));
    auto compensating = c.object(c.call("GET", "/ops/sagas?status=COMPENSATING&limit=1"));
    auto empty = [](const json::object& page) {
      auto* items = page.if_contains("items");
      return items && items->is_array() && items->as_array().empty();
    };
    if (empty(running) && empty(compensating)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto drained = clock_type::now();

  // Read every saga: duration, outcome, failed attempts.
  std::vector<std::int64_t> durations;
  std::int64_t completed = 0, failed_attempts = 0, first_start = INT64_MAX, last_finish = 0;
  for (const auto& id : sagas) {
    auto v = c.object(c.call("GET", "/ops/sagas/" + id));
    if (text(v, "status") == "COMPLETED") ++completed;
    const auto start = ms_of(v, "started_at");
    const auto finish = ms_of(v, "finished_at");
    first_start = std::min(first_start, start);
    last_finish = std::max(last_finish, finish);
    if (finish > 0) durations.push_back(finish - start);
    if (auto* steps = v.if_contains("steps"); steps && steps->is_array()) {
      for (const auto& s : steps->as_array())
        for (const auto& a : s.as_object().at("history").as_array())
          if (text(a.as_object(), "result") == "FAILED") ++failed_attempts;
    }
  }
  const double span_s = static_cast<double>(std::max<std::int64_t>(last_finish - first_start, 1)) / 1000.0;
  const auto n = static_cast<double>(std::max<std::size_t>(sagas.size(), 1));
  json::object result{
      {"sagas_started", static_cast<std::int64_t>(sagas.size())},
      {"refused_at_start", refused.load()},
      {"concurrency", o.concurrency},
      {"pods", o.pods},
      {"error_rate_bp", o.error_rate_bp},
      {"completed", completed},
      {"completion_rate", static_cast<double>(completed) / n},
      {"completed_sagas_per_s", static_cast<double>(completed) / span_s},
      {"span_s", span_s},
      {"submit_s", std::chrono::duration<double>(submitted - started).count()},
      {"drain_s", std::chrono::duration<double>(drained - started).count()},
      {"duration_ms_p50", percentile(durations, 0.50)},
      {"duration_ms_p99", percentile(durations, 0.99)},
      {"failed_attempts_retried_per_saga", static_cast<double>(failed_attempts) / n},
  };
  // Restart over the same journal: ready, then the first listing (whole once every saga reported).
  server->stop();
  po.data_dir = server->data_dir();
  const auto restarted = clock_type::now();
  auto again = payorch_process::start(po, &error);
  if (!again) fail("payorch restart: " + error);
  const auto ready = clock_type::now();
  const client c2(again->port(), admin_token(*again, "crowdpod:*:admin operator"));
  // A listing asked before the sagas are resumed waits; past the request timeout it is 504 and
  // asked again.
  auto listing = c2.call("GET", "/ops/sagas?limit=1");
  for (int i = 0; listing.status == 504 && i < 60; ++i) listing = c2.call("GET", "/ops/sagas?limit=1");
  const auto listed = clock_type::now();
  if (listing.status != 200) fail("listing after restart: " + std::to_string(listing.status));
  result["restart_ready_s"] = std::chrono::duration<double>(ready - restarted).count();
  result["restart_first_listing_s"] = std::chrono::duration<double>(listed - restarted).count();
  const auto text_out = json::serialize(result);
  std::filesystem::create_directories(std::filesystem::path(o.out).parent_path());
  std::ofstream(o.out) << text_out << "\n";
  std::cout << text_out << "\n";
  again->stop();
  sandbox->stop();
  return completed == static_cast<std::int64_t>(sagas.size()) ? 0 : 1;
}
