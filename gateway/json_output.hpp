#pragma once
/// A small streaming JSON writer for responses; numbers can be written from exact decimal text.
///
/// Boost.JSON's serializer only knows binary numbers, and money must never pass through one,
/// so responses are written with this writer: `raw_number("15000.00")` emits the text as is.

#include <cstdint>
#include <string>
#include <string_view>

namespace payorch::gateway {

class json_writer {
 public:
  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(std::string_view k);
  json_writer& string(std::string_view v);
  json_writer& integer(std::int64_t v);
  json_writer& boolean(bool v);
  json_writer& null();
  /// Writes `text`, which must be a valid JSON number (e.g. a decimal's exact text).
  json_writer& raw_number(std::string_view text);
  /// Writes `json_text`, which must be one valid JSON value (e.g. a stored event payload).
  json_writer& raw_value(std::string_view json_text) { return raw_number(json_text); }

  /// key + value shorthands.
  json_writer& field(std::string_view k, std::string_view v) { return key(k).string(v); }
  json_writer& field(std::string_view k, const char* v) { return key(k).string(v); }
  json_writer& field(std::string_view k, std::int64_t v) { return key(k).integer(v); }
  json_writer& field(std::string_view k, bool v) { return key(k).boolean(v); }

  std::string take() { return std::move(out_); }
  const std::string& str() const { return out_; }

 private:
  void separate();
  std::string out_;
  bool need_comma_ = false;
};

/// Appends `v` to `out` as a quoted JSON string with the required escapes; each byte of `v` that
/// is not part of valid UTF-8 becomes U+FFFD, so the text stays valid JSON.
void append_json_string(std::string& out, std::string_view v);

}  // namespace payorch::gateway
