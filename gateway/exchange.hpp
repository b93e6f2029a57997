#pragma once
/// One request in flight: what a handler reads, and the one-shot reply it sends from any thread.
///
/// Created by the session for each request; handlers keep the shared_ptr while their actor
/// request is outstanding and call `reply` exactly once (later calls are ignored). The reply is
/// posted to the session's executor, so no Asio thread ever waits on an actor.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/http_types.hpp"
#include "gateway/problem.hpp"

namespace payorch::gateway {

using path_params = std::vector<std::pair<std::string, std::string>>;

class exchange {
 public:
  using sink = std::function<void(http_response)>;

  exchange(http_request request, path_params params, std::string request_id, sink on_reply)
      : request_(std::move(request)),
        params_(std::move(params)),
        request_id_(std::move(request_id)),
        on_reply_(std::move(on_reply)) {}

  /// A request whose handler never answered (its continuation threw, or an actor dropped it)
  /// is answered 500 as the last reference goes: the client is not left waiting for a 504 that
  /// only a live exchange can get, the session's in-flight count comes down, and an
  /// Idempotency-Key's claim is freed (a 5xx is not stored).
  ~exchange();
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;

  const http_request& request() const { return request_; }
  const std::string& request_id() const { return request_id_; }

  /// The value of path parameter `name` (empty if the route has none by that name).
  std::string_view param(std::string_view name) const {
    for (const auto& [k, v] : params_)
      if (k == name) return v;
    return {};
  }

  /// Sends `res`; only the first reply counts. With an interceptor set, the interceptor gets
  /// the response and a sink to send it with, before it returns (the sink refers to this
  /// exchange). It gets the response even after the deadline answered the client (504): the
  /// idempotency layer stores it then, so a retry is answered with it instead of running again;
  /// the sink then sends nothing.
  void reply(http_response res) {
    if (handler_replied_.exchange(true)) return;
    if (interceptor_) {
      return interceptor_(std::move(res), [this](http_response r) { send(std::move(r)); });
    }
    send(std::move(res));
  }

  /// Takes the handler's response before it is sent (the idempotency layer stores it first).
  /// Set it before the handler runs, from the thread that runs it. It must call the sink it is
  /// given, if at all, before it returns.
  using interceptor = std::function<void(http_response, const sink&)>;
  void intercept(interceptor f) { interceptor_ = std::move(f); }

  /// Answers 504 at the deadline if nothing was answered yet.
  void expire();

  /// Sends a JSON body with `status`.
  void reply_json(http::status status, std::string body);

  /// Sends problem details.
  void reply_problem(const problem& p);

 private:
  http_request request_;
  path_params params_;
  std::string request_id_;
  /// Hands `res` to the client unless something (the handler's answer or the deadline's 504)
  /// went already.
  void send(http_response res) {
    if (!client_answered_.exchange(true)) on_reply_(std::move(res));
  }

  sink on_reply_;
  interceptor interceptor_;
  std::atomic<bool> handler_replied_{false};  // the handler's first reply came
  std::atomic<bool> client_answered_{false};  // a response went to the client
};

using exchange_ptr = std::shared_ptr<exchange>;

/// A route's handler: reads the exchange and, now or later, replies on it.
using handler = std::function<void(const exchange_ptr&)>;

/// A response with a problem-details body (used by the session for errors before routing).
http_response problem_response(const problem& p, unsigned version);

}  // namespace payorch::gateway
