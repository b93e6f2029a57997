#include "actors/pod_protocol.hpp"
#include "actors/runtime.hpp"
#include "gateway/api.hpp"
#include "gateway/ask.hpp"
#include "gateway/json_output.hpp"

namespace payorch::gateway {
namespace {

void live(const exchange_ptr& ex) {
  ex->reply_json(http::status::ok, R"({"status":"ok"})");
}

void ready(const api_context& ctx, const exchange_ptr& ex) {
  if (!ctx.accepting()) {
    return ex->reply_problem(
        make_problem(http::status::service_unavailable, "draining", "the server is shutting down"));
  }
  if (!ctx.runtime->ready()) {
    return ex->reply_problem(make_problem(http::status::service_unavailable, "not_ready",
                                          ctx.runtime->journal().store_ok
                                              ? "the journal writer or the actors are not running"
                                              : "the journal's store does not answer"));
  }
  ex->reply_json(http::status::ok, R"({"status":"ready"})");
}

void deps(const api_context& ctx, const exchange_ptr& ex) {
  auto j = ctx.runtime->journal();
  bool ok = j.running && j.store_ok && ctx.runtime->ready();
  json_writer w;
  w.begin_object().field("status", ok ? "ok" : "degraded");
  w.key("journal")
      .begin_object()
      .field("state", !j.running   ? "stopped"
                      : j.store_ok ? "running"
                                   : "store_unavailable")
      .field("backend", ctx.runtime->storage_name())
      .field("batches", static_cast<std::int64_t>(j.batches))
      .field("appends", static_cast<std::int64_t>(j.appends))
      .field("last_batch_appends", static_cast<std::int64_t>(j.last_batch_appends))
      .field("last_commit_latency_us", j.last_commit_us)
      .end_object();
  w.end_object();
  ex->reply_json(ok ? http::status::ok : http::status::service_unavailable, w.take());
}

/// One unlabelled sample with its HELP and TYPE lines.
void sample(std::string& out, const char* name, const char* help, const char* type,
            std::uint64_t value) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
         name + " " + std::to_string(value) + "\n";
}

void render_journal_metrics(const actors::journal_health& j, std::string& out) {
  sample(out, "payorch_journal_batches_total", "Journal transactions committed by the writer.",
         "counter", j.batches);
  sample(out, "payorch_journal_appends_total", "Appends acknowledged by the journal writer.",
         "counter", j.appends);
  out += "# HELP payorch_journal_last_commit_seconds Duration of the last journal commit.\n";
  out += "# TYPE payorch_journal_last_commit_seconds gauge\n";
  out += "payorch_journal_last_commit_seconds " +
         std::to_string(static_cast<double>(j.last_commit_us) / 1e6) + "\n";
  out += "# HELP payorch_journal_batch_size Appends per journal transaction.\n";
  out += "# TYPE payorch_journal_batch_size histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < j.batch_size_buckets.size(); ++i) {
    cumulative += j.batch_size_buckets[i];
    std::string le = i < j.batch_size_bounds.size() ? std::to_string(j.batch_size_bounds[i])
                                                    : std::string("+Inf");
    out +=
        "payorch_journal_batch_size_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += "payorch_journal_batch_size_count " + std::to_string(j.batches) + "\n";
  out += "payorch_journal_batch_size_sum " + std::to_string(j.appends) + "\n";
  sample(out, "payorch_idempotency_puts_total",
         "Idempotency records stored by a write of their own (writes that change a pod store "
         "theirs with their events).",
         "counter", j.idempotency_puts);
  sample(out, "payorch_idempotency_filter_ready",
         "1 once the stored Idempotency-Keys are loaded and fresh keys skip their look-up.",
         "gauge", j.key_filter_ready ? 1 : 0);
  sample(out, "payorch_idempotency_filter_keys", "Idempotency-Keys the filter holds.", "gauge",
         j.key_filter_keys);
  sample(out, "payorch_idempotency_filter_bytes", "Memory the idempotency key filter holds.",
         "gauge", j.key_filter_bytes);
  sample(out, "payorch_idempotency_lookups_skipped_total",
         "Requests whose Idempotency-Key the filter knew to be fresh, so no record was looked up.",
         "counter", j.lookups_skipped);
}

void render_entity_metrics(const actors::router_stats& s, std::string& out) {
  sample(out, "payorch_pods_live", "Pod actors in memory.", "gauge", s.live);
  sample(out, "payorch_pods_spawned_total", "Pod actors spawned (first use or recovery).",
         "counter", s.spawned);
  sample(out, "payorch_pods_passivated_total", "Pod actors passivated after idling.", "counter",
         s.passivated);
  sample(out, "payorch_pods_restarted_total", "Pod actors restarted after a crash.", "counter",
         s.restarted);
  sample(out, "payorch_pods_quarantined_total",
         "Pods quarantined after exceeding their restart budget.", "counter", s.quarantined);
  sample(out, "payorch_pods_stopped_by_storage_total",
         "Pod actors stopped by a journal failure, started again by their next command.", "counter",
         s.stopped_by_storage);
}

void metrics(const api_context& ctx, const exchange_ptr& ex) {
  auto answer = [ctx, ex](result<actors::router_stats> entities) {
    std::string out;
    ctx.metrics->render(out);
    out +=
        "# HELP payorch_http_requests_in_flight Requests read and not yet answered.\n"
        "# TYPE payorch_http_requests_in_flight gauge\n"
        "payorch_http_requests_in_flight " +
        std::to_string(ctx.in_flight()) + "\n";
    render_journal_metrics(ctx.runtime->journal(), out);
    if (ctx.circuit_breakers) render_breaker_metrics(ctx.circuit_breakers(), out);
    if (entities)
      render_entity_metrics(*entities, out);
    else
      out += "# pod router unavailable: " + entities.error().detail + "\n";
    http_response res{http::status::ok, ex->request().version()};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = std::move(out);
    ex->reply(std::move(res));
  };
  // The router's counters live in the router actor; a scrape never blocks on them.
  ask<actors::router_stats>(ctx.bridge, ctx.runtime->pods(), actors::router_stats_request{},
                            std::move(answer));
}

}  // namespace

void add_health_routes(route_table& routes, const api_context& ctx) {
  routes.add(http::verb::get, "/healthz", live);
  routes.add(http::verb::get, "/health/live", live);
  routes.add(http::verb::get, "/readyz", [ctx](const exchange_ptr& ex) { ready(ctx, ex); });
  routes.add(http::verb::get, "/health/ready", [ctx](const exchange_ptr& ex) { ready(ctx, ex); });
  routes.add(http::verb::get, "/health/deps", [ctx](const exchange_ptr& ex) { deps(ctx, ex); });
  routes.add(http::verb::get, "/metrics", [ctx](const exchange_ptr& ex) { metrics(ctx, ex); });
}

}  // namespace payorch::gateway
