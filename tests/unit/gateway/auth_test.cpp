#include "gateway/auth.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <future>

#include "gateway/api.hpp"
#include "gateway/authenticator.hpp"
#include "gateway/client_registry.hpp"
#include "gateway/crypto.hpp"
#include "gateway/encoding.hpp"
#include "gateway/scopes.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::gateway {
namespace {

constexpr std::string_view pod_a = "pod_0123456789abcdef";
constexpr std::string_view pod_b = "pod_fedcba9876543210";
constexpr std::int64_t now_ms = 1'800'000'000'000;
const std::string secret32 = "0123456789abcdef0123456789abcdef";

/// PBKDF2 at the configuration floor keeps each check to a few milliseconds.
constexpr std::int64_t test_iterations = 10'000;

std::string pod_scope(std::string_view pod, std::string_view level) {
  return "crowdpod:" + std::string(pod) + ":" + std::string(level);
}

registered_client sha_client(std::string id, std::vector<std::string> scopes,
                             std::string_view secret = "s3cret") {
  secret_check check;
  check.method = secret_check::kind::sha256;
  check.digest = sha256(secret);
  return {std::move(id), std::move(scopes), std::move(check)};
}

registered_client pbkdf2_client(std::string id, std::string_view secret) {
  return {std::move(id),
          {"crowdpod:*:read"},
          *parse_secret_hash(*hash_secret(secret, test_iterations))};
}

std::unique_ptr<authenticator> make_auth(std::vector<registered_client> clients = {}) {
  return std::make_unique<authenticator>(auth_options{}, signing_key::hs256(secret32),
                                         std::move(clients));
}

// Goal: admin covers write covers read, for one pod and for every pod, never the other way.
TEST(scopes, levels_and_wildcards_cover_as_documented) {
  auto a = [](std::string_view level) { return pod_scope(pod_a, level); };
  auto all = [](std::string_view level) { return pod_scope("*", level); };
  EXPECT_TRUE(covers(a("admin"), a("write")));
  EXPECT_TRUE(covers(a("admin"), a("read")));
  EXPECT_TRUE(covers(a("write"), a("read")));
  EXPECT_TRUE(covers(a("read"), a("read")));
  EXPECT_FALSE(covers(a("read"), a("write")));
  EXPECT_FALSE(covers(a("write"), a("admin")));
  EXPECT_TRUE(covers(all("admin"), a("read")));
  EXPECT_TRUE(covers(all("write"), all("write")));
  EXPECT_TRUE(covers(all("write"), a("read")));
  EXPECT_FALSE(covers(all("read"), a("write")));
  EXPECT_FALSE(covers(a("admin"), all("read")));
  EXPECT_FALSE(covers(a("admin"), pod_scope(pod_b, "read")));
  EXPECT_TRUE(covers("operator", "operator"));
  EXPECT_FALSE(covers(all("admin"), "operator"));
  EXPECT_FALSE(covers("operator", a("read")));
  EXPECT_TRUE(covers("*", "operator"));
  EXPECT_TRUE(covers("*", a("admin")));
  EXPECT_FALSE(covers("*", "*"));  // `*` may be held, never requested
  EXPECT_FALSE(covers("*", "crowdpod:pod_bad:read"));
}

// Goal: only the documented scope shapes parse; pod ids must be real pod ids.
TEST(scopes, parse_accepts_only_the_grammar) {
  EXPECT_TRUE(parse_scope("crowdpod:*:read"));
  EXPECT_TRUE(parse_scope(pod_scope(pod_a, "admin")));
  EXPECT_TRUE(parse_scope("operator"));
  EXPECT_FALSE(parse_scope("*"));
  EXPECT_TRUE(parse_scope("*", true));
  for (std::string_view bad :
       {"", "crowdpod", "crowdpod:*", "crowdpod:*:", "crowdpod:*:owner", "crowdpod:pod_1:read",
        "CROWDPOD:*:read", "crowdpod:*:read ", "operators", "crowdpod:*:read:x"}) {
    EXPECT_FALSE(parse_scope(bad, true)) << bad;
  }
  const std::string text = pod_scope(pod_a, "write");  // the parsed pod id points into it
  auto parsed = parse_scope(text);
  EXPECT_EQ(parsed->pod, pod_a);
  EXPECT_EQ(parsed->level, permission::write);
}

// Goal: scope strings split on single spaces only (RFC 6749 3.3) and join back.
TEST(scopes, split_and_join) {
  EXPECT_EQ(*split_scope("a b c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(*split_scope("operator"), std::vector<std::string>{"operator"});
  for (std::string_view bad : {"", " ", "a  b", " a", "a "}) EXPECT_FALSE(split_scope(bad)) << bad;
  EXPECT_EQ(join_scope({"a", "b"}), "a b");
  EXPECT_EQ(default_grant({"*"}), (std::vector<std::string>{"crowdpod:*:admin", "operator"}));
  EXPECT_EQ(default_grant({"operator", "*", "crowdpod:*:read"}),
            (std::vector<std::string>{"operator", "crowdpod:*:admin", "crowdpod:*:read"}));
}

// Goal: a principal allows what its scopes grant, pod by pod and everywhere, and lists its pods.
TEST(principal, answers_from_its_scopes) {
  principal p{"c1",
              {pod_scope(pod_a, "write"), pod_scope(pod_b, "read"), "crowdpod:*:read",
               pod_scope(pod_a, "read"), "junk"}};
  EXPECT_TRUE(p.allows(pod_a, permission::write));
  EXPECT_FALSE(p.allows(pod_a, permission::admin));
  EXPECT_TRUE(p.allows(pod_b, permission::read));
  EXPECT_FALSE(p.allows(pod_b, permission::write));
  EXPECT_TRUE(p.allows("pod_1111111111111111", permission::read));  // through crowdpod:*:read
  EXPECT_TRUE(p.allows_every_pod(permission::read));
  EXPECT_FALSE(p.allows_every_pod(permission::write));
  EXPECT_TRUE(p.allows("*", permission::read));
  EXPECT_FALSE(p.allows("*", permission::write));
  EXPECT_FALSE(p.is_operator());
  EXPECT_EQ(p.pods_with(permission::read),
            (std::vector<std::string>{std::string(pod_a), std::string(pod_b)}));
  EXPECT_EQ(p.pods_with(permission::write), std::vector<std::string>{std::string(pod_a)});
  EXPECT_TRUE(p.pods_with(permission::admin).empty());

  principal admin{"ops", {"crowdpod:*:admin", "operator"}};
  EXPECT_TRUE(admin.allows(pod_b, permission::admin));
  EXPECT_TRUE(admin.allows_every_pod(permission::write));
  EXPECT_TRUE(admin.is_operator());
  EXPECT_TRUE(admin.pods_with(permission::read).empty());
  EXPECT_FALSE(principal{}.allows(pod_a, permission::read));
}

// Goal: a client gets its default grant without `scope`, and only covered subsets with it.
TEST(authenticator, grants_only_subsets_of_the_clients_scopes) {
  auto auth = make_auth();
  auto admin = sha_client("ops", {"crowdpod:*:admin"});
  auto reader = sha_client("r", {pod_scope(pod_a, "read"), "operator"});
  auto root = sha_client("root", {"*"});
  EXPECT_EQ(*auth->grant(admin, std::nullopt), std::vector<std::string>{"crowdpod:*:admin"});
  EXPECT_EQ(*auth->grant(root, std::nullopt),
            (std::vector<std::string>{"crowdpod:*:admin", "operator"}));
  EXPECT_EQ(*auth->grant(admin, pod_scope(pod_a, "read")),
            std::vector<std::string>{pod_scope(pod_a, "read")});
  EXPECT_EQ(
      *auth->grant(admin, "crowdpod:*:write " + pod_scope(pod_b, "admin") + " crowdpod:*:write"),
      (std::vector<std::string>{"crowdpod:*:write", pod_scope(pod_b, "admin")}));
  EXPECT_EQ(*auth->grant(root, "operator " + pod_scope(pod_a, "admin")),
            (std::vector<std::string>{"operator", pod_scope(pod_a, "admin")}));
  EXPECT_EQ(*auth->grant(reader, "operator"), std::vector<std::string>{"operator"});
  // Refused: more than allowed, another pod, the wildcard, unknown or malformed tokens.
  EXPECT_FALSE(auth->grant(admin, "operator"));
  EXPECT_FALSE(auth->grant(reader, pod_scope(pod_a, "write")));
  EXPECT_FALSE(auth->grant(reader, pod_scope(pod_b, "read")));
  EXPECT_FALSE(auth->grant(reader, "crowdpod:*:read"));
  EXPECT_FALSE(auth->grant(root, "*"));
  EXPECT_FALSE(auth->grant(root, "payments:write"));
  EXPECT_FALSE(auth->grant(root, ""));
  EXPECT_FALSE(auth->grant(root, "operator  crowdpod:*:read"));
}

// Goal: PBKDF2 hash lines verify the right secret only, and malformed lines are refused.
TEST(client_secrets, pbkdf2_hashes_verify_the_right_secret) {
  auto line = hash_secret("correct horse", test_iterations);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->rfind("pbkdf2-sha256$10000$", 0), 0u) << *line;
  auto check = parse_secret_hash(*line);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->slow());
  EXPECT_EQ(check->salt.size(), 16u);
  EXPECT_TRUE(check->matches("correct horse"));
  EXPECT_FALSE(check->matches("correct horse "));
  EXPECT_FALSE(check->matches(""));
  EXPECT_NE(*hash_secret("correct horse", test_iterations), *line);  // fresh salt each time
  // A known vector: PBKDF2-HMAC-SHA256 of "password" with salt "salt", one iteration.
  auto known =
      parse_secret_hash("pbkdf2-sha256$1$c2FsdA==$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs=");
  ASSERT_TRUE(known);
  EXPECT_TRUE(known->matches("password"));
  for (std::string_view bad :
       {"", "pbkdf2-sha256$", "pbkdf2-sha256$x$c2FsdA==$AAAA",
        "pbkdf2-sha256$10$$"
        "Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs=",
        "pbkdf2-sha256$10$c2FsdA==$AAAA", "pbkdf2-sha1$10$c2FsdA==$AAAA",
        "pbkdf2-sha256$0$c2FsdA==$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="}) {
    EXPECT_FALSE(parse_secret_hash(bad)) << bad;
  }
  auto bootstrap = sha_client("admin_x", {"*"}, "abc").secret;
  EXPECT_FALSE(bootstrap.slow());
  EXPECT_TRUE(bootstrap.matches("abc"));
  EXPECT_FALSE(bootstrap.matches("abd"));
}

/// Waits for a check_secret answer; the bound only keeps a broken worker from hanging the test.
bool answer_of(authenticator& auth, const registered_client& c, std::string secret) {
  std::promise<bool> answer;
  auto future = answer.get_future();
  EXPECT_TRUE(
      auth.check_secret(c, std::move(secret), [&answer](bool ok) { answer.set_value(ok); }));
  EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  return future.get();
}

// Goal: slow secrets are checked on the worker; a passed secret is remembered, a wrong one not.
TEST(authenticator, checks_slow_secrets_off_the_calling_thread) {
  auto client = pbkdf2_client("ops", "right");
  auto auth = make_auth({client});
  const auto& registered = *auth->clients().find("ops");
  EXPECT_FALSE(answer_of(*auth, registered, "wrong"));
  EXPECT_FALSE(auth->clients().passed_before(registered, "wrong"));
  EXPECT_TRUE(answer_of(*auth, registered, "right"));
  EXPECT_TRUE(auth->clients().passed_before(registered, "right"));
  EXPECT_FALSE(auth->clients().passed_before(registered, "Right"));
  // A remembered secret is answered at once, on this thread.
  bool called = false;
  EXPECT_TRUE(auth->check_secret(registered, "right", [&called](bool ok) { called = ok; }));
  EXPECT_TRUE(called);
  EXPECT_EQ(auth->clients().find("nobody"), nullptr);
}

// Goal: one slow check per client waits or runs at a time, so a client whose wrong secrets keep
// coming cannot fill the worker's queue ahead of every other client.
TEST(authenticator, one_slow_check_per_client_at_a_time) {
  auto auth = make_auth({pbkdf2_client("ops", "right"), pbkdf2_client("web", "web-secret")});
  const auto& ops = *auth->clients().find("ops");
  const auto& web = *auth->clients().find("web");
  // Hold the worker inside web's answer, so ops's check stays queued behind it.
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<bool> web_answer, ops_answer;
  ASSERT_TRUE(auth->check_secret(web, "web-secret", [&, released](bool ok) {
    released.wait();
    web_answer.set_value(ok);
  }));
  ASSERT_TRUE(
      auth->check_secret(ops, "wrong", [&ops_answer](bool ok) { ops_answer.set_value(ok); }));
  EXPECT_FALSE(auth->check_secret(ops, "right", [](bool) { ADD_FAILURE() << "not queued"; }));
  release.set_value();
  EXPECT_TRUE(web_answer.get_future().get());
  EXPECT_FALSE(ops_answer.get_future().get());
  // Once its check has answered, the client's next one runs.
  EXPECT_TRUE(answer_of(*auth, ops, "right"));
}

// Goal: an issued token verifies to its client and scopes; then it is served from the cache.
TEST(authenticator, issues_tokens_that_verify) {
  auto auth = make_auth({sha_client("ops", {"*"})});
  const auto& ops = *auth->clients().find("ops");
  auto token = auth->issue(ops, {"crowdpod:*:admin", "operator"}, now_ms);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->expires_in_s, 3600);
  EXPECT_EQ(token->scope, "crowdpod:*:admin operator");
  auto who = auth->verify(token->access_token, now_ms + 1000);
  ASSERT_TRUE(std::holds_alternative<principal>(who)) << std::get<std::string>(who);
  EXPECT_EQ(std::get<principal>(who), (principal{"ops", {"crowdpod:*:admin", "operator"}}));
  EXPECT_EQ(std::get<principal>(auth->verify(token->access_token, now_ms + 2000)).subject, "ops");
  // Cached or not, an expired token is refused (exp + leeway is the last instant).
  auto late = auth->verify(token->access_token, now_ms + (3600 + 30) * 1000);
  ASSERT_TRUE(std::holds_alternative<std::string>(late));
  EXPECT_EQ(std::get<std::string>(late), "the token has expired");
  EXPECT_EQ(std::get<std::string>(auth->verify("x.y.z", now_ms)),
            "the token is not a well-formed JWT");
  EXPECT_EQ(std::get<std::string>(auth->verify(std::string(5000, 'a'), now_ms)),
            "the token is too long");
  // Another key: not ours.
  auto other = std::make_unique<authenticator>(auth_options{}, signing_key::hs256(secret32 + "!"),
                                               std::vector<registered_client>{});
  EXPECT_TRUE(std::holds_alternative<std::string>(other->verify(token->access_token, now_ms)));
  // Two tokens for the same client differ (jti).
  EXPECT_NE(auth->issue(ops, {"operator"}, now_ms)->access_token,
            auth->issue(ops, {"operator"}, now_ms)->access_token);
}

