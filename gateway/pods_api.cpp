// /pods, /pods/{pod_id}, its policy and its lifecycle actions.
#include <memory>
#include <mutex>

#include "actors/journal_protocol.hpp"
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

/// Reads the policy members of `policy` (all required when `all`, else any non-empty subset).
std::optional<problem> decode_policy(const json_node& policy, bool all, std::string_view prefix,
                                     actors::policy_input& out) {
  if (auto p = only_known(policy, {"spending_limit", "voting_quorum", "risk_tier"}, prefix))
    return p;
  const std::string pre(prefix);
  const json_node *limit, *quorum, *tier;
  auto read = [&](std::string_view key, json_kind kind, const json_node*& n) {
    return all ? require(policy, key, kind, pre + std::string(key), n)
               : optional_member(policy, key, kind, pre + std::string(key), n);
  };
  if (auto p = read("spending_limit", json_kind::number, limit)) return p;
  if (auto p = read("voting_quorum", json_kind::number, quorum)) return p;
  if (auto p = read("risk_tier", json_kind::string, tier)) return p;
  if (!limit && !quorum && !tier)
    return bad_field(pre.empty() ? "policy" : pre.substr(0, pre.size() - 1),
                     "name at least one of spending_limit, voting_quorum, risk_tier");
  if (limit) out.spending_limit = std::string(limit->number_text());
  if (quorum) out.voting_quorum = std::string(quorum->number_text());
  if (tier) {
    out.risk_tier = std::string(tier->as_string());
    // Empty means "unchanged" to the pod actor, so a PATCH must not send it through.
    if (out.risk_tier.empty() && !all)
      return make_problem(http::status::bad_request, "unknown_risk_tier",
                          "risk_tier must be LOW, STANDARD or HIGH", pre + "risk_tier");
  }
  return std::nullopt;
}

/// Decodes the body of POST /pods into a command, or the problem with it.
std::variant<actors::create_pod, problem> decode_create(const http_request& req) {
  auto parsed = object_body(req);
  if (auto* p = std::get_if<problem>(&parsed)) return *p;
  const auto& body = std::get<json_node>(parsed);
  if (auto p = only_known(body, {"name", "currency", "policy", "cycle"})) return *p;
  const json_node *name, *currency, *policy, *cycle;
  if (auto p = require(body, "name", json_kind::string, "name", name)) return *p;
  if (auto p = require(body, "currency", json_kind::string, "currency", currency)) return *p;
  if (auto p = require(body, "policy", json_kind::object, "policy", policy)) return *p;
  if (auto p = optional_member(body, "cycle", json_kind::object, "cycle", cycle)) return *p;
  actors::create_pod cmd;
  if (auto p = decode_policy(*policy, true, "policy.", cmd.policy)) return *p;
  if (cycle) {
    if (auto p = only_known(*cycle, {"period", "starts_at"}, "cycle.")) return *p;
    const json_node *period, *starts;
    if (auto p = require(*cycle, "period", json_kind::string, "cycle.period", period)) return *p;
    if (auto p = require(*cycle, "starts_at", json_kind::string, "cycle.starts_at", starts))
      return *p;
    cmd.cycle = {std::string(period->as_string()), std::string(starts->as_string())};
  }
  cmd.name = std::string(name->as_string());
  cmd.currency = std::string(currency->as_string());
  return cmd;
}

/// The answer carrying a pod: 200 with the pod.
actors::stored_answer pod_answer(const actors::pod_view& pod) {
  json_writer w;
  write_pod(w, pod);
  return json_answer(http::status::ok, w.take());
}

/// The answer to a create: 201 with the new pod's id, status and creation time.
actors::stored_answer created_answer(const actors::pod_view& pod) {
  json_writer w;
  w.begin_object()
      .field("pod_id", pod.pod_id)
      .field("status", pod.status)
      .field("created_at", format_rfc3339_utc(pod.created_at_ms))
      .end_object();
  return json_answer(http::status::created, w.take(), "/pods/" + pod.pod_id);
}

