#pragma once
/// Absolute http:// URLs taken apart for the HTTP client, and the escaping the clients need.
///
/// Internal to the adapters library and its tests.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace payorch::adapters {

/// The parts of `http://host[:port][/path][?query]` that a request needs.
struct parsed_url {
  std::string host;  ///< an IPv6 address without its brackets
  std::uint16_t port = 80;
  std::string target = "/";  ///< path and query, never empty

  /// `host:port` (`[::1]:8080` for IPv6): the key of the connection pool.
  std::string pool_key() const;
  /// The Host header: `host` alone on port 80, else `host:port`.
  std::string host_header() const;
};

/// The parts of an absolute http:// URL, or nullopt for anything else: another scheme, user
/// information, an empty host, a port outside 1..65535, spaces or control characters.
std::optional<parsed_url> parse_http_url(std::string_view url);

/// `text` with every byte outside `A-Z a-z 0-9 - . _ ~` written as %XX: one path segment or
/// one query value.
std::string percent_encode(std::string_view text);

/// `base` (an http:// URL, perhaps with a path and a trailing slash) followed by `path`, which
/// starts with '/'.
std::string join_url(std::string_view base, std::string_view path);

}  // namespace payorch::adapters
