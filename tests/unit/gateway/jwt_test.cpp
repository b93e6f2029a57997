#include "gateway/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <numeric>
#include <thread>
#include <vector>

#include "gateway/crypto.hpp"
#include "gateway/encoding.hpp"
#include "tests/support/temp_dir.hpp"

namespace payorch::gateway {
namespace {

constexpr std::int64_t now_s = 1'800'000'000;
const std::string hs_secret = "0123456789abcdef0123456789abcdef";
const jwt_expectations expected{"payorch", "payorch-api", 30};

jwt_claims sample_claims() {
  jwt_claims c;
  c.issuer = "payorch";
  c.audience = "payorch-api";
  c.subject = "admin_0011223344556677";
  c.token_id = "00112233445566778899aabbccddeeff";
  c.scope = "crowdpod:*:admin operator";
  c.issued_at = now_s;
  c.not_before = now_s;
  c.expires_at = now_s + 3600;
  return c;
}

std::unique_ptr<signing_key> es256_key() {
  std::string error;
  auto key = signing_key::generate_es256(&error);
  EXPECT_NE(key, nullptr) << error;
  return key;
}

/// A token with exactly these header and payload texts, signed by `key` (or with `signature`).
std::string forge(const signing_key& key, std::string_view header, std::string_view payload,
                  std::optional<std::string> signature = std::nullopt) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  if (!signature) signature = key.sign(input).value_or("");
  return input + "." + base64url_encode(*signature);
}

std::string payload_text(
    std::string_view extra = "",
    std::string_view times = R"("iat":1800000000,"nbf":1800000000,"exp":1800003600)") {
  return std::string(R"({"iss":"payorch","aud":"payorch-api","sub":"c1",)") + std::string(times) +
         std::string(extra) + "}";
}

std::string es_header(const signing_key& key) {
  return R"({"alg":"ES256","typ":"JWT","kid":")" + key.kid() + "\"}";
}

/// The error of a decode that must fail (a test failure if it succeeded).
std::optional<jwt_error> error_of(const signing_key& key, std::string_view token,
                                  std::int64_t at = now_s, const jwt_expectations& e = expected) {
  auto r = decode_jwt(key, token, e, at);
  if (auto* err = std::get_if<jwt_error>(&r)) return *err;
  return std::nullopt;
}

// Goal: an ES256 token decodes back to exactly the claims it was made from.
TEST(jwt, es256_round_trip) {
  auto key = es256_key();
  ASSERT_NE(key, nullptr);
  auto token = encode_jwt(*key, sample_claims());
  ASSERT_TRUE(token);
  auto decoded = decode_jwt(*key, *token, expected, now_s);
  ASSERT_TRUE(std::holds_alternative<jwt_claims>(decoded))
      << describe(std::get<jwt_error>(decoded));
  EXPECT_EQ(std::get<jwt_claims>(decoded), sample_claims());
  // JOSE form: r || s, 64 bytes, not DER.
  auto signature = base64url_decode(token->substr(token->rfind('.') + 1));
  ASSERT_TRUE(signature);
  EXPECT_EQ(signature->size(), 64u);
  auto header = base64url_decode(token->substr(0, token->find('.')));
  EXPECT_EQ(*header, es_header(*key));
}

// Goal: an HS256 token decodes back to its claims, and its header names no key.
TEST(jwt, hs256_round_trip) {
  auto key = signing_key::hs256(hs_secret);
  auto token = encode_jwt(*key, sample_claims());
  ASSERT_TRUE(token);
  auto decoded = decode_jwt(*key, *token, expected, now_s);
  ASSERT_TRUE(std::holds_alternative<jwt_claims>(decoded));
  EXPECT_EQ(std::get<jwt_claims>(decoded), sample_claims());
  EXPECT_EQ(*base64url_decode(token->substr(0, token->find('.'))),
            R"({"alg":"HS256","typ":"JWT"})");
  EXPECT_EQ(key->jwks(), R"({"keys":[]})");
  EXPECT_TRUE(key->kid().empty());
  // Another secret does not verify it.
  EXPECT_EQ(error_of(*signing_key::hs256(hs_secret + "x"), *token), jwt_error::bad_signature);
}

