// /pods/{pod_id}/pledges: pledge, list, read, settle.
#include "actors/pod_protocol.hpp"
#include "actors/runtime.hpp"
#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "gateway/api.hpp"
#include "gateway/ask.hpp"
#include "gateway/auth.hpp"
#include "gateway/handler_support.hpp"
#include "gateway/idempotency.hpp"
#include "gateway/pod_json.hpp"
#include "gateway/pod_routes.hpp"

namespace payorch::gateway {
namespace {

/// Renders the answer carrying a pledge; `location_prefix` (empty: none) is followed by its id.
actors::answer_renderer<actors::pledge_view> pledge_answer(http::status status,
                                                           std::string location_prefix = {}) {
  return json_renderer<actors::pledge_view>(
      status, write_pledge, [](const actors::pledge_view& p) { return p.pledge_id; },
      std::move(location_prefix));
}

std::variant<actors::make_pledge, problem> decode_pledge(const http_request& req) {
  auto parsed = object_body(req);
  if (auto* p = std::get_if<problem>(&parsed)) return *p;
  const auto& body = std::get<json_node>(parsed);
  if (auto p = only_known(body, {"user_id", "amount_minor", "currency", "due_at"})) return *p;
  const json_node *user, *currency, *due;
  actors::make_pledge cmd;
  if (auto p = require(body, "user_id", json_kind::string, "user_id", user)) return *p;
  if (auto p = require_integer(body, "amount_minor", "amount_minor", cmd.amount_minor)) return *p;
  if (auto p = require(body, "currency", json_kind::string, "currency", currency)) return *p;
  if (auto p = optional_member(body, "due_at", json_kind::string, "due_at", due)) return *p;
  if (due) {
    auto at = parse_rfc3339(due->as_string(), "due_at");
    if (!at) return problem_from(at.error());
    // 0 means "none" to the pod; the epoch (or anything before it) is in the past anyway.
    if (*at <= 0)
      return problem_from(
          failure{errc::invalid_argument, "due_at must be in the future", "due_at"});
    cmd.due_at_ms = *at;
  }
  cmd.user_id = std::string(user->as_string());
  cmd.currency = std::string(currency->as_string());
  return cmd;
}

void create(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  auto who = authorize(ctx, ex, *id, permission::write);
  if (!who) return;
  run_idempotent(
      ctx, ex, *who, true, [ctx, ex, id = *id, who = *who](const actors::idempotency_tag& tag) {
        auto decoded = decode_pledge(ex->request());
        if (auto* p = std::get_if<problem>(&decoded)) return ex->reply_problem(*p);
        auto cmd = std::get<actors::make_pledge>(std::move(decoded));
        cmd.pod_id = id;
        cmd.by = caller_of(who);
        // The key names the pledge, so a retry that lost its stored response finds it again.
        cmd.pledge_id = pledge_id::from_random(
                            id_bits_from("pledge\n" + who.subject + "\n" + id + "\n" + tag.key))
                            .str();
        cmd.requested_at_ms = ctx.now_ms();
        auto reply = stored_answer_reply<actors::pledge_view>(
            ex, tag, cmd, pledge_answer(http::status::created, "/pods/" + id + "/pledges/"));
        ask<actors::pledge_view>(ctx.bridge, ctx.runtime->pods(), std::move(cmd), std::move(reply));
      });
}

void list(const api_context& ctx, const exchange_ptr& ex) {
  auto listing = pod_listing_of(ctx, ex, {"status"});
  if (!listing) return;
  const auto& pr = listing->page;
  actors::list_pledges q{listing->pod_id, {}, 0, pr.limit, ctx.now_ms()};
  for (const auto& [name, value] : pr.query)
    if (name == "status") q.status = value;
  auto after = integer_cursor(ex, pr.after);
  if (!after) return;
  q.after = *after;
  ask<actors::pledge_page>(
      ctx.bridge, ctx.runtime->pods(), std::move(q), [ex](result<actors::pledge_page> r) {
        if (!r) return reply_failure(ex, r.error());
        reply_page(ex, r->items, write_pledge,
                   r->next_after == 0 ? std::string() : std::to_string(r->next_after));
      });
}

void read(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  if (!authorize(ctx, ex, *id, permission::read)) return;
  ask<actors::pledge_view>(
      ctx.bridge, ctx.runtime->pods(),
      actors::get_pledge{*id, std::string(ex->param("pledge_id")), ctx.now_ms()},
      rendered_reply<actors::pledge_view>(ex, pledge_answer(http::status::ok)));
}

void settle(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  auto who = authorize(ctx, ex, *id, permission::write);
  if (!who) return;
  run_idempotent(ctx, ex, *who, false,
                 [ctx, ex, id = *id, who = *who](const actors::idempotency_tag& tag) {
                   if (!ex->request().body().empty()) {
                     auto parsed = object_body(ex->request());
                     if (auto* p = std::get_if<problem>(&parsed)) return ex->reply_problem(*p);
                     if (auto p = only_known(std::get<json_node>(parsed), {}))
                       return ex->reply_problem(*p);
                   }
                   actors::settle_pledge cmd{id, caller_of(who),
                                             std::string(ex->param("pledge_id")), ctx.now_ms()};
                   auto reply = stored_answer_reply<actors::pledge_view>(
                       ex, tag, cmd, pledge_answer(http::status::ok));
                   ask<actors::pledge_view>(ctx.bridge, ctx.runtime->pods(), std::move(cmd),
                                            std::move(reply));
                 });
}

}  // namespace

void add_pledge_routes(route_table& routes, const api_context& ctx) {
  routes.add(http::verb::post, "/pods/{pod_id}/pledges",
             [ctx](const exchange_ptr& ex) { create(ctx, ex); });
  routes.add(http::verb::get, "/pods/{pod_id}/pledges",
             [ctx](const exchange_ptr& ex) { list(ctx, ex); });
  routes.add(http::verb::get, "/pods/{pod_id}/pledges/{pledge_id}",
             [ctx](const exchange_ptr& ex) { read(ctx, ex); });
  routes.add(http::verb::post, "/pods/{pod_id}/pledges/{pledge_id}/settle",
             [ctx](const exchange_ptr& ex) { settle(ctx, ex); });
}

}  // namespace payorch::gateway