// Goal: the cache is bounded, drops expired entries first, and never serves an expired one.
TEST(token_cache, is_bounded_and_honours_expiry) {
  token_cache cache{2};
  auto who = std::make_shared<const principal>(principal{"c", {}});
  cache.insert("t1", who, 100, 0);
  cache.insert("t2", who, 200, 0);
  EXPECT_NE(cache.find("t1", 99), nullptr);
  EXPECT_EQ(cache.find("t1", 100), nullptr);
  EXPECT_EQ(cache.find("t3", 0), nullptr);
  cache.insert("t3", who, 300, 150);  // full: t1 has expired at 150 and goes
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.find("t2", 150), nullptr);
  EXPECT_NE(cache.find("t3", 150), nullptr);
  cache.insert("t4", who, 400, 150);  // full, nothing expired: everything goes
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(cache.find("t4", 150), nullptr);
  cache.insert("t4", who, 500, 150);  // an existing key is replaced in place
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(cache.find("t4", 450), nullptr);
}

/// A request with an optional Authorization header and the reply it got.
struct captured {
  exchange_ptr ex;
  std::shared_ptr<std::optional<http_response>> reply =
      std::make_shared<std::optional<http_response>>();
};

captured request_with(std::optional<std::string> authorization) {
  http_request req{http::verb::get, "/pods", 11};
  if (authorization) req.set(http::field::authorization, *authorization);
  captured c;
  auto slot = c.reply;
  c.ex = std::make_shared<exchange>(std::move(req), path_params{}, "req_1",
                                    [slot](http_response res) { *slot = std::move(res); });
  return c;
}

