#pragma once
/// The route groups of the sandbox: one per provider plus the `/sandbox/...` admin routes.

#include "gateway/route_table.hpp"

namespace payorch::app::sandbox {

class sandbox_state;

/// `/fx/v1/...`: rates, quotes, locks and releases.
void add_fx_routes(gateway::route_table& routes, sandbox_state& state);
/// `/kyc/v1/...`: verifications decided after `--kyc-delay-ms`.
void add_kyc_routes(gateway::route_table& routes, sandbox_state& state);
/// `/sanctions/v1/...`: fuzzy screening against the embedded list.
void add_sanctions_routes(gateway::route_table& routes, sandbox_state& state);
/// `/risk/v1/...`: rule-based scores.
void add_risk_routes(gateway::route_table& routes, sandbox_state& state);
/// `/rail/v1/...`: pacs.008 submissions settled or returned after `--rail-delay-ms`.
void add_rail_routes(gateway::route_table& routes, sandbox_state& state);
/// `/psp/v1/...`: card authorizations, captures, refunds and voids.
void add_psp_routes(gateway::route_table& routes, sandbox_state& state);
/// `/sandbox/...`: health, statistics, faults and the clock.
void add_admin_routes(gateway::route_table& routes, sandbox_state& state);

}  // namespace payorch::app::sandbox