// Goal: the header's alg never chooses the check: none, HS256 against ES256 and the reverse fail.
TEST(jwt, pinned_algorithm_refuses_other_algs) {
  auto key = es256_key();
  auto hs = signing_key::hs256(hs_secret);
  std::string payload = payload_text();
  EXPECT_EQ(error_of(*key, forge(*key, R"({"alg":"none","typ":"JWT"})", payload, "")),
            jwt_error::wrong_algorithm);
  EXPECT_EQ(error_of(*key, forge(*key, R"({"alg":"none"})", payload, "")),
            jwt_error::wrong_algorithm);
  EXPECT_EQ(error_of(*hs, forge(*hs, R"({"alg":"none"})", payload, "")),
            jwt_error::wrong_algorithm);
  // The classic confusion: an HMAC keyed with public material, labelled HS256.
  EXPECT_EQ(error_of(*key, forge(*hs, R"({"alg":"HS256","typ":"JWT"})", payload)),
            jwt_error::wrong_algorithm);
  EXPECT_EQ(error_of(*hs, forge(*key, es_header(*key), payload)), jwt_error::wrong_algorithm);
  EXPECT_EQ(error_of(*key, forge(*key, R"({"alg":"es256"})", payload)), jwt_error::wrong_algorithm);
  EXPECT_EQ(error_of(*key, forge(*key, R"({"typ":"JWT"})", payload)), jwt_error::malformed);
  EXPECT_EQ(error_of(*key, forge(*key, R"({"alg":256})", payload)), jwt_error::malformed);
}

// Goal: a changed payload, a changed signature or another key's signature do not verify.
TEST(jwt, bad_signatures_are_refused) {
  auto key = es256_key();
  auto other = es256_key();
  auto token = *encode_jwt(*key, sample_claims());
  auto dot1 = token.find('.');
  auto dot2 = token.rfind('.');
  // Another payload under the original signature.
  auto changed = sample_claims();
  changed.scope = "crowdpod:*:admin operator crowdpod:*:write";
  auto other_token = *encode_jwt(*key, changed);
  std::string swapped =
      token.substr(0, dot1) +
      other_token.substr(other_token.find('.'), other_token.rfind('.') - other_token.find('.')) +
      token.substr(dot2);
  EXPECT_EQ(error_of(*key, swapped), jwt_error::bad_signature);
  // One character of the signature changed.
  std::string flipped = token;
  flipped[dot2 + 1] = flipped[dot2 + 1] == 'A' ? 'B' : 'A';
  EXPECT_EQ(error_of(*key, flipped), jwt_error::bad_signature);
  // Signed by another key but claiming ours: the kid matches, the signature does not.
  EXPECT_EQ(error_of(*key, forge(*other, es_header(*key), payload_text())),
            jwt_error::bad_signature);
  // Another key's own token names another kid.
  EXPECT_EQ(error_of(*key, *encode_jwt(*other, sample_claims())), jwt_error::unknown_key);
  // A signature of the wrong size, and an empty one.
  EXPECT_EQ(error_of(*key, forge(*key, es_header(*key), payload_text(), std::string(63, 'x'))),
            jwt_error::bad_signature);
  EXPECT_EQ(error_of(*key, forge(*key, es_header(*key), payload_text(), "")),
            jwt_error::bad_signature);
}

// Goal: exp and nbf are enforced with exactly the configured leeway.
TEST(jwt, expiry_and_not_before_honour_the_leeway) {
  auto key = signing_key::hs256(hs_secret);
  auto token = *encode_jwt(*key, sample_claims());
  const std::int64_t exp = now_s + 3600;
  EXPECT_FALSE(error_of(*key, token, exp - 1, {"payorch", "payorch-api", 0}));
  EXPECT_EQ(error_of(*key, token, exp, {"payorch", "payorch-api", 0}), jwt_error::expired);
  EXPECT_FALSE(error_of(*key, token, exp + 29));
  EXPECT_EQ(error_of(*key, token, exp + 30), jwt_error::expired);
  EXPECT_EQ(error_of(*key, token, exp + 100000), jwt_error::expired);
  // nbf in the future: refused beyond the leeway, accepted within it.
  EXPECT_EQ(error_of(*key, token, now_s - 31), jwt_error::not_yet_valid);
  EXPECT_FALSE(error_of(*key, token, now_s - 30));
  EXPECT_EQ(error_of(*key, token, now_s - 1, {"payorch", "payorch-api", 0}),
            jwt_error::not_yet_valid);
  // Without nbf, only exp matters.
  auto no_nbf = forge(*key, R"({"alg":"HS256"})", payload_text("", R"("exp":1800003600)"));
  EXPECT_FALSE(error_of(*key, no_nbf, 0));
}

// Goal: iss and aud must be the configured ones; aud may be an array that holds ours.
TEST(jwt, issuer_and_audience_must_match) {
  auto key = signing_key::hs256(hs_secret);
  auto token = *encode_jwt(*key, sample_claims());
  EXPECT_EQ(error_of(*key, token, now_s, {"other", "payorch-api", 30}), jwt_error::wrong_issuer);
  EXPECT_EQ(error_of(*key, token, now_s, {"payorch", "other-api", 30}), jwt_error::wrong_audience);
  std::string times = R"("exp":1800003600)";
  auto with_aud = [&](std::string_view aud) {
    return forge(*key, R"({"alg":"HS256"})",
                 R"({"iss":"payorch","sub":"c","aud":)" + std::string(aud) + "," + times + "}");
  };
  EXPECT_FALSE(error_of(*key, with_aud(R"(["x","payorch-api"])")));
  EXPECT_EQ(error_of(*key, with_aud(R"(["x","y"])")), jwt_error::wrong_audience);
  EXPECT_EQ(error_of(*key, with_aud(R"([])")), jwt_error::wrong_audience);
  EXPECT_EQ(error_of(*key, with_aud(R"([1])")), jwt_error::malformed);
  EXPECT_EQ(error_of(*key, with_aud("5")), jwt_error::malformed);
}

