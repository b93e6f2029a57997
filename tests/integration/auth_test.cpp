/// Authentication on the real binary: the bootstrap client, POST /oauth/token, the JWKS,
/// configured clients, HS256, and the routes that need no token.

#include <sys/stat.h>

#include "tests/integration/integration_support.hpp"
#include "tests/support/auth_client.hpp"

namespace payorch::testing {
namespace {

constexpr std::string_view form_type = "application/x-www-form-urlencoded";

/// `reader-secret` hashed with 10 000 PBKDF2 iterations (the configuration's floor, for speed).
constexpr std::string_view reader_hash =
    "pbkdf2-sha256$10000$cGF5b3JjaC10ZXN0LXNsdA==$oUgP4ym1HWyQRW+tjY3OM5uqUZ9pYzs9jrRQN1N8SsA=";

/// `p+q/r=s` hashed the same way: a secret with characters form encoding would change.
constexpr std::string_view raw_hash =
    "pbkdf2-sha256$10000$cGF5b3JjaC10ZXN0LXNsdA==$guEXzgS27o3wTFYQGg/hHuP+2Pri3q0H7LZ0xoOahdc=";

/// A POST /oauth/token with exactly this body and these headers (Content-Type is the form's).
http_request token_post(std::string body, header_list headers = {}) {
  http_request req;
  req.method = "POST";
  req.target = "/oauth/token";
  req.headers.emplace_back("Content-Type", std::string(form_type));
  for (auto& h : headers) req.headers.push_back(std::move(h));
  req.body = std::move(body);
  return req;
}

/// The JSON object of a base64url JWT segment.
boost::json::object segment_of(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  std::string text = token.substr(start, token.find('.', start) - start);
  for (auto& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4 != 0) text += '=';
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    buffer = buffer << 6 | static_cast<std::uint32_t>(alphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  http_reply as_reply;
  as_reply.body = bytes;
  return json_object_of(as_reply);
}

/// Checks a 200 token response and returns its access token.
std::string expect_token(const http_reply& r, std::string_view scope) {
  SCOPED_TRACE(r.body);
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(r.header("Cache-Control").value_or(""), "no-store");
  auto o = json_object_of(r);
  EXPECT_EQ(string_of(o, "token_type"), "Bearer");
  EXPECT_EQ(string_of(o, "scope"), scope);
  auto* expires = o.if_contains("expires_in");
  EXPECT_TRUE(expires && expires->is_int64() && expires->as_int64() == 3600);
  return string_of(o, "access_token");
}

/// Checks an RFC 6749 error response.
void expect_oauth_error(const http_reply& r, int status, std::string_view error) {
  SCOPED_TRACE(r.body);
  ASSERT_EQ(r.status, status) << r.error;
  EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(r.header("Cache-Control").value_or(""), "no-store");
  auto o = json_object_of(r);
  EXPECT_EQ(string_of(o, "error"), error);
  EXPECT_FALSE(string_of(o, "error_description").empty());
  if (status == 401) {
    EXPECT_EQ(r.header("WWW-Authenticate").value_or(""), R"(Basic realm="payorch")");
  }
}

/// Mode bits of `file` (0 when it cannot be read).
unsigned mode_of(const std::filesystem::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? st.st_mode & 0777 : 0;
}

struct bootstrap_server {
  static process_options options() { return {}; }
};
class oauth_token : public shared_server_test<bootstrap_server> {
 protected:
  static client_credentials admin() { return bootstrap_credentials(server().data_dir()); }
};

// Goal: the bootstrap client gets a token by HTTP Basic and by form fields, with its default
// scopes, and the token names the key published in the JWKS.
TEST_F(oauth_token, bootstrap_client_gets_tokens_both_ways) {
  auto by_basic =
      expect_token(http_exchange(port(), token_request(admin())), "crowdpod:*:admin operator");
  auto c = admin();
  auto by_form = expect_token(
      http_exchange(port(),
                    token_post("grant_type=client_credentials&client_id=" + form_encode(c.id) +
                               "&client_secret=" + form_encode(c.secret))),
      "crowdpod:*:admin operator");
  EXPECT_NE(by_basic, by_form);

  auto header = segment_of(by_basic, 0);
  EXPECT_EQ(string_of(header, "alg"), "ES256");
  auto claims = segment_of(by_basic, 1);
  EXPECT_EQ(string_of(claims, "sub"), c.id);
  EXPECT_EQ(string_of(claims, "iss"), "payorch");
  EXPECT_EQ(string_of(claims, "aud"), "payorch-api");
  EXPECT_EQ(string_of(claims, "scope"), "crowdpod:*:admin operator");
  EXPECT_EQ(string_of(claims, "jti").size(), 32u);
  auto exp = claims.at("exp").as_int64();
  EXPECT_EQ(exp - claims.at("iat").as_int64(), 3600);

  auto jwks = http_get(port(), "/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200) << jwks.body;
  auto keys = json_object_of(jwks).at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u) << jwks.body;
  const auto& key = keys[0].as_object();
  EXPECT_EQ(string_of(key, "kid"), string_of(header, "kid"));
  EXPECT_EQ(string_of(key, "kty"), "EC");
  EXPECT_EQ(string_of(key, "crv"), "P-256");
  EXPECT_EQ(string_of(key, "alg"), "ES256");
  EXPECT_FALSE(key.contains("d")) << "the private key must never be published";
}

// Goal: a narrower scope is granted as asked; one the client may not have is invalid_scope.
TEST_F(oauth_token, scopes_are_granted_within_the_clients_rights) {
  expect_token(http_exchange(port(), token_request(admin(), "crowdpod:pod_0123456789abcdef:read")),
               "crowdpod:pod_0123456789abcdef:read");
  expect_token(http_exchange(port(), token_request(admin(), "operator crowdpod:*:write")),
               "operator crowdpod:*:write");
  for (std::string bad : {"crowdpod:pod_1:read", "payments:read", "crowdpod:*:owner", "*"}) {
    SCOPED_TRACE(bad);
    expect_oauth_error(http_exchange(port(), token_request(admin(), bad)), 400, "invalid_scope");
  }
  // RFC 6749 section 3.1: a parameter without a value is as if omitted (every scope the client
  // has); an empty client_id beside Basic credentials is not a second way of authenticating.
  expect_token(http_exchange(port(), token_post("grant_type=client_credentials&scope=",
                                                {{"Authorization", basic_auth(admin())}})),
               "crowdpod:*:admin operator");
  expect_token(http_exchange(port(), token_post("grant_type=client_credentials&client_id=&scope=",
                                                {{"Authorization", basic_auth(admin())}})),
               "crowdpod:*:admin operator");
  expect_oauth_error(http_exchange(port(), token_post("grant_type=&scope=operator",
                                                      {{"Authorization", basic_auth(admin())}})),
                     400, "invalid_request");
}

// Goal: a wrong secret, an unknown client or no client authentication is 401 invalid_client.
TEST_F(oauth_token, bad_clients_are_refused) {
  auto wrong = admin();
  wrong.secret += "x";
  expect_oauth_error(http_exchange(port(), token_request(wrong)), 401, "invalid_client");
  expect_oauth_error(
      http_exchange(port(), token_request({"admin_0000000000000000", admin().secret})), 401,
      "invalid_client");
  expect_oauth_error(http_exchange(port(), token_post("grant_type=client_credentials")), 401,
                     "invalid_client");
  expect_oauth_error(
      http_exchange(port(), token_post("grant_type=client_credentials&client_id=" + admin().id)),
      401, "invalid_client");
  expect_oauth_error(http_exchange(port(), token_post("grant_type=client_credentials",
                                                      {{"Authorization", "Bearer abc"}})),
                     401, "invalid_client");
  expect_oauth_error(http_exchange(port(), token_post("grant_type=client_credentials",
                                                      {{"Authorization", "Basic !!!"}})),
                     401, "invalid_client");
}

// Goal: malformed token requests are 400 with the RFC 6749 code, and a JSON body is 415.
TEST_F(oauth_token, malformed_requests_are_refused) {
  header_list basic{{"Authorization", basic_auth(admin())}};
  expect_oauth_error(http_exchange(port(), token_post("grant_type=password", basic)), 400,
                     "unsupported_grant_type");
  expect_oauth_error(http_exchange(port(), token_post("", basic)), 400, "invalid_request");
  expect_oauth_error(
      http_exchange(
          port(), token_post("grant_type=client_credentials&grant_type=client_credentials", basic)),
      400, "invalid_request");
  expect_oauth_error(
      http_exchange(port(),
                    token_post("grant_type=client_credentials&client_id=" + admin().id, basic)),
      400, "invalid_request");
  expect_oauth_error(http_exchange(port(), token_post("grant_type=%zz", basic)), 400,
                     "invalid_request");
  auto as_json = json_post("/oauth/token", R"({"grant_type":"client_credentials"})");
  as_json.headers.emplace_back("Authorization", basic_auth(admin()));
  expect_problem(http_exchange(port(), as_json), 415, "unsupported_media_type", "Content-Type");
  // The media type ignores case and parameters, like application/json elsewhere.
  auto with_charset = token_request(admin());
  with_charset.headers[0].second = "Application/X-WWW-Form-Urlencoded; charset=utf-8";
  expect_token(http_exchange(port(), with_charset), "crowdpod:*:admin operator");
}

// Goal: health, readiness, metrics and the JWKS answer without any token.
TEST_F(oauth_token, public_routes_need_no_token) {
  for (std::string target : {"/healthz", "/readyz", "/health/live", "/health/ready", "/metrics",
                             "/.well-known/jwks.json"}) {
    EXPECT_EQ(http_get(port(), target).status, 200) << target;
  }
}

class bootstrap_files : public integration_test {};

// Goal: the first start writes credentials.json and the signing key with mode 0600 and says
// where; a restart reuses both, so credentials and published key stay the same.
TEST_F(bootstrap_files, made_once_with_mode_0600_and_reused) {
  temp_dir data{"payorch-data"};
  process_options on_data;
  on_data.data_dir = data.path();
  auto* first = start(on_data);
  ASSERT_NE(first, nullptr);
  auto credentials_file = data.path() / "credentials.json";
  EXPECT_EQ(mode_of(credentials_file), 0600u);
  EXPECT_EQ(mode_of(data.path() / "jwt_signing_key.pem"), 0600u);
  auto c = bootstrap_credentials(data.path());
  EXPECT_EQ(c.id.rfind("admin_", 0), 0u) << c.id;
  EXPECT_EQ(c.secret.size(), 43u);
  EXPECT_NE(first->log().find(credentials_file.string()), std::string::npos) << first->log();
  EXPECT_NE(first->log().find(c.id), std::string::npos) << first->log();
  EXPECT_NE(read_text(credentials_file).find(R"("scopes":["*"])"), std::string::npos);
  auto jwks = http_get(first->port(), "/.well-known/jwks.json").body;
  ASSERT_EQ(first->stop(), 0);

  auto* second = start(on_data);
  ASSERT_NE(second, nullptr);
  auto again = bootstrap_credentials(data.path());
  EXPECT_EQ(again.id, c.id);
  EXPECT_EQ(again.secret, c.secret);
  EXPECT_EQ(http_get(second->port(), "/.well-known/jwks.json").body, jwks);
  EXPECT_FALSE(admin_token(*second).empty());
  EXPECT_NE(second->log().find("using admin client " + c.id), std::string::npos) << second->log();
  EXPECT_EQ(second->log().find("readable by others"), std::string::npos) << second->log();
  ASSERT_EQ(second->stop(), 0);

  // Either file readable by others is named at start-up (whoever reads the key signs tokens).
  std::filesystem::permissions(data.path() / "jwt_signing_key.pem",
                               std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  auto* third = start(on_data);
  ASSERT_NE(third, nullptr);
  EXPECT_NE(third->log().find("jwt_signing_key.pem is readable by others"), std::string::npos)
      << third->log();
  EXPECT_EQ(third->log().find("credentials.json is readable by others"), std::string::npos)
      << third->log();
  ASSERT_EQ(third->stop(), 0);
}

// Goal: configured clients replace the bootstrap client: no credentials.json, their own
// secrets and scopes only.
TEST_F(bootstrap_files, configured_clients_replace_the_bootstrap_client) {
  process_options o;
  o.config_toml = "[[auth.clients]]\nid = \"reader\"\nsecret_hash = \"" + std::string(reader_hash) +
                  "\"\nscopes = [\"crowdpod:*:read\"]\n" +
                  "[[auth.clients]]\nid = \"raw\"\nsecret_hash = \"" + std::string(raw_hash) +
                  "\"\nscopes = [\"operator\"]\n";
  auto* server = start(o);
  ASSERT_NE(server, nullptr);
  EXPECT_FALSE(std::filesystem::exists(server->data_dir() / "credentials.json"));
  client_credentials reader{"reader", "reader-secret"};
  expect_token(http_exchange(server->port(), token_request(reader)), "crowdpod:*:read");
  // Again, now answered from the remembered check.
  expect_token(
      http_exchange(server->port(), token_request(reader, "crowdpod:pod_0123456789abcdef:read")),
      "crowdpod:pod_0123456789abcdef:read");
  expect_oauth_error(http_exchange(server->port(), token_request({"reader", "reader-secreT"})), 401,
                     "invalid_client");
  expect_oauth_error(http_exchange(server->port(), token_request(reader, "crowdpod:*:write")), 400,
                     "invalid_scope");
  // Basic credentials work form-encoded (RFC 6749) and raw (as curl -u sends them).
  expect_token(http_exchange(server->port(), token_request({"raw", "p+q/r=s"})), "operator");
  expect_token(
      http_exchange(server->port(), token_post("grant_type=client_credentials",
                                               {{"Authorization", "Basic cmF3OnArcS9yPXM="}})),
      "operator");
  ASSERT_EQ(server->stop(), 0);
}

// Goal: with HS256 the JWKS publishes no key, tokens say HS256, and no key file is made.
TEST_F(bootstrap_files, hs256_publishes_no_key) {
  process_options o;
  o.env = {{"PAYORCH_AUTH_ALGORITHM", "HS256"},
           {"PAYORCH_AUTH_HS256_SECRET", "an-hs256-secret-of-at-least-32-bytes"}};
  auto* server = start(o);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(http_get(server->port(), "/.well-known/jwks.json").body, R"({"keys":[]})");
  auto token = admin_token(*server);
  EXPECT_EQ(string_of(segment_of(token, 0), "alg"), "HS256");
  EXPECT_FALSE(std::filesystem::exists(server->data_dir() / "jwt_signing_key.pem"));
  ASSERT_EQ(server->stop(), 0);
}

// Goal: `payorch hash-secret` prints a line that configures a working client, and refuses an
// empty secret; bad auth settings stop start-up with one line naming the key.
TEST_F(bootstrap_files, hash_secret_output_configures_a_client) {
  temp_dir work{"payorch-hash"};
  const std::string cmd = "printf '%s\\n' 'ops secret' | '" + payorch_binary().string() +
                          "' hash-secret --iterations 10000";
  auto hashed = run_payorch("/bin/sh", {"-c", cmd}, {}, work.path());
  ASSERT_EQ(hashed.exit_code, 0) << hashed.err;
  std::string line = hashed.out.substr(0, hashed.out.find('\n'));
  EXPECT_EQ(line.rfind("pbkdf2-sha256$10000$", 0), 0u) << line;
  auto empty =
      run_payorch("/bin/sh", {"-c", "printf '' | '" + payorch_binary().string() + "' hash-secret"},
                  {}, work.path());
  EXPECT_EQ(empty.exit_code, 2) << empty.err;
  auto too_few =
      run_payorch(payorch_binary(), {"hash-secret", "--iterations", "5"}, {}, work.path());
  EXPECT_NE(too_few.exit_code, 0);

  process_options o;
  o.config_toml = "[[auth.clients]]\nid = \"ops\"\nsecret_hash = \"" + line +
                  "\"\nscopes = [\"crowdpod:*:admin\", \"operator\"]\n";
  auto* server = start(o);
  ASSERT_NE(server, nullptr);
  expect_token(http_exchange(server->port(), token_request({"ops", "ops secret"})),
               "crowdpod:*:admin operator");
  ASSERT_EQ(server->stop(), 0);

  auto refused =
      run_payorch(payorch_binary(), {"config"}, {{"PAYORCH_AUTH_ALGORITHM", "HS256"}}, work.path());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.err,
            "config error: auth.hs256_secret: must be set when auth.algorithm is HS256\n");
}

// Goal (enabled once /pods checks tokens): no token or a bad one is 401 with a Bearer
// challenge; a token without the scope is 403.
TEST_F(oauth_token, pod_routes_need_a_token_with_the_scope) {
  auto missing = http_get(port(), "/pods/pod_0123456789abcdef");
  expect_problem(missing, 401, "unauthorized");
  EXPECT_EQ(missing.header("WWW-Authenticate").value_or(""), R"(Bearer realm="payorch")");

  http_request bad;
  bad.target = "/pods/pod_0123456789abcdef";
  bad.headers.emplace_back("Authorization", "Bearer not.a.token");
  auto refused = http_exchange(port(), bad);
  expect_problem(refused, 401, "unauthorized");
  EXPECT_EQ(refused.header("WWW-Authenticate")
                .value_or("")
                .rfind(R"(Bearer realm="payorch", error="invalid_token")", 0),
            0u);

  http_request other_pod;
  other_pod.target = "/pods/pod_0123456789abcdef";
  other_pod.headers.emplace_back(
      "Authorization", bearer(admin_token(server(), "crowdpod:pod_fedcba9876543210:admin")));
  expect_problem(http_exchange(port(), other_pod), 403, "forbidden");

  auto create = json_post("/pods", std::string(summer_trip_body));
  create.headers.emplace_back("Authorization", bearer(admin_token(server(), "crowdpod:*:read")));
  create.headers.emplace_back("Idempotency-Key", "auth-test-1");
  expect_problem(http_exchange(port(), create), 403, "forbidden");
}

}  // namespace
}  // namespace payorch::testing
