#include "gateway/json_input.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <cassert>
#include <charconv>
#include <cstdio>
#include <unordered_set>

namespace payorch::gateway {

namespace detail {

/// The only way to build nodes, so every node satisfies what parse_json checked.
struct json_node_access {
  static json_node make(json_kind kind) { return json_node(kind); }

  static json_node make_bool(bool value) {
    json_node node(json_kind::boolean);
    node.bool_ = value;
    return node;
  }

  static json_node make_text(json_kind kind, std::string text) {
    json_node node(kind);
    node.text_ = std::move(text);
    return node;
  }

  static std::vector<json_node::member>& members(json_node& node) { return node.members_; }
  static std::vector<json_node>& items(json_node& node) { return node.items_; }
};

}  // namespace detail

namespace {

namespace bj = boost::json;
using access = detail::json_node_access;

// Key text quoted for an error message: bounded and with controls escaped, because the key
// came from the client and the message may reach a log line.
std::string quote_for_message(std::string_view text) {
  constexpr std::size_t max_bytes = 64;
  std::size_t keep = std::min(text.size(), max_bytes);
  // Never cut inside a UTF-8 sequence: back off over continuation bytes.
  while (keep < text.size() && keep > 0 &&
         (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) {
    --keep;
  }
  std::string out = "\"";
  for (const char c : text.substr(0, keep)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7F) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04X", static_cast<unsigned>(byte));
      out += escaped;
    } else {
      out += c;
    }
  }
  out += keep < text.size() ? "\"..." : "\"";
  return out;
}

// Builds the DOM from basic_parser events; failures leave a message for parse_json.
class dom_builder {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  explicit dom_builder(const json_limits& limits) : limits_(limits) {}

  std::optional<json_node> take_root() { return std::move(root_); }
  const std::string& failure() const noexcept { return failure_; }

  bool on_document_begin(bj::error_code&) { return true; }
  bool on_document_end(bj::error_code&) { return true; }

  bool on_array_begin(bj::error_code&) {
    open_.push_back(frame{access::make(json_kind::array), {}, {}});
    return true;
  }
  bool on_object_begin(bj::error_code&) {
    open_.push_back(frame{access::make(json_kind::object), {}, {}});
    return true;
  }
  bool on_array_end(std::size_t, bj::error_code& ec) { return close_container(ec); }
  bool on_object_end(std::size_t, bj::error_code& ec) { return close_container(ec); }

  bool on_key_part(bj::string_view s, std::size_t, bj::error_code& ec) {
    return append(key_, s, "key", ec);
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code& ec) {
    return append(key_, s, "key", ec) && accept_key(ec);
  }

  bool on_string_part(bj::string_view s, std::size_t, bj::error_code& ec) {
    return append(string_, s, "string", ec);
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code& ec) {
    if (!append(string_, s, "string", ec)) return false;
    return add_value(access::make_text(json_kind::string, std::exchange(string_, {})), ec);
  }

  bool on_number_part(bj::string_view s, bj::error_code& ec) {
    return append(number_, s, "number", ec);
  }
  bool on_int64(std::int64_t, bj::string_view s, bj::error_code& ec) { return on_number(s, ec); }
  bool on_uint64(std::uint64_t, bj::string_view s, bj::error_code& ec) { return on_number(s, ec); }
  bool on_double(double, bj::string_view s, bj::error_code& ec) { return on_number(s, ec); }

  bool on_bool(bool value, bj::error_code& ec) { return add_value(access::make_bool(value), ec); }
  bool on_null(bj::error_code& ec) { return add_value(access::make(json_kind::null), ec); }

  // Comments are disabled in parse_options, so these are unreachable; refuse them anyway.
  bool on_comment_part(bj::string_view, bj::error_code& ec) { return fail(ec, "comment"); }
  bool on_comment(bj::string_view, bj::error_code& ec) { return fail(ec, "comment"); }

 private:
  struct frame {
    json_node node;
    std::string key;                       // objects: the key awaiting its value
    std::unordered_set<std::string> keys;  // objects: keys seen so far
  };

  bool fail(bj::error_code& ec, std::string message) {
    failure_ = std::move(message);
    ec = bj::make_error_code(bj::error::syntax);
    return false;
  }

  bool append(std::string& buffer, bj::string_view s, const char* what, bj::error_code& ec) {
    if (buffer.size() + s.size() > limits_.max_string_bytes) {
      return fail(ec, std::string(what) + " longer than " +
                          std::to_string(limits_.max_string_bytes) + " bytes");
    }
    buffer.append(s.data(), s.size());
    return true;
  }

  bool on_number(bj::string_view s, bj::error_code& ec) {
    if (!append(number_, s, "number", ec)) return false;
    return add_value(access::make_text(json_kind::number, std::exchange(number_, {})), ec);
  }

  bool accept_key(bj::error_code& ec) {
    frame& top = open_.back();
    if (access::members(top.node).size() >= limits_.max_members) {
      return fail(ec, "object has more than " + std::to_string(limits_.max_members) + " members");
    }
    if (!top.keys.insert(key_).second) return fail(ec, "duplicate key " + quote_for_message(key_));
    top.key = std::exchange(key_, {});
    return true;
  }

  bool add_value(json_node value, bj::error_code& ec) {
    if (open_.empty()) {
      root_ = std::move(value);
      return true;
    }
    frame& top = open_.back();
    if (top.node.is_object()) {
      access::members(top.node).emplace_back(std::move(top.key), std::move(value));
      return true;
    }
    auto& items = access::items(top.node);
    if (items.size() >= limits_.max_members) {
      return fail(ec, "array has more than " + std::to_string(limits_.max_members) + " elements");
    }
    items.push_back(std::move(value));
    return true;
  }

