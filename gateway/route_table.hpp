#pragma once
/// The routing table: method + path pattern (with `{name}` parameters) → handler.
///
/// Built once at start-up, read-only afterwards, so sessions on any thread may match against it.

#include <string>
#include <string_view>
#include <vector>

#include "gateway/exchange.hpp"

namespace payorch::gateway {

struct route {
  http::verb method;
  std::string pattern;  ///< e.g. "/pods/{pod_id}"; also the metrics label
  handler run;
  std::vector<std::string> segments;  ///< the pattern split on '/'
  std::string body_type;              ///< the media type a request body must have
};

struct route_match {
  const route* found = nullptr;  ///< the route for this method and path
  path_params params;
  bool path_known = false;  ///< some route has this path (405 rather than 404)
  std::string allow;        ///< the methods that path accepts, for the Allow header
};

class route_table {
 public:
  /// Registers `run`; a POST, PUT or PATCH body must be of `body_type` (else 415).
  void add(http::verb method, std::string pattern, handler run,
           std::string body_type = "application/json");

  /// Matches a decoded path (no query string); literal segments win over parameters.
  route_match match(http::verb method, std::string_view path) const;

  const std::vector<route>& routes() const { return routes_; }

 private:
  std::vector<route> routes_;
};

/// Splits a request target into its path and query; percent-decodes the path's segments.
/// False when the target is not an origin-form path or its escapes are malformed.
bool split_target(std::string_view target, std::vector<std::string>& segments, std::string& query);

}  // namespace payorch::gateway
