// POST /oauth/token (RFC 6749 client credentials grant) and GET /.well-known/jwks.json.

#include <cctype>
#include <tuple>

#include "gateway/api.hpp"
#include "gateway/authenticator.hpp"
#include "gateway/encoding.hpp"
#include "gateway/json_output.hpp"

namespace payorch::gateway {
namespace {

/// An RFC 6749 section 5.2 error: its status, code and one sentence.
struct oauth_error {
  http::status status = http::status::bad_request;
  std::string code;
  std::string description;
};

oauth_error invalid_request(std::string description) {
  return {http::status::bad_request, "invalid_request", std::move(description)};
}

oauth_error invalid_client(std::string description) {
  return {http::status::unauthorized, "invalid_client", std::move(description)};
}

/// A token response must never be stored by a cache on the way (RFC 6749 5.1).
void no_store(http_response& res) {
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::pragma, "no-cache");
}

void reply_error(const exchange_ptr& ex, const oauth_error& e) {
  json_writer w;
  w.begin_object().field("error", e.code).field("error_description", e.description).end_object();
  http_response res{e.status, ex->request().version()};
  res.set(http::field::content_type, "application/json");
  no_store(res);
  if (e.status == http::status::unauthorized)
    res.set(http::field::www_authenticate, R"(Basic realm="payorch")");
  if (e.status == http::status::service_unavailable) res.set(http::field::retry_after, "1");
  res.body() = w.take();
  ex->reply(std::move(res));
}

void reply_token(const exchange_ptr& ex, const issued_token& t) {
  json_writer w;
  w.begin_object()
      .field("access_token", t.access_token)
      .field("token_type", "Bearer")
      .field("expires_in", t.expires_in_s)
      .field("scope", t.scope)
      .end_object();
  http_response res{http::status::ok, ex->request().version()};
  res.set(http::field::content_type, "application/json");
  no_store(res);
  res.body() = w.take();
  ex->reply(std::move(res));
}

/// What a token request says, once its form is read.
struct token_request {
  std::string client_id;
  std::string client_secret;
  std::optional<std::string> scope;
};

/// The value of the form field `name`, if sent with one; a request that repeats a field is
/// malformed. RFC 6749 section 3.1: a parameter sent without a value is treated as omitted.
std::variant<std::optional<std::string>, oauth_error> single(const form_fields& form,
                                                             std::string_view name) {
  std::optional<std::string> found;
  bool seen = false;
  for (const auto& [k, v] : form) {
    if (k != name) continue;
    if (seen) return invalid_request("the parameter " + std::string(name) + " is repeated");
    seen = true;
    if (!v.empty()) found = v;
  }
  return found;
}

/// The client's id and secret from HTTP Basic. RFC 6749 2.3.1 has each form-encoded first, but
/// most clients (curl -u among them) send them raw, so `%XX` escapes are decoded and a `+` is
/// kept as it is: a raw `+` in a base64 secret matters more than an encoded space.
std::variant<std::pair<std::string, std::string>, oauth_error> basic_credentials(
    std::string_view value) {
  static constexpr std::string_view scheme = "basic ";
  bool is_basic = value.size() > scheme.size();
  for (std::size_t i = 0; is_basic && i < scheme.size(); ++i)
    is_basic = std::tolower(static_cast<unsigned char>(value[i])) == scheme[i];
  if (!is_basic) return invalid_client("the Authorization header must use the Basic scheme");
  auto decoded = base64_decode(value.substr(scheme.size()));
  auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos)
    return invalid_client("the Basic credentials are not base64 of client_id:client_secret");
  auto id = form_decode(std::string_view(*decoded).substr(0, colon), false);
  auto secret = form_decode(std::string_view(*decoded).substr(colon + 1), false);
  if (!id || !secret) return invalid_client("the Basic credentials have a malformed % escape");
  return std::pair{std::move(*id), std::move(*secret)};
}