  bool close_container(bj::error_code& ec) {
    json_node done = std::move(open_.back().node);
    open_.pop_back();
    return add_value(std::move(done), ec);
  }

  const json_limits& limits_;
  std::vector<frame> open_;
  std::optional<json_node> root_;
  std::string key_;
  std::string string_;
  std::string number_;
  std::string failure_;
};

// Where a prefix of valid JSON text leaves the reader: inside a string or not, right after
// a backslash or not, and where the escape before the current one began.
struct scan_state {
  bool in_string = false;
  bool escaped = false;
  std::size_t previous_escape = std::string_view::npos;
};

scan_state scan_prefix(std::string_view prefix) {
  scan_state state;
  std::size_t current_escape = std::string_view::npos;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c = prefix[i];
    if (state.escaped) {
      state.escaped = false;
    } else if (state.in_string && c == '\\') {
      state.escaped = true;
      state.previous_escape = std::exchange(current_escape, i);
    } else if (c == '"') {
      state.in_string = !state.in_string;
    }
  }
  return state;
}

// True when `text` holds a \uD800-\uDBFF escape at `at`, which must be followed by a low one.
bool is_high_surrogate_escape(std::string_view text, std::size_t at) {
  if (at == std::string_view::npos || at + 6 > text.size()) return false;
  const std::string_view escape = text.substr(at, 4);
  return escape[1] == 'u' && (escape[2] == 'd' || escape[2] == 'D') &&
         std::string_view("89abAB").find(escape[3]) != std::string_view::npos;
}

// Boost reports most faults as a bare syntax error; the bytes before the fault parsed
// cleanly, so a scan of them tells whether it sits inside a string and what went wrong.
std::string describe_syntax_error(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return "unexpected end of input";
  const scan_state state = scan_prefix(text.substr(0, offset));
  if (!state.in_string) return "unexpected character";
  const auto byte = static_cast<unsigned char>(text[offset]);
  if (state.escaped) {
    // A high surrogate followed by any escape but \u lands here too.
    const bool after_high = state.previous_escape + 7 == offset &&
                            is_high_surrogate_escape(text, state.previous_escape);
    return after_high ? "unpaired surrogate in \\u escape" : "invalid escape sequence";
  }
  if (byte < 0x20) return "unescaped control character in string";
  if (byte >= 0x80) return "invalid UTF-8 in string";
  // Every other character is valid in a string unless a high surrogate awaits its partner.
  return "unpaired surrogate in \\u escape";
}

std::string describe(const bj::error_code& ec, std::string_view text, std::size_t offset,
                     const json_limits& limits) {
  if (ec == bj::error::syntax) return describe_syntax_error(text, offset);
  if (ec == bj::error::incomplete) return "unexpected end of input";
  if (ec == bj::error::extra_data) return "unexpected data after the JSON value";
  if (ec == bj::error::too_deep) {
    return "nesting deeper than " + std::to_string(limits.max_depth) + " levels";
  }
  if (ec == bj::error::illegal_leading_surrogate || ec == bj::error::illegal_trailing_surrogate) {
    return "unpaired surrogate in \\u escape";
  }
  if (ec == bj::error::expected_hex_digit) return "expected a hex digit in \\u escape";
  if (ec == bj::error::exponent_overflow) return "number exponent too large";
  return ec.message();
}

json_parse_result failure(std::string message, std::size_t offset) {
  message += " at offset " + std::to_string(offset);
  return {std::nullopt, json_error{std::move(message), offset}};
}

}  // namespace

std::string_view to_string(json_kind kind) noexcept {
  switch (kind) {
    case json_kind::null:
      return "null";
    case json_kind::boolean:
      return "boolean";
    case json_kind::number:
      return "number";
    case json_kind::string:
      return "string";
    case json_kind::array:
      return "array";
    case json_kind::object:
      return "object";
  }
  return "unknown";
}

bool json_node::as_bool() const noexcept {
  assert(is_bool());
  return bool_;
}

std::string_view json_node::number_text() const noexcept {
  assert(is_number());
  return text_;
}

std::string_view json_node::as_string() const noexcept {
  assert(is_string());
  return text_;
}

const json_node* json_node::find(std::string_view key) const noexcept {
  for (const auto& [name, value] : members_) {
    if (name == key) return &value;
  }
  return nullptr;
}

const std::vector<json_node::member>& json_node::members() const noexcept {
  assert(is_object());
  return members_;
}

const std::vector<json_node>& json_node::items() const noexcept {
  assert(is_array());
  return items_;
}

bool json_node::number_is_integer() const noexcept {
  return is_number() && text_.find_first_of(".eE") == std::string::npos;
}

std::optional<std::int64_t> json_node::as_int64() const noexcept {
  if (!number_is_integer()) return std::nullopt;
  std::int64_t value = 0;
  const char* const end = text_.data() + text_.size();
  const auto [ptr, ec] = std::from_chars(text_.data(), end, value);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

json_parse_result parse_json(std::string_view text, const json_limits& limits) {
  bj::parse_options options;  // strict RFC 8259: no comments, no trailing commas, UTF-8 checked
  options.max_depth = limits.max_depth;
  bj::basic_parser<dom_builder> parser(options, limits);
  bj::error_code ec;
  // On failure write_some returns the offset at which the fault was detected.
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!parser.handler().failure().empty()) return failure(parser.handler().failure(), used);
  if (ec) return failure(describe(ec, text, used, limits), used);
  // write_some stops after one complete value and its trailing whitespace.
  if (used != text.size()) return failure("unexpected data after the JSON value", used);
  return {parser.handler().take_root(), std::nullopt};
}

}  // namespace payorch::gateway
