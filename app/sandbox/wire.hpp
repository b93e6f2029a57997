#pragma once
/// What every provider handler shares: answers, the error shape and strict field readers.
///
/// Errors are `{"error": "<code>", "detail": "<text>", "field": "<name>"}` (`field` only when one
/// input is at fault), as docs/providers.md defines them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "domain/currency.hpp"
#include "gateway/http_types.hpp"
#include "gateway/json_input.hpp"

namespace payorch::app::sandbox {

namespace http = gateway::http;

/// One provider answer: a status and its JSON body.
struct wire_answer {
  http::status status = http::status::ok;
  std::string body;
};

/// An error answer in the providers' shape.
wire_answer error_answer(http::status status, std::string_view code, std::string_view detail,
                         std::string_view field = {});

/// 400 `invalid_field` naming `field`.
wire_answer bad_field(std::string_view field, std::string_view detail);

/// 404 `not_found` for the `what` named `id`.
wire_answer not_found(std::string_view what, std::string_view id);

/// The request body as a JSON object, or 400 `malformed_json`; an empty body is `{}` when
/// `allow_empty`.
std::variant<gateway::json_node, wire_answer> object_body(std::string_view body,
                                                          bool allow_empty = false);

/// Reads typed members of a JSON object; the first problem is kept and later reads are no-ops,
/// so a handler reads everything and then checks `error()` once.
class field_reader {
 public:
  explicit field_reader(const gateway::json_node& object) : object_(object) {}

  /// A string of 1..max_bytes bytes with no control characters; "" when absent and optional.
  std::string text(std::string_view key, std::size_t max_bytes, bool required = true);

  /// An integer in min..max written without fraction or exponent; `fallback` when absent and
  /// optional.
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max,
                       bool required = true, std::int64_t fallback = 0);

  /// An ISO 4217 code: 400 when not three upper-case letters, 422 `unsupported_currency` when
  /// unknown to ISO 4217.
  std::optional<currency> currency_code(std::string_view key);

  /// An ISO 3166 alpha-2 country; "" when absent and optional.
  std::string country(std::string_view key, bool required = true);

  /// An absolute http:// URL of at most 2048 bytes; "" when absent.
  std::string callback_url(std::string_view key);

  /// One of `allowed` (upper-case words); "" on error.
  std::string one_of(std::string_view key, std::initializer_list<std::string_view> allowed);

  /// Records a problem found by the caller (kept only if none was found before).
  void fail(wire_answer answer);

  const std::optional<wire_answer>& error() const { return error_; }

 private:
  const gateway::json_node* member(std::string_view key, gateway::json_kind kind, bool required);

  const gateway::json_node& object_;
  std::optional<wire_answer> error_;
};

/// True for an absolute http:// URL with a host (what the callback client can reach).
bool is_http_url(std::string_view url);

/// True when `text` contains `word` (lower-case ASCII), ignoring ASCII case.
bool contains_word_ignoring_case(std::string_view text, std::string_view word);

}  // namespace payorch::app::sandbox

namespace payorch::app::sandbox {

/// The decoded `name=value` pairs of the request's query string, or a 400 answer.
std::variant<std::vector<std::pair<std::string, std::string>>, wire_answer> query_of(
    const gateway::http_request& req);

/// The value of `name` in `query`, or nullopt.
std::optional<std::string> query_value(
    const std::vector<std::pair<std::string, std::string>>& query, std::string_view name);

}  // namespace payorch::app::sandbox
