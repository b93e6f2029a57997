#include "gateway/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cctype>

#include "gateway/crypto.hpp"
#include "gateway/encoding.hpp"
#include "gateway/json_input.hpp"
#include "gateway/json_output.hpp"

namespace payorch::gateway {
namespace {

/// Bytes of each of r and s in a P-256 signature, and of each public coordinate.
constexpr std::size_t p256_bytes = 32;

/// Header and payload are tiny flat objects; these bounds refuse anything else cheaply.
constexpr json_limits token_json_limits{
    .max_depth = 2, .max_string_bytes = 2048, .max_members = 32};

/// The latest OpenSSL error as text, for start-up messages.
std::string openssl_error(std::string_view what) {
  char buf[256] = "unknown error";
  if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return std::string(what) + ": " + buf;
}

struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct bio_deleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct ecdsa_sig_deleter {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct bn_deleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;
using bn_ptr = std::unique_ptr<BIGNUM, bn_deleter>;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

/// The DER ECDSA signature `der` as JOSE's fixed-width r || s.
std::optional<std::string> der_to_jose(const unsigned char* der, std::size_t size) {
  const unsigned char* p = der;
  std::unique_ptr<ECDSA_SIG, ecdsa_sig_deleter> sig{
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(size))};
  if (!sig) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * p256_bytes, '\0');
  auto* raw = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, raw, p256_bytes) < 0 || BN_bn2binpad(s, raw + p256_bytes, p256_bytes) < 0)
    return std::nullopt;
  return out;
}

/// JOSE's r || s as DER, which OpenSSL verifies; nullopt when it is not 64 bytes.
std::optional<std::string> jose_to_der(std::string_view jose) {
  if (jose.size() != 2 * p256_bytes) return std::nullopt;
  bn_ptr r{BN_bin2bn(bytes_of(jose), p256_bytes, nullptr)};
  bn_ptr s{BN_bin2bn(bytes_of(jose) + p256_bytes, p256_bytes, nullptr)};
  std::unique_ptr<ECDSA_SIG, ecdsa_sig_deleter> sig{ECDSA_SIG_new()};
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  (void)r.release();  // owned by sig now
  (void)s.release();
  unsigned char* der = nullptr;
  int size = i2d_ECDSA_SIG(sig.get(), &der);
  if (size <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

/// A public coordinate of the EC key as base64url of its 32 big-endian bytes.
std::optional<std::string> coordinate(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return std::nullopt;
  bn_ptr bn{raw};
  std::string bytes(p256_bytes, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()), p256_bytes) < 0)
    return std::nullopt;
  return base64url_encode(bytes);
}

bool is_p256(const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "EC") != 1) return false;
  char group[64] = {};
  std::size_t size = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     &size) != 1)
    return false;
  std::string_view name(group, size);
  return name == "prime256v1" || name == "P-256";
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

/// The parsed object in base64url `segment`, or nullopt.
std::optional<json_node> decode_object(std::string_view segment) {
  auto text = base64url_decode(segment);
  if (!text) return std::nullopt;
  auto parsed = parse_json(*text, token_json_limits);
  if (!parsed.value || !parsed.value->is_object()) return std::nullopt;
  return std::move(parsed.value);
}

/// Checks the header against the key: the algorithm is pinned, never chosen by the token.
std::optional<jwt_error> check_header(const json_node& header, const signing_key& key) {
  const json_node* alg = header.find("alg");
  if (alg == nullptr || !alg->is_string()) return jwt_error::malformed;
  if (alg->as_string() != to_string(key.algorithm())) return jwt_error::wrong_algorithm;
  // An extension we must understand to accept the token: we understand none.
  if (header.find("crit") != nullptr) return jwt_error::malformed;
  if (const json_node* typ = header.find("typ")) {
    if (!typ->is_string() || !equals_ignoring_case(typ->as_string(), "JWT"))
      return jwt_error::malformed;
  }
  if (const json_node* kid = header.find("kid")) {
    if (!kid->is_string()) return jwt_error::malformed;
    if (kid->as_string() != key.kid()) return jwt_error::unknown_key;
  }
  return std::nullopt;
}

/// Reads the string claim `name` into `out`; false when present with another type.
bool read_string(const json_node& payload, std::string_view name, std::string& out, bool& present) {
  const json_node* v = payload.find(name);
  present = v != nullptr;
  if (!v) return true;
  if (!v->is_string()) return false;
  out = std::string(v->as_string());
  return true;
}