// Goal: missing required claims and mistyped claims are refused, after the signature.
TEST(jwt, claims_must_be_present_and_typed) {
  auto key = signing_key::hs256(hs_secret);
  std::string_view header = R"({"alg":"HS256"})";
  EXPECT_EQ(
      error_of(*key, forge(*key, header, R"({"iss":"payorch","aud":"payorch-api","sub":"c"})")),
      jwt_error::missing_claim);
  EXPECT_EQ(
      error_of(*key, forge(*key, header, R"({"aud":"payorch-api","sub":"c","exp":1800003600})")),
      jwt_error::missing_claim);
  EXPECT_EQ(error_of(*key, forge(*key, header, R"({"iss":"payorch","sub":"c","exp":1800003600})")),
            jwt_error::missing_claim);
  EXPECT_EQ(error_of(*key, forge(*key, header,
                                 R"({"iss":"payorch","aud":"payorch-api","exp":1800003600})")),
            jwt_error::missing_claim);
  EXPECT_EQ(error_of(*key, forge(*key, header, payload_text("", R"("exp":1800003600.5)"))),
            jwt_error::malformed);
  EXPECT_EQ(error_of(*key, forge(*key, header, payload_text("", R"("exp":"1800003600")"))),
            jwt_error::malformed);
  EXPECT_EQ(error_of(*key, forge(*key, header, payload_text(R"(,"scope":["a"])"))),
            jwt_error::malformed);
  EXPECT_EQ(error_of(*key, forge(*key, header, payload_text(R"(,"sub":"again")"))),
            jwt_error::malformed);
}

// Goal: anything that is not three canonical base64url segments of JSON objects is malformed.
TEST(jwt, malformed_tokens_are_refused) {
  auto key = signing_key::hs256(hs_secret);
  auto token = *encode_jwt(*key, sample_claims());
  auto dot1 = token.find('.');
  for (std::string bad :
       {std::string(), std::string("abc"), std::string("a.b"), token + ".x", token + "=",
        "=" + token, token.substr(0, dot1) + "!" + token.substr(dot1),
        token.substr(0, dot1) + "..x", std::string("..")}) {
    EXPECT_EQ(error_of(*key, bad), jwt_error::malformed) << bad;
  }
  std::string_view payload = R"({"iss":"payorch","aud":"payorch-api","sub":"c","exp":1800003600})";
  EXPECT_EQ(error_of(*key, forge(*key, "not json", payload)), jwt_error::malformed);
  EXPECT_EQ(error_of(*key, forge(*key, R"(["HS256"])", payload)), jwt_error::malformed);
  EXPECT_EQ(error_of(*key, forge(*key, R"({"alg":"HS256","typ":"JOSE+JSON"})", payload)),
            jwt_error::malformed);
  EXPECT_EQ(error_of(*key, forge(*key, R"({"alg":"HS256","crit":["exp"]})", payload)),
            jwt_error::malformed);
  EXPECT_EQ(error_of(*key, forge(*key, R"({"alg":"HS256","alg":"HS256"})", payload)),
            jwt_error::malformed);
  EXPECT_EQ(error_of(*key, forge(*key, R"({"alg":"HS256"})", "[]")), jwt_error::malformed);
  EXPECT_FALSE(error_of(*key, forge(*key, R"({"alg":"HS256","typ":"jwt"})", payload)));
  EXPECT_EQ(error_of(*key, forge(*key, R"({"alg":"HS256","kid":"k1"})", payload)),
            jwt_error::unknown_key);
}

// Goal: the kid is the RFC 7638 thumbprint of the published key, and the JWKS holds that key.
TEST(jwt, kid_is_the_jwk_thumbprint) {
  auto key = es256_key();
  const std::string& jwks = key->jwks();
  auto member = [&jwks](std::string_view name) {
    auto at = jwks.find("\"" + std::string(name) + "\":\"");
    EXPECT_NE(at, std::string::npos) << name;
    at += name.size() + 4;
    return jwks.substr(at, jwks.find('"', at) - at);
  };
  std::string canonical =
      R"({"crv":"P-256","kty":"EC","x":")" + member("x") + R"(","y":")" + member("y") + R"("})";
  EXPECT_EQ(key->kid(), base64url_encode(sha256(canonical)));
  EXPECT_EQ(member("kid"), key->kid());
  EXPECT_EQ(member("alg"), "ES256");
  EXPECT_EQ(member("kty"), "EC");
  EXPECT_EQ(base64url_decode(member("x"))->size(), 32u);
  EXPECT_EQ(key->kid().size(), 43u);
}

