#include "gateway/handler_support.hpp"

#include "config/limits.hpp"
#include "domain/time.hpp"
#include "gateway/auth.hpp"
#include "gateway/crypto.hpp"
#include "gateway/encoding.hpp"

namespace payorch::gateway {

problem bad_field(std::string param, std::string detail) {
  return make_problem(http::status::bad_request, "invalid_field", std::move(detail),
                      std::move(param));
}

std::variant<json_node, problem> object_body(const http_request& req, bool allow_empty) {
  if (allow_empty && req.body().empty()) {
    auto empty = parse_json("{}");
    return std::move(*empty.value);
  }
  auto parsed = parse_json(req.body());
  if (!parsed.value)
    return make_problem(http::status::bad_request, "malformed_json",
                        "the body is not valid JSON: " + parsed.error->message);
  if (parsed.value->kind() != json_kind::object)
    return make_problem(http::status::bad_request, "malformed_json",
                        "the body must be a JSON object");
  return std::move(*parsed.value);
}

namespace {
constexpr const char* kind_names[] = {"null",     "a boolean", "a number",
                                      "a string", "an array",  "an object"};
}

std::optional<problem> require(const json_node& obj, std::string_view key, json_kind kind,
                               const std::string& param, const json_node*& out) {
  out = obj.find(key);
  if (!out) return bad_field(param, param + " is required");
  if (out->kind() != kind)
    return bad_field(param, param + " must be " + kind_names[static_cast<int>(kind)]);
  return std::nullopt;
}

std::optional<problem> optional_member(const json_node& obj, std::string_view key, json_kind kind,
                                       const std::string& param, const json_node*& out) {
  out = obj.find(key);
  if (out && out->kind() != kind)
    return bad_field(param, param + " must be " + kind_names[static_cast<int>(kind)]);
  return std::nullopt;
}

std::optional<problem> only_known(const json_node& obj,
                                  std::initializer_list<std::string_view> keys,
                                  std::string_view prefix) {
  for (const auto& [name, value] : obj.members()) {
    bool known = false;
    for (auto k : keys) known = known || k == name;
    if (!known) {
      std::string param = std::string(prefix) + name;
      return bad_field(param, "unknown field " + param);
    }
  }
  return std::nullopt;
}

std::optional<problem> require_integer(const json_node& obj, std::string_view key,
                                       const std::string& param, std::int64_t& out) {
  const json_node* n = nullptr;
  if (auto p = require(obj, key, json_kind::number, param, n)) return p;
  auto v = n->number_is_integer() ? n->as_int64() : std::nullopt;
  if (!v) return bad_field(param, param + " must be an integer of minor units within int64");
  out = *v;
  return std::nullopt;
}

std::variant<std::vector<std::pair<std::string, std::string>>, problem> query_of(
    const http_request& req) {
  std::string_view target = req.target();
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::vector<std::pair<std::string, std::string>>{};
  auto fields = parse_form(target.substr(q + 1));
  if (!fields)
    return make_problem(http::status::bad_request, "invalid_query",
                        "the query string has a malformed %-escape");
  return std::move(*fields);
}

std::variant<page_request, problem> page_request_of(const http_request& req,
                                                    std::initializer_list<std::string_view> also) {
  auto q = query_of(req);
  if (auto* p = std::get_if<problem>(&q)) return *p;
  page_request page;
  page.query = std::get<0>(std::move(q));
  page.limit = static_cast<std::int64_t>(config::limits::page_size_default);
  for (const auto& [name, value] : page.query) {
    if (name == "limit") {
      std::int64_t n = 0;
      bool digits = !value.empty() && value.size() <= 4;
      for (char c : value) {
        digits = digits && c >= '0' && c <= '9';
        if (digits) n = n * 10 + (c - '0');
      }
      if (!digits || n < 1 || n > static_cast<std::int64_t>(config::limits::page_size_max)) {
        return make_problem(
            http::status::bad_request, "invalid_query",
            "limit must be an integer from 1 to " + std::to_string(config::limits::page_size_max),
            "limit");
      }
      page.limit = n;
    } else if (name == "cursor") {
      auto decoded = base64url_decode(value);
      if (!decoded || decoded->empty()) return foreign_cursor();
      page.after = std::move(*decoded);
    } else {
      bool known = false;
      for (auto a : also) known = known || a == name;
      if (!known)
        return make_problem(http::status::bad_request, "invalid_query",
                            "unknown query parameter " + name, name);
    }
  }
  return page;
}

problem foreign_cursor() {
  return make_problem(http::status::bad_request, "invalid_query",
                      "cursor is not one this API gave out", "cursor");
}

std::optional<std::int64_t> integer_cursor(const exchange_ptr& ex, const std::string& after) {
  std::int64_t n = 0;
  for (char c : after) {
    if (c < '0' || c > '9' || n > 100'000'000'000'000) {
      ex->reply_problem(foreign_cursor());
      return std::nullopt;
    }
    n = n * 10 + (c - '0');
  }
  return n;
}

std::string encode_cursor(std::string_view position) {
  return base64url_encode(position);
}

void write_next_cursor(json_writer& w, std::string_view position) {
  w.key("next_cursor");
  if (position.empty())
    w.null();
  else
    w.string(encode_cursor(position));
}

actors::caller caller_of(const principal& p) {
  return actors::caller{p.subject, p.allows_every_pod(permission::admin)};
}

actors::idempotency_tag idempotency_of(const exchange& ex) {
  const auto& req = ex.request();
  auto key = req.find("Idempotency-Key");
  if (key == req.end()) return {};
  std::string material = std::string(req.method_string()) + ' ' + std::string(req.target()) + '\n';
  material += req.body();
  return {std::string(key->value()), hex_encode(sha256(material)), {}};  // client set by the caller
}

std::uint64_t id_bits_from(std::string_view seed) {
  const auto digest = sha256(seed);
  std::uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<unsigned char>(digest[i]);
  return bits;
}

void reply_failure(const exchange_ptr& ex, const failure& f) {
  ex->reply_problem(problem_from(f));
}

void reply_body(const exchange_ptr& ex, http::status status, std::string body,
                const std::string& location) {
  reply_answer(ex, json_answer(status, std::move(body), location));
}

actors::stored_answer json_answer(http::status status, std::string body, std::string location) {
  return {static_cast<std::int32_t>(status), "application/json", std::move(location),
          std::move(body)};
}

void reply_answer(const exchange_ptr& ex, actors::stored_answer answer) {
  http_response res{static_cast<http::status>(answer.status), ex->request().version()};
  res.set(http::field::content_type, answer.content_type);
  if (!answer.location.empty()) res.set(http::field::location, answer.location);
  res.body() = std::move(answer.body);
  ex->reply(std::move(res));
}

void write_time_or_null(json_writer& w, std::string_view key, std::int64_t ms) {
  w.key(key);
  if (ms == 0)
    w.null();
  else
    w.string(format_rfc3339_utc(ms));
}

void write_text_or_null(json_writer& w, std::string_view key, std::string_view text) {
  w.key(key);
  if (text.empty())
    w.null();
  else
    w.string(text);
}

}  // namespace payorch::gateway
