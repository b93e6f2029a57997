#pragma once
/// The API clients that may ask for tokens, how their secrets are checked, and the bootstrap
/// admin client of a first start.
///
/// Secrets are never kept in the clear: configured clients carry a PBKDF2-HMAC-SHA256 hash
/// (slow on purpose, about a quarter second at the default cost), the bootstrap client the
/// SHA-256 of its random 256-bit secret (which needs no stretching). A secret that passed a
/// slow check is remembered (as its SHA-256) so the client's next token request is cheap.

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "config/fwd.hpp"

namespace payorch::gateway {

/// How one client's secret is checked.
struct secret_check {
  enum class kind : std::uint8_t { sha256, pbkdf2_sha256 };
  kind method = kind::pbkdf2_sha256;
  std::int64_t iterations = 0;  ///< pbkdf2 only
  std::string salt;             ///< pbkdf2 only, raw bytes
  std::string digest;           ///< 32 raw bytes

  /// True when checking costs real CPU time (PBKDF2), so it belongs off the Asio threads.
  bool slow() const { return method == kind::pbkdf2_sha256; }
  /// True when `secret` is the client's secret; constant time in the digest comparison.
  bool matches(std::string_view secret) const;
};

/// `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>` parsed, or nullopt.
std::optional<secret_check> parse_secret_hash(std::string_view line);

/// The hash line of `secret` with a fresh random salt; nullopt if randomness or OpenSSL fails.
std::optional<std::string> hash_secret(std::string_view secret, std::int64_t iterations);

/// One client that may ask for tokens.
struct registered_client {
  std::string id;
  std::vector<std::string> scopes;  ///< what it may request; `*` means anything
  secret_check secret;
};

/// The clients, looked up by id. Immutable apart from the cache of passed slow checks, which
/// takes a mutex, so any thread may use it.
class client_registry {
 public:
  explicit client_registry(std::vector<registered_client> clients);

  /// The client with this id, or null.
  const registered_client* find(std::string_view id) const;

  /// True when `secret` passed a slow check for `client` before (so it needs none now).
  bool passed_before(const registered_client& client, std::string_view secret) const;
  /// Remembers that `secret` passed the slow check for `client`.
  void remember_passed(const registered_client& client, std::string_view secret);

  const std::vector<registered_client>& all() const { return clients_; }

 private:
  std::vector<registered_client> clients_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> passed_;  ///< client id -> SHA-256 of its secret
};

/// The configured clients (`auth.clients`); the string alternative names the one whose hash
/// line cannot be used.
std::variant<std::vector<registered_client>, std::string> configured_clients(
    const config::settings& s);

/// The bootstrap client as written to `DATA_DIR/credentials.json`.
struct bootstrap_credentials {
  std::string client_id;
  std::string client_secret;
  std::vector<std::string> scopes;
};

/// The file name of the bootstrap credentials inside the data directory.
inline constexpr std::string_view credentials_file_name = "credentials.json";

/// Reads `file`, or makes a new admin client (`admin_<16 hex>`, a random 32-byte secret in
/// base64url, scopes `["*"]`) and writes it there with mode 0600; `created` says which.
/// The string alternative is the error.
std::variant<bootstrap_credentials, std::string> load_or_create_bootstrap(
    const std::filesystem::path& file, bool* created);

/// The bootstrap client as a registered client.
registered_client bootstrap_client(const bootstrap_credentials& credentials);

}  // namespace payorch::gateway
