#include "gateway/scopes.hpp"

#include <algorithm>

#include "domain/ids.hpp"

namespace payorch::gateway {
namespace {

std::optional<permission> permission_of(std::string_view text) {
  if (text == "read") return permission::read;
  if (text == "write") return permission::write;
  if (text == "admin") return permission::admin;
  return std::nullopt;
}

void add_once(std::vector<std::string>& out, std::string_view token) {
  if (std::find(out.begin(), out.end(), token) == out.end()) out.emplace_back(token);
}

}  // namespace

std::optional<scope_token> parse_scope(std::string_view text, bool allow_any) {
  if (text == "*") {
    if (!allow_any) return std::nullopt;
    return scope_token{scope_token::kind::any, {}, permission::admin};
  }
  if (text == "operator")
    return scope_token{scope_token::kind::operator_role, {}, permission::read};
  static constexpr std::string_view prefix = "crowdpod:";
  if (!text.starts_with(prefix)) return std::nullopt;
  auto rest = text.substr(prefix.size());
  auto colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto pod = rest.substr(0, colon);
  auto level = permission_of(rest.substr(colon + 1));
  if (!level) return std::nullopt;
  // The check without building an id: this runs for every scope of every request.
  if (pod != "*" && !payorch::detail::is_prefixed_hex16(pod, pod_id::prefix)) return std::nullopt;
  return scope_token{scope_token::kind::pod, pod, *level};
}

bool covers(std::string_view granted, std::string_view requested) {
  auto g = parse_scope(granted, true);
  auto r = parse_scope(requested);
  if (!g || !r) return false;
  if (g->what == scope_token::kind::any) return true;
  if (g->what != r->what) return false;
  if (g->what == scope_token::kind::operator_role) return true;
  return (g->pod == "*" || g->pod == r->pod) && r->level <= g->level;
}

bool any_covers(const std::vector<std::string>& granted, std::string_view requested) {
  return std::any_of(granted.begin(), granted.end(),
                     [requested](const std::string& g) { return covers(g, requested); });
}

std::optional<std::vector<std::string>> split_scope(std::string_view text) {
  std::vector<std::string> tokens;
  std::size_t start = 0;
  while (true) {
    auto end = text.find(' ', start);
    auto token = text.substr(start, end == std::string_view::npos ? end : end - start);
    if (token.empty()) return std::nullopt;
    tokens.emplace_back(token);
    if (end == std::string_view::npos) return tokens;
    start = end + 1;
  }
}

std::string join_scope(const std::vector<std::string>& tokens) {
  std::string out;
  for (const auto& t : tokens) {
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

std::vector<std::string> default_grant(const std::vector<std::string>& allowed) {
  std::vector<std::string> out;
  for (const auto& scope : allowed) {
    if (scope == "*") {
      add_once(out, "crowdpod:*:admin");
      add_once(out, "operator");
    } else {
      add_once(out, scope);
    }
  }
  return out;
}

}  // namespace payorch::gateway
