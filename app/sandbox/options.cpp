#include "app/sandbox/options.hpp"

#include <CLI/CLI.hpp>

namespace payorch::app::sandbox {

void add_options(CLI::App* command, sandbox_options& o) {
  command->add_option("--listen", o.listen, "HOST:PORT to listen on (default 127.0.0.1:8090)");
  command->add_option("--seed", o.seed, "seed of rates, ids and injected faults (default 1)");
  command->add_option("--webhook-secret", o.webhook_secret,
                      "secret signing the callbacks (default sandbox-secret)");
  command->add_option("--latency-ms", o.latency_ms, "added before every answer")
      ->check(CLI::Range(std::int64_t{0}, bounds::max_latency_ms));
  command->add_option("--error-rate-bp", o.error_rate_bp, "calls answered 503, in basis points")
      ->check(CLI::Range(std::int64_t{0}, bounds::max_rate_bp));
  command
      ->add_option("--timeout-rate-bp", o.timeout_rate_bp,
                   "calls whose answer is held --hang-ms, in basis points")
      ->check(CLI::Range(std::int64_t{0}, bounds::max_rate_bp));
  command->add_option("--hang-ms", o.hang_ms, "how long a timed-out answer is held (10000)")
      ->check(CLI::Range(std::int64_t{0}, bounds::max_hang_ms));
  command->add_option("--outage-ms", o.outage_ms, "every call is 503 for this long after start")
      ->check(CLI::Range(std::int64_t{0}, bounds::max_outage_ms));
  command->add_flag("--duplicate-callbacks", o.duplicate_callbacks, "deliver every callback twice");
  command->add_flag("--out-of-order-callbacks", o.out_of_order_callbacks,
                    "deliver each provider's callbacks in reversed pairs");
  command->add_option("--kyc-delay-ms", o.kyc_delay_ms, "from a KYC request to its result (50)")
      ->check(CLI::Range(std::int64_t{0}, bounds::max_delay_ms));
  command
      ->add_option("--rail-delay-ms", o.rail_delay_ms,
                   "from a rail submission to its settlement (200)")
      ->check(CLI::Range(std::int64_t{0}, bounds::max_delay_ms));
  command
      ->add_option("--quote-ttl-ms", o.quote_ttl_ms,
                   "how long an FX quote can be locked (30000)")
      ->check(CLI::Range(std::int64_t{1}, bounds::max_delay_ms));
}

}  // namespace payorch::app::sandbox
