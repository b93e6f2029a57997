#pragma once
/// Byte encodings the authentication code speaks: base64 (RFC 4648), base64url without
/// padding (JOSE), lower-case hex, and application/x-www-form-urlencoded bodies.
///
/// Decoders are strict and return nullopt rather than guessing: a token or credential that is
/// not exactly well-formed is refused, never repaired.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/ids.hpp"  // hex_encode

namespace payorch::gateway {

/// `bytes` as base64url with no padding (RFC 7515 section 2).
std::string base64url_encode(std::string_view bytes);

/// The bytes of unpadded base64url `text`; nullopt on any other character, on padding, on a
/// length of 1 mod 4, or on non-zero unused bits in the last character (so each byte string
/// has exactly one accepted spelling).
std::optional<std::string> base64url_decode(std::string_view text);

/// `bytes` as padded standard base64 (RFC 4648 section 4).
std::string base64_encode(std::string_view bytes);

/// The bytes of padded standard base64 `text`; nullopt unless its length is a multiple of 4,
/// every character is of the alphabet, and padding (at most two `=`) only ends it.
std::optional<std::string> base64_decode(std::string_view text);

using form_fields = std::vector<std::pair<std::string, std::string>>;

/// The percent-decoded text of one form name or value (`+` is a space unless `plus_is_space`
/// is false); nullopt on a malformed `%` escape.
std::optional<std::string> form_decode(std::string_view text, bool plus_is_space = true);

/// The `name=value` pairs of an application/x-www-form-urlencoded body, in order; empty
/// pieces (`a=1&&b=2`) are skipped, a piece without `=` has an empty value. Nullopt on a
/// malformed escape.
std::optional<form_fields> parse_form(std::string_view body);

}  // namespace payorch::gateway
