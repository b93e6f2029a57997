#include "adapters/retry_policy.hpp"

#include <algorithm>

#include "adapters/http_client.hpp"

namespace payorch::adapters {

std::string_view to_string(jitter_kind kind) noexcept {
  return kind == jitter_kind::equal ? "equal" : "full";
}

std::chrono::milliseconds retry_policy::base_backoff(std::uint32_t attempt) const {
  const std::int64_t cap = std::max<std::int64_t>(0, max_backoff.count());
  const std::int64_t factor = std::max<std::uint32_t>(multiplier, 1);
  std::int64_t wait = std::max<std::int64_t>(0, initial_backoff.count());
  // Multiplying step by step with the cap checked first keeps the product far from overflow.
  for (std::uint32_t i = 1; i < attempt && wait < cap && factor > 1; ++i) {
    wait = wait > cap / factor ? cap : wait * factor;
  }
  return std::chrono::milliseconds(std::min(wait, cap));
}

std::chrono::milliseconds retry_policy::backoff_for(std::uint32_t attempt,
                                                    std::mt19937_64& random) const {
  const auto cap = static_cast<std::uint64_t>(base_backoff(attempt).count());
  const std::uint64_t draw = random();
  // A plain modulo rather than a std distribution: the same seed gives the same waits with any
  // standard library. The bias is below 2^-40 for waits under a day.
  if (jitter == jitter_kind::equal) {
    const std::uint64_t half = cap / 2;
    return std::chrono::milliseconds(half + draw % (cap - half + 1));
  }
  return std::chrono::milliseconds(draw % (cap + 1));
}

std::string_view to_string(call_class value) noexcept {
  switch (value) {
    case call_class::success:
      return "success";
    case call_class::retryable:
      return "retryable";
    case call_class::final:
      break;
  }
  return "final";
}

call_class classify(const http_answer& answer) noexcept {
  if (!answer.transport_error.empty()) {
    // The request never reached a server at a usable address: the same URL will fail again.
    return answer.transport_error == "bad_url" ? call_class::final : call_class::retryable;
  }
  const int status = answer.status;
  if (status >= 200 && status < 300) return call_class::success;
  if (status == 429) return call_class::retryable;
  // 501 and 505 say the server cannot do this at all; other 5xx are trouble that may pass.
  if (status >= 500 && status < 600 && status != 501 && status != 505) {
    return call_class::retryable;
  }
  return call_class::final;
}

}  // namespace payorch::adapters
