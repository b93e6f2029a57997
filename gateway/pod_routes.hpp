#pragma once
/// The CrowdPod routes, one registration function per resource file.

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/exchange.hpp"
#include "gateway/handler_support.hpp"
#include "gateway/route_table.hpp"

namespace payorch::gateway {

struct api_context;

/// The `{pod_id}` path parameter if it is a well-formed pod id; else replies 404 and nullopt.
std::optional<std::string> checked_pod_id(const exchange_ptr& ex);

/// What a list of one pod's things starts from.
struct pod_listing {
  std::string pod_id;
  page_request page;
};

/// The common start of a list of one pod's things: a well-formed `{pod_id}`, the read scope,
/// and `?limit=`, `?cursor=` and the query parameters `also` names. Otherwise it has replied
/// (404, 401, 403 or 400) and returns nullopt.
std::optional<pod_listing> pod_listing_of(const api_context& ctx, const exchange_ptr& ex,
                                          std::initializer_list<std::string_view> also = {});

/// Runs `then` once the pod is known to exist (its error, 404, otherwise), so a list of an
/// unknown pod is not answered with an empty page.
void with_existing_pod(const api_context& ctx, const exchange_ptr& ex, const std::string& pod_id,
                       std::function<void()> then);

/// /pods/{pod_id}/members...
void add_member_routes(route_table& routes, const api_context& ctx);
/// /pods/{pod_id}/pledges...
void add_pledge_routes(route_table& routes, const api_context& ctx);
/// /pods/{pod_id}/payouts... and the providers' /callbacks/{kyc,rail}.
void add_payout_routes(route_table& routes, const api_context& ctx);
/// /pods/{pod_id}/balance, /ledger, /events, /cycles/{n}.
void add_pod_read_routes(route_table& routes, const api_context& ctx);

}  // namespace payorch::gateway
