#include "gateway/idempotency.hpp"

#include <atomic>
#include <mutex>
#include <unordered_map>

#include "actors/journal_protocol.hpp"
#include "actors/runtime.hpp"
#include "config/limits.hpp"
#include "gateway/api.hpp"
#include "gateway/ask.hpp"
#include "gateway/auth.hpp"
#include "gateway/handler_support.hpp"

namespace payorch::gateway {
namespace {

using record_ptr = std::shared_ptr<const persistence::idempotency_record>;

/// The (client, key) pairs claimed in this process: running (no record yet), or answered and
/// waiting for their record to be durable (the record, replayed from memory meanwhile).
class in_flight_keys {
 public:
  /// True if the key was free and is now claimed; else `*answered` is the key's answered record
  /// (null while its request still runs).
  bool claim(const std::string& scoped_key, record_ptr* answered) {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = keys_.try_emplace(scoped_key);
    if (!fresh) *answered = it->second;
    return fresh;
  }
  void answered(const std::string& scoped_key, record_ptr rec) {
    std::lock_guard lock(mutex_);
    if (auto it = keys_.find(scoped_key); it != keys_.end()) it->second = std::move(rec);
  }
  void release(const std::string& scoped_key) {
    std::lock_guard lock(mutex_);
    keys_.erase(scoped_key);
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return keys_.size();
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, record_ptr> keys_;
};

in_flight_keys& in_flight() {
  static in_flight_keys keys;
  return keys;
}

/// Releases a claimed key once: explicitly (after the response is stored, or once a look-up
/// answered) or when the last holder goes (the exchange was dropped unanswered).
///
/// The explicit release matters: callbacks holding the claim are copied (a reply handler and an
/// error handler each hold one), so the last holder may go only after the client has its answer,
/// and its next request with the key would then find it still taken (409).
class key_claim {
 public:
  explicit key_claim(std::string scoped_key) : scoped_key_(std::move(scoped_key)) {}
  ~key_claim() { release(); }
  const std::string& scoped_key() const { return scoped_key_; }
  /// Frees the key; later calls (and the destructor) do nothing, so a key claimed again by a
  /// later request is never freed by this one.
  void release() {
    if (!released_.exchange(true)) in_flight().release(scoped_key_);
  }
  key_claim(const key_claim&) = delete;
  key_claim& operator=(const key_claim&) = delete;