// Goal: a key survives PEM and a file; other curves and garbage are refused with a reason.
TEST(jwt, keys_load_from_pem_and_files) {
  auto key = es256_key();
  std::string error;
  auto again = signing_key::from_pem(key->pem(), &error);
  ASSERT_NE(again, nullptr) << error;
  EXPECT_EQ(again->kid(), key->kid());
  auto token = *encode_jwt(*key, sample_claims());
  EXPECT_FALSE(error_of(*again, token));

  EXPECT_EQ(signing_key::from_pem("not a key", &error), nullptr);
  EXPECT_NE(error.find("not a PEM private key"), std::string::npos) << error;
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  ASSERT_NE(p384, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, p384, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string p384_pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(p384);
  EXPECT_EQ(signing_key::from_pem(p384_pem, &error), nullptr);
  EXPECT_EQ(error, "not a P-256 (ES256) key");

  testing::temp_dir dir{"payorch-jwt"};
  auto file = dir.file("jwt_signing_key.pem");
  bool created = false;
  auto made = signing_key::load_or_create_es256(file, &created, &error);
  ASSERT_NE(made, nullptr) << error;
  EXPECT_TRUE(created);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = signing_key::load_or_create_es256(file, &created, &error);
  ASSERT_NE(loaded, nullptr) << error;
  EXPECT_FALSE(created);
  EXPECT_EQ(loaded->kid(), made->kid());
  write_private_file(file, "garbage", &error);
  EXPECT_EQ(signing_key::load_or_create_es256(file, &created, &error), nullptr);
  EXPECT_NE(error.find(file.string()), std::string::npos) << error;
}

// Goal: create_private_file makes a file once (0600, the whole content) and never replaces
// one: a second call is told it exists and the first content stays; no temp file is left.
TEST(private_files, are_made_once_and_never_replaced) {
  testing::temp_dir dir{"payorch-private"};
  auto file = dir.file("otp.key");
  std::string error;
  EXPECT_EQ(create_private_file(file, "first", &error), create_outcome::created) << error;
  EXPECT_EQ(create_private_file(file, "second", &error), create_outcome::exists);
  EXPECT_EQ(read_small_file(file, &error).value_or(""), "first");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);  // no temp file left
  EXPECT_EQ(create_private_file(dir.file("missing/otp.key"), "x", &error), create_outcome::failed);
  EXPECT_NE(error.find("missing"), std::string::npos) << error;

  // A key path that is a link to nothing: looking finds no file, making one finds the name
  // taken; the start fails naming the file rather than trying again for ever.
  const auto dangling = dir.file("jwt_signing_key.pem");
  std::filesystem::create_symlink(dir.file("nowhere.pem"), dangling);
  bool created = true;
  error.clear();
  EXPECT_EQ(signing_key::load_or_create_es256(dangling, &created, &error), nullptr);
  EXPECT_FALSE(created);
  EXPECT_NE(error.find("jwt_signing_key.pem"), std::string::npos) << error;
}

// Goal: several processes starting at once on one data directory (possible with PostgreSQL
// storage) end up with one signing key: the ones that lose the race read the winner's key.
TEST(private_files, racing_first_starts_share_one_signing_key) {
  testing::temp_dir dir{"payorch-jwt-race"};
  auto file = dir.file("jwt_signing_key.pem");
  constexpr int starters = 8;
  std::vector<std::string> kids(starters);
  std::vector<int> made(starters, 0);
  std::atomic<int> waiting{starters};
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < starters; ++i)
      threads.emplace_back([&, i] {
        waiting.fetch_sub(1);
        while (waiting.load() > 0) std::this_thread::yield();  // all look for the file at once
        bool created = false;
        std::string why;
        auto key = signing_key::load_or_create_es256(file, &created, &why);
        kids[static_cast<std::size_t>(i)] = key ? key->kid() : "error: " + why;
        made[static_cast<std::size_t>(i)] = created ? 1 : 0;
      });
  }
  std::string error;
  auto on_disk = signing_key::from_pem(read_small_file(file, &error).value_or(""), &error);
  ASSERT_NE(on_disk, nullptr) << error;
  for (const auto& kid : kids) EXPECT_EQ(kid, on_disk->kid());
  EXPECT_EQ(std::accumulate(made.begin(), made.end(), 0), 1);  // exactly one says it made it
}

}  // namespace
}  // namespace payorch::gateway
