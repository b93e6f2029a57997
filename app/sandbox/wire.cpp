#include "app/sandbox/wire.hpp"

#include "domain/accounts.hpp"
#include "gateway/encoding.hpp"
#include "gateway/json_output.hpp"
#include "gateway/route_table.hpp"

namespace payorch::app::sandbox {

wire_answer error_answer(http::status status, std::string_view code, std::string_view detail,
                         std::string_view field) {
  gateway::json_writer w;
  w.begin_object().field("error", code).field("detail", detail);
  if (!field.empty()) w.field("field", field);
  w.end_object();
  return {status, w.take()};
}

wire_answer bad_field(std::string_view field, std::string_view detail) {
  return error_answer(http::status::bad_request, "invalid_field", detail, field);
}

wire_answer not_found(std::string_view what, std::string_view id) {
  return error_answer(http::status::not_found, "not_found",
                      std::string("no ") + std::string(what) + " " + std::string(id));
}

std::variant<gateway::json_node, wire_answer> object_body(std::string_view body, bool allow_empty) {
  if (allow_empty && body.empty()) body = "{}";
  auto parsed = gateway::parse_json(body);
  if (!parsed.value)
    return error_answer(http::status::bad_request, "malformed_json",
                        "the body is not valid JSON: " + parsed.error->message);
  if (!parsed.value->is_object())
    return error_answer(http::status::bad_request, "malformed_json",
                        "the body must be a JSON object");
  return std::move(*parsed.value);
}

void field_reader::fail(wire_answer answer) {
  if (!error_) error_ = std::move(answer);
}

const gateway::json_node* field_reader::member(std::string_view key, gateway::json_kind kind,
                                               bool required) {
  if (error_) return nullptr;
  const auto* node = object_.find(key);
  if (node == nullptr || (node->is_null() && !required)) {
    if (required) fail(bad_field(key, std::string(key) + " is required"));
    return nullptr;
  }
  if (node->kind() != kind) {
    fail(bad_field(key,
                   std::string(key) + " must be a JSON " + std::string(gateway::to_string(kind))));
    return nullptr;
  }
  return node;
}

std::string field_reader::text(std::string_view key, std::size_t max_bytes, bool required) {
  const auto* node = member(key, gateway::json_kind::string, required);
  if (node == nullptr) return {};
  auto value = node->as_string();
  if (value.empty() || value.size() > max_bytes) {
    fail(bad_field(key,
                   std::string(key) + " must have 1 to " + std::to_string(max_bytes) + " bytes"));
    return {};
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      fail(bad_field(key, std::string(key) + " must not contain control characters"));
      return {};
    }
  }
  return std::string(value);
}

std::int64_t field_reader::integer(std::string_view key, std::int64_t min, std::int64_t max,
                                   bool required, std::int64_t fallback) {
  const auto* node = member(key, gateway::json_kind::number, required);
  if (node == nullptr) return fallback;
  auto value = node->number_is_integer() ? node->as_int64() : std::nullopt;
  if (!value || *value < min || *value > max) {
    fail(bad_field(key, std::string(key) + " must be an integer from " + std::to_string(min) +
                            " to " + std::to_string(max)));
    return fallback;
  }
  return *value;
}

std::optional<currency> field_reader::currency_code(std::string_view key) {
  const auto* node = member(key, gateway::json_kind::string, true);
  if (node == nullptr) return std::nullopt;
  auto code = node->as_string();
  bool shaped = code.size() == 3;
  for (char c : code) shaped = shaped && c >= 'A' && c <= 'Z';
  if (!shaped) {
    fail(bad_field(key, std::string(key) + " must be an ISO 4217 code such as \"EUR\""));
    return std::nullopt;
  }
  auto found = currency::from_code(code);
  if (!found) {
    fail(error_answer(http::status::unprocessable_entity, "unsupported_currency",
                      std::string(code) + " is not a currency this provider knows", key));
  }
  return found;
}

std::string field_reader::country(std::string_view key, bool required) {
  const auto* node = member(key, gateway::json_kind::string, required);
  if (node == nullptr) return {};
  auto code = node->as_string();
  if (!is_iso3166_alpha2(code)) {
    fail(bad_field(key, std::string(key) + " must be an ISO 3166 alpha-2 code such as \"DE\""));
    return {};
  }
  return std::string(code);
}

std::string field_reader::callback_url(std::string_view key) {
  auto url = text(key, 2048, false);
  if (!url.empty() && !is_http_url(url)) {
    fail(bad_field(key, std::string(key) + " must be an absolute http:// URL"));
    return {};
  }
  return url;
}

std::string field_reader::one_of(std::string_view key,
                                 std::initializer_list<std::string_view> allowed) {
  const auto* node = member(key, gateway::json_kind::string, true);
  if (node == nullptr) return {};
  for (auto a : allowed)
    if (node->as_string() == a) return std::string(a);
  std::string list;
  for (auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  fail(bad_field(key, std::string(key) + " must be one of " + list));
  return {};
}

bool is_http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme) || url.size() == scheme.size()) return false;
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  auto authority = url.substr(scheme.size());
  authority = authority.substr(0, authority.find('/'));
  return !authority.empty() && authority.front() != ':' && authority.find('@') == std::string::npos;
}

bool contains_word_ignoring_case(std::string_view text, std::string_view word) {
  if (word.empty() || text.size() < word.size()) return word.empty();
  for (std::size_t at = 0; at + word.size() <= text.size(); ++at) {
    bool same = true;
    for (std::size_t i = 0; same && i < word.size(); ++i) {
      char c = text[at + i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      same = c == word[i];
    }
    if (same) return true;
  }
  return false;
}

}  // namespace payorch::app::sandbox

namespace payorch::app::sandbox {

std::variant<std::vector<std::pair<std::string, std::string>>, wire_answer> query_of(
    const gateway::http_request& req) {
  std::vector<std::string> segments;
  std::string query;
  if (!gateway::split_target(req.target(), segments, query))
    return error_answer(http::status::bad_request, "invalid_query",
                        "the request target is malformed");
  auto fields = gateway::parse_form(query);
  if (!fields)
    return error_answer(http::status::bad_request, "invalid_query",
                        "the query string has a malformed escape");
  return std::move(*fields);
}

std::optional<std::string> query_value(
    const std::vector<std::pair<std::string, std::string>>& query, std::string_view name) {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return std::nullopt;
}

}  // namespace payorch::app::sandbox
