#pragma once
/// JSON Web Tokens (RFC 7519) in compact JWS form, signed ES256 or HS256 with OpenSSL.
///
/// Verification pins the algorithm to the key's: the token's own `alg` never chooses how it is
/// checked, so a token claiming `none`, or HS256 against an ES256 key, is simply refused.
/// ES256 signatures are JOSE's raw `r || s` (64 bytes), not DER.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace payorch::gateway {

enum class jwt_algorithm : std::uint8_t { es256, hs256 };

/// "ES256" or "HS256".
std::string_view to_string(jwt_algorithm alg) noexcept;

/// The key tokens are signed and checked with: a P-256 key pair or an HMAC secret.
///
/// Immutable once made, so any thread may sign and verify with it at the same time.
class signing_key {
 public:
  /// A fresh P-256 key pair; nullptr with `error` set if OpenSSL fails.
  static std::unique_ptr<signing_key> generate_es256(std::string* error);

  /// The P-256 private key in PEM `pem` (PKCS#8 or SEC1); nullptr with `error` set otherwise.
  static std::unique_ptr<signing_key> from_pem(std::string_view pem, std::string* error);

  /// Reads the PEM key at `file`, or makes one and writes it there (mode 0600) when there is
  /// none; `created` says which. Nullptr with `error` set on failure.
  static std::unique_ptr<signing_key> load_or_create_es256(const std::filesystem::path& file,
                                                           bool* created, std::string* error);

  /// An HS256 key (config has checked its length).
  static std::unique_ptr<signing_key> hs256(std::string secret);

  ~signing_key();
  signing_key(const signing_key&) = delete;
  signing_key& operator=(const signing_key&) = delete;

  jwt_algorithm algorithm() const { return algorithm_; }

  /// The RFC 7638 JWK thumbprint of the public key (ES256), empty for HS256.
  const std::string& kid() const { return kid_; }

  /// `{"keys":[...]}`: the public key as a JWK, or no key at all for HS256.
  const std::string& jwks() const { return jwks_; }

  /// The private key as PKCS#8 PEM (ES256), empty for HS256.
  std::string pem() const;

  /// The JOSE signature of `input`; nullopt if OpenSSL fails.
  std::optional<std::string> sign(std::string_view input) const;

  /// True when `signature` is this key's JOSE signature of `input`.
  bool verify(std::string_view input, std::string_view signature) const;

 private:
  signing_key() = default;
  bool describe_public_key(std::string* error);

  jwt_algorithm algorithm_ = jwt_algorithm::es256;
  evp_pkey_st* pkey_ = nullptr;  // ES256
  std::string secret_;           // HS256
  std::string kid_;
  std::string jwks_;
};

/// The claims payorch puts in a token and checks on the way back; times in Unix seconds.
struct jwt_claims {
  std::string issuer;           ///< iss
  std::string audience;         ///< aud
  std::string subject;          ///< sub: the client id
  std::string token_id;         ///< jti
  std::string scope;            ///< space-separated scopes
  std::int64_t issued_at = 0;   ///< iat
  std::int64_t not_before = 0;  ///< nbf
  std::int64_t expires_at = 0;  ///< exp

  bool operator==(const jwt_claims&) const = default;
};

/// The compact token `header.payload.signature`; nullopt if signing fails.
std::optional<std::string> encode_jwt(const signing_key& key, const jwt_claims& claims);

/// Why a token was refused.
enum class jwt_error : std::uint8_t {
  malformed,        ///< not three base64url segments of JSON objects with the claims' types
  wrong_algorithm,  ///< header alg is not the configured one (including "none")
  unknown_key,      ///< header kid names another key
  bad_signature,
  expired,        ///< now is past exp plus the leeway
  not_yet_valid,  ///< now is before nbf minus the leeway
  wrong_issuer,
  wrong_audience,
  missing_claim,  ///< sub, exp, iss or aud absent
};

/// One sentence for the client, e.g. "the token has expired".
std::string_view describe(jwt_error error) noexcept;

/// What a token must match besides its signature.
struct jwt_expectations {
  std::string issuer;
  std::string audience;
  std::int64_t leeway_s = 0;
};

/// Checks `token` at `now_s`: shape, algorithm, signature, then iss, aud, exp and nbf.
/// `aud` may be a string or an array holding the audience; `nbf` and `iat` are optional.
std::variant<jwt_claims, jwt_error> decode_jwt(const signing_key& key, std::string_view token,
                                               const jwt_expectations& expected,
                                               std::int64_t now_s);

}  // namespace payorch::gateway