/// Reads and checks the form: grant type, one way of client authentication, scope.
std::variant<token_request, oauth_error> read_request(const http_request& req) {
  auto form = parse_form(req.body());
  if (!form) return invalid_request("the form body has a malformed % escape");
  auto grant = single(*form, "grant_type");
  auto id = single(*form, "client_id");
  auto secret = single(*form, "client_secret");
  auto scope = single(*form, "scope");
  for (auto* field : {&grant, &id, &secret, &scope}) {
    if (auto* e = std::get_if<oauth_error>(field)) return *e;
  }
  auto& grant_type = std::get<0>(grant);
  if (!grant_type) return invalid_request("grant_type is required");
  if (*grant_type != "client_credentials") {
    return oauth_error{http::status::bad_request, "unsupported_grant_type",
                       "only the client_credentials grant is supported"};
  }
  token_request out;
  out.scope = std::get<0>(scope);
  auto& form_id = std::get<0>(id);
  auto& form_secret = std::get<0>(secret);
  auto header = req.find(http::field::authorization);
  if (header != req.end()) {
    if (form_id || form_secret)
      return invalid_request(
          "send the client credentials either by HTTP Basic or in the form, not both");
    auto basic = basic_credentials({header->value().data(), header->value().size()});
    if (auto* e = std::get_if<oauth_error>(&basic)) return *e;
    std::tie(out.client_id, out.client_secret) = std::get<0>(std::move(basic));
  } else {
    if (!form_id || !form_secret)
      return invalid_client(
          "client authentication is required (HTTP Basic, or client_id and client_secret)");
    out.client_id = std::move(*form_id);
    out.client_secret = std::move(*form_secret);
  }
  return out;
}

void token(const api_context& ctx, const exchange_ptr& ex) {
  auto read = read_request(ex->request());
  if (auto* e = std::get_if<oauth_error>(&read)) return reply_error(ex, *e);
  auto request = std::get<token_request>(std::move(read));
  const registered_client* client = ctx.auth->clients().find(request.client_id);
  if (client == nullptr) return reply_error(ex, invalid_client("unknown client or wrong secret"));
  authenticator* auth = ctx.auth;
  auto now_ms = ctx.now_ms;
  // The continuation may run on the authenticator's worker thread; it touches only what it
  // captured, the authenticator (thread-safe) and the exchange (one-shot reply from any thread).
  // Scopes are judged only after the secret, so an unauthenticated caller learns nothing.
  bool queued = auth->check_secret(
      *client, std::move(request.client_secret),
      [ex, auth, client, now_ms, scope = std::move(request.scope)](bool matched) {
        if (!matched) return reply_error(ex, invalid_client("unknown client or wrong secret"));
        auto granted = auth->grant(*client, scope);
        if (!granted) {
          return reply_error(ex, {http::status::bad_request, "invalid_scope",
                                  "the requested scope is malformed or exceeds what the client "
                                  "may have"});
        }
        auto issued = auth->issue(*client, *granted, now_ms());
        if (!issued) {
          return reply_error(ex, {http::status::internal_server_error, "server_error",
                                  "the token could not be signed"});
        }
        reply_token(ex, *issued);
      });
  if (!queued) {
    reply_error(ex, {http::status::service_unavailable, "temporarily_unavailable",
                     "too many client secret checks are waiting; retry shortly"});
  }
}

void jwks(const api_context& ctx, const exchange_ptr& ex) {
  http_response res{http::status::ok, ex->request().version()};
  res.set(http::field::content_type, "application/json");
  // The key changes only when an operator replaces it and restarts.
  res.set(http::field::cache_control, "public, max-age=300");
  res.body() = ctx.auth->key().jwks();
  ex->reply(std::move(res));
}

/// Without an authenticator nothing can be issued: both routes say so rather than crash.
void unavailable(const exchange_ptr& ex) {
  ex->reply_problem(make_problem(http::status::internal_server_error, "internal_error",
                                 "authentication is not configured"));
}

}  // namespace

void add_oauth_routes(route_table& routes, const api_context& ctx) {
  routes.add(
      http::verb::post, "/oauth/token",
      [ctx](const exchange_ptr& ex) { ctx.auth ? token(ctx, ex) : unavailable(ex); },
      "application/x-www-form-urlencoded");
  routes.add(http::verb::get, "/.well-known/jwks.json",
             [ctx](const exchange_ptr& ex) { ctx.auth ? jwks(ctx, ex) : unavailable(ex); });
}

}  // namespace payorch::gateway
