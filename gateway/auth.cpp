#include "gateway/auth.hpp"

#include <algorithm>
#include <cctype>
#include <variant>

#include "gateway/api.hpp"
#include "gateway/authenticator.hpp"
#include "gateway/scopes.hpp"

namespace payorch::gateway {
namespace {

constexpr std::string_view realm = R"(Bearer realm="payorch")";

/// True when the parsed token grants `p` or more on `pod` (a pod id, or "*" for every pod).
bool grants(const scope_token& t, std::string_view pod, permission p) {
  return t.what == scope_token::kind::pod && (t.pod == "*" || t.pod == pod) && t.level >= p;
}

problem unauthorized(std::string detail, bool token_sent) {
  auto p = make_problem(http::status::unauthorized, "unauthorized", detail);
  // RFC 6750 3.1: no error code when the request carried no token at all.
  p.www_authenticate = std::string(realm);
  if (token_sent) {
    p.www_authenticate += R"(, error="invalid_token", error_description=")" + detail + "\"";
  }
  return p;
}

problem forbidden(const std::string& scope) {
  auto p = make_problem(http::status::forbidden, "forbidden",
                        "this request needs the scope " + scope + " (or a stronger one)");
  p.www_authenticate =
      std::string(realm) + R"(, error="insufficient_scope", scope=")" + scope + "\"";
  return p;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

/// The token of `Authorization: Bearer <token>`, or the problem to answer.
std::variant<std::string_view, problem> bearer_token(const http_request& req) {
  auto it = req.find(http::field::authorization);
  if (it == req.end())
    return unauthorized("this request needs an Authorization: Bearer token", false);
  std::string_view value(it->value().data(), it->value().size());
  if (!starts_with_ignoring_case(value, "bearer "))
    return unauthorized("the Authorization header must use the Bearer scheme", false);
  auto token = value.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return unauthorized("the Bearer token is empty", true);
  return token;
}

}  // namespace

std::string_view to_string(permission p) noexcept {
  switch (p) {
    case permission::read:
      return "read";
    case permission::write:
      return "write";
    case permission::admin:
      return "admin";
  }
  return "read";
}

bool principal::allows(std::string_view pod_id, permission p) const {
  return std::any_of(scopes.begin(), scopes.end(), [&](const std::string& s) {
    auto t = parse_scope(s);
    return t && grants(*t, pod_id, p);
  });
}

bool principal::allows_every_pod(permission p) const {
  return allows("*", p);
}

bool principal::is_operator() const {
  return std::find(scopes.begin(), scopes.end(), "operator") != scopes.end();
}

std::vector<std::string> principal::pods_with(permission p) const {
  std::vector<std::string> pods;
  for (const auto& s : scopes) {
    auto t = parse_scope(s);
    if (t && t->what == scope_token::kind::pod && t->pod != "*" && t->level >= p)
      pods.emplace_back(t->pod);
  }
  std::sort(pods.begin(), pods.end());
  pods.erase(std::unique(pods.begin(), pods.end()), pods.end());
  return pods;
}

std::optional<principal> authenticate(const api_context& ctx, const exchange_ptr& ex) {
  if (ctx.auth == nullptr) {
    // Fail closed: a process wired without an authenticator serves nothing protected.
    ex->reply_problem(make_problem(http::status::internal_server_error, "internal_error",
                                   "authentication is not configured"));
    return std::nullopt;
  }
  auto token = bearer_token(ex->request());
  if (auto* p = std::get_if<problem>(&token)) {
    ex->reply_problem(*p);
    return std::nullopt;
  }
  auto verdict = ctx.auth->verify(std::get<std::string_view>(token), ctx.now_ms());
  if (auto* why = std::get_if<std::string>(&verdict)) {
    ex->reply_problem(unauthorized(*why, true));
    return std::nullopt;
  }
  return std::get<principal>(std::move(verdict));
}

std::optional<principal> authorize(const api_context& ctx, const exchange_ptr& ex,
                                   std::string_view pod_id, permission needed) {
  auto who = authenticate(ctx, ex);
  if (!who) return std::nullopt;
  if (!who->allows(pod_id, needed)) {
    ex->reply_problem(
        forbidden("crowdpod:" + std::string(pod_id) + ":" + std::string(to_string(needed))));
    return std::nullopt;
  }
  return who;
}

std::optional<principal> authorize_operator(const api_context& ctx, const exchange_ptr& ex) {
  auto who = authenticate(ctx, ex);
  if (!who) return std::nullopt;
  if (!who->is_operator()) {
    ex->reply_problem(forbidden("operator"));
    return std::nullopt;
  }
  return who;
}

}  // namespace payorch::gateway
