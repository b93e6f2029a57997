// The cross-border settlement saga (see settlement.hpp): its steps over the provider adapters
// and the pod's wallet.
#include "sagas/settlement.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>
#include <caf/all.hpp>
#include <cctype>
#include <mutex>

#include "actors/errors.hpp"
#include "actors/json_fields.hpp"
#include "actors/pod_protocol.hpp"
#include "actors/runtime.hpp"
#include "adapters/fx_client.hpp"
#include "adapters/kyc_client.hpp"
#include "adapters/pacs008.hpp"
#include "adapters/provider_hub.hpp"
#include "adapters/rail_client.hpp"
#include "adapters/risk_client.hpp"
#include "adapters/sanctions_client.hpp"
#include "adapters/webhook_signature.hpp"
#include "domain/currency.hpp"
#include "domain/fx.hpp"
#include "domain/ids.hpp"
#include "domain/int128.hpp"
#include "domain/time.hpp"

namespace payorch::sagas {

/// Work for the settlement's pod bridge: runs on the bridge actor, which makes the request.
struct pod_job {
  std::function<void(caf::event_based_actor*)> run;
};

}  // namespace payorch::sagas

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(payorch::sagas::pod_job)

namespace payorch::sagas {
namespace json = boost::json;

namespace {

using adapters::provider_error;
using adapters::provider_error_kind;
using adapters::provider_result;

/// How a submission's final failure reads: the rail refused it outright (it took nothing), or
/// it answered something else final (it may have taken the payment; see refused_outright).
constexpr std::string_view rail_refused = "rail_rejected";
constexpr std::string_view rail_in_doubt = "rail_in_doubt";

/// Whether `text` speaks of a duplicate or of an idempotency key, in any case: a refusal of a
/// repeated submission, whose first may stand.
bool mentions_reuse(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("duplicate") != std::string::npos ||
         lower.find("idempotency") != std::string::npos;
}

/// What every step reads of the saga's input (written by the gateway's POST .../payouts).
struct payout_input {
  std::string pod_id, payout_id, pod_currency, currency, requested_by;
  /// The wallet currency the check found would pay: the pod's (selling it for `currency` when
  /// they differ) or `currency` itself, when the wallet held enough of it at the request. The
  /// reservation chooses again, and the fx step follows its `hold_currency`.
  std::string funding_currency;

