#pragma once
/// Tokens for tests that drive a real payorch: the bootstrap admin client's credentials (from
/// the server's `credentials.json`) and `POST /oauth/token` requests made with them.
///
/// Failures throw std::runtime_error with the server's answer, which GoogleTest reports as a
/// test failure; the support library does not link GoogleTest itself.

#include <filesystem>
#include <string>

#include "tests/support/http_client.hpp"
#include "tests/support/payorch_process.hpp"

namespace payorch::testing {

/// A client id and secret.
struct client_credentials {
  std::string id;
  std::string secret;
};

/// The bootstrap client of the data dir `data_dir` (`credentials.json`); throws if unreadable.
client_credentials bootstrap_credentials(const std::filesystem::path& data_dir);

/// `Basic base64(form(id):form(secret))`, as RFC 6749 2.3.1 spells client authentication.
std::string basic_auth(const client_credentials& client);

/// A client credentials token request authenticated by HTTP Basic; `scope` is sent unless empty.
http_request token_request(const client_credentials& client, const std::string& scope = "");

/// The access token `p`'s bootstrap admin client gets for `scope` (empty: its default scopes,
/// `crowdpod:*:admin operator`); throws unless the answer is 200 with a token.
std::string admin_token(const payorch_process& p, std::string scope = "");

/// `Bearer <token>`, the Authorization header value.
std::string bearer(const std::string& token);

/// `x-www-form-urlencoded` encoding of one name or value (unreserved characters kept).
std::string form_encode(std::string_view text);

}  // namespace payorch::testing
