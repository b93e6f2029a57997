#pragma once
/// One logical provider call: circuit breaker, attempts, classification, backoff and retry.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/circuit_breaker.hpp"
#include "adapters/http_client.hpp"
#include "adapters/retry_policy.hpp"

namespace payorch::adapters {

namespace detail {
struct caller_shared;
}  // namespace detail

/// Why a logical call stopped.
enum class stop_reason {
  success,             ///< a 2xx answer
  final_error,         ///< an answer that retrying cannot change (see `classify`)
  attempts_exhausted,  ///< every attempt of the policy got a retryable failure
  circuit_open,        ///< the breaker refused an attempt
};

/// "success", "final_error", "attempts_exhausted" or "circuit_open".
std::string_view to_string(stop_reason reason) noexcept;

/// How a logical call ended.
struct call_outcome {
  /// The last attempt's answer; when the breaker refused the first attempt, an answer with
  /// `transport_error` "circuit_open".
  http_answer answer;
  std::uint32_t attempts = 0;  ///< attempts made (sent to the client)
  stop_reason reason = stop_reason::success;
};

/// Runs logical calls to one provider with its breaker and retry policy.
///
/// Each call: ask the breaker, send one attempt (deadline `per_attempt_timeout`), classify the
/// answer, report it to the breaker (a final answer counts as success: the provider is up),
/// and, when it is retryable and attempts remain, wait `backoff_for` on an Asio timer and go
/// again. Every attempt carries the same `Idempotency-Key`. Nothing blocks.
///
/// `done` runs exactly once, on an io_context thread, unless the io_context stops first. The
/// io_context, the client and the breaker must outlive every call; the caller itself may go
/// away while calls run. Safe to call from any thread.
class provider_caller {
 public:
  /// `jitter_seed` seeds the generator of backoff jitter, so runs can be repeated exactly.
  provider_caller(boost::asio::io_context& ioc, http_client& client, circuit_breaker& breaker,
                  retry_policy policy, std::uint64_t jitter_seed);
  ~provider_caller();
  provider_caller(const provider_caller&) = delete;
  provider_caller& operator=(const provider_caller&) = delete;

  /// Runs `call` (its `timeout` is replaced by the policy's); a non-empty `idempotency_key`
  /// is sent as the `Idempotency-Key` header of every attempt. A call other than GET or HEAD
  /// without a key is attempted once only, since nothing tells the provider it is a repeat.
  void call(http_call call, std::string idempotency_key, std::function<void(call_outcome)> done);

  const retry_policy& policy() const;
  circuit_breaker& breaker() const;
  /// The io_context that runs the calls' timers and completions.
  boost::asio::io_context& context() const;

 private:
  std::shared_ptr<detail::caller_shared> shared_;
};

}  // namespace payorch::adapters
