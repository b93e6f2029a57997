#pragma once
/// What handlers call to protect a route: who the bearer token names, and what it may do.
///
/// Scopes are `crowdpod:{pod_id}:{read|write|admin}` (`*` for every pod), with admin covering
/// write and write covering read, plus `operator`. A missing or bad token is answered 401 with
/// `WWW-Authenticate: Bearer ...`; a good token without the scope 403. Problem codes:
/// `unauthorized` and `forbidden`; the detail says what was wrong or which scope was needed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/exchange.hpp"

namespace payorch::gateway {

struct api_context;

/// The levels of a pod scope, weakest first; each covers the ones before it.
enum class permission : std::uint8_t { read, write, admin };

/// "read", "write" or "admin".
std::string_view to_string(permission p) noexcept;

/// Whom a verified token speaks for, and what it was granted.
struct principal {
  std::string subject;              ///< the client id (token sub)
  std::vector<std::string> scopes;  ///< as granted, e.g. {"crowdpod:*:read", "operator"}

  /// True when a scope for `pod_id`, or for every pod, grants `p` or more. `pod_id` "*" asks
  /// for the every-pod scope itself.
  bool allows(std::string_view pod_id, permission p) const;
  /// True when `crowdpod:*:<p or stronger>` is granted.
  bool allows_every_pod(permission p) const;
  /// True when the `operator` scope is granted.
  bool is_operator() const;
  /// The pod ids named explicitly by scopes granting `p` or more, sorted, without duplicates.
  std::vector<std::string> pods_with(permission p) const;

  bool operator==(const principal&) const = default;
};

/// Authenticates the bearer token and checks `needed` for `pod_id` ("*" = needs the wildcard
/// scope); on failure replies 401 (with WWW-Authenticate) or 403 on `ex` itself and returns
/// nullopt.
std::optional<principal> authorize(const api_context& ctx, const exchange_ptr& ex,
                                   std::string_view pod_id, permission needed);

/// Authenticates the bearer token and checks the `operator` scope (401 or 403 on `ex`).
std::optional<principal> authorize_operator(const api_context& ctx, const exchange_ptr& ex);

/// Authenticates only (401 on failure), for list routes that filter by what the token may see.
std::optional<principal> authenticate(const api_context& ctx, const exchange_ptr& ex);

}  // namespace payorch::gateway
