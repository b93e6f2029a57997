// One logical call against a loopback server: retries, final errors and the circuit breaker.
#include "adapters/provider_caller.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "tests/unit/adapters/loopback_server.hpp"

namespace payorch::adapters {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using test::canned;
using test::loopback_server;
using test::run_until;
using test::seen_request;

retry_policy quick_policy(std::uint32_t attempts) {
  retry_policy p;
  p.max_attempts = attempts;
  p.initial_backoff = milliseconds(1);
  p.max_backoff = milliseconds(2);
  p.per_attempt_timeout = milliseconds(1000);
  return p;
}

/// The io_context, client, breaker and caller of one test.
struct rig {
  explicit rig(retry_policy policy, breaker_options breaker_opts = {})
      : breaker("fx", breaker_opts), caller(ioc, client, breaker, policy, 1234) {}

  call_outcome run(http_call call, std::string key) {
    std::optional<call_outcome> outcome;
    int calls_of_done = 0;
    caller.call(std::move(call), std::move(key), [&](call_outcome o) {
      ++calls_of_done;
      outcome = std::move(o);
    });
    EXPECT_TRUE(run_until(ioc, [&] { return outcome.has_value(); }));
    EXPECT_EQ(calls_of_done, 1);
    return outcome.value_or(call_outcome{});
  }