void create(const api_context& ctx, const exchange_ptr& ex) {
  auto who = authorize(ctx, ex, "*", permission::write);
  if (!who) return;
  run_idempotent(ctx, ex, *who, true, [ctx, ex, who = *who](const actors::idempotency_tag& tag) {
    auto decoded = decode_create(ex->request());
    if (auto* p = std::get_if<problem>(&decoded)) return ex->reply_problem(*p);
    auto cmd = std::get<actors::create_pod>(std::move(decoded));
    // The key names the pod, so a retry that lost its stored response finds the same pod.
    cmd.pod_id = pod_id::from_random(id_bits_from("pod\n" + who.subject + "\n" + tag.key)).str();
    cmd.owner_id = who.subject;
    cmd.requested_at_ms = ctx.now_ms();
    auto reply = stored_answer_reply<actors::pod_view>(ex, tag, cmd, created_answer);
    // A create for an id that is not live starts an actor that does not read the journal (a new
    // pod's stream is empty). A pod this key made and that has passivated since (its record
    // gone after 24 h, or lost) meets its stored stream as a version conflict: it is then read
    // back, which recovers it, and asked again, so it answers as a live pod does: the pod for
    // the same request, 422 for another.
    auto again = cmd;
    ask<actors::pod_view>(
        ctx.bridge, ctx.runtime->pods(), std::move(cmd),
        [ctx, again = std::move(again), reply](result<actors::pod_view> r) mutable {
          if (r || r.error().code != errc::version_conflict) return reply(std::move(r));
          const auto id = again.pod_id;
          ask<actors::pod_view>(
              ctx.bridge, ctx.runtime->pods(), actors::get_pod{id},
              [ctx, again = std::move(again), reply](result<actors::pod_view> read) mutable {
                if (!read) return reply(std::move(read));
                ask<actors::pod_view>(ctx.bridge, ctx.runtime->pods(), std::move(again),
                                      std::move(reply));
              });
        });
  });
}

void read(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  if (!authorize(ctx, ex, *id, permission::read)) return;
  ask<actors::pod_view>(ctx.bridge, ctx.runtime->pods(), actors::get_pod{*id},
                        rendered_reply<actors::pod_view>(ex, pod_answer));
}

/// Collects the views of `ids` in order, then writes the page.
struct pod_list_job {
  exchange_ptr ex;
  std::vector<std::string> ids;
  std::vector<std::optional<actors::pod_view>> views;
  std::string next_after;
  std::mutex mutex;
  std::size_t remaining = 0;
  std::optional<failure> failed;  ///< the first read that failed other than not_found
};

void finish_list(const std::shared_ptr<pod_list_job>& job) {
  // A page without one of its pods (restarting, quarantined, storage down) would be taken for
  // whole, and the cursor past it would hide that pod for good: the listing fails instead (503),
  // as it does when the journal cannot list the streams.
  if (job->failed) return reply_failure(job->ex, *job->failed);
  reply_page(
      job->ex, job->views,
      [](json_writer& w, const std::optional<actors::pod_view>& v) {
        if (v) write_pod(w, *v);
      },
      job->next_after);
}

void fetch_views(const api_context& ctx, std::shared_ptr<pod_list_job> job) {
  job->views.resize(job->ids.size());
  job->remaining = job->ids.size();
  if (job->ids.empty()) return finish_list(job);
  for (std::size_t i = 0; i < job->ids.size(); ++i) {
    ask<actors::pod_view>(ctx.bridge, ctx.runtime->pods(), actors::get_pod{job->ids[i]},
                          [job, i](result<actors::pod_view> r) {
                            bool last = false;
                            {
                              std::lock_guard lock(job->mutex);
                              if (r)
                                job->views[i] = std::move(*r);
                              else if (r.error().code != errc::not_found && !job->failed)
                                job->failed = r.error();
                              last = --job->remaining == 0;
                            }
                            if (last) finish_list(job);
                          });
  }
}

/// GET /pods: every pod for a wildcard token (from the journal's streams), else the pods its
/// scopes name.
void list(const api_context& ctx, const exchange_ptr& ex) {
  auto who = authenticate(ctx, ex);
  if (!who) return;
  auto page = page_request_of(ex->request(), {});
  if (auto* p = std::get_if<problem>(&page)) return ex->reply_problem(*p);
  auto& pr = std::get<page_request>(page);
  auto job = std::make_shared<pod_list_job>();
  job->ex = ex;
  if (!who->allows_every_pod(permission::read)) {
    const auto named = who->pods_with(permission::read);  // sorted, without duplicates
    auto it = std::upper_bound(named.begin(), named.end(), pr.after);
    for (; it != named.end() && static_cast<std::int64_t>(job->ids.size()) < pr.limit; ++it)
      job->ids.push_back(*it);
    if (it != named.end()) job->next_after = job->ids.back();
    return fetch_views(ctx, job);
  }
  ask<actors::stream_page>(
      ctx.bridge, ctx.runtime->journal_writer(),
      actors::list_streams{"pod_", pr.after, static_cast<std::size_t>(pr.limit + 1)},
      [ctx, job, limit = pr.limit](result<actors::stream_page> r) {
        if (!r) return reply_failure(job->ex, r.error());
        job->ids = std::move(r->stream_ids);
        if (static_cast<std::int64_t>(job->ids.size()) > limit) {
          job->ids.resize(static_cast<std::size_t>(limit));
          job->next_after = job->ids.back();
        }
        fetch_views(ctx, job);
      });
}

