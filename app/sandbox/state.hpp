#pragma once
/// The sandbox's shared state: options, clock, ids, faults, statistics, stored answers and the
/// callback sender.
///
/// Threads: the sandbox runs its io_context on one thread, and every handler, timer and
/// callback completion runs there, so nothing here takes a lock. Each provider's own resources
/// (quotes, verifications, payments, authorizations) live in state captured by its routes.

#include <array>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "app/sandbox/bounded_table.hpp"
#include "app/sandbox/faults.hpp"
#include "app/sandbox/options.hpp"
#include "app/sandbox/provider.hpp"
#include "app/sandbox/random.hpp"
#include "app/sandbox/wire.hpp"

namespace payorch::app::sandbox {

class callback_sender;

/// What one provider has done since the start.
struct provider_stats {
  std::int64_t calls = 0;              ///< requests that reached the provider's routes
  std::int64_t injected_errors = 0;    ///< 503s drawn from the error rate
  std::int64_t outage_rejections = 0;  ///< 503s during an outage
  std::int64_t injected_timeouts = 0;  ///< answers held `hang_ms`
  std::int64_t replays = 0;            ///< answers replayed for a repeated Idempotency-Key
  std::int64_t callback_attempts = 0;  ///< callback POSTs made, retries included
  std::int64_t callbacks_sent = 0;     ///< callbacks answered 2xx
  std::int64_t callbacks_failed = 0;   ///< callbacks given up after the last retry
};

/// Rail submissions naming one EndToEndId.
struct rail_submission_stats {
  std::int64_t submissions = 0;         ///< valid documents received (refused ones included)
  std::int64_t accepted = 0;            ///< payments created
  std::int64_t refused_duplicates = 0;  ///< 409 duplicate_end_to_end_id
};

/// The first answer to a POST, kept under its Idempotency-Key.
struct stored_answer {
  std::string endpoint;  ///< method and path of the first request
  wire_answer answer;
};

class sandbox_state {
 public:
  sandbox_state(boost::asio::io_context& ioc, sandbox_options options);
  ~sandbox_state();
  sandbox_state(const sandbox_state&) = delete;
  sandbox_state& operator=(const sandbox_state&) = delete;

  boost::asio::io_context& io() { return ioc_; }
  const sandbox_options& options() const { return options_; }

  /// Unix milliseconds on the sandbox's clock: the wall clock plus `clock_offset_ms`.
  std::int64_t now_ms() const;
  std::int64_t clock_offset_ms() const { return clock_offset_ms_; }
  /// Moves the sandbox's clock forward (quote expiry and rates follow it; timers do not).
  void advance_clock(std::int64_t ms) { clock_offset_ms_ += ms; }

  /// `prefix` + 16 hex digits from the seeded id stream (so ids repeat for a seed and order).
  std::string new_id(std::string_view prefix);

  fault_plan& faults() { return faults_; }
  provider_stats& stats(provider p) { return stats_[index_of(p)]; }
  bounded_table<rail_submission_stats>& rail_submissions() { return rail_submissions_; }
  bounded_table<stored_answer>& answers(provider p) { return answers_[index_of(p)]; }

  /// Runs `f` on the io thread after `delay` (an Asio timer; nothing sleeps).
  void after(std::chrono::milliseconds delay, std::function<void()> f);

  /// Posts a signed callback `body` to `url` as `provider` (faults and retries apply).
  void send_callback(provider from, std::string url, std::string webhook_id, std::string body);

  /// `{"providers": {"fx": {...}, ...}, "rail_submissions": {"<end_to_end_id>": {...}}}`.
  std::string stats_json() const;

 private:
  boost::asio::io_context& ioc_;
  sandbox_options options_;
  std::int64_t clock_offset_ms_ = 0;
  seeded_stream ids_;
  fault_plan faults_;
  std::array<provider_stats, all_providers.size()> stats_{};
  std::array<bounded_table<stored_answer>, all_providers.size()> answers_;
  bounded_table<rail_submission_stats> rail_submissions_;
  std::unique_ptr<callback_sender> callbacks_;
};

}  // namespace payorch::app::sandbox