  asio::io_context ioc;
  http_client client{ioc};
  circuit_breaker breaker;
  provider_caller caller;
};

http_call post(const loopback_server& server) {
  http_call call;
  call.method = "POST";
  call.url = server.url("/fx/v1/quotes");
  call.body = "{}";
  return call;
}

// Goal: a 503 is retried and the retry carries the same Idempotency-Key; then 200 succeeds.
TEST(provider_caller, retries_503_with_the_same_idempotency_key) {
  rig r(quick_policy(3));
  int seen = 0;
  loopback_server server(r.ioc, [&](const seen_request&) {
    return ++seen == 1 ? canned::json(503, R"({"error":"busy"})") : canned::json(200, "{}");
  });
  auto call = post(server);
  call.headers.push_back({"idempotency-key", "stale"});  // replaced, not sent twice
  auto outcome = r.run(call, "saga-1:step-2");
  EXPECT_EQ(outcome.reason, stop_reason::success);
  EXPECT_EQ(outcome.attempts, 2u);
  EXPECT_EQ(outcome.answer.status, 200);
  ASSERT_EQ(server.requests().size(), 2u);
  for (const auto& request : server.requests()) {
    EXPECT_EQ(request.header("Idempotency-Key"), "saga-1:step-2");
    std::size_t keys = 0;
    for (const auto& h : request.headers)
      keys += h.name == "Idempotency-Key" || h.name == "idempotency-key";
    EXPECT_EQ(keys, 1u);
  }
  EXPECT_EQ(server.accepts(), 1u);  // the retry reused the keep-alive connection
}

// Goal: a 400 is final: one attempt, reason final_error, the answer handed back.
TEST(provider_caller, final_answers_are_not_retried) {
  rig r(quick_policy(5));
  loopback_server server(r.ioc, [](const seen_request&) {
    return canned::json(400, R"({"error":"invalid","detail":"no"})");
  });
  auto outcome = r.run(post(server), "k");
  EXPECT_EQ(outcome.reason, stop_reason::final_error);
  EXPECT_EQ(outcome.attempts, 1u);
  EXPECT_EQ(outcome.answer.status, 400);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(r.breaker.snapshot().failures, 0u);  // the provider answered: not its failure
}

// Goal: retryable failures stop after max_attempts with reason attempts_exhausted.
TEST(provider_caller, attempts_are_bounded) {
  rig r(quick_policy(3));
  loopback_server server(r.ioc, [](const seen_request&) { return canned::json(502, "{}"); });
  auto outcome = r.run(post(server), "k");
  EXPECT_EQ(outcome.reason, stop_reason::attempts_exhausted);
  EXPECT_EQ(outcome.attempts, 3u);
  EXPECT_EQ(outcome.answer.status, 502);
  EXPECT_EQ(server.requests().size(), 3u);
}

// Goal: a write without an Idempotency-Key is sent once: a provider could act on a repeat twice,
// so a 503 ends the call (attempts_exhausted after the one attempt) instead of retrying it.
TEST(provider_caller, writes_without_a_key_are_never_repeated) {
  rig r(quick_policy(4));
  loopback_server server(r.ioc, [](const seen_request&) { return canned::json(503, "{}"); });
  auto outcome = r.run(post(server), "");
  EXPECT_EQ(outcome.reason, stop_reason::attempts_exhausted);
  EXPECT_EQ(outcome.attempts, 1u);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_FALSE(server.requests()[0].header("Idempotency-Key"));
}

// Goal: each attempt has the policy's deadline; a silent server ends in timeouts.
TEST(provider_caller, attempts_time_out) {
  auto policy = quick_policy(2);
  policy.per_attempt_timeout = milliseconds(20);
  rig r(policy);
  loopback_server server(r.ioc, [](const seen_request&) { return canned::hang(); });
  auto call = post(server);
  call.timeout = milliseconds(60'000);  // the policy's deadline wins
  auto outcome = r.run(call, "k");
  EXPECT_EQ(outcome.reason, stop_reason::attempts_exhausted);
  EXPECT_EQ(outcome.attempts, 2u);
  EXPECT_EQ(outcome.answer.transport_error, "timeout");
  EXPECT_EQ(server.requests().size(), 2u);
}

// Goal: a refused connection is retryable too.
TEST(provider_caller, refused_connections_are_retried) {
  rig r(quick_policy(2));
  http_call call;
  call.url = "http://127.0.0.1:" + std::to_string(test::refused_port(r.ioc)) + "/";
  auto outcome = r.run(call, "");
  EXPECT_EQ(outcome.reason, stop_reason::attempts_exhausted);
  EXPECT_EQ(outcome.attempts, 2u);
  EXPECT_EQ(outcome.answer.transport_error, "connect_refused");
}

// Goal: the breaker opens after N failed attempts, and then refuses at once, opening no
// connection and sending nothing.
TEST(provider_caller, open_breaker_rejects_without_a_connection) {
  rig r(quick_policy(1), {2, milliseconds(60'000), milliseconds(60'000), 1});
  loopback_server server(r.ioc, [](const seen_request&) { return canned::json(503, "{}"); });
  EXPECT_EQ(r.run(post(server), "a").reason, stop_reason::attempts_exhausted);
  EXPECT_EQ(r.run(post(server), "b").reason, stop_reason::attempts_exhausted);
  ASSERT_EQ(r.breaker.state(), breaker_state::open);
  const auto accepts = server.accepts();
  auto refused = r.run(post(server), "c");
  EXPECT_EQ(refused.reason, stop_reason::circuit_open);
  EXPECT_EQ(refused.attempts, 0u);
  EXPECT_EQ(refused.answer.transport_error, "circuit_open");
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.accepts(), accepts);
  EXPECT_EQ(r.breaker.snapshot().rejections, 1u);
}

// Goal: a breaker that opens between attempts stops the call with circuit_open after the
// attempts made, keeping the last answer.
TEST(provider_caller, breaker_opening_mid_call_stops_the_retries) {
  rig r(quick_policy(5), {2, milliseconds(60'000), milliseconds(60'000), 1});
  loopback_server server(r.ioc, [](const seen_request&) { return canned::json(500, "{}"); });
  auto outcome = r.run(post(server), "k");
  EXPECT_EQ(outcome.reason, stop_reason::circuit_open);
  EXPECT_EQ(outcome.attempts, 2u);
  EXPECT_EQ(outcome.answer.status, 500);
  EXPECT_EQ(to_string(outcome.reason), "circuit_open");
}

// Goal: done never runs inside call(), even when the breaker refuses at once.
TEST(provider_caller, done_runs_on_the_io_context_not_inside_call) {
  rig r(quick_policy(1), {1, milliseconds(60'000), milliseconds(60'000), 1});
  auto permit = r.breaker.try_acquire();
  r.breaker.record_failure(permit);
  bool inside = true;
  bool ran_inside = false;
  bool ran = false;
  r.caller.call(http_call{}, "k", [&](const call_outcome&) {
    ran_inside = inside;
    ran = true;
  });
  inside = false;
  ASSERT_TRUE(run_until(r.ioc, [&] { return ran; }));
  EXPECT_FALSE(ran_inside);
}

}  // namespace
}  // namespace payorch::adapters
