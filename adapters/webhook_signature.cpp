#include "adapters/webhook_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <charconv>
#include <optional>

namespace payorch::adapters {
namespace {

constexpr std::string_view version_prefix = "v1,";

/// Standard base64 (with padding) of `bytes`.
std::string base64(const unsigned char* bytes, std::size_t size) {
  std::string text(4 * ((size + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), bytes, static_cast<int>(size));
  text.resize(static_cast<std::size_t>(written));
  return text;
}

/// The base64 HMAC-SHA256 of the signed content, without the version prefix.
std::string mac_base64(std::string_view secret, std::string_view webhook_id,
                       std::string_view timestamp, std::string_view body) {
  std::string content;
  content.reserve(webhook_id.size() + timestamp.size() + body.size() + 2);
  content.append(webhook_id).append(".").append(timestamp).append(".").append(body);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  // HMAC accepts an empty key; a null key pointer with length 0 is what it expects then.
  static const unsigned char no_key = 0;
  const void* key = secret.empty() ? static_cast<const void*>(&no_key) : secret.data();
  HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest.data(),
       &digest_size);
  return base64(digest.data(), digest_size);
}

/// The timestamp header as seconds, if it is 1 to 18 decimal digits.
std::optional<std::int64_t> parse_seconds(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sign_webhook(std::string_view secret, std::string_view webhook_id,
                         std::int64_t timestamp_s, std::string_view body) {
  return std::string(version_prefix) +
         mac_base64(secret, webhook_id, std::to_string(timestamp_s), body);
}

bool verify_webhook(std::string_view secret, std::string_view webhook_id,
                    std::string_view timestamp_header, std::string_view signature_header,
                    std::string_view body, std::int64_t now_s, std::int64_t tolerance_s) {
  const auto timestamp = parse_seconds(timestamp_header);
  if (!timestamp || tolerance_s < 0 || now_s < 0) return false;
  // Both values lie in [0, int64 max], so their difference cannot overflow.
  const std::int64_t skew = now_s > *timestamp ? now_s - *timestamp : *timestamp - now_s;
  if (skew > tolerance_s) return false;
  const std::string expected = mac_base64(secret, webhook_id, timestamp_header, body);
  bool matched = false;
  std::size_t at = 0;
  while (at <= signature_header.size()) {
    std::size_t end = signature_header.find(' ', at);
    if (end == std::string_view::npos) end = signature_header.size();
    std::string_view one = signature_header.substr(at, end - at);
    if (one.starts_with(version_prefix)) {
      // Every candidate is compared, so the time taken does not say which one matched.
      matched = equal_in_constant_time(one.substr(version_prefix.size()), expected) || matched;
    }
    at = end + 1;
  }
  return matched;
}

}  // namespace payorch::adapters
