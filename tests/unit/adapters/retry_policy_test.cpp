// Backoff growth, caps and jitter, and the classification of answers.
#include "adapters/retry_policy.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "adapters/http_client.hpp"
#include "adapters/provider_setup.hpp"
#include "config/settings.hpp"

namespace payorch::adapters {
namespace {

using std::chrono::milliseconds;

retry_policy policy(jitter_kind jitter) {
  retry_policy p;
  p.initial_backoff = milliseconds(100);
  p.max_backoff = milliseconds(1000);
  p.multiplier = 2;
  p.jitter = jitter;
  return p;
}

// Goal: the base wait grows by the multiplier from the initial wait and stops at the cap.
TEST(retry_policy, base_backoff_grows_and_is_capped) {
  const auto p = policy(jitter_kind::full);
  EXPECT_EQ(p.base_backoff(1), milliseconds(100));
  EXPECT_EQ(p.base_backoff(2), milliseconds(200));
  EXPECT_EQ(p.base_backoff(4), milliseconds(800));
  EXPECT_EQ(p.base_backoff(5), milliseconds(1000));
  EXPECT_EQ(p.base_backoff(1'000'000), milliseconds(1000));  // no overflow however far
  retry_policy constant = p;
  constant.multiplier = 1;
  EXPECT_EQ(constant.base_backoff(9), milliseconds(100));
  retry_policy above_cap = p;
  above_cap.initial_backoff = milliseconds(5000);
  EXPECT_EQ(above_cap.base_backoff(1), milliseconds(1000));
  retry_policy huge = p;
  huge.multiplier = 10;
  huge.max_backoff = milliseconds(60'000);
  EXPECT_EQ(huge.base_backoff(4000000000u), milliseconds(60'000));
  retry_policy zero = p;
  zero.initial_backoff = milliseconds(0);
  EXPECT_EQ(zero.base_backoff(7), milliseconds(0));
}

// Goal: full jitter stays in [0, base]; equal jitter in [base/2, base]; both reach the spread.
TEST(retry_policy, jitter_stays_within_bounds) {
  std::mt19937_64 random(42);
  for (auto kind : {jitter_kind::full, jitter_kind::equal}) {
    const auto p = policy(kind);
    for (std::uint32_t attempt = 1; attempt <= 6; ++attempt) {
      const auto base = p.base_backoff(attempt);
      const auto low = kind == jitter_kind::full ? milliseconds(0) : base / 2;
      milliseconds least = base;
      milliseconds most{0};
      for (int i = 0; i < 500; ++i) {
        const auto wait = p.backoff_for(attempt, random);
        ASSERT_GE(wait, low) << to_string(kind) << " attempt " << attempt;
        ASSERT_LE(wait, base) << to_string(kind) << " attempt " << attempt;
        least = std::min(least, wait);
        most = std::max(most, wait);
      }
      // 500 draws spread over the whole range, not a constant.
      EXPECT_LT(least, low + (base - low) / 4) << to_string(kind);
      EXPECT_GT(most, base - (base - low) / 4) << to_string(kind);
    }
  }
}

// Goal: the same seed gives the same waits; another seed gives others.
TEST(retry_policy, jitter_is_deterministic_per_seed) {
  const auto p = policy(jitter_kind::full);
  auto waits = [&](std::uint64_t seed) {
    std::mt19937_64 random(seed);
    std::vector<milliseconds> out;
    for (std::uint32_t attempt = 1; attempt <= 10; ++attempt) {
      out.push_back(p.backoff_for(attempt, random));
    }
    return out;
  };
  EXPECT_EQ(waits(7), waits(7));
  EXPECT_NE(waits(7), waits(8));
  // A zero wait stays zero whatever is drawn.
  retry_policy zero = p;
  zero.initial_backoff = milliseconds(0);
  std::mt19937_64 random(1);
  EXPECT_EQ(zero.backoff_for(3, random), milliseconds(0));
}

http_answer with_status(int status) {
  http_answer a;
  a.status = status;
  return a;
}

http_answer with_transport(std::string error) {
  http_answer a;
  a.transport_error = std::move(error);
  return a;
}

// Goal: the classification table of docs/providers.md, status by status.
TEST(classify, follows_the_provider_conventions) {
  for (int status : {200, 201, 202, 204, 299}) {
    EXPECT_EQ(classify(with_status(status)), call_class::success) << status;
  }
  for (int status : {429, 500, 502, 503, 504, 599}) {
    EXPECT_EQ(classify(with_status(status)), call_class::retryable) << status;
  }
  for (int status : {400, 401, 403, 404, 409, 422, 501, 505, 301, 100}) {
    EXPECT_EQ(classify(with_status(status)), call_class::final) << status;
  }
  for (std::string error : {"timeout", "connect_refused", "connection_reset", "connect_failed",
                            "resolve_failed", "bad_response", "io_error"}) {
    EXPECT_EQ(classify(with_transport(error)), call_class::retryable) << error;
  }
  EXPECT_EQ(classify(with_transport("bad_url")), call_class::final);
  EXPECT_EQ(classify(http_answer{}), call_class::final);  // status 0 with no error: not HTTP 2xx
  EXPECT_EQ(to_string(call_class::retryable), "retryable");
}

// Goal: the [providers] settings become the same policy, breaker and pool options.
TEST(provider_setup, settings_become_options) {
  config::provider_settings s;
  s.max_attempts = 4;
  s.initial_backoff_ms = 50;
  s.max_backoff_ms = 700;
  s.backoff_multiplier = 3;
  s.jitter = "equal";
  s.timeout_ms = 900;
  s.breaker_failures = 2;
  s.breaker_window_ms = 1000;
  s.breaker_open_ms = 300;
  s.breaker_half_open_probes = 3;
  s.max_idle_per_host = 0;
  s.idle_timeout_ms = 100;
  const retry_policy p = retry_policy_from(s);
  EXPECT_EQ(p, (retry_policy{4, milliseconds(50), milliseconds(700), 3, jitter_kind::equal,
                             milliseconds(900)}));
  EXPECT_EQ(breaker_options_from(s),
            (breaker_options{2, milliseconds(1000), milliseconds(300), 3}));
  EXPECT_EQ(http_options_from(s).max_idle_per_host, 0u);
  EXPECT_EQ(http_options_from(s).idle_timeout, milliseconds(100));
  EXPECT_EQ(retry_policy_from(config::provider_settings{}).jitter, jitter_kind::full);
}

}  // namespace
}  // namespace payorch::adapters
