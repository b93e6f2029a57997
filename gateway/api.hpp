#pragma once
/// The API's routes: registration of every resource's handlers on one routing table.

#include <caf/actor.hpp>
#include <functional>

#include "gateway/metrics.hpp"
#include "gateway/openapi_api.hpp"
#include "gateway/route_table.hpp"

namespace payorch::actors {
class actor_runtime;
}

namespace payorch::gateway {

class authenticator;

/// What handlers need from the rest of the process.
struct api_context {
  actors::actor_runtime* runtime = nullptr;
  /// The bridge actor that makes the gateway's actor requests (see ask.hpp).
  caf::actor bridge;
  http_metrics* metrics = nullptr;
  /// True while the server accepts work (false while draining for shutdown).
  std::function<bool()> accepting;
  /// Requests read and not yet answered (including the one asking).
  std::function<std::size_t()> in_flight;
  /// Milliseconds since the Unix epoch; tests may pin it.
  std::function<std::int64_t()> now_ms;
  /// Issues and verifies tokens (authenticator.hpp); null refuses every protected request.
  authenticator* auth = nullptr;
};

/// /healthz, /readyz, /health/*, /metrics.
void add_health_routes(route_table& routes, const api_context& ctx);

/// POST /oauth/token and GET /.well-known/jwks.json.
void add_oauth_routes(route_table& routes, const api_context& ctx);

/// /pods and /pods/{pod_id}.
void add_pod_routes(route_table& routes, const api_context& ctx);

/// Every route of the API.
inline void add_all_routes(route_table& routes, const api_context& ctx) {
  add_health_routes(routes, ctx);
  add_oauth_routes(routes, ctx);
  add_openapi_routes(routes, ctx);
  add_pod_routes(routes, ctx);
}

}  // namespace payorch::gateway
