// /pods/{pod_id}/members: add, list, read, change a role, remove.
#include "actors/pod_protocol.hpp"
#include "actors/runtime.hpp"
#include "gateway/api.hpp"
#include "gateway/ask.hpp"
#include "gateway/auth.hpp"
#include "gateway/handler_support.hpp"
#include "gateway/idempotency.hpp"
#include "gateway/pod_json.hpp"
#include "gateway/pod_routes.hpp"

namespace payorch::gateway {
namespace {

/// Renders the answer carrying a member; `location_prefix` (empty: none) is followed by its id.
actors::answer_renderer<actors::member_view> member_answer(http::status status,
                                                           std::string location_prefix = {}) {
  return json_renderer<actors::member_view>(
      status, write_member, [](const actors::member_view& m) { return m.user_id; },
      std::move(location_prefix));
}

void add(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  auto who = authorize(ctx, ex, *id, permission::admin);
  if (!who) return;
  run_idempotent(ctx, ex, *who, false,
                 [ctx, ex, id = *id, who = *who](const actors::idempotency_tag& tag) {
                   auto parsed = object_body(ex->request());
                   if (auto* p = std::get_if<problem>(&parsed)) return ex->reply_problem(*p);
                   const auto& body = std::get<json_node>(parsed);
                   if (auto p = only_known(body, {"user_id", "role"})) return ex->reply_problem(*p);
                   const json_node *user, *role;
                   if (auto p = require(body, "user_id", json_kind::string, "user_id", user))
                     return ex->reply_problem(*p);
                   if (auto p = require(body, "role", json_kind::string, "role", role))
                     return ex->reply_problem(*p);
                   actors::add_member cmd{id, caller_of(who), std::string(user->as_string()),
                                          std::string(role->as_string()), ctx.now_ms()};
                   auto reply = stored_answer_reply<actors::member_view>(
                       ex, tag, cmd,
                       member_answer(http::status::created, "/pods/" + id + "/members/"));
                   ask<actors::member_view>(ctx.bridge, ctx.runtime->pods(), std::move(cmd),
                                            std::move(reply));
                 });
}

void list(const api_context& ctx, const exchange_ptr& ex) {
  auto listing = pod_listing_of(ctx, ex);
  if (!listing) return;
  const auto& pr = listing->page;
  ask<actors::member_page>(ctx.bridge, ctx.runtime->pods(),
                           actors::list_members{listing->pod_id, pr.after, pr.limit, ctx.now_ms()},
                           [ex](result<actors::member_page> r) {
                             if (!r) return reply_failure(ex, r.error());
                             reply_page(ex, r->items, write_member, r->next_after);
                           });
}

void read(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  if (!authorize(ctx, ex, *id, permission::read)) return;
  ask<actors::member_view>(
      ctx.bridge, ctx.runtime->pods(),
      actors::get_member{*id, std::string(ex->param("user_id")), ctx.now_ms()},
      rendered_reply<actors::member_view>(ex, member_answer(http::status::ok)));
}

void change_role(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  auto who = authorize(ctx, ex, *id, permission::admin);
  if (!who) return;
  run_idempotent(
      ctx, ex, *who, false, [ctx, ex, id = *id, who = *who](const actors::idempotency_tag& tag) {
        auto parsed = object_body(ex->request());
        if (auto* p = std::get_if<problem>(&parsed)) return ex->reply_problem(*p);
        const auto& body = std::get<json_node>(parsed);
        if (auto p = only_known(body, {"role"})) return ex->reply_problem(*p);
        const json_node* role;
        if (auto p = require(body, "role", json_kind::string, "role", role))
          return ex->reply_problem(*p);
        actors::change_member_role cmd{id, caller_of(who), std::string(ex->param("user_id")),
                                       std::string(role->as_string()), ctx.now_ms()};
        auto reply =
            stored_answer_reply<actors::member_view>(ex, tag, cmd, member_answer(http::status::ok));
        ask<actors::member_view>(ctx.bridge, ctx.runtime->pods(), std::move(cmd), std::move(reply));
      });
}

void remove(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  auto who = authorize(ctx, ex, *id, permission::admin);
  if (!who) return;
  actors::remove_member cmd{*id, caller_of(*who), std::string(ex->param("user_id")), ctx.now_ms()};
  ask<actors::member_view>(ctx.bridge, ctx.runtime->pods(), std::move(cmd),
                           [ex](result<actors::member_view> r) {
                             if (!r) return reply_failure(ex, r.error());
                             http_response res{http::status::no_content, ex->request().version()};
                             ex->reply(std::move(res));
                           });
}

}  // namespace

void add_member_routes(route_table& routes, const api_context& ctx) {
  routes.add(http::verb::post, "/pods/{pod_id}/members",
             [ctx](const exchange_ptr& ex) { add(ctx, ex); });
  routes.add(http::verb::get, "/pods/{pod_id}/members",
             [ctx](const exchange_ptr& ex) { list(ctx, ex); });
  routes.add(http::verb::get, "/pods/{pod_id}/members/{user_id}",
             [ctx](const exchange_ptr& ex) { read(ctx, ex); });
  routes.add(http::verb::patch, "/pods/{pod_id}/members/{user_id}",
             [ctx](const exchange_ptr& ex) { change_role(ctx, ex); });
  routes.add(http::verb::delete_, "/pods/{pod_id}/members/{user_id}",
             [ctx](const exchange_ptr& ex) { remove(ctx, ex); });
}

}  // namespace payorch::gateway
