#pragma once
/// The command-line options of `payorch sandbox`.

#include <cstdint>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace payorch::app::sandbox {

/// Everything `payorch sandbox` is started with; the faults are the initial ones of every
/// provider (`POST /sandbox/faults` changes them at run time).
struct sandbox_options {
  std::string listen = "127.0.0.1:8090";  ///< HOST:PORT ([IPV6]:PORT); port 0 picks one
  std::uint64_t seed = 1;                 ///< drives rates, ids and which calls fail
  std::string webhook_secret = "sandbox-secret";
  std::int64_t latency_ms = 0;       ///< added before every answer
  std::int64_t error_rate_bp = 0;    ///< share of calls answered 503, in basis points
  std::int64_t timeout_rate_bp = 0;  ///< share of calls whose answer is held `hang_ms`
  std::int64_t hang_ms = 10000;      ///< how long a "timed out" answer is held
  std::int64_t outage_ms = 0;        ///< every call is 503 for this long after the start
  bool duplicate_callbacks = false;
  bool out_of_order_callbacks = false;
  std::int64_t kyc_delay_ms = 50;    ///< from a KYC request to its result
  std::int64_t rail_delay_ms = 200;  ///< from a rail submission to its settlement or return
  std::int64_t quote_ttl_ms = 30'000;  ///< how long an FX quote can be locked
};

/// Bounds of the options and of the run-time faults (CLI11 checks the flags against them).
namespace bounds {
inline constexpr std::int64_t max_latency_ms = 30'000;
inline constexpr std::int64_t max_hang_ms = 60'000;
inline constexpr std::int64_t max_outage_ms = 3'600'000;
inline constexpr std::int64_t max_delay_ms = 600'000;
inline constexpr std::int64_t max_rate_bp = 10'000;
}  // namespace bounds

/// Declares the flags of `payorch sandbox` on `command`, writing into `options`.
void add_options(CLI::App* command, sandbox_options& options);

}  // namespace payorch::app::sandbox
