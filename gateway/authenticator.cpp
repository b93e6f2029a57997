#include "gateway/authenticator.hpp"

#include <algorithm>
#include <filesystem>

#include "config/settings.hpp"
#include "gateway/crypto.hpp"
#include "gateway/encoding.hpp"
#include "gateway/scopes.hpp"
#include "gateway/worker_thread.hpp"

namespace payorch::gateway {
namespace {

namespace fs = std::filesystem;
namespace limits = config::limits;

/// The file of the ES256 key inside the data directory.
constexpr std::string_view signing_key_file_name = "jwt_signing_key.pem";
/// Random bytes in a token's jti.
constexpr std::size_t token_id_bytes = 16;

/// True when someone other than the owner may read `file`.
bool readable_by_others(const fs::path& file) {
  std::error_code ec;
  auto perms = fs::status(file, ec).permissions();
  return !ec && (perms & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none;
}

std::unique_ptr<signing_key> signing_key_of(const config::settings& s,
                                            std::vector<std::string>* notices, std::string* error) {
  if (s.auth_algorithm == "HS256") return signing_key::hs256(s.auth_hs256_secret);
  bool created = false;
  auto file = s.data_dir / signing_key_file_name;
  auto key = signing_key::load_or_create_es256(file, &created, error);
  if (key && created)
    notices->push_back("made a new ES256 signing key in " + file.string() + " (kid " + key->kid() +
                       ")");
  // Whoever reads the key can sign tokens with any scope.
  if (key && readable_by_others(file))
    notices->push_back("warning: " + file.string() + " is readable by others; chmod 600 it");
  return key;
}

/// The bootstrap client from `credentials.json`, made on first start.
std::optional<registered_client> bootstrap_of(const config::settings& s,
                                              std::vector<std::string>* notices,
                                              std::string* error) {
  auto file = s.data_dir / credentials_file_name;
  bool created = false;
  auto loaded = load_or_create_bootstrap(file, &created);
  if (auto* why = std::get_if<std::string>(&loaded)) {
    *error = *why;
    return std::nullopt;
  }
  const auto& credentials = std::get<bootstrap_credentials>(loaded);
  if (created) {
    notices->push_back("no API client is configured: made admin client " + credentials.client_id +
                       "; its id and secret are in " + file.string() + " (mode 0600)");
  } else {
    notices->push_back("no API client is configured: using admin client " + credentials.client_id +
                       " from " + file.string());
  }
  if (readable_by_others(file))
    notices->push_back("warning: " + file.string() + " is readable by others; chmod 600 it");
  return bootstrap_client(credentials);
}

bool has_slow_secret(const std::vector<registered_client>& clients) {
  return std::any_of(clients.begin(), clients.end(),
                     [](const registered_client& c) { return c.secret.slow(); });
}

}  // namespace

auth_options auth_options::from(const config::settings& s) {
  return {s.auth_issuer, s.auth_audience, s.auth_token_ttl_s, s.auth_leeway_s};
}

authenticator::authenticator(auth_options options, std::unique_ptr<signing_key> key,
                             std::vector<registered_client> clients)
    : options_(std::move(options)),
      key_(std::move(key)),
      clients_(std::move(clients)),
      cache_(limits::verified_token_cache_entries) {
  if (has_slow_secret(clients_.all()))
    worker_ = std::make_unique<worker_thread>(limits::max_pending_secret_checks);
}

authenticator::~authenticator() = default;

std::unique_ptr<authenticator> authenticator::start(const config::settings& s,
                                                    std::vector<std::string>* notices,
                                                    std::string* error) {
  std::error_code ec;
  fs::create_directories(s.data_dir, ec);
  if (ec) {
    *error = "cannot create the data directory " + s.data_dir.string() + ": " + ec.message();
    return nullptr;
  }
  auto key = signing_key_of(s, notices, error);
  if (!key) return nullptr;
  std::vector<registered_client> clients;
  if (!s.auth_clients.empty()) {
    auto configured = configured_clients(s);
    if (auto* why = std::get_if<std::string>(&configured)) {
      *error = *why;
      return nullptr;
    }
    clients = std::move(std::get<std::vector<registered_client>>(configured));
    if (fs::exists(s.data_dir / credentials_file_name, ec))
      notices->push_back("auth.clients is configured, so the bootstrap client in " +
                         (s.data_dir / credentials_file_name).string() + " is not accepted");
  } else {
    auto bootstrap = bootstrap_of(s, notices, error);
    if (!bootstrap) return nullptr;
    clients.push_back(std::move(*bootstrap));
  }
  return std::make_unique<authenticator>(auth_options::from(s), std::move(key), std::move(clients));
}

std::variant<principal, std::string> authenticator::verify(std::string_view token,
                                                           std::int64_t now_ms) {
  const std::int64_t now_s = now_ms / 1000;
  if (token.size() > limits::max_bearer_token_bytes) return std::string("the token is too long");
  if (auto hit = cache_.find(token, now_s)) return *hit;
  auto decoded =
      decode_jwt(*key_, token, {options_.issuer, options_.audience, options_.leeway_s}, now_s);
  if (auto* e = std::get_if<jwt_error>(&decoded)) return std::string(describe(*e));
  const auto& claims = std::get<jwt_claims>(decoded);
  auto who = std::make_shared<principal>();
  who->subject = claims.subject;
  // An empty or oddly spaced scope claim grants nothing rather than failing the token.
  who->scopes = split_scope(claims.scope).value_or(std::vector<std::string>{});
  cache_.insert(token, who, claims.expires_at + options_.leeway_s, now_s);
  return *who;
}

std::optional<std::vector<std::string>> authenticator::grant(
    const registered_client& client, const std::optional<std::string>& scope) const {
  if (!scope) return default_grant(client.scopes);
  auto requested = split_scope(*scope);
  if (!requested) return std::nullopt;
  std::vector<std::string> granted;
  for (const auto& token : *requested) {
    if (!any_covers(client.scopes, token)) return std::nullopt;
    if (std::find(granted.begin(), granted.end(), token) == granted.end()) granted.push_back(token);
  }
  return granted;
}

std::optional<issued_token> authenticator::issue(const registered_client& client,
                                                 const std::vector<std::string>& scopes,
                                                 std::int64_t now_ms) const {
  auto id = random_bytes(token_id_bytes);
  if (!id) return std::nullopt;
  const std::int64_t now_s = now_ms / 1000;
  jwt_claims claims;
  claims.issuer = options_.issuer;
  claims.audience = options_.audience;
  claims.subject = client.id;
  claims.token_id = hex_encode(*id);
  claims.scope = join_scope(scopes);
  claims.issued_at = now_s;
  claims.not_before = now_s;
  claims.expires_at = now_s + options_.token_ttl_s;
  auto token = encode_jwt(*key_, claims);
  if (!token) return std::nullopt;
  return issued_token{std::move(*token), options_.token_ttl_s, std::move(claims.scope)};
}

void authenticator::shutdown() {
  worker_.reset();
}

bool authenticator::check_secret(const registered_client& client, std::string secret,
                                 std::function<void(bool)> done) {
  if (!client.secret.slow() || !worker_) {
    done(client.secret.matches(secret));
    return true;
  }
  if (clients_.passed_before(client, secret)) {
    done(true);
    return true;
  }
  {
    std::lock_guard lock(checking_mutex_);
    if (!checking_.insert(&client).second) return false;
  }
  auto finished = [this, &client] {
    std::lock_guard lock(checking_mutex_);
    checking_.erase(&client);
  };
  const bool queued =
      worker_->post([this, &client, secret = std::move(secret), done = std::move(done), finished] {
        bool matched = client.secret.matches(secret);
        if (matched) clients_.remember_passed(client, secret);
        finished();
        done(matched);
      });
  if (!queued) finished();
  return queued;
}

}  // namespace payorch::gateway
