#include "tests/support/openapi_check.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cmath>
#include <map>
#include <regex>

namespace payorch::testing::openapi {
namespace json = boost::json;
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// The media type of a Content-Type value or a content key: no parameters, lower case.
std::string media_type(std::string_view content_type) {
  auto media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  while (!media.empty() && media.front() == ' ') media.remove_prefix(1);
  return lower(media);
}

bool is_json_media(std::string_view media) {
  return media == "application/json" || media.ends_with("+json");
}

std::string_view as_view(const json::string& s) {
  return {s.data(), s.size()};
}

std::string at(const std::string& where, std::string_view what) {
  return (where.empty() ? std::string("/") : where) + ": " + std::string(what);
}

/// Follows `$ref` chains (a ref to a ref); nullptr when one does not resolve.
const json::value* follow(const json::value& doc, const json::value* v) {
  for (int hops = 0; v && v->is_object() && hops < 16; ++hops) {
    auto* r = v->as_object().if_contains("$ref");
    if (!r || !r->is_string()) return v;
    v = resolve_ref(doc, as_view(r->as_string()));
  }
  return v;
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

/// RFC 3339 date-time, checked loosely: the shape, and fields within their calendar ranges.
bool is_date_time(const std::string& s) {
  static const std::regex shape(
      R"(^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)");
  std::smatch m;
  if (!std::regex_match(s, m, shape)) return false;
  auto field = [&m](int i) { return std::stoi(m[i].str()); };
  return field(2) >= 1 && field(2) <= 12 && field(3) >= 1 && field(3) <= 31 && field(4) <= 23 &&
         field(5) <= 59 && field(6) <= 60;
}

class schema_validator {
 public:
  schema_validator(const json::value& doc, std::vector<std::string>& out) : doc_(doc), out_(out) {}

  void check(const json::value& schema, const json::value& v, const std::string& where) {
    if (schema.is_bool()) {
      if (!schema.as_bool()) fail(where, "no value is allowed here");
      return;
    }
    if (!schema.is_object()) return fail(where, "the schema is not an object");
    const auto& s = schema.as_object();
    if (auto* r = s.if_contains("$ref")) {
      const auto* target = r->is_string() ? resolve_ref(doc_, as_view(r->as_string())) : nullptr;
      if (!target) return fail(where, "unresolved $ref " + json::serialize(*r));
      check(*target, v, where);
    }
    if (auto* t = s.if_contains("type"); t && !type_matches(*t, v))
      return fail(where, "expected type " + json::serialize(*t) + ", got " + json::serialize(v));
    if (auto* c = s.if_contains("const"); c && !equal(*c, v))
      fail(where, "expected " + json::serialize(*c) + ", got " + json::serialize(v));
    if (auto* e = s.if_contains("enum"); e && e->is_array()) {
      const auto& options = e->as_array();
      if (std::none_of(options.begin(), options.end(), [&](const auto& o) { return equal(o, v); }))
        fail(where, json::serialize(v) + " is not one of " + json::serialize(*e));
    }
    check_number(s, v, where);
    if (v.is_string()) check_string(s, std::string(as_view(v.as_string())), where);
    if (v.is_object()) check_object(s, v.as_object(), where);
    if (v.is_array()) check_array(s, v.as_array(), where);
    check_combinators(s, v, where);
  }

 private:
  void fail(const std::string& where, std::string_view what) { out_.push_back(at(where, what)); }

  /// True when `v` validates against `schema`, without reporting anything.
  bool passes(const json::value& schema, const json::value& v, const std::string& where) {
    std::vector<std::string> scratch;
    schema_validator(doc_, scratch).check(schema, v, where);
    return scratch.empty();
  }

  /// A JSON number as a double: exact for the document's bounds (0, 1, 100, 200...) and for any
  /// integer below 2^53, which is all a range check needs.
  static bool number_of(const json::value& v, double& out) {
    if (v.is_int64())
      out = static_cast<double>(v.as_int64());
    else if (v.is_uint64())
      out = static_cast<double>(v.as_uint64());
    else if (v.is_double())
      out = v.as_double();
    else
      return false;
    return true;
  }

  static bool equal(const json::value& a, const json::value& b) {
    double x = 0, y = 0;
    if (number_of(a, x) && number_of(b, y)) return x == y;
    return a == b;
  }

  static bool is_type(std::string_view name, const json::value& v) {
    double d = 0;
    if (name == "null") return v.is_null();
    if (name == "boolean") return v.is_bool();
    if (name == "object") return v.is_object();
    if (name == "array") return v.is_array();
    if (name == "string") return v.is_string();
    if (name == "number") return number_of(v, d);
    if (name == "integer")
      return v.is_int64() || v.is_uint64() ||
             (v.is_double() && std::floor(v.as_double()) == v.as_double());
    return false;
  }

  static bool type_matches(const json::value& type, const json::value& v) {
    if (type.is_string()) return is_type(as_view(type.as_string()), v);
    if (!type.is_array()) return false;
    const auto& names = type.as_array();
    return std::any_of(names.begin(), names.end(), [&v](const json::value& n) {
      return n.is_string() && is_type(as_view(n.as_string()), v);
    });
  }

  void check_number(const json::object& s, const json::value& v, const std::string& where) {
    double x = 0, bound = 0;
    if (!number_of(v, x)) return;
    auto limit = [&](const char* key, auto ok) {
      if (auto* b = s.if_contains(key); b && number_of(*b, bound) && !ok(x, bound))
        fail(where, json::serialize(v) + " breaks " + key + " " + json::serialize(*b));
    };
    limit("minimum", [](double a, double b) { return a >= b; });
    limit("maximum", [](double a, double b) { return a <= b; });
    limit("exclusiveMinimum", [](double a, double b) { return a > b; });
    limit("exclusiveMaximum", [](double a, double b) { return a < b; });
  }

  void check_string(const json::object& s, const std::string& v, const std::string& where) {
    auto length = code_points(v);
    if (auto* n = s.if_contains("minLength");
        n && n->is_int64() && length < static_cast<std::size_t>(n->as_int64()))
      fail(where, "shorter than " + json::serialize(*n) + " characters");
    if (auto* n = s.if_contains("maxLength");
        n && n->is_int64() && length > static_cast<std::size_t>(n->as_int64()))
      fail(where, "longer than " + json::serialize(*n) + " characters");
    if (auto* p = s.if_contains("pattern"); p && p->is_string()) {
      std::string pattern(as_view(p->as_string()));
      auto [it, fresh] = regexes_.try_emplace(pattern);
      if (fresh) it->second = std::regex(pattern, std::regex::ECMAScript);
      if (!std::regex_search(v, it->second))
        fail(where, json::serialize(json::value(v)) + " does not match " + pattern);
    }
    if (auto* f = s.if_contains("format");
        f && f->is_string() && f->as_string() == "date-time" && !is_date_time(v))
      fail(where, json::serialize(json::value(v)) + " is not an RFC 3339 date-time");
  }

  void check_object(const json::object& s, const json::object& v, const std::string& where) {
    if (auto* req = s.if_contains("required"); req && req->is_array())
      for (const auto& name : req->as_array())
        if (name.is_string() && !v.contains(as_view(name.as_string())))
          fail(where, "missing required member " + std::string(as_view(name.as_string())));
    if (auto* n = s.if_contains("minProperties");
        n && n->is_int64() && v.size() < static_cast<std::size_t>(n->as_int64()))
      fail(where, "fewer than " + json::serialize(*n) + " members");
    const json::object* props = nullptr;
    if (auto* p = s.if_contains("properties"); p && p->is_object()) props = &p->as_object();
    const json::value* extra = s.if_contains("additionalProperties");
    for (const auto& [key, member] : v) {
      std::string here = where + "/" + std::string(key);
      if (auto* sub = props ? props->if_contains(key) : nullptr) {
        check(*sub, member, here);
      } else if (extra && extra->is_bool() && !extra->as_bool()) {
        fail(where, "unexpected member " + std::string(key));
      } else if (extra && extra->is_object()) {
        check(*extra, member, here);
      }
    }
  }

  void check_array(const json::object& s, const json::array& v, const std::string& where) {
    auto* items = s.if_contains("items");
    if (!items) return;
    for (std::size_t i = 0; i < v.size(); ++i) check(*items, v[i], where + "/" + std::to_string(i));
  }

  void check_combinators(const json::object& s, const json::value& v, const std::string& where) {
    if (auto* all = s.if_contains("allOf"); all && all->is_array())
      for (const auto& sub : all->as_array()) check(sub, v, where);
    auto passing = [&](const json::value& list) {
      return std::count_if(list.as_array().begin(), list.as_array().end(),
                           [&](const json::value& sub) { return passes(sub, v, where); });
    };
    if (auto* any = s.if_contains("anyOf"); any && any->is_array() && passing(*any) == 0)
      fail(where, json::serialize(v) + " matches none of anyOf");
    if (auto* one = s.if_contains("oneOf"); one && one->is_array()) {
      auto n = passing(*one);
      if (n != 1)
        fail(where, json::serialize(v) + " matches " + std::to_string(n) + " of oneOf, not 1");
    }
  }

  const json::value& doc_;
  std::vector<std::string>& out_;
  std::map<std::string, std::regex> regexes_;
};

void collect_refs(const json::value& doc, const json::value& v, const std::string& where,
                  std::vector<std::string>& out) {
  if (v.is_array()) {
    for (std::size_t i = 0; i < v.as_array().size(); ++i)
      collect_refs(doc, v.as_array()[i], where + "/" + std::to_string(i), out);
  } else if (v.is_object()) {
    for (const auto& [key, member] : v.as_object()) {
      if (key == "$ref" && (!member.is_string() || !resolve_ref(doc, as_view(member.as_string()))))
        out.push_back(where + ": " + json::serialize(member));
      collect_refs(doc, member, where + "/" + std::string(key), out);
    }
  }
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = std::min(path.find('/', start), path.size());
    segments.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

std::optional<std::string> header_value(const header_list& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (lower(k) == lower(name)) return v;
  return std::nullopt;
}

/// Checks `sample` against one response object; `label` prefixes every violation.
void check_against(const json::value& doc, const json::value& response, const std::string& label,
                   const response_sample& sample, std::vector<std::string>& out) {
  const json::value* r = follow(doc, &response);
  if (!r || !r->is_object()) return out.push_back(label + ": the response does not resolve");
  const auto& obj = r->as_object();
  auto* headers = obj.if_contains("headers");
  if (sample.headers && headers && headers->is_object()) {
    for (const auto& [name, declared] : headers->as_object()) {
      const json::value* h = follow(doc, &declared);
      if (!h || !h->is_object()) {
        out.push_back(label + " header " + std::string(name) + ": does not resolve");
        continue;
      }
      auto value = header_value(*sample.headers, name);
      auto* required = h->as_object().if_contains("required");
      if (!value && required && required->is_bool() && required->as_bool())
        out.push_back(label + ": missing header " + std::string(name));
      auto* schema = h->as_object().if_contains("schema");
      if (!value || !schema) continue;
      for (auto& v : validate(doc, *schema, json::value(*value)))
        out.push_back(label + " header " + std::string(name) + " " + v);
    }
  }
  auto* content = obj.if_contains("content");
  if (!content || !content->is_object() || content->as_object().empty()) {
    if (!sample.body.empty()) out.push_back(label + ": a body where none is documented");
    return;
  }
  const std::string media = media_type(sample.content_type);
  const json::value* chosen = nullptr;
  std::string documented;
  for (const auto& [key, entry] : content->as_object()) {
    documented += (documented.empty() ? "" : ", ") + std::string(key);
    if (!chosen && media_type(key) == media) chosen = &entry;
  }
  if (!chosen)
    return out.push_back(label + ": content type '" + sample.content_type +
                         "' is not documented (" + documented + ")");
  auto* schema = chosen->is_object() ? chosen->as_object().if_contains("schema") : nullptr;
  if (!schema) return;
  json::value body = json::string(sample.body);
  if (is_json_media(media)) {
    boost::system::error_code ec;
    body = json::parse(sample.body, ec);
    if (ec) return out.push_back(label + ": the body is not JSON: " + ec.message());
  }
  for (auto& v : validate(doc, *schema, body)) out.push_back(label + " body " + v);
}

}  // namespace

const json::value* resolve_ref(const json::value& doc, std::string_view ref) {
  if (!ref.starts_with("#/")) return nullptr;
  boost::system::error_code ec;
  return doc.find_pointer(ref.substr(1), ec);
}

std::vector<std::string> unresolved_refs(const json::value& doc) {
  std::vector<std::string> out;
  collect_refs(doc, doc, "", out);
  return out;
}

std::optional<path_match> match_path(const json::value& doc, std::string_view path) {
  path = path.substr(0, path.find('?'));
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (!path.starts_with('/') || !doc.is_object()) return std::nullopt;
  auto* paths = doc.as_object().if_contains("paths");
  if (!paths || !paths->is_object()) return std::nullopt;
  const auto concrete = split_path(path);
  std::optional<path_match> best;
  int best_literals = -1;
  for (const auto& [key, item] : paths->as_object()) {
    const auto pattern = split_path(key);
    if (pattern.size() != concrete.size()) continue;
    path_match m{std::string(key), {}};
    int literals = 0;
    bool ok = true;
    for (std::size_t i = 0; ok && i < pattern.size(); ++i) {
      const auto& p = pattern[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        ok = !concrete[i].empty();
        m.params.emplace_back(p.substr(1, p.size() - 2), concrete[i]);
      } else {
        ok = p == concrete[i];
        ++literals;
      }
    }
    if (ok && literals > best_literals) {
      best_literals = literals;
      best = std::move(m);
    }
  }
  return best;
}

std::vector<std::string> validate(const json::value& doc, const json::value& schema,
                                  const json::value& instance) {
  std::vector<std::string> out;
  schema_validator(doc, out).check(schema, instance, "");
  return out;
}

std::vector<std::string> check_response(const json::value& doc, std::string_view method,
                                        std::string_view path, const response_sample& sample) {
  const std::string verb = lower(method);
  std::string label = std::string(method) + " " + std::string(path);
  auto m = match_path(doc, path);
  if (!m) return {label + ": no path template matches"};
  label = std::string(method) + " " + m->path_template;
  auto* item = follow(doc, &doc.as_object().at("paths").as_object().at(m->path_template));
  auto* op = item && item->is_object() ? item->as_object().if_contains(verb) : nullptr;
  if (!op || !op->is_object()) return {label + ": no such operation"};
  auto* responses = op->as_object().if_contains("responses");
  if (!responses || !responses->is_object()) return {label + ": the operation has no responses"};
  const auto& by_status = responses->as_object();
  const std::string exact = std::to_string(sample.status);
  const std::string range = exact.substr(0, 1) + "XX";
  const json::value* response = by_status.if_contains(exact);
  if (!response) response = by_status.if_contains(range);
  if (!response) response = by_status.if_contains("default");
  if (!response) return {label + ": status " + exact + " is not documented"};
  std::vector<std::string> out;
  check_against(doc, *response, label + " " + exact, sample, out);
  return out;
}

std::vector<std::string> check_response(const json::value& doc, std::string_view method,
                                        std::string_view path, int status,
                                        std::string_view content_type, std::string_view body) {
  return check_response(doc, method, path,
                        response_sample{status, std::string(content_type), std::string(body), {}});
}

std::vector<std::string> check_component_response(const json::value& doc, std::string_view name,
                                                  const response_sample& sample) {
  const std::string ref = "#/components/responses/" + std::string(name);
  const json::value* response = resolve_ref(doc, ref);
  if (!response) return {ref + ": no such response"};
  std::vector<std::string> out;
  check_against(doc, *response, std::string(name) + " " + std::to_string(sample.status), sample,
                out);
  return out;
}

}  // namespace payorch::testing::openapi