/// Reads the integer claim `name` into `out`; false when present and not an int64 integer.
bool read_time(const json_node& payload, std::string_view name, std::int64_t& out, bool& present) {
  const json_node* v = payload.find(name);
  present = v != nullptr;
  if (!v) return true;
  auto value = v->as_int64();
  if (!value) return false;
  out = *value;
  return true;
}

/// `aud` as a string or an array of strings; true when it names `audience`.
std::optional<bool> audience_matches(const json_node& aud, std::string_view audience) {
  if (aud.is_string()) return aud.as_string() == audience;
  if (!aud.is_array()) return std::nullopt;
  bool found = false;
  for (const auto& item : aud.items()) {
    if (!item.is_string()) return std::nullopt;
    found = found || item.as_string() == audience;
  }
  return found;
}

std::variant<jwt_claims, jwt_error> check_payload(const json_node& payload,
                                                  const jwt_expectations& expected,
                                                  std::int64_t now_s) {
  jwt_claims c;
  bool has_iss = false, has_sub = false, has_exp = false, has_other = false;
  if (!read_string(payload, "iss", c.issuer, has_iss) ||
      !read_string(payload, "sub", c.subject, has_sub) ||
      !read_string(payload, "jti", c.token_id, has_other) ||
      !read_string(payload, "scope", c.scope, has_other) ||
      !read_time(payload, "exp", c.expires_at, has_exp) ||
      !read_time(payload, "nbf", c.not_before, has_other) ||
      !read_time(payload, "iat", c.issued_at, has_other))
    return jwt_error::malformed;
  const json_node* aud = payload.find("aud");
  if (!has_iss || !has_sub || !has_exp || aud == nullptr) return jwt_error::missing_claim;
  auto aud_ok = audience_matches(*aud, expected.audience);
  if (!aud_ok) return jwt_error::malformed;
  if (c.issuer != expected.issuer) return jwt_error::wrong_issuer;
  if (!*aud_ok) return jwt_error::wrong_audience;
  c.audience = expected.audience;
  // Valid while now < exp (RFC 7519 4.1.4), widened by the leeway for clock skew.
  if (now_s >= c.expires_at + expected.leeway_s) return jwt_error::expired;
  if (now_s + expected.leeway_s < c.not_before) return jwt_error::not_yet_valid;
  return c;
}

}  // namespace

std::string_view to_string(jwt_algorithm alg) noexcept {
  return alg == jwt_algorithm::es256 ? "ES256" : "HS256";
}

std::unique_ptr<signing_key> signing_key::generate_es256(std::string* error) {
  std::unique_ptr<signing_key> key{new signing_key()};
  key->pkey_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (key->pkey_ == nullptr) {
    *error = openssl_error("cannot generate a P-256 key");
    return nullptr;
  }
  if (!key->describe_public_key(error)) return nullptr;
  return key;
}

std::unique_ptr<signing_key> signing_key::from_pem(std::string_view pem, std::string* error) {
  std::unique_ptr<BIO, bio_deleter> bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  std::unique_ptr<signing_key> key{new signing_key()};
  key->pkey_ = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key->pkey_ == nullptr) {
    *error = openssl_error("not a PEM private key");
    return nullptr;
  }
  if (!is_p256(key->pkey_)) {
    *error = "not a P-256 (ES256) key";
    return nullptr;
  }
  if (!key->describe_public_key(error)) return nullptr;
  return key;
}

std::unique_ptr<signing_key> signing_key::load_or_create_es256(const std::filesystem::path& file,
                                                               bool* created, std::string* error) {
  std::unique_ptr<signing_key> made;
  auto pem = read_or_create_private_file(
      file,
      [&made](std::string* why) -> std::optional<std::string> {
        made = generate_es256(why);
        if (!made) return std::nullopt;
        return made->pem();
      },
      created, error);
  if (!pem) return nullptr;
  if (*created) return made;
  auto key = from_pem(*pem, error);
  if (!key) *error = file.string() + ": " + *error;
  return key;
}

std::unique_ptr<signing_key> signing_key::hs256(std::string secret) {
  std::unique_ptr<signing_key> key{new signing_key()};
  key->algorithm_ = jwt_algorithm::hs256;
  key->secret_ = std::move(secret);
  key->jwks_ = R"({"keys":[]})";
  return key;
}

signing_key::~signing_key() {
  EVP_PKEY_free(pkey_);
  OPENSSL_cleanse(secret_.data(), secret_.size());
}

