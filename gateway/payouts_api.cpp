// /pods/{pod_id}/payouts: start a cross-border settlement, list a pod's, read one, vote on it,
// step it up with a one-time password; and /callbacks/{kyc,rail}, where providers post results.
#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <vector>

#include "actors/pod_protocol.hpp"
#include "actors/runtime.hpp"
#include "actors/saga_protocol.hpp"
#include "domain/accounts.hpp"
#include "domain/ids.hpp"
#include "gateway/api.hpp"
#include "gateway/ask.hpp"
#include "gateway/auth.hpp"
#include "gateway/crypto.hpp"
#include "gateway/handler_support.hpp"
#include "gateway/idempotency.hpp"
#include "gateway/pod_routes.hpp"
#include "gateway/saga_json.hpp"

namespace payorch::gateway {
namespace {

namespace settlement = actors::settlement;

struct beneficiary {
  std::string name, country, iban, bic;
};

struct payout_request {
  beneficiary to;
  std::int64_t amount_minor = 0;
  std::string currency;
};

std::variant<payout_request, problem> decode_payout(const http_request& req) {
  auto parsed = object_body(req);
  if (auto* p = std::get_if<problem>(&parsed)) return *p;
  const auto& body = std::get<json_node>(parsed);
  if (auto p = only_known(body, {"beneficiary", "amount_minor", "currency"})) return *p;
  const json_node *to, *currency, *name, *country, *iban, *bic;
  payout_request out;
  if (auto p = require(body, "beneficiary", json_kind::object, "beneficiary", to)) return *p;
  if (auto p = require_integer(body, "amount_minor", "amount_minor", out.amount_minor)) return *p;
  if (auto p = require(body, "currency", json_kind::string, "currency", currency)) return *p;
  if (to->find("vpa") || to->find("account_number"))
    return make_problem(http::status::unprocessable_entity, "unsupported_rail",
                        "only bank transfers (IBAN and BIC, ISO 20022 pacs.008) are connected",
                        "beneficiary");
  if (auto p = only_known(*to, {"name", "country", "iban", "bic"}, "beneficiary.")) return *p;
  if (auto p = require(*to, "name", json_kind::string, "beneficiary.name", name)) return *p;
  if (auto p = require(*to, "country", json_kind::string, "beneficiary.country", country))
    return *p;
  if (auto p = require(*to, "iban", json_kind::string, "beneficiary.iban", iban)) return *p;
  if (auto p = require(*to, "bic", json_kind::string, "beneficiary.bic", bic)) return *p;
  out.to = {std::string(name->as_string()), std::string(country->as_string()),
            std::string(iban->as_string()), std::string(bic->as_string())};
  out.currency = std::string(currency->as_string());
  if (!is_iso3166_alpha2(out.to.country))
    return bad_field("beneficiary.country", "beneficiary.country must be an ISO 3166 alpha-2 code");
  if (!is_valid_iban(out.to.iban))
    return make_problem(http::status::bad_request, "invalid_iban",
                        "beneficiary.iban is not a valid IBAN", "beneficiary.iban");
  if (!is_valid_bic(out.to.bic))
    return make_problem(http::status::bad_request, "invalid_bic",
                        "beneficiary.bic is not a valid BIC", "beneficiary.bic");
  out.to.iban = normalize_iban(out.to.iban);
  return out;
}

std::string saga_input(const std::string& pod_id, const std::string& payout_id,
                       const actors::payout_view& checked, const actors::caller& by,
                       const payout_request& r, std::int64_t now_ms) {
  json_writer w;
  w.begin_object()
      .field("pod_id", pod_id)
      .field("payout_id", payout_id)
      .field("pod_currency", checked.pod_currency)
      .field("funding_currency", checked.hold_currency)
      .field("amount_minor", r.amount_minor)
      .field("currency", r.currency)
      .field("requested_by", by.subject)
      .key("platform_admin")
      .boolean(by.platform_admin)
      .key("beneficiary")
      .begin_object()
      .field("name", r.to.name)
      .field("country", r.to.country)
      .field("iban", r.to.iban)
      .field("bic", r.to.bic)
      .end_object()
      .field("requested_at", now_ms)
      .end_object();
  return w.take();
}

/// What a client sees of where the settlement is.
/// A payout status and the saga state it stands for: the saga's status and, while it runs, the
/// steps it may be at (none listed: any).
struct payout_phase {
  std::string_view status;
  std::string_view saga_status;
  std::vector<std::string> steps;
};

constexpr std::string_view processing = "PROCESSING";

const std::vector<payout_phase>& payout_phases() {
  // "" is a running saga at no step: its steps all done, its end not yet journaled.
  static const std::vector<payout_phase> phases{
      {"RESERVING", "RUNNING", {"reserve"}},
      {"SCREENING", "RUNNING", {"kyc", std::string(settlement::kyc_step), "sanctions", "risk"}},
      {"AWAITING_VOTES", "RUNNING", {std::string(settlement::approval_step)}},
      {"AWAITING_OTP", "RUNNING", {std::string(settlement::otp_step)}},
      {processing, "RUNNING", {"fx", "post", ""}},
      {"SUBMITTING", "RUNNING", {"submit"}},
      {"AWAITING_CONFIRMATION", "RUNNING", {std::string(settlement::confirm_step)}},
      {"COMPENSATING", "COMPENSATING", {}},
      {"SETTLED", "COMPLETED", {}},
      {"FAILED", "COMPENSATED", {}},
      {"NEEDS_ATTENTION", "FAILED", {}},
  };
  return phases;
}

/// The payout's status, from its saga's status and the step it is at.
std::string payout_status_of(std::string_view saga_status, std::string_view step) {
  for (const auto& phase : payout_phases()) {
    if (phase.saga_status != saga_status) continue;
    if (phase.steps.empty() ||
        std::find(phase.steps.begin(), phase.steps.end(), step) != phase.steps.end())
      return std::string(phase.status);
  }
  return std::string(processing);  // a running step the table does not name
}

const actors::saga_step_view* step_of(const actors::saga_view& v, std::string_view name) {
  for (const auto& s : v.steps)
    if (s.name == name) return &s;
  return nullptr;
}

/// The payout's JSON: the request, where it stands, the wallet's view and every step.
std::string payout_body(const actors::saga_view& v, const actors::payout_view* wallet) {
  json_writer w;
  const auto payout_id = settlement::payout_of_saga(v.saga_id);
  w.begin_object()
      .field("payout_id", payout_id)
      .field("saga_id", v.saga_id)
      .field("status", payout_status_of(v.status, v.current_step));
  write_text_or_null(w, "reason", v.reason);
  write_text_or_null(w, "failed_step", v.failed_step);
  write_saga_resolution(w, v);
  w.key("request").raw_value(v.input);
  w.key("wallet");
  if (!wallet) {
    w.null();
  } else {
    w.begin_object()
        .field("status", wallet->status)
        .field("hold_minor", wallet->hold_minor)
        .field("hold_currency", wallet->hold_currency)
        .field("sell_minor", wallet->sell_minor)
        .field("buy_minor", wallet->buy_minor)
        .field("fx_rounding_minor", wallet->fx_rounding_minor)
        .field("rate", wallet->rate)
        .field("quote_id", wallet->quote_id)
        .key("above_spending_limit")
        .boolean(wallet->above_spending_limit)
        .field("voters", wallet->voters)
        .field("approvals_needed", wallet->approvals_needed)
        .field("risk_tier", wallet->risk_tier)
        .end_object();
  }
  if (const auto* votes = step_of(v, settlement::approval_step)) {
    std::int64_t approvals = 0, rejections = 0;
    for (const auto& s : votes->signals) {
      approvals += s.decision == "APPROVE";
      rejections += s.decision == "REJECT";
    }
    w.key("votes").begin_object().field("approvals", approvals).field("rejections", rejections);
    w.end_object();
  }
  write_time_or_null(w, "created_at", v.started_at_ms);
  write_time_or_null(w, "updated_at", v.updated_at_ms);
  write_time_or_null(w, "finished_at", v.finished_at_ms);
  write_saga_steps(w, v);
  w.end_object();
  return w.take();
}

/// A text member of a JSON object's text, or "".
std::string input_member_of(std::string_view json_text, std::string_view key) {
  auto parsed = parse_json(json_text);
  const json_node* member = parsed.value ? parsed.value->find(key) : nullptr;
  return member && member->kind() == json_kind::string ? std::string(member->as_string())
                                                       : std::string{};
}

/// One line of a pod's payout list: what it pays and where it stands.
void write_payout_line(json_writer& w, const actors::saga_summary& s) {
  auto details = parse_json(s.details);
  const json_node* amount = details.value ? details.value->find("amount_minor") : nullptr;
  const json_node* currency = details.value ? details.value->find("currency") : nullptr;
  w.begin_object()
      .field("payout_id", settlement::payout_of_saga(s.saga_id))
      .field("status", payout_status_of(s.status, s.current_step));
  write_text_or_null(w, "reason", s.reason);
  w.key("amount_minor");
  const auto minor = amount != nullptr ? amount->as_int64() : std::nullopt;
  if (minor)
    w.integer(*minor);
  else
    w.null();
  write_text_or_null(w, "currency",
                     currency != nullptr && currency->kind() == json_kind::string
                         ? currency->as_string()
                         : std::string_view{});
  write_time_or_null(w, "created_at", s.started_at_ms);
  write_time_or_null(w, "updated_at", s.updated_at_ms);
  w.end_object();
}

/// A text member of the saga's input (the payout request), or "".
std::string input_member(const actors::saga_view& v, std::string_view key) {
  return input_member_of(v.input, key);
}

/// True when the saga `v` was started by the same request as `r`: the amount, the currency and
/// the beneficiary the client sent (the IBAN as normalised for both).
bool same_payout_request(const actors::saga_view& v, const payout_request& r) {
  auto parsed = parse_json(v.input);
  if (!parsed.value) return false;
  const json_node& in = *parsed.value;
  const json_node* amount = in.find("amount_minor");
  const json_node* to = in.find("beneficiary");
  if (amount == nullptr || amount->as_int64() != r.amount_minor || to == nullptr ||
      to->kind() != json_kind::object)
    return false;
  auto text_is = [](const json_node& object, std::string_view key, const std::string& expected) {
    const json_node* member = object.find(key);
    return member != nullptr && member->kind() == json_kind::string &&
           member->as_string() == expected;
  };
  return text_is(in, "currency", r.currency) && text_is(*to, "name", r.to.name) &&
         text_is(*to, "country", r.to.country) && text_is(*to, "iban", r.to.iban) &&
         text_is(*to, "bic", r.to.bic);
}

/// Reads the saga and the wallet's payout, and replies `status` with both.
void reply_payout(const api_context& ctx, const exchange_ptr& ex, const std::string& pod_id,
                  actors::saga_view v, http::status status) {
  const auto payout_id = settlement::payout_of_saga(v.saga_id);
  actors::payout_command get;
  get.pod_id = pod_id;
  get.payout_id = payout_id;
  get.action = actors::payout_action::get;
  auto location = "/pods/" + pod_id + "/payouts/" + payout_id;
  ask<actors::payout_view>(
      ctx.bridge, ctx.runtime->pods(), std::move(get),
      [ex, v = std::move(v), status, location](result<actors::payout_view> w) {
        // No wallet entry yet (or any more, for a reservation the pod refused): the saga alone.
        reply_body(ex, status, payout_body(v, w ? &w.value() : nullptr),
                   status == http::status::accepted ? location : std::string{});
      });
}

/// The saga of `{payout_id}` in pod `pod_id`; 404 when the id is malformed, unknown, or of
/// another pod.
template <class Then>
void with_payout_saga(const api_context& ctx, const exchange_ptr& ex, const std::string& pod_id,
                      Then then) {
  const auto saga_id = settlement::saga_of_payout(ex->param("payout_id"));
  auto not_found = [ex] {
    reply_failure(ex, failure{errc::not_found, "no payout " + std::string(ex->param("payout_id")),
                              "payout_id"});
  };
  if (saga_id.empty()) return not_found();
  ask<actors::saga_view>(ctx.bridge, ctx.runtime->sagas(), actors::get_saga{saga_id},
                         [ex, pod_id, then, not_found](result<actors::saga_view>&& r) mutable {
                           if (!r && r.error().code == errc::not_found) return not_found();
                           if (!r) return reply_failure(ex, r.error());
                           if (r->type != settlement::type || input_member(*r, "pod_id") != pod_id)
                             return not_found();
                           then(std::move(*r));
                         });
}

void create(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  auto who = authorize(ctx, ex, *id, permission::write);
  if (!who) return;
  run_idempotent(ctx, ex, *who, true, [ctx, ex, id = *id, who = *who](const actors::idempotency_tag& tag) {
    auto decoded = decode_payout(ex->request());
    if (auto* p = std::get_if<problem>(&decoded)) return ex->reply_problem(*p);
    auto request = std::get<payout_request>(std::move(decoded));
    // The key names the payout (and its saga), so a retry that lost its stored response finds
    // the settlement it started instead of starting a second one, or of checking the wallet
    // again, which that settlement's hold has already drawn on.
    const auto payout = payout_id::from_random(id_bits_from("payout\n" + who.subject + "\n" + id +
                                                            "\n" + tag.key))
                            .str();
    const auto saga_id = settlement::saga_of_payout(payout);
    // A started payout answers where it is now; under its key, another request is refused.
    auto answer_started = [ctx, ex, id, request](result<actors::saga_view> v) {
      if (!v) return reply_failure(ex, v.error());
      if (!same_payout_request(*v, request))
        return ex->reply_problem(make_problem(http::status::unprocessable_entity,
                                              "idempotency_key_reused",
                                              "this Idempotency-Key started a payout of another "
                                              "request",
                                              "Idempotency-Key"));
      reply_payout(ctx, ex, id, std::move(*v), http::status::accepted);
    };
    auto check_and_start = [ctx, ex, id, who, payout, saga_id, request, answer_started] {
      actors::payout_command check;
      check.pod_id = id;
      check.by = caller_of(who);
      check.payout_id = payout;
      check.action = actors::payout_action::check;
      check.amount_minor = request.amount_minor;
      check.currency = request.currency;
      check.beneficiary_name = request.to.name;
      check.requested_at_ms = ctx.now_ms();
      ask<actors::payout_view>(
          ctx.bridge, ctx.runtime->pods(), check,
          [ctx, ex, id, who, payout, saga_id, request,
           answer_started](result<actors::payout_view> checked) {
            if (!checked) return reply_failure(ex, checked.error());
            actors::start_saga start{
                saga_id, std::string(settlement::type),
                saga_input(id, payout, *checked, caller_of(who), request, ctx.now_ms())};
            ask<actors::saga_view>(
                ctx.bridge, ctx.runtime->sagas(), std::move(start),
                [ctx, ex, id, saga_id, answer_started](result<actors::saga_view> started) {
                  if (started) {
                    // Just started: its reserve step has not run, so the wallet has nothing yet.
                    const auto location =
                        "/pods/" + id + "/payouts/" + settlement::payout_of_saga(started->saga_id);
                    return reply_body(ex, http::status::accepted, payout_body(*started, nullptr),
                                      location);
                  }
                  if (started.error().code != errc::already_exists)
                    return reply_failure(ex, started.error());
                  // Started by a request racing this one under the same key.
                  ask<actors::saga_view>(ctx.bridge, ctx.runtime->sagas(),
                                         actors::get_saga{saga_id}, answer_started);
                });
          });
    };
    ask<actors::saga_view>(ctx.bridge, ctx.runtime->sagas(), actors::get_saga{saga_id},
                           [answer_started, check_and_start](result<actors::saga_view>&& found) {
                             if (!found && found.error().code == errc::not_found)
                               return check_and_start();
                             answer_started(std::move(found));
                           });
  });
}

/// The pod's payouts, oldest first, optionally only those with `?status=`; the cursor is the
/// last payout id of a page.
void list(const api_context& ctx, const exchange_ptr& ex) {
  auto listing = pod_listing_of(ctx, ex, {"status"});
  if (!listing) return;
  const auto& pr = listing->page;
  auto bad_cursor = [ex] { ex->reply_problem(foreign_cursor()); };
  actors::list_sagas q;
  q.limit = static_cast<std::uint64_t>(pr.limit);
  q.type = std::string(settlement::type);
  q.owner = listing->pod_id;
  for (const auto& [name, value] : pr.query) {
    if (name != "status") continue;
    const auto& phases = payout_phases();
    const auto phase = std::find_if(phases.begin(), phases.end(),
                                    [&](const payout_phase& p) { return p.status == value; });
    if (phase == phases.end()) {
      std::string known;
      for (const auto& p : phases) known += (known.empty() ? "" : ", ") + std::string(p.status);
      return ex->reply_problem(make_problem(http::status::bad_request, "invalid_query",
                                            "status must be one of " + known, "status"));
    }
    q.status = std::string(phase->saga_status);
    q.steps = phase->steps;
  }
  if (!pr.after.empty()) {
    q.after = settlement::saga_of_payout(pr.after);
    if (q.after.empty()) return bad_cursor();
  }
  with_existing_pod(ctx, ex, listing->pod_id, [ctx, ex, q = std::move(q), bad_cursor] {
    ask<actors::saga_page>(
        ctx.bridge, ctx.runtime->sagas(), q, [ex, bad_cursor](result<actors::saga_page> r) {
          if (!r && r.error().param == "cursor") return bad_cursor();
          if (!r) return reply_failure(ex, r.error());
          const auto next =
              r->next_after.empty() ? std::string() : settlement::payout_of_saga(r->next_after);
          reply_page(ex, r->items, write_payout_line, next);
        });
  });
}

void read(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  if (!authorize(ctx, ex, *id, permission::read)) return;
  with_payout_saga(ctx, ex, *id, [ctx, ex, id = *id](actors::saga_view v) {
    reply_payout(ctx, ex, id, std::move(v), http::status::ok);
  });
}

/// Sends `signal` (its saga id set) to the saga and answers with the payout.
void send_signal(const api_context& ctx, const exchange_ptr& ex, const std::string& pod_id,
                 actors::saga_signal signal) {
  ask<actors::saga_view>(ctx.bridge, ctx.runtime->sagas(), actors::signal_saga{std::move(signal)},
                         [ctx, ex, pod_id](result<actors::saga_view> r) mutable {
                           if (!r) return reply_failure(ex, r.error());
                           reply_payout(ctx, ex, pod_id, std::move(*r), http::status::ok);
                         });
}

/// Who may act on a payout: nullopt, or why not.
using payout_guard = std::function<std::optional<failure>(const actors::saga_view&)>;

/// Sends `signal` to the payout's saga (if `guard` lets it) and answers with the payout.
void signal_payout(const api_context& ctx, const exchange_ptr& ex, const std::string& pod_id,
                   actors::saga_signal signal, payout_guard guard = {}) {
  with_payout_saga(ctx, ex, pod_id,
                   [ctx, ex, pod_id, signal = std::move(signal),
                    guard = std::move(guard)](actors::saga_view v) mutable {
                     if (guard) {
                       if (auto refused = guard(v)) return reply_failure(ex, *refused);
                     }
                     signal.saga_id = v.saga_id;
                     send_signal(ctx, ex, pod_id, std::move(signal));
                   });
}

void vote(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  auto who = authorize(ctx, ex, *id, permission::write);
  if (!who) return;
  run_idempotent(ctx, ex, *who, false, [ctx, ex, id = *id, who = *who](const actors::idempotency_tag&) {
    auto parsed = object_body(ex->request());
    if (auto* p = std::get_if<problem>(&parsed)) return ex->reply_problem(*p);
    const auto& body = std::get<json_node>(parsed);
    if (auto p = only_known(body, {"user_id", "decision"})) return ex->reply_problem(*p);
    const json_node *user, *decision;
    if (auto p = require(body, "user_id", json_kind::string, "user_id", user))
      return ex->reply_problem(*p);
    if (auto p = require(body, "decision", json_kind::string, "decision", decision))
      return ex->reply_problem(*p);
    const std::string user_id(user->as_string());
    const std::string_view d = decision->as_string();
    if (d != "approve" && d != "reject")
      return ex->reply_problem(bad_field("decision", "decision must be \"approve\" or \"reject\""));
    const auto by = caller_of(who);
    if (!by.platform_admin && by.subject != user_id)
      return reply_failure(ex, failure{errc::role_forbidden,
                                       "a member votes for themselves; this token speaks for \"" +
                                           by.subject + "\"",
                                       "user_id"});
    actors::saga_signal signal;
    signal.step = std::string(settlement::approval_step);
    signal.signal_id = "vote:" + user_id;  // one vote per member
    signal.decision =
        d == "approve" ? actors::signal_decision::approve : actors::signal_decision::reject;
    json_writer payload;
    payload.begin_object().field("user_id", user_id).end_object();
    signal.payload = payload.take();
    with_payout_saga(ctx, ex, id,
                     [ctx, ex, id, signal = std::move(signal), user_id,
                      approve = d == "approve"](actors::saga_view v) mutable {
                       signal.saga_id = v.saga_id;
                       const auto* step = step_of(v, settlement::approval_step);
                       const bool over = v.status != "RUNNING" || step == nullptr ||
                                         step->status == "SUCCEEDED" || step->status == "FAILED" ||
                                         step->status.starts_with("COMPENSAT");
                       // A vote the saga refuses anyway (its vote is over) goes to it to be
                       // refused: the pod records nothing for it. Any other vote, one that comes as
                       // the deadline is being judged included, passes the pod first.
                       if (over) return send_signal(ctx, ex, id, std::move(signal));
                       // The pod decides first whether this member may vote (every role but
                       // OBSERVER, a member before the payout's hold was made), in turn with every
                       // change of the member, and counts the vote in the member's reputation
                       // (once: a retry records nothing new); only then does the saga count it
                       // towards quorum.
                       actors::payout_command record;
                       record.pod_id = id;
                       record.payout_id = settlement::payout_of_saga(v.saga_id);
                       record.action = actors::payout_action::vote;
                       record.voter = user_id;
                       record.approve = approve;
                       record.requested_at_ms = ctx.now_ms();
                       ask<actors::payout_view>(ctx.bridge, ctx.runtime->pods(), std::move(record),
                                                [ctx, ex, id, signal = std::move(signal)](
                                                    result<actors::payout_view> recorded) mutable {
                                                  if (!recorded)
                                                    return reply_failure(ex, recorded.error());
                                                  send_signal(ctx, ex, id, std::move(signal));
                                                });
                     });
  });
}

void otp(const api_context& ctx, const exchange_ptr& ex) {
  auto id = checked_pod_id(ex);
  if (!id) return;
  auto who = authorize(ctx, ex, *id, permission::write);
  if (!who) return;
  run_idempotent(ctx, ex, *who, false, [ctx, ex, id = *id, who = *who](const actors::idempotency_tag& tag) {
    auto parsed = object_body(ex->request());
    if (auto* p = std::get_if<problem>(&parsed)) return ex->reply_problem(*p);
    const auto& body = std::get<json_node>(parsed);
    if (auto p = only_known(body, {"code"})) return ex->reply_problem(*p);
    const json_node* code;
    if (auto p = require(body, "code", json_kind::string, "code", code))
      return ex->reply_problem(*p);
    const std::string_view c = code->as_string();
    if (c.size() != 6 || c.find_first_not_of("0123456789") != std::string_view::npos)
      return ex->reply_problem(bad_field("code", "code must be six digits"));
    actors::saga_signal signal;
    signal.step = std::string(settlement::otp_step);
    // Each try counts once: a retried request (the same client and key) is the same try, and a
    // request without a key is a try of its own (never the client's X-Request-Id, which it may
    // repeat). The id shows neither the key nor who sent it.
    std::string material = "key\n" + who.subject + '\n' + tag.key;
    if (tag.key.empty()) {
      static std::atomic<std::uint64_t> tries{0};
      material = "try\n" + hex_encode(random_bytes(16).value_or(std::string{})) + '\n' +
                 std::to_string(ctx.now_ms()) + '\n' + std::to_string(++tries);
    }
    signal.signal_id = "otp:" + hex_encode(sha256(material)).substr(0, 32);
    signal.decision = actors::signal_decision::payload_only;
    json_writer payload;
    payload.begin_object().field("code", c).end_object();
    signal.payload = payload.take();
    // The password steps up the request of the member who made it.
    auto guard = [by = caller_of(who)](const actors::saga_view& v) -> std::optional<failure> {
      if (by.platform_admin || input_member(v, "requested_by") == by.subject) return std::nullopt;
      return failure{errc::role_forbidden,
                     "only the member who requested the payout enters its one-time password", ""};
    };
    signal_payout(ctx, ex, id, std::move(signal), std::move(guard));
  });
}

// ---- provider callbacks ----

/// A signed provider callback turned into a saga signal; late or repeated ones are
/// acknowledged and change nothing.
void callback(const api_context& ctx, const exchange_ptr& ex, std::string_view provider) {
  const auto& req = ex->request();
  if (!ctx.verify_callback ||
      !ctx.verify_callback(req["webhook-id"], req["webhook-timestamp"], req["webhook-signature"],
                           req.body()))
    return ex->reply_problem(make_problem(http::status::unauthorized, "invalid_signature",
                                          "the callback's Standard Webhooks signature does not "
                                          "verify",
                                          "webhook-signature"));
  auto parsed = object_body(req);
  if (auto* p = std::get_if<problem>(&parsed)) return ex->reply_problem(*p);
  const auto& body = std::get<json_node>(parsed);
  const json_node *ref, *status;
  const bool kyc = provider == "kyc";
  const char* ref_key = kyc ? "reference" : "end_to_end_id";
  if (auto p = require(body, ref_key, json_kind::string, ref_key, ref)) return ex->reply_problem(*p);
  if (auto p = require(body, "status", json_kind::string, "status", status))
    return ex->reply_problem(*p);
  const auto saga_id = settlement::saga_of_payout(ref->as_string());
  if (saga_id.empty())
    return reply_failure(ex, failure{errc::not_found, "no payout " + std::string(ref->as_string()),
                                     ref_key});
  const std::string_view s = status->as_string();
  actors::saga_signal signal;
  signal.saga_id = saga_id;
  signal.step = std::string(kyc ? settlement::kyc_step : settlement::confirm_step);
  const bool good = s == (kyc ? "APPROVED" : "SETTLED");
  const bool bad = s == (kyc ? "REJECTED" : "RETURNED");
  if (!good && !bad) {
    ex->reply_json(http::status::ok, R"({"accepted":false,"detail":"not a final status"})");
    return;
  }
  signal.decision = good ? actors::signal_decision::approve : actors::signal_decision::reject;
  // The webhook id stays the same through the provider's retries and duplicates.
  signal.signal_id = std::string(provider) + ":" + std::string(req["webhook-id"]);
  signal.payload = std::string(req.body());
  ask<actors::saga_view>(ctx.bridge, ctx.runtime->sagas(), actors::signal_saga{std::move(signal)},
                         [ex](result<actors::saga_view>&& r) {
                           if (r) return ex->reply_json(http::status::ok, R"({"accepted":true})");
                           // A callback after the saga moved on (e.g. compensated) is acknowledged,
                           // not retried.
                           if (r.error().code == errc::illegal_transition)
                             return ex->reply_json(http::status::ok,
                                                   R"({"accepted":false,"detail":"too late"})");
                           reply_failure(ex, r.error());
                         });
}

}  // namespace

void add_payout_routes(route_table& routes, const api_context& ctx) {
  routes.add(http::verb::post, "/pods/{pod_id}/payouts",
             [ctx](const exchange_ptr& ex) { create(ctx, ex); });
  routes.add(http::verb::get, "/pods/{pod_id}/payouts",
             [ctx](const exchange_ptr& ex) { list(ctx, ex); });
  routes.add(http::verb::get, "/pods/{pod_id}/payouts/{payout_id}",
             [ctx](const exchange_ptr& ex) { read(ctx, ex); });
  routes.add(http::verb::post, "/pods/{pod_id}/payouts/{payout_id}/votes",
             [ctx](const exchange_ptr& ex) { vote(ctx, ex); });
  routes.add(http::verb::post, "/pods/{pod_id}/payouts/{payout_id}/otp",
             [ctx](const exchange_ptr& ex) { otp(ctx, ex); });
  routes.add(http::verb::post, "/callbacks/kyc",
             [ctx](const exchange_ptr& ex) { callback(ctx, ex, "kyc"); });
  routes.add(http::verb::post, "/callbacks/rail",
             [ctx](const exchange_ptr& ex) { callback(ctx, ex, "rail"); });
}

}  // namespace payorch::gateway
