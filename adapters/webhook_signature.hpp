#pragma once
/// Signatures of webhook callbacks, as Standard Webhooks defines them (HMAC-SHA256, base64).
///
/// The secret is used as given, byte for byte, as the HMAC key.

#include <cstdint>
#include <string>
#include <string_view>

namespace payorch::adapters {

/// "v1,<base64 HMAC-SHA256(secret, id + "." + timestamp_s + "." + body)>"
std::string sign_webhook(std::string_view secret, std::string_view webhook_id,
                         std::int64_t timestamp_s, std::string_view body);

/// True when one of the space-separated "v1,..." signatures matches and |now_s - timestamp_s| <=
/// tolerance_s.
///
/// The timestamp header must be plain decimal digits; signatures of other versions are skipped;
/// signatures are compared in constant time.
bool verify_webhook(std::string_view secret, std::string_view webhook_id,
                    std::string_view timestamp_header, std::string_view signature_header,
                    std::string_view body, std::int64_t now_s, std::int64_t tolerance_s = 300);

/// Whether `a` and `b` are the same bytes, in time that depends on their lengths only (for
/// secrets: signatures, digests, one-time passwords).
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace payorch::adapters