void patch_policy(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  auto who = authorize(ctx, ex, *id, permission::admin);
  if (!who) return;
  run_idempotent(ctx, ex, *who, false,
                 [ctx, ex, id = *id, who = *who](const actors::idempotency_tag& tag) {
                   auto parsed = object_body(ex->request());
                   if (auto* p = std::get_if<problem>(&parsed)) return ex->reply_problem(*p);
                   actors::update_policy cmd{id, caller_of(who), {}, ctx.now_ms()};
                   if (auto p = decode_policy(std::get<json_node>(parsed), false, "", cmd.changes))
                     return ex->reply_problem(*p);
                   auto reply = stored_answer_reply<actors::pod_view>(ex, tag, cmd, pod_answer);
                   ask<actors::pod_view>(ctx.bridge, ctx.runtime->pods(), std::move(cmd),
                                         [ex, reply](const result<actors::pod_view>& r) {
                                           if (r) return reply(r);
                                           // The policy's fields are top-level in this body.
                                           auto f = r.error();
                                           if (f.param.starts_with("policy.")) f.param.erase(0, 7);
                                           reply_failure(ex, f);
                                         });
                 });
}

void change_status(const api_context& ctx, const exchange_ptr& ex, pod_transition transition) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  auto who = authorize(ctx, ex, *id, permission::admin);
  if (!who) return;
  run_idempotent(
      ctx, ex, *who, false,
      [ctx, ex, id = *id, who = *who, transition](const actors::idempotency_tag& tag) {
        auto parsed = object_body(ex->request(), true);
        if (auto* p = std::get_if<problem>(&parsed)) return ex->reply_problem(*p);
        const auto& body = std::get<json_node>(parsed);
        if (auto p = only_known(body, {"reason"})) return ex->reply_problem(*p);
        const json_node* reason = nullptr;
        if (auto p = optional_member(body, "reason", json_kind::string, "reason", reason))
          return ex->reply_problem(*p);
        actors::change_pod_status cmd{id, caller_of(who), transition,
                                      reason ? std::string(reason->as_string()) : std::string(),
                                      ctx.now_ms()};
        auto reply = stored_answer_reply<actors::pod_view>(ex, tag, cmd, pod_answer);
        ask<actors::pod_view>(ctx.bridge, ctx.runtime->pods(), std::move(cmd), std::move(reply));
      });
}

}  // namespace

std::optional<std::string> checked_pod_id(const exchange_ptr& ex) {
  auto id = pod_id::parse(ex->param("pod_id"));
  if (!id) {
    ex->reply_problem(make_problem(http::status::not_found, "not_found",
                                   "no pod " + std::string(ex->param("pod_id")), "pod_id"));
    return std::nullopt;
  }
  return id->str();
}

std::optional<pod_listing> pod_listing_of(const api_context& ctx, const exchange_ptr& ex,
                                          std::initializer_list<std::string_view> also) {
  auto id = checked_pod_id(ex);
  if (!id) return std::nullopt;
  if (!authorize(ctx, ex, *id, permission::read)) return std::nullopt;
  auto page = page_request_of(ex->request(), also);
  if (auto* p = std::get_if<problem>(&page)) {
    ex->reply_problem(*p);
    return std::nullopt;
  }
  return pod_listing{std::move(*id), std::get<page_request>(std::move(page))};
}

void with_existing_pod(const api_context& ctx, const exchange_ptr& ex, const std::string& pod_id,
                       std::function<void()> then) {
  ask<actors::pod_view>(ctx.bridge, ctx.runtime->pods(), actors::get_pod{pod_id},
                        [ex, then = std::move(then)](const result<actors::pod_view>& r) {
                          if (!r) return reply_failure(ex, r.error());
                          then();
                        });
}

void add_pod_routes(route_table& routes, const api_context& ctx) {
  routes.add(http::verb::post, "/pods", [ctx](const exchange_ptr& ex) { create(ctx, ex); });
  routes.add(http::verb::get, "/pods", [ctx](const exchange_ptr& ex) { list(ctx, ex); });
  routes.add(http::verb::get, "/pods/{pod_id}", [ctx](const exchange_ptr& ex) { read(ctx, ex); });
  routes.add(http::verb::patch, "/pods/{pod_id}/policy",
             [ctx](const exchange_ptr& ex) { patch_policy(ctx, ex); });
  const std::pair<const char*, pod_transition> actions[] = {
      {"activate", pod_transition::policy_accepted},  {"suspend", pod_transition::risk_flagged},
      {"reinstate", pod_transition::manual_override}, {"close", pod_transition::voluntary_closure},
      {"force-close", pod_transition::force_closure},
  };
  for (const auto& [name, transition] : actions) {
    routes.add(http::verb::post, std::string("/pods/{pod_id}/actions/") + name,
               [ctx, t = transition](const exchange_ptr& ex) { change_status(ctx, ex, t); });
  }
  add_member_routes(routes, ctx);
  add_pledge_routes(routes, ctx);
  add_payout_routes(routes, ctx);
  add_pod_read_routes(routes, ctx);
}

}  // namespace payorch::gateway
