// /pods/{pod_id}/balance, /ledger, /events and /cycles/{n}: read models of one pod.
#include "actors/journal_protocol.hpp"
#include "actors/pod_protocol.hpp"
#include "actors/runtime.hpp"
#include "domain/time.hpp"
#include "gateway/api.hpp"
#include "gateway/ask.hpp"
#include "gateway/auth.hpp"
#include "gateway/handler_support.hpp"
#include "gateway/pod_json.hpp"
#include "gateway/pod_routes.hpp"

namespace payorch::gateway {
namespace {

void write_event(json_writer& w, const persistence::event_record& e) {
  w.begin_object()
      .field("version", e.version)
      .field("type", e.event_type)
      .field("recorded_at", format_rfc3339_utc(e.recorded_at_ms));
  w.key("data").raw_value(e.payload);
  w.field("prev_hash", e.prev_hash).field("hash", e.hash).end_object();
}

void write_ledger_entry(json_writer& w, const persistence::ledger_entry& e) {
  w.begin_object()
      .field("entry_id", e.entry_id)
      .field("transaction_id", e.transaction_id)
      .field("account", e.account)
      .field("currency", e.currency)
      .field("amount_minor", e.amount_minor)
      .field("phase", e.phase)
      .field("recorded_at", format_rfc3339_utc(e.recorded_at_ms))
      .end_object();
}

/// Cuts a page read with one row more than `limit` back to `limit`; the cursor of the next page
/// (the last row's position), or empty at the end.
template <class Rows, class Position>
std::string trim_page(Rows& rows, std::int64_t limit, Position position) {
  if (static_cast<std::int64_t>(rows.size()) <= limit) return {};
  rows.resize(static_cast<std::size_t>(limit));
  return std::to_string(position(rows.back()));
}

void balance(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  if (!authorize(ctx, ex, *id, permission::read)) return;
  ask<actors::balance_view>(ctx.bridge, ctx.runtime->pods(), actors::get_balance{*id, ctx.now_ms()},
                            [ex](result<actors::balance_view> r) {
                              if (!r) return reply_failure(ex, r.error());
                              json_writer w;
                              write_balance(w, *r);
                              reply_body(ex, http::status::ok, w.take());
                            });
}

void cycle(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  if (!authorize(ctx, ex, *id, permission::read)) return;
  auto text = ex->param("n");
  std::int64_t n = 0;
  bool ok = !text.empty() && text.size() <= 9;
  for (char c : text) {
    ok = ok && c >= '0' && c <= '9';
    if (ok) n = n * 10 + (c - '0');
  }
  if (!ok || n < 1)
    return ex->reply_problem(make_problem(http::status::bad_request, "invalid_cycle",
                                          "the cycle number must be a positive integer", "n"));
  ask<actors::cycle_view>(ctx.bridge, ctx.runtime->pods(), actors::get_cycle{*id, n, ctx.now_ms()},
                          [ex](result<actors::cycle_view> r) {
                            if (!r) return reply_failure(ex, r.error());
                            json_writer w;
                            write_cycle(w, *r);
                            reply_body(ex, http::status::ok, w.take());
                          });
}

/// The common start of a journal-backed list of one pod: the pod id, the read scope, paging
/// with an integer cursor and the pod's existence; then `read(pod_id, after, limit)`.
template <class Read>
void paged_pod_read(const api_context& ctx, const exchange_ptr& ex, Read read) {
  auto listing = pod_listing_of(ctx, ex);
  if (!listing) return;
  auto after = integer_cursor(ex, listing->page.after);
  if (!after) return;
  with_existing_pod(ctx, ex, listing->pod_id,
                    [id = listing->pod_id, after = *after, limit = listing->page.limit, read] {
                      read(id, after, limit);
                    });
}

void events(const api_context& ctx, const exchange_ptr& ex) {
  paged_pod_read(ctx, ex, [ctx, ex](const std::string& id, std::int64_t after, std::int64_t limit) {
    ask<actors::event_page>(ctx.bridge, ctx.runtime->journal_writer(),
                            actors::read_events{id, after, static_cast<std::size_t>(limit + 1)},
                            [ex, limit](result<actors::event_page> r) {
                              if (!r) return reply_failure(ex, r.error());
                              auto& evs = r->events;
                              const auto next =
                                  trim_page(evs, limit, [](const auto& e) { return e.version; });
                              reply_page(ex, evs, write_event, next);
                            });
  });
}

void ledger(const api_context& ctx, const exchange_ptr& ex) {
  paged_pod_read(ctx, ex, [ctx, ex](const std::string& id, std::int64_t after, std::int64_t limit) {
    ask<actors::ledger_page>(
        ctx.bridge, ctx.runtime->journal_writer(),
        actors::read_ledger{"pod:" + id + ":", after, static_cast<std::size_t>(limit + 1)},
        [ex, limit](result<actors::ledger_page> r) {
          if (!r) return reply_failure(ex, r.error());
          auto& entries = r->entries;
          const auto next = trim_page(entries, limit, [](const auto& e) { return e.entry_id; });
          reply_page(ex, entries, write_ledger_entry, next);
        });
  });
}

}  // namespace

void add_pod_read_routes(route_table& routes, const api_context& ctx) {
  routes.add(http::verb::get, "/pods/{pod_id}/balance",
             [ctx](const exchange_ptr& ex) { balance(ctx, ex); });
  routes.add(http::verb::get, "/pods/{pod_id}/cycles/{n}",
             [ctx](const exchange_ptr& ex) { cycle(ctx, ex); });
  routes.add(http::verb::get, "/pods/{pod_id}/events",
             [ctx](const exchange_ptr& ex) { events(ctx, ex); });
  routes.add(http::verb::get, "/pods/{pod_id}/ledger",
             [ctx](const exchange_ptr& ex) { ledger(ctx, ex); });
}

}  // namespace payorch::gateway
