#include "gateway/client_registry.hpp"

#include <charconv>

#include "config/settings.hpp"
#include "gateway/crypto.hpp"
#include "gateway/encoding.hpp"
#include "gateway/json_input.hpp"
#include "gateway/json_output.hpp"
#include "gateway/scopes.hpp"

namespace payorch::gateway {
namespace {

constexpr std::string_view hash_prefix = "pbkdf2-sha256$";

/// Random bytes in the bootstrap client's id and secret.
constexpr std::size_t bootstrap_id_bytes = 8;
constexpr std::size_t bootstrap_secret_bytes = 32;

std::string credentials_json(const bootstrap_credentials& c) {
  json_writer w;
  w.begin_object().field("client_id", c.client_id).field("client_secret", c.client_secret);
  w.key("scopes").begin_array();
  for (const auto& s : c.scopes) w.string(s);
  w.end_array().end_object();
  return w.take() + "\n";
}

std::variant<bootstrap_credentials, std::string> parse_credentials(std::string_view text) {
  auto parsed = parse_json(text);
  if (!parsed.value || !parsed.value->is_object()) return std::string("not a JSON object");
  const json_node& o = *parsed.value;
  const json_node* id = o.find("client_id");
  const json_node* secret = o.find("client_secret");
  const json_node* scopes = o.find("scopes");
  if (!id || !id->is_string() || id->as_string().empty())
    return std::string("client_id must be a non-empty string");
  if (!secret || !secret->is_string() || secret->as_string().empty())
    return std::string("client_secret must be a non-empty string");
  if (!scopes || !scopes->is_array() || scopes->items().empty())
    return std::string("scopes must be a non-empty array of scopes");
  bootstrap_credentials c{std::string(id->as_string()), std::string(secret->as_string()), {}};
  for (const auto& s : scopes->items()) {
    if (!s.is_string() || !parse_scope(s.as_string(), true))
      return std::string("scopes must hold *, operator or crowdpod:{pod_id|*}:{read|write|admin}");
    c.scopes.emplace_back(s.as_string());
  }
  return c;
}

}  // namespace

bool secret_check::matches(std::string_view secret) const {
  if (method == kind::sha256) return equal_constant_time(sha256(secret), digest);
  auto derived = pbkdf2_sha256(secret, salt, iterations);
  return derived && equal_constant_time(*derived, digest);
}

std::optional<secret_check> parse_secret_hash(std::string_view line) {
  if (!line.starts_with(hash_prefix)) return std::nullopt;
  auto rest = line.substr(hash_prefix.size());
  auto first = rest.find('$');
  auto second = first == std::string_view::npos ? first : rest.find('$', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  secret_check check;
  auto count = rest.substr(0, first);
  auto [stop, ec] = std::from_chars(count.data(), count.data() + count.size(), check.iterations);
  if (ec != std::errc{} || stop != count.data() + count.size() || check.iterations < 1)
    return std::nullopt;
  auto salt = base64_decode(rest.substr(first + 1, second - first - 1));
  auto digest = base64_decode(rest.substr(second + 1));
  if (!salt || salt->empty() || !digest || digest->size() != 32) return std::nullopt;
  check.salt = std::move(*salt);
  check.digest = std::move(*digest);
  return check;
}

std::optional<std::string> hash_secret(std::string_view secret, std::int64_t iterations) {
  auto salt = random_bytes(config::limits::pbkdf2_salt_bytes);
  if (!salt) return std::nullopt;
  auto digest = pbkdf2_sha256(secret, *salt, iterations);
  if (!digest) return std::nullopt;
  return std::string(hash_prefix) + std::to_string(iterations) + "$" + base64_encode(*salt) + "$" +
         base64_encode(*digest);
}

client_registry::client_registry(std::vector<registered_client> clients)
    : clients_(std::move(clients)) {}

const registered_client* client_registry::find(std::string_view id) const {
  for (const auto& c : clients_) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

bool client_registry::passed_before(const registered_client& client,
                                    std::string_view secret) const {
  auto digest = sha256(secret);  // outside the lock
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = passed_.find(client.id);
  return it != passed_.end() && equal_constant_time(it->second, digest);
}

void client_registry::remember_passed(const registered_client& client, std::string_view secret) {
  auto digest = sha256(secret);
  std::lock_guard<std::mutex> guard{mutex_};
  // One entry per client, so the map is bounded by the number of configured clients.
  passed_[client.id] = std::move(digest);
}

std::variant<std::vector<registered_client>, std::string> configured_clients(
    const config::settings& s) {
  std::vector<registered_client> out;
  for (const auto& c : s.auth_clients) {
    auto check = parse_secret_hash(c.secret_hash);
    if (!check) return "auth.clients: client " + c.id + ": secret_hash cannot be decoded";
    out.push_back({c.id, c.scopes, std::move(*check)});
  }
  return out;
}

std::variant<bootstrap_credentials, std::string> load_or_create_bootstrap(
    const std::filesystem::path& file, bool* created) {
  std::optional<bootstrap_credentials> made;
  std::string error;
  auto text = read_or_create_private_file(
      file,
      [&made](std::string* why) -> std::optional<std::string> {
        auto id_bits = random_bytes(bootstrap_id_bytes);
        auto secret_bits = random_bytes(bootstrap_secret_bytes);
        if (!id_bits || !secret_bits) {
          *why = "no randomness for the bootstrap client";
          return std::nullopt;
        }
        made = bootstrap_credentials{
            "admin_" + hex_encode(*id_bits), base64url_encode(*secret_bits), {"*"}};
        return credentials_json(*made);
      },
      created, &error);
  if (!text) return error;
  if (*created) return std::move(*made);
  auto parsed = parse_credentials(*text);
  if (auto* why = std::get_if<std::string>(&parsed)) return file.string() + ": " + *why;
  return parsed;
}

registered_client bootstrap_client(const bootstrap_credentials& credentials) {
  secret_check check;
  check.method = secret_check::kind::sha256;
  check.digest = sha256(credentials.client_secret);
  return {credentials.client_id, credentials.scopes, std::move(check)};
}

}  // namespace payorch::gateway
