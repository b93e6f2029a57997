// The process's provider hub: every adapter built from [providers], on its own I/O thread.
#include "adapters/provider_hub.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "adapters/circuit_breaker.hpp"
#include "adapters/fx_client.hpp"
#include "adapters/kyc_client.hpp"
#include "config/settings.hpp"
#include "tests/unit/adapters/loopback_server.hpp"

namespace payorch::adapters {
namespace {

namespace asio = boost::asio;
using test::canned;
using test::loopback_server;
using test::seen_request;

/// A loopback provider answering FX rates, run on a thread of its own (the hub has its own).
struct provider_thread {
  provider_thread()
      : server(ioc, [](const seen_request& r) {
          if (r.target == "/fx/v1/rates?base=EUR&quote=USD")
            return canned::json(
                200,
                R"({"base":"EUR","quote":"USD","rate":"1.084213","as_of":"2026-11-23T09:00:00Z"})");
          return canned::json(404, R"({"error":"not_found","detail":"no such route"})");
        }) {
    refused = test::refused_port(ioc);
    thread = std::thread([this] { ioc.run(); });
  }
  ~provider_thread() {
    work.reset();
    ioc.stop();
    thread.join();
  }

  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  loopback_server server;
  std::uint16_t refused = 0;
  std::thread thread;
};

config::provider_settings settings_for(const provider_thread& p) {
  config::provider_settings s;
  s.base_url = "http://127.0.0.1:" + std::to_string(p.server.port());
  s.kyc = "http://127.0.0.1:" + std::to_string(p.refused);  // a provider that is down
  s.max_attempts = 1;
  s.timeout_ms = 2000;
  return s;
}

// Goal: the hub builds one closed breaker per provider, calls reach the configured URLs on its
// own thread, and a failing provider counts against its own breaker only.
TEST(provider_hub, calls_reach_each_provider_through_its_own_breaker) {
  provider_thread provider;
  auto hub = provider_hub::start(settings_for(provider), 7);
  ASSERT_NE(hub, nullptr);
  auto before = hub->breakers().snapshots();
  ASSERT_EQ(before.size(), 6u);
  for (const auto& b : before) EXPECT_EQ(b.state, breaker_state::closed) << b.name;

  std::promise<provider_result<fx_rate_answer>> rate;
  hub->fx().rate("EUR", "USD", [&](provider_result<fx_rate_answer> r) { rate.set_value(r); });
  auto answered = rate.get_future().get();
  ASSERT_TRUE(answered.ok()) << answered.error().detail;
  EXPECT_EQ(answered->rate, "1.084213");

  std::promise<provider_result<kyc_verification>> kyc;
  hub->kyc().get("kyc_1", [&](provider_result<kyc_verification> r) { kyc.set_value(r); });
  EXPECT_FALSE(kyc.get_future().get().ok());  // nothing listens there

  for (const auto& b : hub->breakers().snapshots()) {
    SCOPED_TRACE(b.name);
    EXPECT_EQ(b.calls, b.name == "fx" || b.name == "kyc" ? 1u : 0u);
    EXPECT_EQ(b.failures, b.name == "kyc" ? 1u : 0u);
  }
  hub->stop();
  hub->stop();  // stopping twice is harmless
}

}  // namespace
}  // namespace payorch::adapters
