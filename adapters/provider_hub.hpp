#pragma once
/// Every provider adapter of one process, with the I/O thread they run on.
///
/// The hub owns an io_context and one thread that runs it, the shared HTTP client, one circuit
/// breaker and one retrying caller per provider, and the typed clients. Completions of every
/// call run on that thread; they must only hand their result on (e.g. send an actor message).

#include <cstdint>
#include <memory>
#include <string>

#include "config/fwd.hpp"

namespace payorch::adapters {

class breaker_registry;
class fx_client;
class kyc_client;
class sanctions_client;
class risk_client;
class rail_client;
class psp_client;

class provider_hub {
 public:
  /// Builds every adapter from `[providers]` and starts the I/O thread. `jitter_seed` seeds
  /// each caller's backoff jitter (the provider's index is added), so runs can be repeated.
  static std::unique_ptr<provider_hub> start(const config::provider_settings& settings,
                                             std::uint64_t jitter_seed);

  /// Stops the thread; calls still running are abandoned without an answer.
  ~provider_hub();
  provider_hub(const provider_hub&) = delete;
  provider_hub& operator=(const provider_hub&) = delete;

  /// One breaker per provider name ("fx", "kyc", "sanctions", "risk", "rail", "psp").
  breaker_registry& breakers();
  fx_client& fx();
  kyc_client& kyc();
  sanctions_client& sanctions();
  risk_client& risk();
  rail_client& rail();
  psp_client& psp();
  /// The secret that signs provider callbacks (Standard Webhooks); empty when not configured.
  const std::string& webhook_secret() const;

  /// Stops the thread and waits for it (idempotent).
  void stop();

 private:
  struct parts;
  explicit provider_hub(std::unique_ptr<parts> p);
  std::unique_ptr<parts> parts_;
};

}  // namespace payorch::adapters