// Goal: authorize answers 401 with WWW-Authenticate for missing and bad tokens, 403 without the
// scope, and returns the principal otherwise (with no reply sent).
TEST(authorize, answers_401_403_or_the_principal) {
  auto auth = make_auth({sha_client("c", {"*"})});
  api_context ctx;
  ctx.auth = auth.get();
  ctx.now_ms = [] { return now_ms; };
  auto token =
      auth->issue(*auth->clients().find("c"), {pod_scope(pod_a, "write")}, now_ms)->access_token;

  auto missing = request_with(std::nullopt);
  EXPECT_FALSE(authorize(ctx, missing.ex, pod_a, permission::read));
  ASSERT_TRUE(*missing.reply);
  EXPECT_EQ((*missing.reply)->result(), http::status::unauthorized);
  EXPECT_EQ((*missing.reply)->at(http::field::www_authenticate), R"(Bearer realm="payorch")");
  EXPECT_NE((*missing.reply)->body().find(R"("code":"unauthorized")"), std::string::npos);

  auto basic = request_with("Basic YTpi");
  EXPECT_FALSE(authenticate(ctx, basic.ex));
  EXPECT_EQ((*basic.reply)->result(), http::status::unauthorized);

  auto bad = request_with("Bearer " + token + "x");
  EXPECT_FALSE(authorize(ctx, bad.ex, pod_a, permission::read));
  EXPECT_EQ((*bad.reply)->result(), http::status::unauthorized);
  auto challenge = std::string((*bad.reply)->at(http::field::www_authenticate));
  EXPECT_EQ(
      challenge.rfind(R"(Bearer realm="payorch", error="invalid_token", error_description=")", 0),
      0u)
      << challenge;

  auto weak = request_with("Bearer " + token);
  EXPECT_FALSE(authorize(ctx, weak.ex, pod_a, permission::admin));
  EXPECT_EQ((*weak.reply)->result(), http::status::forbidden);
  EXPECT_NE((*weak.reply)->body().find(R"("code":"forbidden")"), std::string::npos);
  EXPECT_NE((*weak.reply)->body().find(pod_scope(pod_a, "admin")), std::string::npos);
  EXPECT_NE(
      std::string((*weak.reply)->at(http::field::www_authenticate)).find("insufficient_scope"),
      std::string::npos);

  auto other_pod = request_with("Bearer " + token);
  EXPECT_FALSE(authorize(ctx, other_pod.ex, pod_b, permission::read));
  EXPECT_EQ((*other_pod.reply)->result(), http::status::forbidden);
  auto every_pod = request_with("Bearer " + token);
  EXPECT_FALSE(authorize(ctx, every_pod.ex, "*", permission::read));
  EXPECT_EQ((*every_pod.reply)->result(), http::status::forbidden);

  auto good = request_with("bearer  " + token);
  auto who = authorize(ctx, good.ex, pod_a, permission::read);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->subject, "c");
  EXPECT_FALSE(*good.reply);
  auto listed = request_with("Bearer " + token);
  EXPECT_TRUE(authenticate(ctx, listed.ex));
  EXPECT_FALSE(*listed.reply);

  api_context unwired;
  auto refused = request_with("Bearer " + token);
  EXPECT_FALSE(authenticate(unwired, refused.ex));
  EXPECT_EQ((*refused.reply)->result(), http::status::internal_server_error);
}

