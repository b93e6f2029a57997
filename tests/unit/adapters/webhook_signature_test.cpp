// Standard Webhooks signatures: a known vector, tampering, clock skew and several signatures.
#include "adapters/webhook_signature.hpp"

#include <gtest/gtest.h>

namespace payorch::adapters {
namespace {

constexpr std::string_view secret = "test-secret-0123456789";
constexpr std::string_view id = "msg_2Lh7";
constexpr std::int64_t at = 1700000000;
constexpr std::string_view body = R"({"type":"authorization.captured"})";
// base64(HMAC-SHA256(secret, "msg_2Lh7.1700000000.<body>")), computed with Python's hmac module.
constexpr std::string_view known = "v1,PmW22zI9h/4urZTuved/3k49YtGdjHjlR0+bu6MgtsI=";

// Goal: the signature matches a vector computed by an independent implementation.
TEST(webhook_signature, known_vector) {
  EXPECT_EQ(sign_webhook(secret, id, at, body), known);
  EXPECT_EQ(sign_webhook("", "id", 0, ""), "v1,gz1sM8aA5qHXvLH+5eY0EQphy1f4G6DwEWnQt3iAVLw=");
  EXPECT_TRUE(verify_webhook(secret, id, "1700000000", known, body, at));
}

// Goal: any change to the body, id, timestamp or secret fails verification.
TEST(webhook_signature, tampering_is_refused) {
  EXPECT_FALSE(verify_webhook(secret, id, "1700000000", known, R"({"type":"x"})", at));
  EXPECT_FALSE(verify_webhook(secret, "msg_other", "1700000000", known, body, at));
  EXPECT_FALSE(verify_webhook(secret, id, "1700000001", known, body, at));
  EXPECT_FALSE(verify_webhook("other-secret", id, "1700000000", known, body, at));
  EXPECT_FALSE(verify_webhook(secret, id, "1700000000", "v1,AAAA", body, at));
  EXPECT_FALSE(verify_webhook(secret, id, "1700000000", "", body, at));
  // Same MAC under another version tag is not accepted.
  std::string v2 = "v2," + std::string(known.substr(3));
  EXPECT_FALSE(verify_webhook(secret, id, "1700000000", v2, body, at));
}

// Goal: a timestamp further than the tolerance from now is refused, either way; the edge passes.
TEST(webhook_signature, stale_or_future_timestamps_are_refused) {
  EXPECT_TRUE(verify_webhook(secret, id, "1700000000", known, body, at + 300));
  EXPECT_TRUE(verify_webhook(secret, id, "1700000000", known, body, at - 300));
  EXPECT_FALSE(verify_webhook(secret, id, "1700000000", known, body, at + 301));
  EXPECT_FALSE(verify_webhook(secret, id, "1700000000", known, body, at - 301));
  EXPECT_TRUE(verify_webhook(secret, id, "1700000000", known, body, at + 10, 10));
  EXPECT_FALSE(verify_webhook(secret, id, "1700000000", known, body, at + 11, 10));
}

// Goal: malformed timestamps are refused rather than read loosely.
TEST(webhook_signature, malformed_timestamps_are_refused) {
  for (std::string_view bad : {"", " 1700000000", "1700000000 ", "+1700000000", "-5", "17e8",
                               "0x10", "1700000000.0", "9999999999999999999999"}) {
    EXPECT_FALSE(verify_webhook(secret, id, bad, known, body, at)) << bad;
  }
}

// Goal: with several space-separated signatures (a secret being rotated), one match suffices.
TEST(webhook_signature, one_of_several_signatures_is_enough) {
  std::string old_secret = sign_webhook("old-secret", id, at, body);
  std::string header = old_secret + " " + std::string(known);
  EXPECT_TRUE(verify_webhook(secret, id, "1700000000", header, body, at));
  EXPECT_TRUE(verify_webhook("old-secret", id, "1700000000", header, body, at));
  EXPECT_TRUE(verify_webhook(secret, id, "1700000000", "v1a,xx " + std::string(known), body, at));
  EXPECT_FALSE(verify_webhook("third", id, "1700000000", header, body, at));
}

}  // namespace
}  // namespace payorch::adapters