bool signing_key::describe_public_key(std::string* error) {
  auto x = coordinate(pkey_, OSSL_PKEY_PARAM_EC_PUB_X);
  auto y = coordinate(pkey_, OSSL_PKEY_PARAM_EC_PUB_Y);
  if (!x || !y) {
    *error = openssl_error("cannot read the public key");
    return false;
  }
  // RFC 7638: the required members only, in lexicographic order, no whitespace.
  std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" + *x + R"(","y":")" + *y + R"("})";
  kid_ = base64url_encode(sha256(canonical));
  json_writer w;
  w.begin_object().key("keys").begin_array().begin_object();
  w.field("kty", "EC").field("crv", "P-256").field("x", *x).field("y", *y);
  w.field("kid", kid_).field("alg", "ES256").field("use", "sig");
  w.end_object().end_array().end_object();
  jwks_ = w.take();
  return true;
}

std::string signing_key::pem() const {
  if (pkey_ == nullptr) return {};
  std::unique_ptr<BIO, bio_deleter> bio{BIO_new(BIO_s_mem())};
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), pkey_, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return {};
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::optional<std::string> signing_key::sign(std::string_view input) const {
  if (algorithm_ == jwt_algorithm::hs256) return hmac_sha256(secret_, input);
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  unsigned char der[80];  // a DER P-256 signature is at most 72 bytes
  std::size_t size = sizeof der;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_) != 1 ||
      EVP_DigestSign(ctx.get(), der, &size, bytes_of(input), input.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return der_to_jose(der, size);
}

bool signing_key::verify(std::string_view input, std::string_view signature) const {
  if (algorithm_ == jwt_algorithm::hs256)
    return equal_constant_time(hmac_sha256(secret_, input), signature);
  auto der = jose_to_der(signature);
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  bool ok =
      der && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_) == 1 &&
      EVP_DigestVerify(ctx.get(), bytes_of(*der), der->size(), bytes_of(input), input.size()) == 1;
  ERR_clear_error();  // a bad signature leaves an error on the thread's queue
  return ok;
}

std::optional<std::string> encode_jwt(const signing_key& key, const jwt_claims& claims) {
  json_writer header;
  header.begin_object().field("alg", to_string(key.algorithm())).field("typ", "JWT");
  if (!key.kid().empty()) header.field("kid", key.kid());
  header.end_object();
  json_writer payload;
  payload.begin_object()
      .field("iss", claims.issuer)
      .field("aud", claims.audience)
      .field("sub", claims.subject)
      .field("iat", claims.issued_at)
      .field("nbf", claims.not_before)
      .field("exp", claims.expires_at)
      .field("jti", claims.token_id)
      .field("scope", claims.scope)
      .end_object();
  std::string token = base64url_encode(header.str()) + "." + base64url_encode(payload.str());
  auto signature = key.sign(token);
  if (!signature) return std::nullopt;
  return token + "." + base64url_encode(*signature);
}

std::string_view describe(jwt_error error) noexcept {
  switch (error) {
    case jwt_error::malformed:
      return "the token is not a well-formed JWT";
    case jwt_error::wrong_algorithm:
      return "the token is not signed with the algorithm this server uses";
    case jwt_error::unknown_key:
      return "the token is signed with a key this server does not know";
    case jwt_error::bad_signature:
      return "the token's signature does not verify";
    case jwt_error::expired:
      return "the token has expired";
    case jwt_error::not_yet_valid:
      return "the token is not valid yet";
    case jwt_error::wrong_issuer:
      return "the token was issued by another issuer";
    case jwt_error::wrong_audience:
      return "the token is meant for another audience";
    case jwt_error::missing_claim:
      return "the token lacks a required claim (iss, aud, sub, exp)";
  }
  return "the token is invalid";
}

std::variant<jwt_claims, jwt_error> decode_jwt(const signing_key& key, std::string_view token,
                                               const jwt_expectations& expected,
                                               std::int64_t now_s) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return jwt_error::malformed;
  auto header = decode_object(token.substr(0, first));
  if (!header) return jwt_error::malformed;
  if (auto error = check_header(*header, key)) return *error;
  auto signature = base64url_decode(token.substr(second + 1));
  if (!signature) return jwt_error::malformed;
  // The signature is checked before the payload is even parsed: unsigned input is not read.
  if (!key.verify(token.substr(0, second), *signature)) return jwt_error::bad_signature;
  auto payload = decode_object(token.substr(first + 1, second - first - 1));
  if (!payload) return jwt_error::malformed;
  return check_payload(*payload, expected, now_s);
}

}  // namespace payorch::gateway
