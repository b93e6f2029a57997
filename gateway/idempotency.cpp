#include "gateway/idempotency.hpp"

#include <mutex>
#include <unordered_set>

#include "actors/journal_protocol.hpp"
#include "actors/runtime.hpp"
#include "config/limits.hpp"
#include "gateway/api.hpp"
#include "gateway/ask.hpp"
#include "gateway/auth.hpp"
#include "gateway/handler_support.hpp"

namespace payorch::gateway {
namespace {

/// The (client, key) pairs whose first request is still running, in this process.
class in_flight_keys {
 public:
  bool claim(const std::string& scoped_key) {
    std::lock_guard lock(mutex_);
    return keys_.insert(scoped_key).second;
  }
  void release(const std::string& scoped_key) {
    std::lock_guard lock(mutex_);
    keys_.erase(scoped_key);
  }

 private:
  std::mutex mutex_;
  std::unordered_set<std::string> keys_;
};

in_flight_keys& in_flight() {
  static in_flight_keys keys;
  return keys;
}

/// Releases a claimed key when the last holder goes: after the response is stored and sent, or
/// when the exchange is dropped unanswered.
class key_claim {
 public:
  explicit key_claim(std::string scoped_key) : scoped_key_(std::move(scoped_key)) {}
  ~key_claim() { in_flight().release(scoped_key_); }
  key_claim(const key_claim&) = delete;
  key_claim& operator=(const key_claim&) = delete;

 private:
  std::string scoped_key_;
};

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > config::limits::max_idempotency_key_bytes) return false;
  for (char c : key)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

void replay(const exchange_ptr& ex, const persistence::idempotency_record& rec) {
  http_response res{static_cast<http::status>(rec.status), ex->request().version()};
  if (!rec.content_type.empty()) res.set(http::field::content_type, rec.content_type);
  if (!rec.location.empty()) res.set(http::field::location, rec.location);
  res.set("Idempotency-Replayed", "true");
  res.body() = rec.body;
  ex->reply(std::move(res));
}

/// Stores the handler's response under the key before sending it; 5xx answers are not stored.
void store_then_send(const api_context& ctx, persistence::idempotency_record rec,
                     std::shared_ptr<key_claim> claim, http_response res,
                     const exchange::sink& send) {
  const auto status = static_cast<int>(res.result_int());
  if (status >= 500) return send(std::move(res));
  rec.status = status;
  if (auto ct = res.find(http::field::content_type); ct != res.end())
    rec.content_type = std::string(ct->value());
  if (auto loc = res.find(http::field::location); loc != res.end())
    rec.location = std::string(loc->value());
  rec.body = res.body();
  auto shared_res = std::make_shared<http_response>(std::move(res));
  ask<persistence::append_result>(
      ctx.bridge, ctx.runtime->journal_writer(), actors::put_idempotency{std::move(rec)},
      [claim, shared_res, send](result<persistence::append_result>) mutable {
        // Whether or not the record was stored, the effect happened: answer it. Entities
        // remember the keys that made pods and pledges, so a lost record costs no duplicate.
        send(std::move(*shared_res));
        claim.reset();
      });
}

}  // namespace

void run_idempotent(const api_context& ctx, const exchange_ptr& ex, const principal& who,
                    bool key_required, std::function<void()> run) {
  const auto& req = ex->request();
  auto header = req.find("Idempotency-Key");
  if (header == req.end()) {
    if (key_required) {
      return ex->reply_problem(make_problem(http::status::bad_request, "idempotency_key_required",
                                            "this operation needs an Idempotency-Key header",
                                            "Idempotency-Key"));
    }
    return run();
  }
  const std::string key(header->value());
  if (!valid_key(key)) {
    return ex->reply_problem(make_problem(
        http::status::bad_request, "invalid_field",
        "Idempotency-Key must be 1 to 255 visible ASCII characters", "Idempotency-Key"));
  }
  const std::string scoped = who.subject + '\n' + key;
  if (!in_flight().claim(scoped)) {
    return ex->reply_problem(make_problem(http::status::conflict, "idempotency_in_flight",
                                          "a request with this Idempotency-Key is still running",
                                          "Idempotency-Key"));
  }
  auto claim = std::make_shared<key_claim>(scoped);
  const auto now = ctx.now_ms();
  persistence::idempotency_record rec;
  rec.client_id = who.subject;
  rec.key = key;
  rec.fingerprint = idempotency_of(*ex).fingerprint;
  rec.created_at_ms = now;
  rec.expires_at_ms = now + config::limits::idempotency_record_ttl_ms;
  ask<actors::idempotency_lookup>(
      ctx.bridge, ctx.runtime->journal_writer(), actors::get_idempotency{who.subject, key},
      [ctx, ex, claim, rec = std::move(rec), run = std::move(run),
       now](result<actors::idempotency_lookup> r) mutable {
        if (!r) return reply_failure(ex, r.error());
        if (r->found && r->record.expires_at_ms > now) {
          const auto& first = r->record;
          if (first.fingerprint != rec.fingerprint) {
            return ex->reply_problem(make_problem(
                http::status::unprocessable_entity, "idempotency_key_reused",
                "this Idempotency-Key was used for another request", "Idempotency-Key"));
          }
          return replay(ex, first);
        }
        ex->intercept([ctx, rec = std::move(rec), claim](http_response res,
                                                         const exchange::sink& send) mutable {
          store_then_send(ctx, std::move(rec), std::move(claim), std::move(res), send);
        });
        run();
      });
}

}  // namespace payorch::gateway
