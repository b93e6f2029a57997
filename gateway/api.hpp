#pragma once
/// The API's routes: registration of every resource's handlers on one routing table.

#include <caf/actor.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/metrics.hpp"
#include "gateway/openapi_api.hpp"
#include "gateway/route_table.hpp"

namespace payorch::actors {
class actor_runtime;
}

namespace payorch::gateway {

class authenticator;

/// One provider's circuit breaker as operators see it (the process fills it from the adapters).
struct breaker_view {
  std::string provider;
  std::string state;  ///< "closed", "open" or "half_open"
  std::uint64_t calls = 0;
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  std::uint64_t rejections = 0;
  std::uint64_t state_changes = 0;
  std::uint64_t failures_in_window = 0;
  std::int64_t open_remaining_ms = 0;  ///< how much longer an open breaker refuses calls
};

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
  /// Every provider's circuit breaker, sorted by provider; empty when the process has none.
  std::function<std::vector<breaker_view>()> circuit_breakers;
  /// Checks a provider callback's Standard Webhooks signature (id, timestamp and signature
  /// headers, body); empty refuses every callback.
  std::function<bool(std::string_view, std::string_view, std::string_view, std::string_view)>
      verify_callback;
};

/// /healthz, /readyz, /health/*, /metrics.
void add_health_routes(route_table& routes, const api_context& ctx);

/// POST /oauth/token and GET /.well-known/jwks.json.
void add_oauth_routes(route_table& routes, const api_context& ctx);

/// /pods and /pods/{pod_id}.
void add_pod_routes(route_table& routes, const api_context& ctx);

/// GET /ops/circuit-breakers, GET /ops/sagas, GET /ops/sagas/{saga_id} and
/// POST /ops/sagas/{saga_id}/retry (operator scope).
void add_ops_routes(route_table& routes, const api_context& ctx);

/// The circuit breakers' Prometheus lines (state one-hot per provider, call counters).
void render_breaker_metrics(const std::vector<breaker_view>& breakers, std::string& out);

/// Every route of the API.
inline void add_all_routes(route_table& routes, const api_context& ctx) {
  add_health_routes(routes, ctx);
  add_oauth_routes(routes, ctx);
  add_openapi_routes(routes, ctx);
  add_pod_routes(routes, ctx);
  add_ops_routes(routes, ctx);
}

}  // namespace payorch::gateway
