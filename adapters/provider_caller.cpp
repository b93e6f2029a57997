#include "adapters/provider_caller.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <mutex>
#include <random>

namespace payorch::adapters {

namespace asio = boost::asio;

std::string_view to_string(stop_reason reason) noexcept {
  switch (reason) {
    case stop_reason::final_error:
      return "final_error";
    case stop_reason::attempts_exhausted:
      return "attempts_exhausted";
    case stop_reason::circuit_open:
      return "circuit_open";
    case stop_reason::success:
      break;
  }
  return "success";
}

/// What every call of one caller shares; calls hold it, so it outlives the caller if need be.
struct detail::caller_shared {
  caller_shared(asio::io_context& context, http_client& http, circuit_breaker& b, retry_policy p,
                std::uint64_t seed)
      : ioc(context), client(http), breaker(b), policy(p), random(seed) {}

  std::chrono::milliseconds next_backoff(std::uint32_t attempt) {
    std::lock_guard lock(random_mutex);
    return policy.backoff_for(attempt, random);
  }

  asio::io_context& ioc;
  http_client& client;
  circuit_breaker& breaker;
  const retry_policy policy;
  std::mutex random_mutex;
  std::mt19937_64 random;
};

namespace {

/// One logical call; its steps run one after another, never two at once.
class logical_call : public std::enable_shared_from_this<logical_call> {
 public:
  logical_call(std::shared_ptr<detail::caller_shared> s, http_call call,
               std::function<void(call_outcome)> done, std::uint32_t max_attempts)
      : shared_(std::move(s)),
        call_(std::move(call)),
        done_(std::move(done)),
        max_attempts_(std::max<std::uint32_t>(max_attempts, 1)),
        backoff_(shared_->ioc) {}

  void start() {
    asio::post(shared_->ioc, [self = shared_from_this()] { self->attempt(); });
  }

 private:
  void attempt() {
    permit_ = shared_->breaker.try_acquire();
    if (!permit_.allowed) {
      if (outcome_.attempts == 0) outcome_.answer.transport_error = "circuit_open";
      return finish(stop_reason::circuit_open);
    }
    ++outcome_.attempts;
    shared_->client.send(call_, [self = shared_from_this()](http_answer answer) {
      self->on_answer(std::move(answer));
    });
  }

  void on_answer(http_answer answer) {
    outcome_.answer = std::move(answer);
    const call_class kind = classify(outcome_.answer);
    if (kind == call_class::retryable) {
      shared_->breaker.record_failure(permit_);
    } else {
      shared_->breaker.record_success(permit_);
    }
    if (kind == call_class::success) return finish(stop_reason::success);
    if (kind == call_class::final) return finish(stop_reason::final_error);
    if (outcome_.attempts >= max_attempts_) {
      return finish(stop_reason::attempts_exhausted);
    }
    backoff_.expires_after(shared_->next_backoff(outcome_.attempts));
    backoff_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: the io_context is going away
      self->attempt();
    });
  }

  void finish(stop_reason reason) {
    outcome_.reason = reason;
    if (auto done = std::exchange(done_, nullptr)) done(std::move(outcome_));
  }

  std::shared_ptr<detail::caller_shared> shared_;
  http_call call_;
  std::function<void(call_outcome)> done_;
  std::uint32_t max_attempts_;
  asio::steady_timer backoff_;
  breaker_permit permit_;
  call_outcome outcome_;
};

}  // namespace

provider_caller::provider_caller(asio::io_context& ioc, http_client& client,
                                 circuit_breaker& breaker, retry_policy policy,
                                 std::uint64_t jitter_seed)
    : shared_(std::make_shared<detail::caller_shared>(ioc, client, breaker, policy, jitter_seed)) {}

provider_caller::~provider_caller() = default;

void provider_caller::call(http_call call, std::string idempotency_key,
                           std::function<void(call_outcome)> done) {
  call.timeout = shared_->policy.per_attempt_timeout;
  // Only a key makes a repeated write safe: a write without one is sent once, whatever happens.
  const bool safe_to_repeat =
      !idempotency_key.empty() || call.method == "GET" || call.method == "HEAD";
  if (!idempotency_key.empty()) {
    std::erase_if(call.headers, [](const http_header& h) {
      return h.name.size() == 15 &&
             std::equal(h.name.begin(), h.name.end(), "idempotency-key", [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == b;
             });
    });
    call.headers.push_back({"Idempotency-Key", std::move(idempotency_key)});
  }
  const std::uint32_t attempts = safe_to_repeat ? shared_->policy.max_attempts : 1;
  std::make_shared<logical_call>(shared_, std::move(call), std::move(done), attempts)->start();
}

const retry_policy& provider_caller::policy() const {
  return shared_->policy;
}

circuit_breaker& provider_caller::breaker() const {
  return shared_->breaker;
}

asio::io_context& provider_caller::context() const {
  return shared_->ioc;
}

}  // namespace payorch::adapters