 private:
  std::string scoped_key_;
  std::atomic<bool> released_{false};
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

void reused(const exchange_ptr& ex) {
  ex->reply_problem(make_problem(http::status::unprocessable_entity, "idempotency_key_reused",
                                 "this Idempotency-Key was used for another request",
                                 "Idempotency-Key"));
}

/// Sends the handler's response and stores it under the key; 5xx answers are not stored.
///
/// An entity that stored this very answer with its events (a keyed write on a pod) says so
/// on the receipt: it is durable already, and the key is free at once. Otherwise the store is
/// off the response's path (it rides the next group commit), so a request costs one commit of
/// latency, not two. The key stays claimed until the record is durable: a retry in that window
/// gets 409, never a second run. Should the process die in that window, the retry runs again
/// and finds what its key made, if anything (see idempotency.hpp).
void send_then_store(const api_context& ctx, persistence::idempotency_record rec,
                     const actors::answer_receipt& receipt, std::shared_ptr<key_claim> claim,
                     http_response res, const exchange::sink& send) {
  const auto status = static_cast<int>(res.result_int());
  if (status >= 500) {
    claim->release();  // nothing to store: a retry runs again, and must not find the key taken
    return send(std::move(res));
  }
  const auto header = [&res](http::field name) {
    const auto at = res.find(name);
    return at == res.end() ? std::string_view{} : std::string_view(at->value());
  };
  const std::string_view content_type = header(http::field::content_type);
  const std::string_view location = header(http::field::location);
  if (receipt.stored && receipt.answer.status == status && receipt.answer.body == res.body() &&
      receipt.answer.content_type == content_type && receipt.answer.location == location) {
    claim->release();  // durable with the entity's events
    return send(std::move(res));
  }
  rec.status = status;
  rec.content_type = std::string(content_type);
  rec.location = std::string(location);
  rec.body = res.body();
  in_flight().answered(claim->scoped_key(),
                       std::make_shared<const persistence::idempotency_record>(rec));
  send(std::move(res));
  ctx.runtime->put_idempotency(std::move(rec), [claim](persistence::append_result) mutable {
    claim->release();  // durable (or failed): the key is free
  });
}

}  // namespace

std::size_t unsettled_idempotency_keys() {
  return in_flight().size();
}

void run_idempotent(const api_context& ctx, const exchange_ptr& ex, const principal& who,
                    bool key_required, idempotent_run run) {
  const auto& req = ex->request();
  auto header = req.find("Idempotency-Key");
  if (header == req.end()) {
    if (key_required) {
      return ex->reply_problem(make_problem(http::status::bad_request, "idempotency_key_required",
                                            "this operation needs an Idempotency-Key header",
                                            "Idempotency-Key"));
    }
    return run(actors::idempotency_tag{});
  }
  const std::string key(header->value());
  if (!valid_key(key)) {
    return ex->reply_problem(make_problem(
        http::status::bad_request, "invalid_field",
        "Idempotency-Key must be 1 to 255 visible ASCII characters", "Idempotency-Key"));
  }
  const std::string scoped = who.subject + '\n' + key;
  auto tag = idempotency_of(*ex);  // the key and the request's fingerprint, hashed once
  tag.client_id = who.subject;
  tag.receipt = std::make_shared<actors::answer_receipt>();
  const auto& fingerprint = tag.fingerprint;
  record_ptr answered;
  if (!in_flight().claim(scoped, &answered)) {
    if (!answered) {
      return ex->reply_problem(make_problem(http::status::conflict, "idempotency_in_flight",
                                            "a request with this Idempotency-Key is still running",
                                            "Idempotency-Key"));
    }
    if (answered->fingerprint != fingerprint) return reused(ex);
    return replay(ex, *answered);
  }
  auto claim = std::make_shared<key_claim>(scoped);
  const auto now = ctx.now_ms();
  persistence::idempotency_record rec;
  rec.client_id = who.subject;
  rec.key = key;
  rec.fingerprint = fingerprint;
  rec.created_at_ms = now;
  rec.expires_at_ms = now + config::limits::idempotency_record_ttl_ms;
  // Remembered before the request runs, so the key is known before anything under it is stored.
  const bool fresh =
      ctx.runtime->remember_idempotency_key({who.subject, key}, rec.expires_at_ms, now);
  auto decide =
      [ctx, ex, claim = std::move(claim), rec = std::move(rec), run = std::move(run),
       tag = std::move(tag), now](result<actors::idempotency_lookup> r) mutable {
        // Answered from the store (or failed): the key is free again before the client hears
        // back, so its next request never finds it still taken by this one.
        if (!r) {
          claim->release();
          return reply_failure(ex, r.error());
        }
        // A claim (status 0) means the effect committed but its answer was never stored (the
        // process died in between): the same request runs again and the entity finds what the
        // key made; another request under the key is refused, as for a stored answer.
        if (r->found && r->record.expires_at_ms > now) {
          const auto& first = r->record;
          if (first.fingerprint != rec.fingerprint) {
            claim->release();
            return reused(ex);
          }
          if (first.status != 0) {
            claim->release();
            return replay(ex, first);
          }
        }
        ex->intercept([ctx, rec = std::move(rec), claim = std::move(claim), receipt = tag.receipt](
                          http_response res, const exchange::sink& send) mutable {
          send_then_store(ctx, std::move(rec), *receipt, std::move(claim), std::move(res), send);
        });
        run(tag);
      };
  if (fresh) return decide(actors::idempotency_lookup{});  // no record can exist: no look-up
  // The look-up goes through the journal actor, which times it out (journal_timeout) if the
  // store never answers and answers it at shutdown, so the key's claim always ends.
  ask<actors::idempotency_lookup>(ctx.bridge, ctx.runtime->journal_writer(),
                                  actors::get_idempotency{who.subject, key}, std::move(decide));
}

}  // namespace payorch::gateway