  bool platform_admin = false;
  std::int64_t amount_minor = 0;
  std::int64_t requested_at_ms = 0;
  std::string name, country, iban, bic;
};

// Members of the saga's JSON input and step outputs, read as the event codecs read theirs;
// absent or mistyped members read as empty, 0 or false.
std::string text_of(const json::object& o, std::string_view key) {
  return actors::json_fields(o).optional_text(key);
}

std::int64_t int_of(const json::object& o, std::string_view key) {
  return actors::json_fields(o).integer(key);
}

bool flag_of(const json::object& o, std::string_view key) {
  return actors::json_fields(o).flag(key);
}

/// The rate `in.pod_currency` → `in.currency` the FX provider quoted as `text`.
result<fx_rate> rate_of(const payout_input& in, const std::string& text) {
  auto base = currency::from_code(in.pod_currency);
  auto quote = currency::from_code(in.currency);
  if (!base || !quote) return fail(errc::unknown_currency, "currency");
  return fx_rate::parse(*base, *quote, text);
}

json::object parse_object(std::string_view text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.get_object());
}

payout_input input_of(std::string_view text) {
  auto o = parse_object(text);
  payout_input in;
  in.pod_id = text_of(o, "pod_id");
  in.payout_id = text_of(o, "payout_id");
  in.pod_currency = text_of(o, "pod_currency");
  in.currency = text_of(o, "currency");
  // Inputs written before payouts could be paid from their own currency sold the pod's.
  in.funding_currency = text_of(o, "funding_currency");
  if (in.funding_currency.empty()) in.funding_currency = in.pod_currency;
  in.requested_by = text_of(o, "requested_by");
  in.platform_admin = flag_of(o, "platform_admin");
  in.amount_minor = int_of(o, "amount_minor");
  in.requested_at_ms = int_of(o, "requested_at");
  if (const auto* b = actors::json_fields(o).object("beneficiary")) {
    in.name = text_of(*b, "name");
    in.country = text_of(*b, "country");
    in.iban = text_of(*b, "iban");
    in.bic = text_of(*b, "bic");
  }
  return in;
}

json::object output_of(const step_context& ctx, std::string_view step) {
  const auto* out = ctx.output_of(step);
  return out ? parse_object(*out) : json::object{};
}

json::object output_of(const wait_state& w, std::string_view step) {
  auto i = w.outputs.find(std::string(step));
  return i == w.outputs.end() ? json::object{} : parse_object(i->second);
}

/// A provider failure as the step's outcome: worth another attempt, or not.
step_outcome outcome_of(const provider_error& e, std::string_view code_if_final) {
  std::string what = e.detail.empty() ? std::string(e.code) : e.detail;
  switch (e.kind) {
    case provider_error_kind::retryable_exhausted:
    case provider_error_kind::circuit_open:
    case provider_error_kind::bad_answer:
      return step_outcome::retryable_failure("provider_unavailable: " +
                                             std::string(to_string(e.kind)) + ": " + what);
    case provider_error_kind::final:
    case provider_error_kind::invalid_request:
      break;
  }
  return step_outcome::final_failure(std::string(code_if_final) + ": " + what);
}

/// A pod's answer as the step's outcome: storage trouble is worth another attempt.
step_outcome outcome_of(const failure& f, std::string_view code_if_final) {
  if (f.code == errc::storage_unavailable || f.code == errc::entity_unavailable ||
      f.code == errc::deadline_exceeded || f.code == errc::version_conflict)
    return step_outcome::retryable_failure("pod_unavailable: " + f.detail);
  const std::string code =
      f.code == errc::insufficient_funds ? "insufficient_funds" : std::string(code_if_final);
  return step_outcome::final_failure(code + ": " + f.detail);
}

/// ceil(a / r) in the sell currency's minor units: the least sale whose conversion at `rate`
/// is at least `a` minor units of the buy currency (see domain/fx.hpp for the rule).
result<std::int64_t> sale_for(std::int64_t a, const fx_rate& rate) {
  using detail::int128;
  const int128 d = detail::pow10_128(9 + rate.base.exponent() - rate.quote.exponent());
  const int128 num = static_cast<int128>(a) * d;
  const int128 s = (num + rate.rate_nano - 1) / rate.rate_nano;
  if (s <= 0 || !detail::fits_int64(s)) return fail(errc::amount_overflow, "the sale does not fit");
  return static_cast<std::int64_t>(s);
}

struct environment {
  settlement_options options;
  caf::actor_system* system = nullptr;
  std::mutex bridge_mutex;  ///< attach (a manager start) replaces the bridge any thread may use
  caf::actor bridge;

  caf::actor current_bridge() {
    std::lock_guard<std::mutex> guard{bridge_mutex};
    return bridge;
  }

  /// Asks the pod router; `done` runs on the bridge's thread.
  void ask_pod(actors::payout_command cmd, std::function<void(result<actors::payout_view>)> done) {
    auto router =
        system ? system->registry().get<actors::pod_router_actor>(actors::pods_registry_name())
               : actors::pod_router_actor{};
    auto via = current_bridge();
    if (!router || !via) {
      done(fail(errc::entity_unavailable, "the pod router is not running"));
      return;
    }
    caf::anon_send(via, pod_job{[router, cmd = std::move(cmd), done = std::move(done)](
                                       caf::event_based_actor* self) mutable {
                     // Handlers never let an exception out: the bridge is linked to the
                     // supervisor, which would stop on its abnormal exit.
                     self->request(router, caf::infinite, std::move(cmd))
                         .then(
                             [done](actors::payout_view& v) {
                               try {
                                 done(std::move(v));
                               } catch (...) {
                               }
                             },
                             [done](caf::error& e) {
                               try {
                                 done(actors::to_failure(e));
                               } catch (...) {
                               }
                             });
                   }});
  }

  actors::payout_command command(const payout_input& in, actors::payout_action action,
                                 std::int64_t now_ms) const {
    actors::payout_command c;
    c.pod_id = in.pod_id;
    c.by = {in.requested_by, in.platform_admin};
    c.payout_id = in.payout_id;
    c.action = action;
    c.amount_minor = in.amount_minor;
    c.currency = in.currency;
    c.beneficiary_name = in.name;
    c.requested_at_ms = now_ms;
    c.hold_currency = in.funding_currency;
    return c;
  }

