#pragma once
/// Tokens for the API: issuing them to clients (`POST /oauth/token`) and verifying them on
/// requests (`authorize` in auth.hpp).
///
/// Built once at start-up by `start` (signing key, clients) and shared by pointer through
/// `api_context`. Every member function may be called from any thread: the key and the
/// clients are immutable, the verified-token cache and the passed-secret cache take their own
/// mutex, and slow secret checks run on the authenticator's worker thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

#include "config/fwd.hpp"
#include "gateway/auth.hpp"
#include "gateway/client_registry.hpp"
#include "gateway/jwt.hpp"
#include "gateway/token_cache.hpp"

namespace payorch::gateway {

class worker_thread;

/// The token rules from the settings.
struct auth_options {
  std::string issuer = "payorch";
  std::string audience = "payorch-api";
  std::int64_t token_ttl_s = 3600;
  std::int64_t leeway_s = 30;

  static auth_options from(const config::settings& s);
};

/// A token `POST /oauth/token` hands out.
struct issued_token {
  std::string access_token;
  std::int64_t expires_in_s = 0;
  std::string scope;  ///< space-separated, as granted
};

class authenticator {
 public:
  authenticator(auth_options options, std::unique_ptr<signing_key> key,
                std::vector<registered_client> clients);
  ~authenticator();
  authenticator(const authenticator&) = delete;
  authenticator& operator=(const authenticator&) = delete;

  /// Everything from the settings: the signing key (ES256: read from or made in
  /// `DATA_DIR/jwt_signing_key.pem`; HS256: the secret) and the clients (configured, or the
  /// bootstrap client of `DATA_DIR/credentials.json`, made on first start). `notices` gets the
  /// lines worth logging (where the credentials are). Nullptr with `error` set on failure.
  static std::unique_ptr<authenticator> start(const config::settings& s,
                                              std::vector<std::string>* notices,
                                              std::string* error);

  /// The principal of a bearer token at `now_ms`, or one sentence saying why it is refused.
  std::variant<principal, std::string> verify(std::string_view token, std::int64_t now_ms);

  /// The scopes `client` gets for the request's `scope` parameter (nullopt: none was sent):
  /// the default grant, or the requested tokens if every one is covered; nullopt otherwise.
  std::optional<std::vector<std::string>> grant(const registered_client& client,
                                                const std::optional<std::string>& scope) const;

  /// A signed token for `client` with `scopes`, issued at `now_ms`; nullopt if signing fails.
  std::optional<issued_token> issue(const registered_client& client,
                                    const std::vector<std::string>& scopes,
                                    std::int64_t now_ms) const;

  /// Checks `secret` for `client` and calls `done(matched)`: at once when the check is cheap or
  /// passed before, otherwise later on the worker thread. False (and `done` is not called) when
  /// too many checks are already waiting, or a slow check of the same client's secret is: one
  /// client's wrong secrets then cannot keep every other client's check from running.
  bool check_secret(const registered_client& client, std::string secret,
                    std::function<void(bool)> done);

  /// Stops the worker thread: waiting secret checks are dropped (their requests are never
  /// answered), a running one finishes first. Call it once the io threads have stopped and
  /// before the io_context that replies are posted to is destroyed; later checks run inline.
  void shutdown();

  const client_registry& clients() const { return clients_; }
  const signing_key& key() const { return *key_; }
  const auth_options& options() const { return options_; }

 private:
  auth_options options_;
  std::unique_ptr<signing_key> key_;
  client_registry clients_;
  token_cache cache_;
  std::mutex checking_mutex_;
  std::unordered_set<const registered_client*> checking_;  ///< a slow check waits or runs
  std::unique_ptr<worker_thread> worker_;  // only when some client has a slow secret; last, so
                                           // its jobs are gone before what they touch
};

}  // namespace payorch::gateway
