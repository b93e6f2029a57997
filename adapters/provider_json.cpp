#include "adapters/provider_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <limits>

namespace payorch::adapters {

std::string_view to_string(provider_error_kind kind) noexcept {
  switch (kind) {
    case provider_error_kind::retryable_exhausted:
      return "retryable_exhausted";
    case provider_error_kind::circuit_open:
      return "circuit_open";
    case provider_error_kind::bad_answer:
      return "bad_answer";
    case provider_error_kind::invalid_request:
      return "invalid_request";
    case provider_error_kind::final:
      break;
  }
  return "final";
}

namespace detail {
namespace json = boost::json;

namespace {

/// Longest part of an unexpected body quoted in an error's detail.
constexpr std::size_t max_quoted_body_bytes = 200;

std::string_view kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a fractional number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      break;
  }
  return "an object";
}

bool is_decimal_text(std::string_view text) {
  const auto point = text.find('.');
  const auto digits = [](std::string_view part) {
    return !part.empty() && part.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (point == std::string_view::npos) return digits(text);
  return digits(text.substr(0, point)) && digits(text.substr(point + 1));
}

}  // namespace

json_reader::json_reader(const json::object& object, std::string where)
    : json_reader(object, std::move(where), std::make_shared<std::optional<std::string>>()) {}

json_reader::json_reader(const json::object& object, std::string where,
                         std::shared_ptr<std::optional<std::string>> problem)
    : object_(&object), where_(std::move(where)), problem_(std::move(problem)) {}

void json_reader::fail(std::string problem) {
  if (!*problem_) *problem_ = std::move(problem);
}

const json::value* json_reader::field(std::string_view key, bool required) {
  if (*problem_) return nullptr;
  const json::value* found = object_->if_contains(key);
  if ((found == nullptr || found->is_null()) && required) {
    fail("the answer lacks " + where_ + std::string(key));
  }
  if (found != nullptr && found->is_null()) return nullptr;
  return found;
}

std::string json_reader::text(std::string_view key) {
  const json::value* v = field(key, true);
  if (v == nullptr) return {};
  if (!v->is_string()) {
    fail(where_ + std::string(key) + " must be a string, not " + std::string(kind_of(*v)));
    return {};
  }
  return std::string(v->get_string());
}

std::optional<std::string> json_reader::optional_text(std::string_view key) {
  const json::value* v = field(key, false);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    fail(where_ + std::string(key) + " must be a string, not " + std::string(kind_of(*v)));
    return std::nullopt;
  }
  return std::string(v->get_string());
}

std::optional<std::int64_t> json_reader::optional_integer(std::string_view key) {
  const json::value* v = field(key, false);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= std::numeric_limits<std::int64_t>::max()) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  fail(where_ + std::string(key) + " must be an integer within int64, not " +
       std::string(v->is_uint64() ? "a larger one" : kind_of(*v)));
  return std::nullopt;
}

std::int64_t json_reader::integer(std::string_view key) {
  if (field(key, true) == nullptr) return 0;
  return optional_integer(key).value_or(0);
}

std::string json_reader::decimal_text(std::string_view key) {
  std::string value = text(key);
  if (!*problem_ && !is_decimal_text(value)) {
    fail(where_ + std::string(key) + " must be decimal text such as \"1.0842\"");
    return {};
  }
  return value;
}

std::vector<std::string> json_reader::texts(std::string_view key) {
  const json::value* v = field(key, true);
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (!v->is_array()) {
    fail(where_ + std::string(key) + " must be an array of strings, not " +
         std::string(kind_of(*v)));
    return out;
  }
  for (const auto& item : v->get_array()) {
    if (!item.is_string()) {
      fail(where_ + std::string(key) + " must hold strings only");
      return {};
    }
    out.emplace_back(item.get_string());
  }
  return out;
}

std::vector<json_reader> json_reader::objects(std::string_view key) {
  const json::value* v = field(key, true);
  std::vector<json_reader> out;
  if (v == nullptr) return out;
  if (!v->is_array()) {
    fail(where_ + std::string(key) + " must be an array, not " + std::string(kind_of(*v)));
    return out;
  }
  std::size_t index = 0;
  for (const auto& item : v->get_array()) {
    std::string at = where_ + std::string(key) + "[" + std::to_string(index++) + "]";
    if (!item.is_object()) {
      fail(at + " must be an object, not " + std::string(kind_of(item)));
      return {};
    }
    out.push_back(json_reader(item.get_object(), at + ".", problem_));
  }
  return out;
}

std::variant<json::object, std::string> parse_object(std::string_view body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) return "the answer is not JSON (" + ec.message() + ")";
  if (!value.is_object()) return "the answer must be a JSON object";
  return std::move(value.get_object());
}

provider_error error_of(const call_outcome& outcome) {
  provider_error error;
  error.http_status = outcome.answer.status;
  switch (outcome.reason) {
    case stop_reason::circuit_open:
      error.kind = provider_error_kind::circuit_open;
      break;
    case stop_reason::attempts_exhausted:
      error.kind = provider_error_kind::retryable_exhausted;
      break;
    default:
      error.kind = provider_error_kind::final;
  }
  if (!outcome.answer.transport_error.empty()) {
    error.code = outcome.answer.transport_error;
    error.detail = "no answer: " + outcome.answer.transport_error + " after " +
                   std::to_string(outcome.attempts) + " attempt(s)";
    return error;
  }
  auto parsed = parse_object(outcome.answer.body);
  if (auto* object = std::get_if<json::object>(&parsed)) {
    json_reader reader(*object);
    error.code = reader.optional_text("error").value_or("");
    error.detail = reader.optional_text("detail").value_or("");
  }
  if (error.detail.empty()) {
    error.detail = "HTTP " + std::to_string(outcome.answer.status) + ": " +
                   outcome.answer.body.substr(0, max_quoted_body_bytes);
  }
  return error;
}

http_call json_call(std::string method, std::string url, const json::object& body) {
  http_call call;
  call.method = std::move(method);
  call.url = std::move(url);
  call.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  call.body = json::serialize(body);
  return call;
}

http_call get_call(std::string url) {
  http_call call;
  call.url = std::move(url);
  call.headers = {{"Accept", "application/json"}};
  return call;
}

}  // namespace detail
}  // namespace payorch::adapters