// Goal: the encoders are strict: one spelling per byte string, malformed input refused.
TEST(encoding, base64_forms_and_form_bodies) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(*base64url_decode("-_8"), "\xfb\xff");
  EXPECT_FALSE(base64url_decode("-_9"));  // unused bits set
  EXPECT_FALSE(base64url_decode("-_8="));
  EXPECT_FALSE(base64url_decode("+/8"));
  EXPECT_FALSE(base64url_decode("a"));
  EXPECT_EQ(*base64url_decode(""), "");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(*base64_decode("YWI="), "ab");
  EXPECT_EQ(*base64_decode("YTpi"), "a:b");
  EXPECT_FALSE(base64_decode("YWI"));
  EXPECT_FALSE(base64_decode("Y=I="));
  EXPECT_FALSE(base64_decode("YW-="));
  auto form = parse_form("grant_type=client_credentials&scope=a+b%3Ac&&flag&x=");
  ASSERT_TRUE(form);
  EXPECT_EQ(
      *form,
      (form_fields{
          {"grant_type", "client_credentials"}, {"scope", "a b:c"}, {"flag", ""}, {"x", ""}}));
  EXPECT_FALSE(parse_form("a=%4"));
  EXPECT_FALSE(parse_form("a=%zz"));
  EXPECT_TRUE(parse_form("")->empty());
}

