#pragma once
/// Signed callback delivery (Standard Webhooks) with retries, duplicates and reordering.
///
/// Each callback keeps its `webhook-id` through every retry and duplicate and is signed afresh
/// at each attempt with the current Unix time. An attempt that is not answered 2xx (or gets no
/// answer within 2 s) is retried at most 5 times, after 100, 200, 400, 800 and 1600 ms.
/// With `duplicate_callbacks` a callback is delivered twice, the second copy once the first
/// copy's first attempt has finished. With `out_of_order_callbacks` a provider's callbacks are
/// delivered in reversed pairs: one is held until the next arrives (which then goes first) or
/// for at most `out_of_order_hold`. Runs on the sandbox's single io thread.

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "adapters/http_client.hpp"
#include "app/sandbox/faults.hpp"
#include "app/sandbox/provider.hpp"

namespace payorch::app::sandbox {

struct provider_stats;

/// One callback to deliver.
struct callback {
  provider from = provider::kyc;
  std::string url;
  std::string webhook_id;
  std::string body;
};

/// Retries after the first attempt.
inline constexpr int callback_max_retries = 5;
/// The wait before the first retry; it doubles for each one after.
inline constexpr std::chrono::milliseconds callback_first_backoff{100};
/// The longest a callback waits for a successor to swap with.
inline constexpr std::chrono::milliseconds out_of_order_hold{1000};

class callback_sender {
 public:
  using stats_of = std::function<provider_stats&(provider)>;

  callback_sender(boost::asio::io_context& ioc, std::string secret, fault_plan& faults,
                  stats_of stats);

  /// Delivers `c` according to its provider's current callback faults.
  void send(callback c);

 private:
  struct held_callback {
    std::shared_ptr<const callback> held;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::uint64_t generation = 0;
  };

  /// Delivers `c` (twice with duplicate_callbacks); `then` runs after the first attempt.
  void dispatch(std::shared_ptr<const callback> c, std::function<void()> then);
  void attempt(std::shared_ptr<const callback> c, int retry, std::function<void()> first_done);
  void release_held(provider p, std::uint64_t generation);

  boost::asio::io_context& ioc_;
  std::string secret_;
  fault_plan& faults_;
  stats_of stats_;
  adapters::http_client client_;
  std::array<std::optional<held_callback>, all_providers.size()> held_;
  std::uint64_t generations_ = 0;
};

}  // namespace payorch::app::sandbox
