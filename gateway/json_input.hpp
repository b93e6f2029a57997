#pragma once
/// A strict JSON reader for request bodies that keeps every number's exact source text.
///
/// Money, rates and quorums must never pass through binary floating point, so a number is
/// kept as the characters the client sent ("15000.00", "0.66", "1e3") and the codec turns
/// it into int64 minor units or a `decimal` itself. The grammar is RFC 8259 with no
/// extensions; duplicate object keys are rejected, and nesting, string length and container
/// size are bounded by `json_limits`.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace payorch::gateway {

/// The six kinds of JSON value.
enum class json_kind : std::uint8_t { null, boolean, number, string, array, object };

/// The lower-case name of `kind` ("null", "boolean", "number", ...), for error messages.
std::string_view to_string(json_kind kind) noexcept;

namespace detail {
struct json_node_access;
}

/// One immutable value of a parsed document; only `parse_json` creates them.
///
/// Accessors named `as_*`, `number_text`, `members` and `items` require the matching kind
/// (checked by assert); `find`, `number_is_integer` and `as_int64` accept any kind.
class json_node {
 public:
  using member = std::pair<std::string, json_node>;

  json_kind kind() const noexcept { return kind_; }
  bool is_null() const noexcept { return kind_ == json_kind::null; }
  bool is_bool() const noexcept { return kind_ == json_kind::boolean; }
  bool is_number() const noexcept { return kind_ == json_kind::number; }
  bool is_string() const noexcept { return kind_ == json_kind::string; }
  bool is_array() const noexcept { return kind_ == json_kind::array; }
  bool is_object() const noexcept { return kind_ == json_kind::object; }

  /// The value of a boolean.
  bool as_bool() const noexcept;

  /// The exact source text of a number, e.g. "15000.00", "-0" or "1e3".
  std::string_view number_text() const noexcept;

  /// The unescaped UTF-8 content of a string (it may contain U+0000).
  std::string_view as_string() const noexcept;

  /// The member of an object named `key`, or nullptr when absent or not an object.
  const json_node* find(std::string_view key) const noexcept;

  /// The members of an object in document order; keys are unique.
  const std::vector<member>& members() const noexcept;

  /// The elements of an array in document order.
  const std::vector<json_node>& items() const noexcept;

  /// True for a number written without fraction or exponent ("12", "-0"; not "1.0", "1e3").
  bool number_is_integer() const noexcept;

  /// The value of an integer number that fits int64, else nullopt (also for other kinds).
  std::optional<std::int64_t> as_int64() const noexcept;

 private:
  friend struct detail::json_node_access;

  explicit json_node(json_kind kind) noexcept : kind_(kind) {}

  json_kind kind_;
  bool bool_ = false;
  std::string text_;  // number source text or unescaped string content
  std::vector<member> members_;
  std::vector<json_node> items_;
};

/// Bounds that keep a hostile body from costing more than its size suggests.
struct json_limits {
  /// Deepest nesting of arrays and objects; 1 allows `{"a":1}` but not `{"a":{}}`.
  std::size_t max_depth = 32;
  /// Longest string, key or number text, in bytes after unescaping.
  std::size_t max_string_bytes = 65536;
  /// Most members of one object and most elements of one array.
  std::size_t max_members = 1000;
};

/// Why a body was rejected; `message` ends with " at offset N" where N equals `offset`.
struct json_error {
  std::string message;
  std::size_t offset = 0;  // bytes from the start of the text to where the fault was seen
};

/// Exactly one of `value` and `error` is set.
struct json_parse_result {
  std::optional<json_node> value;
  std::optional<json_error> error;
};

/// Parses `text` as exactly one JSON value with optional surrounding whitespace.
///
/// Rejects comments, trailing commas, NaN/Infinity, leading zeros, invalid UTF-8, unpaired
/// surrogate escapes, duplicate keys and anything past `limits`. Throws only std::bad_alloc.
json_parse_result parse_json(std::string_view text, const json_limits& limits = {});

}  // namespace payorch::gateway
