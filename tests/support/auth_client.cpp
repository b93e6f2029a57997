#include "tests/support/auth_client.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <stdexcept>

namespace payorch::testing {
namespace {

std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  auto at = [&bytes](std::size_t k) {
    return k < bytes.size() ? static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])) : 0u;
  };
  for (; i < bytes.size(); i += 3) {
    std::uint32_t n = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? alphabet[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? alphabet[n & 63] : '=');
  }
  return out;
}

/// The string member `key` of a JSON object text; throws naming `what` otherwise.
std::string member_of(const std::string& text, std::string_view key, std::string_view what) {
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  const boost::json::value* found = nullptr;
  if (!ec && value.is_object()) found = value.as_object().if_contains(key);
  if (found == nullptr || !found->is_string())
    throw std::runtime_error(std::string(what) + " has no string " + std::string(key) + ": " +
                             text);
  return std::string(found->as_string());
}

}  // namespace

client_credentials bootstrap_credentials(const std::filesystem::path& data_dir) {
  auto file = data_dir / "credentials.json";
  std::string text = read_text(file);
  if (text.empty()) throw std::runtime_error("cannot read " + file.string());
  return {member_of(text, "client_id", file.string()),
          member_of(text, "client_secret", file.string())};
}

std::string form_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

std::string basic_auth(const client_credentials& client) {
  return "Basic " + base64(form_encode(client.id) + ":" + form_encode(client.secret));
}

http_request token_request(const client_credentials& client, const std::string& scope) {
  http_request req;
  req.method = "POST";
  req.target = "/oauth/token";
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Authorization", basic_auth(client));
  req.body = "grant_type=client_credentials";
  if (!scope.empty()) req.body += "&scope=" + form_encode(scope);
  return req;
}

std::string admin_token(const payorch_process& p, std::string scope) {
  auto reply = http_exchange(p.port(), token_request(bootstrap_credentials(p.data_dir()), scope));
  if (reply.status != 200) {
    throw std::runtime_error("POST /oauth/token answered " + std::to_string(reply.status) + " " +
                             reply.error + reply.body);
  }
  return member_of(reply.body, "access_token", "the token response");
}

std::string bearer(const std::string& token) {
  return "Bearer " + token;
}

}  // namespace payorch::testing