  std::function<std::int64_t()> now;
  std::int64_t now_ms() const {
    return now ? now()
               : std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  }
};

using env_ptr = std::shared_ptr<environment>;

caf::behavior bridge_impl(caf::event_based_actor* self, int /*CAF 0.17 needs an argument*/) {
  return {[self](pod_job& job) {
    try {
      job.run(self);
    } catch (...) {
    }
  }};
}

json::object view_json(const actors::payout_view& v) {
  return json::object{{"status", v.status},
                      {"hold_minor", v.hold_minor},
                      {"hold_currency", v.hold_currency},
                      {"above_spending_limit", v.above_spending_limit},
                      {"voters", v.voters},
                      {"approvals_needed", v.approvals_needed},
                      {"risk_tier", v.risk_tier}};
}

// ---- reserve ----

void reserve(const env_ptr& env, const step_context& ctx, step_done done) {
  auto in = input_of(ctx.input);
  auto hold_and_reserve = [env, in, done](std::int64_t hold, std::string rate) {
    auto cmd = env->command(in, actors::payout_action::reserve, env->now_ms());
    cmd.hold_minor = hold;
    env->ask_pod(std::move(cmd), [done, rate](result<actors::payout_view> v) {
      if (!v) return done(outcome_of(v.error(), "payout_refused"));
      auto out = view_json(*v);
      if (!rate.empty()) out["estimate_rate"] = rate;
      done(step_outcome::succeeded(json::serialize(out)));
    });
  };
  if (in.currency == in.pod_currency) return hold_and_reserve(in.amount_minor, {});
  // Another currency: estimate its cost in the pod's currency at today's rate, plus the margin.
  // Sold from the pod's currency, that is the hold; paid from its own, the pod holds the amount
  // and the estimate counts against the spending limit.
  env->options.providers->fx().rate(
      in.pod_currency, in.currency,
      [env, in, done, hold_and_reserve](provider_result<adapters::fx_rate_answer> r) {
        if (!r) return done(outcome_of(r.error(), "fx_unavailable"));
        auto rate = rate_of(in, r->rate);
        if (!rate) return done(step_outcome::final_failure("fx_unavailable: " + rate.error().detail));
        auto sale = sale_for(in.amount_minor, *rate);
        if (!sale) return done(step_outcome::final_failure("invalid_amount: " + sale.error().detail));
        const auto with_margin =
            (static_cast<detail::int128>(*sale) * (10'000 + env->options.fx_margin_bps) + 9'999) /
            10'000;
        if (!detail::fits_int64(with_margin))
          return done(step_outcome::final_failure("invalid_amount: the hold does not fit"));
        hold_and_reserve(static_cast<std::int64_t>(with_margin), r->rate);
      });
}

/// Reverses the payout's posting in the pod (the money comes back to the wallet); callers make
/// sure nothing of it is, or may be, with the rail.
void credit_back(const env_ptr& env, const payout_input& in, std::string reason, step_done done) {
  auto cmd = env->command(in, actors::payout_action::reverse, env->now_ms());
  cmd.reason = std::move(reason);
  env->ask_pod(std::move(cmd), [done](result<actors::payout_view> v) {
    if (!v) return done(outcome_of(v.error(), "reverse_failed"));
    done(step_outcome::succeeded());
  });
}

void release(const env_ptr& env, const step_context& ctx, step_done done) {
  auto in = input_of(ctx.input);
  auto cmd = env->command(in, actors::payout_action::release, env->now_ms());
  cmd.reason = "settlement compensated";
  env->ask_pod(std::move(cmd), [env, in, done](result<actors::payout_view> v) {
    // A payout the pod never reserved holds nothing: there is nothing to release.
    if (!v && v.error().code != errc::not_found) return done(outcome_of(v.error(), "release_failed"));
    if (!v || v->status != "POSTED") return done(step_outcome::succeeded());
    // Posted although the post step never completed (its answer was lost): nothing reached
    // the rail (submit comes after post), so the money goes back to the wallet.
    credit_back(env, in, "settlement compensated before submission", done);
  });
}

// ---- compliance ----

void kyc(const env_ptr& env, const step_context& ctx, step_done done) {
  auto in = input_of(ctx.input);
  adapters::kyc_request req;
  req.reference = in.payout_id;
  req.name = in.name;
  req.country = in.country;
  if (!env->options.callback_base_url.empty())
    req.callback_url = env->options.callback_base_url + "/callbacks/kyc";
  env->options.providers->kyc().start_verification(
      req, ctx.idempotency_key(), [done](provider_result<adapters::kyc_verification> r) {
        if (!r) return done(outcome_of(r.error(), "kyc_unavailable"));
        if (r->status == "REJECTED")
          return done(step_outcome::final_failure("kyc_rejected: " + r->reason.value_or("")));
        done(step_outcome::succeeded(json::serialize(json::object{
            {"verification_id", r->verification_id}, {"status", r->status}})));
      });
}

/// The KYC result arrives as a signal (the callback); APPROVED in the start's answer needs none.
wait_verdict kyc_verdict(const wait_state& w) {
  if (text_of(output_of(w, "kyc"), "status") == "APPROVED")
    return wait_verdict::succeeded(R"({"status":"APPROVED"})");
  for (const auto& s : w.signals) {
    if (s.decision == signal_decision::approve)
      return wait_verdict::succeeded(R"({"status":"APPROVED"})");
    if (s.decision == signal_decision::reject)
      return wait_verdict::failed("kyc_rejected: " + text_of(parse_object(s.payload), "reason"));
  }
  return wait_verdict::pending();
}

/// At the deadline: ask the provider once more.
void kyc_timeout(const env_ptr& env, const step_context& ctx, step_done done) {
  auto id = text_of(output_of(ctx, "kyc"), "verification_id");
  env->options.providers->kyc().get(id, [done](provider_result<adapters::kyc_verification> r) {
    if (!r) return done(outcome_of(r.error(), "kyc_timeout"));
    if (r->status == "APPROVED") return done(step_outcome::succeeded(R"({"status":"APPROVED"})"));
    if (r->status == "REJECTED")
      return done(step_outcome::final_failure("kyc_rejected: " + r->reason.value_or("")));
    done(step_outcome::final_failure("kyc_timeout: no result before the deadline"));
  });
}

void sanctions(const env_ptr& env, const step_context& ctx, step_done done) {
  auto in = input_of(ctx.input);
  adapters::sanctions_request req{in.name, in.country};
  env->options.providers->sanctions().screen(
      req, ctx.idempotency_key(), [done](provider_result<adapters::sanctions_screening> r) {
        if (!r) return done(outcome_of(r.error(), "sanctions_unavailable"));
        std::string first = r->matches.empty() ? std::string{}
                                               : " (" + r->matches.front().name + ", " +
                                                     r->matches.front().program + ")";
        if (r->result == "HIT") return done(step_outcome::final_failure("sanctions_hit: the payee matches a listed party" + first));
        if (r->result != "CLEAR")
          return done(step_outcome::final_failure(
              "sanctions_review: the payee resembles a listed party" + first));
        done(step_outcome::succeeded(json::serialize(
            json::object{{"screening_id", r->screening_id}, {"result", r->result}})));
      });
}

void risk(const env_ptr& env, const step_context& ctx, step_done done) {
  auto in = input_of(ctx.input);
  adapters::risk_request req;
  req.reference = in.payout_id;
  req.amount_minor = in.amount_minor;
  req.currency = in.currency;
  req.country = in.country;
  req.kyc_status = "APPROVED";
  req.sanctions_result = "CLEAR";
  env->options.providers->risk().score(
      req, ctx.idempotency_key(), [done](provider_result<adapters::risk_score> r) {
        if (!r) return done(outcome_of(r.error(), "risk_unavailable"));
        done(step_outcome::succeeded(
            json::serialize(json::object{{"score", r->score}, {"level", r->level}})));
      });
}

// ---- governance ----

/// Above the spending limit, members vote: quorum approves; enough rejections that quorum can
/// no longer be reached reject.
wait_verdict approval_verdict(const wait_state& w) {
  auto reserved = output_of(w, "reserve");
  if (!flag_of(reserved, "above_spending_limit"))
    return wait_verdict::succeeded(R"({"required":false})");
  const auto needed = static_cast<std::size_t>(std::max<std::int64_t>(int_of(reserved, "approvals_needed"), 1));
  const auto voters = static_cast<std::size_t>(std::max<std::int64_t>(int_of(reserved, "voters"), 1));
  const auto approvals = w.count(signal_decision::approve);
  const auto rejections = w.count(signal_decision::reject);
  if (approvals >= needed)
    return wait_verdict::succeeded(json::serialize(json::object{
        {"required", true}, {"approvals", approvals}, {"rejections", rejections}}));
  if (voters < needed || rejections > voters - needed)
    return wait_verdict::failed("vote_rejected: " + std::to_string(rejections) +
                                " member(s) rejected; " + std::to_string(needed) +
                                " approvals can no longer be reached");
  return wait_verdict::pending();
}

void vote_expired(const step_context&, step_done done) {
  done(step_outcome::final_failure("vote_expired: quorum was not reached before the deadline"));
}

bool otp_required(const wait_state& w) {
  return text_of(output_of(w, "reserve"), "risk_tier") == "HIGH" ||
         text_of(output_of(w, "risk"), "level") == "HIGH";
}

evaluate_fn otp_verdict(std::string secret, std::int64_t max_attempts) {
  return [secret = std::move(secret), max_attempts](const wait_state& w) {
    if (!otp_required(w)) return wait_verdict::succeeded(R"({"required":false})");
    if (w.signals.empty()) return wait_verdict::pending();  // nothing to check the code against
    const auto expected = settlement_otp(secret, input_of(w.input).payout_id);
    std::int64_t wrong = 0;
    for (const auto& s : w.signals) {
      if (adapters::equal_in_constant_time(text_of(parse_object(s.payload), "code"), expected))
        return wait_verdict::succeeded(R"({"required":true,"verified":true})");
      if (++wrong >= max_attempts)
        return wait_verdict::failed("otp_failed: " + std::to_string(wrong) +
                                    " wrong one-time passwords");
    }
    return wait_verdict::pending();
  };
}

void otp_expired(const step_context&, step_done done) {
  done(step_outcome::final_failure("otp_expired: no one-time password before the deadline"));
}

// ---- money ----

void fx_lock(const env_ptr& env, const step_context& ctx, step_done done) {
  auto in = input_of(ctx.input);
  // The reservation says what pays: the payout's own currency (nothing to sell), or the pod's.
  const auto reserved = output_of(ctx, "reserve");
  if (in.currency == in.pod_currency || text_of(reserved, "hold_currency") == in.currency)
    return done(step_outcome::succeeded(R"({"fx":false})"));
  const auto hold = int_of(reserved, "hold_minor");
  auto& fx = env->options.providers->fx();
  // A quote is cheap and harmless; each attempt asks for its own, and only the lock commits.
  const auto key = ctx.idempotency_key() + ":" + std::to_string(ctx.attempt);
  fx.rate(in.pod_currency, in.currency, [env, in, hold, key, done,
                                         &fx](provider_result<adapters::fx_rate_answer> r) {
    if (!r) return done(outcome_of(r.error(), "fx_unavailable"));
    auto rate = rate_of(in, r->rate);
    auto sale = rate ? sale_for(in.amount_minor, *rate) : result<std::int64_t>(rate.error());
    if (!sale) return done(step_outcome::final_failure("fx_unavailable: " + sale.error().detail));
    if (*sale > hold)
      return done(step_outcome::final_failure(
          "quote_exceeds_hold: the rate moved; the sale of " + std::to_string(*sale) +
          " is more than the " + std::to_string(hold) + " held"));
    fx.quote(in.pod_currency, in.currency, *sale, key + ":quote",
             [in, key, done, &fx](provider_result<adapters::fx_quote> q) {
               if (!q) return done(outcome_of(q.error(), "fx_refused"));
               if (q->buy_amount_minor < in.amount_minor) {
                 fx.release(q->quote_id, key + ":release", [](auto) {});
                 return done(step_outcome::retryable_failure(
                     "rate_moved: the quote buys " + std::to_string(q->buy_amount_minor) +
                     ", less than the payout's " + std::to_string(in.amount_minor)));
               }
               auto quoted = q.value();
               fx.lock(quoted.quote_id, key + ":lock",
                       [quoted, key, done, &fx](provider_result<adapters::fx_quote> l) {
                         if (!l) {
                           // The next attempt quotes afresh: this quote is let go.
                           fx.release(quoted.quote_id, key + ":release", [](auto) {});
                           if (l.error().code == "quote_expired")
                             return done(step_outcome::final_failure(
                                 "quote_expired: the FX quote expired before it was locked"));
                           return done(outcome_of(l.error(), "fx_refused"));
                         }
                         done(step_outcome::succeeded(json::serialize(json::object{
                             {"fx", true},
                             {"quote_id", quoted.quote_id},
                             {"sell_minor", quoted.sell_amount_minor},
                             {"buy_minor", quoted.buy_amount_minor},
                             {"rate", quoted.rate},
                             {"locked_until", l->locked_until.value_or("")}})));
                       });
             });
  });
}

void fx_release(const env_ptr& env, const step_context& ctx, step_done done) {
  auto locked = output_of(ctx, "fx");
  if (!flag_of(locked, "fx")) return done(step_outcome::succeeded());
  // Once posted, the sale stands in the ledger (a reversal credits the payout's currency): the
  // quote that backs it is not released.
  if (ctx.output_of("post") != nullptr) return done(step_outcome::succeeded());
  // The post step may have committed although its answer was lost: ask the pod, and keep the
  // quote of a sale it booked (release then credits the payout's currency back, as above).
  auto release_quote = [env, quote = text_of(locked, "quote_id"), key = ctx.idempotency_key(),
                        done]() {
    env->options.providers->fx().release(quote, key, [done](provider_result<adapters::fx_quote> r) {
      if (!r) return done(outcome_of(r.error(), "fx_release_failed"));
      done(step_outcome::succeeded());
    });
  };
  auto in = input_of(ctx.input);
  env->ask_pod(env->command(in, actors::payout_action::get, env->now_ms()),
               [done, release_quote](result<actors::payout_view> v) {
                 if (!v && v.error().code != errc::not_found)
                   return done(outcome_of(v.error(), "fx_release_failed"));
                 if (v && (v->status == "POSTED" || v->status == "REVERSED"))
                   return done(step_outcome::succeeded());
                 release_quote();
               });
}

void post(const env_ptr& env, const step_context& ctx, step_done done) {
  auto in = input_of(ctx.input);
  auto locked = output_of(ctx, "fx");
  auto cmd = env->command(in, actors::payout_action::post, env->now_ms());
  if (flag_of(locked, "fx")) {
    cmd.sell_minor = int_of(locked, "sell_minor");
    cmd.buy_minor = int_of(locked, "buy_minor");
    cmd.rate = text_of(locked, "rate");
    cmd.quote_id = text_of(locked, "quote_id");
  } else {
    cmd.sell_minor = in.amount_minor;
    cmd.buy_minor = in.amount_minor;
  }
  env->ask_pod(std::move(cmd), [done](result<actors::payout_view> v) {
    if (!v) return done(outcome_of(v.error(), "post_refused"));
    done(step_outcome::succeeded(json::serialize(
        json::object{{"sell_minor", v->sell_minor},
                     {"buy_minor", v->buy_minor},
                     {"fx_rounding_minor", v->fx_rounding_minor}})));
  });
}

/// Undoes a posting only when the money is known to be back: never sent, or returned by the
/// rail. A payment the rail settled, still holds, or may have taken (a submission nobody
/// answered) cannot be undone here: the compensation fails and the saga ends FAILED with an
/// operator alert, so the money is never both paid out and credited back. An operator who found
/// the money back resolves it with COMPENSATE, and then it is credited without asking the rail.
void reverse(const env_ptr& env, const step_context& ctx, step_done done) {
  auto in = input_of(ctx.input);
  if (ctx.operator_approved)
    return credit_back(env, in, "settlement compensated: an operator found the money returned",
                       std::move(done));
  const auto payment_id = text_of(output_of(ctx, "submit"), "payment_id");
  if (payment_id.empty()) {
    // A submission is in doubt unless the rail refused it outright (see submit: only then does
    // its final failure read rail_rejected; saga_next.cpp's give_up_reason puts the prefix
    // before it): an unanswered, timed-out or otherwise failed attempt may have been taken.
    // Journals of older builds read rail_rejected for a duplicate EndToEndId or a reused key
    // too: those stay in doubt.
    const auto& why = ctx.compensation_reason;
    const bool refused =
        why.starts_with("step submit failed: " + std::string(rail_refused) + ": ") &&
        !mentions_reuse(why);
    const bool in_doubt = ctx.failed_step == "submit" && !refused;
    if (in_doubt)
      return done(step_outcome::final_failure(
          "payout_in_doubt: the rail never answered the submission of EndToEndId " +
          in.payout_id + "; reconcile it with the rail before crediting the wallet"));
    return credit_back(env, in, "settlement compensated", std::move(done));
  }
  env->options.providers->rail().get(
      payment_id, [env, in, done](provider_result<adapters::rail_payment> r) {
        if (!r) return done(outcome_of(r.error(), "reverse_failed"));
        if (r->status == "RETURNED") return credit_back(env, in, "settlement compensated", done);
        if (r->status == "SETTLED")
          return done(step_outcome::final_failure(
              "payout_settled: the rail settled the payment; it cannot be credited back"));
        done(step_outcome::retryable_failure("payout_in_flight: the rail still shows the payment " +
                                             r->status));
      });
}

// ---- the rail ----

/// True when the rail refused a submission outright, so it took nothing: payorch's own document
/// was refused before sending, or the rail answered a client error other than a timeout (408)
/// or a conflict (409: that EndToEndId was taken before, under a key the rail no longer knows,
/// so the money may be on its way).
bool refused_outright(const adapters::provider_error& e) {
  if (e.kind == provider_error_kind::invalid_request) return true;
  // A key reused with another document (422 idempotency_key_reused, say) or a duplicate is a
  // refusal of a repeat: the first submission may stand.
  if (mentions_reuse(e.code) || mentions_reuse(e.detail)) return false;
  return e.kind == provider_error_kind::final && e.http_status >= 400 && e.http_status < 500 &&
         e.http_status != 408 && e.http_status != 409;
}

void submit(const env_ptr& env, const step_context& ctx, step_done done) {
  auto in = input_of(ctx.input);
  adapters::credit_transfer t;
  t.message_id = in.payout_id;
  // From the request, not the clock: every attempt sends the same document under its key.
  t.created_at_ms = in.requested_at_ms > 0 ? in.requested_at_ms : env->now_ms();
  t.end_to_end_id = in.payout_id;
  t.amount_minor = in.amount_minor;
  t.currency = in.currency;
  t.settlement_date = format_rfc3339_utc(t.created_at_ms).substr(0, 10);
  t.debtor_name = env->options.debtor_name;
  t.debtor_agent_bic = env->options.debtor_bic;
  t.creditor_agent_bic = in.bic;
  t.creditor_name = in.name;
  t.creditor_iban = in.iban;
  t.remittance_info = "payout " + in.payout_id + " of pod " + in.pod_id;
  const auto callback = env->options.callback_base_url.empty()
                            ? std::string{}
                            : env->options.callback_base_url + "/callbacks/rail";
  env->options.providers->rail().submit(
      t, callback, ctx.idempotency_key(), [done](provider_result<adapters::rail_payment> r) {
        if (!r)
          return done(
              outcome_of(r.error(), refused_outright(r.error()) ? rail_refused : rail_in_doubt));
        done(step_outcome::succeeded(json::serialize(json::object{
            {"payment_id", r->payment_id}, {"end_to_end_id", r->end_to_end_id},
            {"status", r->status}})));
      });
}

wait_verdict confirm_verdict(const wait_state& w) {
  for (const auto& s : w.signals) {
    if (s.decision == signal_decision::approve)
      return wait_verdict::succeeded(R"({"status":"SETTLED"})");
    if (s.decision == signal_decision::reject)
      return wait_verdict::failed("rail_returned: " +
                                  text_of(parse_object(s.payload), "reason_code"));
  }
  return wait_verdict::pending();
}

/// At the deadline: read the payment; still in flight is worth a few more reads.
void confirm_timeout(const env_ptr& env, const step_context& ctx, step_done done) {
  auto id = text_of(output_of(ctx, "submit"), "payment_id");
  env->options.providers->rail().get(id, [done](provider_result<adapters::rail_payment> r) {
    if (!r) return done(outcome_of(r.error(), "confirmation_timeout"));
    if (r->status == "SETTLED") return done(step_outcome::succeeded(R"({"status":"SETTLED"})"));
    if (r->status == "RETURNED")
      return done(step_outcome::final_failure("rail_returned: " + r->reason_code.value_or("")));
    done(step_outcome::retryable_failure("confirmation_timeout: the rail still says " + r->status));
  });
}

}  // namespace

std::string settlement_otp(std::string_view secret, std::string_view payout_id) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payout_id.data()), payout_id.size(), mac, &len);
  const unsigned offset = mac[len - 1] & 0x0f;
  const std::uint32_t bin = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                            (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                            (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                            static_cast<std::uint32_t>(mac[offset + 3]);
  auto code = std::to_string(bin % 1'000'000);
  return std::string(6 - code.size(), '0') + code;
}

settlement_setup make_settlement(settlement_options options) {
  auto env = std::make_shared<environment>();
  env->options = std::move(options);
  auto bind = [env](void (*fn)(const env_ptr&, const step_context&, step_done)) -> action_fn {
    return [env, fn](const step_context& ctx, step_done done) { fn(env, ctx, std::move(done)); };
  };
  const auto& o = env->options;
  // Pod steps retry on storage trouble only, and wait for the pod's answer however long it
  // takes (the pod answers every request): a timed-out reserve or post that still lands later
  // would hold or move money behind the saga's back.
  retry_spec pod_retry = o.retry;
  pod_retry.attempt_timeout = std::chrono::milliseconds(0);
  // So do the provider steps whose second attempt is not a repeat of the first: fx asks for a
  // fresh quote under a new key (an attempt given up on could still lock its own quote, which
  // nothing would release), and submit may find its first attempt still in flight at the rail
  // (answered as a refusal, which leaves the payout in doubt). The adapters' own deadlines bound
  // their answer: attempts × (per-attempt timeout + backoff).
  retry_spec provider_answer_awaited = o.retry;
  provider_answer_awaited.attempt_timeout = std::chrono::milliseconds(0);
  saga_definition d{std::string(actors::settlement::type),
                    {
                        action_step("reserve", bind(reserve), bind(release), pod_retry),
                        action_step("kyc", bind(kyc), {}, o.retry),
                        wait_step(std::string(actors::settlement::kyc_step), o.kyc_timeout,
                                  kyc_verdict, bind(kyc_timeout)),
                        action_step("sanctions", bind(sanctions), {}, o.retry),
                        action_step("risk", bind(risk), {}, o.retry),
                        wait_step(std::string(actors::settlement::approval_step), o.vote_timeout,
                                  approval_verdict, vote_expired),
                        wait_step(std::string(actors::settlement::otp_step), o.otp_timeout,
                                  otp_verdict(o.otp_secret, o.otp_max_attempts), otp_expired),
                        action_step("fx", bind(fx_lock), bind(fx_release), provider_answer_awaited),
                        action_step("post", bind(post), bind(reverse), pod_retry),
                        action_step("submit", bind(submit), {}, provider_answer_awaited),
                        wait_step(std::string(actors::settlement::confirm_step), o.confirm_timeout,
                                  confirm_verdict, bind(confirm_timeout)),
                    }};
  // A reservation answered storage_unavailable may still commit (the journal answers after its
  // time runs out, the append stays queued): once reserve was attempted, the undo releases
  // whatever hold there is (release takes a payout the pod never reserved as released).
  d.steps[*d.index_of("reserve")].undo_if_attempted = true;
  // A one-time password is the requester's secret: readers of the payout see that a try came,
  // never its code.
  d.steps[*d.index_of(actors::settlement::otp_step)].private_signals = true;
  // A pod lists its payouts by the sagas it owns, with what each pays.
  d.owner_member = "pod_id";
  d.summary_members = {"amount_minor", "currency"};
  // Where a payment went is the rail's fact: an operator who reconciled a payout whose reversal
  // refused because of it (settled, in flight, in doubt) resolves it (see reverse). Any other
  // failure of the reversal (the pod or the journal) is fixed and retried.
  d.steps[*d.index_of("post")].operator_resolvable = [](std::string_view error) {
    for (std::string_view code : {"payout_settled:", "payout_in_flight:", "payout_in_doubt:"})
      if (error.starts_with(code)) return true;
    return false;
  };
  // Timeout actions retry like any action: a rail still in flight is read again later.
  for (auto& s : d.steps)
    if (s.kind == step_kind::wait) s.retry = o.retry;
  settlement_setup setup;
  setup.definition = std::move(d);
  setup.attach = [env](caf::event_based_actor* owner, std::function<std::int64_t()> now) {
    // The first start sets the system and the clock; a restarted manager finds them set (a
    // provider's callback of the previous run may read them meanwhile).
    if (env->system == nullptr) {
      env->system = &owner->system();
      env->now = std::move(now);
    }
    // A bridge per manager start, linked to the owner so it stops with it; an earlier one
    // lives on, unused, until then.
    auto fresh = owner->spawn<caf::linked>(bridge_impl, 0);
    std::lock_guard<std::mutex> guard{env->bridge_mutex};
    env->bridge = std::move(fresh);
  };
  return setup;
}

result<actors::child_spec> settlement_manager_child(settlement_options options,
                                                    saga_manager_options base) {
  if (!options.providers)
    return fail(errc::invalid_argument, "the settlement saga needs the provider adapters");
  auto setup = make_settlement(std::move(options));
  base.definitions.emplace(setup.definition.type, setup.definition);
  auto now = base.now;
  auto child = saga_manager_child(std::move(base));
  if (!child) return child.error();
  return actors::child_spec{child->name, [attach = setup.attach, start = child->start,
                                          now](caf::event_based_actor* supervisor) {
                              attach(supervisor, now);
                              return start(supervisor);
                            }};
}

}  // namespace payorch::sagas
