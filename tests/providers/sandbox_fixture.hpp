#pragma once
/// What every sandbox test shares: a `payorch sandbox` child per test, a callback receiver,
/// HTTP helpers with Idempotency-Keys, JSON reading and webhook signature checks.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/providers/callback_receiver.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/sandbox_process.hpp"

namespace payorch::testing {

/// The callbacks' secret when the test does not pass --webhook-secret.
inline constexpr std::string_view default_webhook_secret = "sandbox-secret";

/// A fresh Idempotency-Key.
std::string fresh_key();

/// Starts a sandbox with `seed` and `args`; nullptr (and a test failure with the log) if it
/// never got healthy.
std::unique_ptr<sandbox_process> start_sandbox(std::vector<std::string> args = {},
                                               std::uint64_t seed = 1);

/// The body of `reply` as JSON (null, plus a test failure, when it is not JSON).
boost::json::value json_of(const http_reply& reply);

/// The body of a received callback as JSON.
boost::json::value json_of(const received_callback& callback);

/// The string member `key` of a JSON object ("" when absent or not a string).
std::string text_of(const boost::json::value& v, std::string_view key);

/// The integer member `key` of a JSON object (-1 when absent or not an integer).
std::int64_t int_of(const boost::json::value& v, std::string_view key);

/// True when `c` carries a valid Standard Webhooks signature of its body under `secret`.
bool signature_valid(const received_callback& c, std::string_view secret = default_webhook_secret);

/// Polls `condition` every 10 ms until it holds or `bound` passes; whether it held.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds bound = std::chrono::seconds(10));

/// One sandbox per test, with helpers for its HTTP API.
class sandbox_test : public ::testing::Test {
 protected:
  /// Starts the sandbox (rail and KYC delays shortened unless `args` set them).
  void start(std::vector<std::string> args = {}, std::uint64_t seed = 1);
  void TearDown() override;

  /// POST `body` as JSON with `key` (a fresh one when empty; none when `key` is "-").
  http_reply post(const std::string& target, const std::string& body, std::string key = {});
  /// POST `body` with the given Content-Type and headers (for the rail's XML).
  http_reply post_raw(const std::string& target, const std::string& body,
                      const std::string& content_type, header_list headers);
  http_reply get(const std::string& target);
  http_reply del(const std::string& target);

  /// The sandbox's statistics as JSON.
  boost::json::value stats();
  /// One counter of one provider's statistics.
  std::int64_t stat(std::string_view provider, std::string_view counter);

  std::unique_ptr<sandbox_process> sandbox_;
  callback_receiver receiver_;
};

/// Expects `reply` to be a provider error with `status`, `code` and (if not empty) `field`.
void expect_error(const http_reply& reply, int status, std::string_view code,
                  std::string_view field = {});

}  // namespace payorch::testing