// Goal: the bootstrap client is made once with mode 0600, then read back unchanged.
TEST(bootstrap, credentials_are_made_once_and_reused) {
  testing::temp_dir dir{"payorch-auth"};
  auto file = dir.file("credentials.json");
  bool created = false;
  auto first = load_or_create_bootstrap(file, &created);
  ASSERT_TRUE(std::holds_alternative<bootstrap_credentials>(first)) << std::get<std::string>(first);
  EXPECT_TRUE(created);
  const auto& c = std::get<bootstrap_credentials>(first);
  EXPECT_EQ(c.client_id.size(), 22u);
  EXPECT_EQ(c.client_id.rfind("admin_", 0), 0u);
  EXPECT_EQ(base64url_decode(c.client_secret)->size(), 32u);
  EXPECT_EQ(c.scopes, std::vector<std::string>{"*"});
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = load_or_create_bootstrap(file, &created);
  ASSERT_TRUE(std::holds_alternative<bootstrap_credentials>(second));
  EXPECT_FALSE(created);
  EXPECT_EQ(std::get<bootstrap_credentials>(second).client_secret, c.client_secret);
  auto client = bootstrap_client(c);
  EXPECT_TRUE(client.secret.matches(c.client_secret));
  EXPECT_FALSE(client.secret.slow());

  std::string error;
  for (std::string bad : {"{}", "[]", R"({"client_id":"a","client_secret":"b","scopes":[]})",
                          R"({"client_id":"a","client_secret":"b","scopes":["everything"]})",
                          R"({"client_id":"","client_secret":"b","scopes":["*"]})"}) {
    write_private_file(file, bad, &error);
    auto r = load_or_create_bootstrap(file, &created);
    ASSERT_TRUE(std::holds_alternative<std::string>(r)) << bad;
    EXPECT_NE(std::get<std::string>(r).find(file.string()), std::string::npos);
  }
}

}  // namespace
}  // namespace payorch::gateway
