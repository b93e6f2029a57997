#pragma once
/// The CrowdPod routes, one registration function per resource file.

#include <optional>
#include <string>

#include "gateway/exchange.hpp"
#include "gateway/route_table.hpp"

namespace payorch::gateway {

struct api_context;

/// The `{pod_id}` path parameter if it is a well-formed pod id; else replies 404 and nullopt.
std::optional<std::string> checked_pod_id(const exchange_ptr& ex);

/// /pods/{pod_id}/members...
void add_member_routes(route_table& routes, const api_context& ctx);
/// /pods/{pod_id}/pledges...
void add_pledge_routes(route_table& routes, const api_context& ctx);
/// /pods/{pod_id}/payouts... and the providers' /callbacks/{kyc,rail}.
void add_payout_routes(route_table& routes, const api_context& ctx);
/// /pods/{pod_id}/balance, /ledger, /events, /cycles/{n}.
void add_pod_read_routes(route_table& routes, const api_context& ctx);

}  // namespace payorch::gateway
