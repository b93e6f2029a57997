#pragma once
/// The cross-border settlement saga: a pod payout from reservation to the rail's confirmation.
///
/// Steps, in order (docs/payouts.md tells the whole story):
///
/// | step         | kind   | does                                                       | undone by        |
/// |--------------|--------|------------------------------------------------------------|------------------|
/// | `reserve`    | action | holds the pod-currency cost in the wallet (PayoutReserved) | release the hold |
/// | `kyc`        | action | starts the payee's verification                            |                  |
/// | `kyc_result` | wait   | the KYC callback (or, at the deadline, a status read)      |                  |
/// | `sanctions`  | action | screens the payee's name and country                       |                  |
/// | `risk`       | action | scores the payout                                          |                  |
/// | `approval`   | wait   | member votes up to quorum, if above the spending limit     |                  |
/// | `otp`        | wait   | the one-time password, if the tier or the score is HIGH    |                  |
/// | `fx`         | action | quotes and locks the rate, if the currencies differ        | release the quote|
/// | `post`       | action | posts the hold, the FX sale and the rounding (PayoutPosted)| reverse it       |
/// | `submit`     | action | sends the pacs.008 credit transfer on the rail              |                  |
/// | `confirm`    | wait   | the rail's callback (or, at the deadline, a status read)   |                  |
///
/// Every provider call carries `saga_id:step` as its idempotency key, and the rail's EndToEndId
/// is the payout id, so a resumed step never pays twice. A failure's reason starts with a code
/// (`kyc_rejected: ...`) that the payout view shows.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "actors/supervisor.hpp"
#include "domain/result.hpp"
#include "sagas/saga_manager.hpp"
#include "sagas/saga_model.hpp"

namespace payorch::adapters {
class provider_hub;
}

namespace payorch::sagas {

/// The type name and the signalled steps are in actors/saga_protocol.hpp (`settlement::`).

struct settlement_options {
  /// The provider adapters (not owned; must outlive the saga manager).
  adapters::provider_hub* providers = nullptr;
  /// Where providers post their results: `{base}/callbacks/kyc` and `{base}/callbacks/rail`.
  std::string callback_base_url;
  /// The key of the payout one-time passwords (see settlement_otp).
  std::string otp_secret;
  /// The ordering party on every pacs.008: the platform's client-money account.
  std::string debtor_name = "payorch client money";
  std::string debtor_bic = "PAYODEFFXXX";
  /// A cross-currency payout holds its estimated cost plus this margin (basis points), so a
  /// rate that moves a little before the lock is still covered; what is not spent returns.
  std::int64_t fx_margin_bps = 200;
  std::chrono::milliseconds kyc_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds vote_timeout{std::chrono::hours(24)};
  std::chrono::milliseconds otp_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds confirm_timeout{std::chrono::minutes(30)};
  /// Wrong one-time passwords allowed before the payout fails.
  std::int64_t otp_max_attempts = 3;
  /// Retries of each provider step (the adapters retry within one attempt as well).
  retry_spec retry{.max_attempts = 5,
                   .initial_backoff = std::chrono::milliseconds(500),
                   .max_backoff = std::chrono::milliseconds(30'000),
                   .multiplier = 2,
                   .jitter_percent = 20,
                   .attempt_timeout = std::chrono::milliseconds(60'000)};
};


/// The six-digit one-time password of a payout: HMAC-SHA256(secret, payout id), truncated as
/// RFC 4226 does. Whoever holds the secret (the treasurer's authenticator) can compute it.
std::string settlement_otp(std::string_view secret, std::string_view payout_id);

/// The settlement's definition. Its actions reach the pod router of the actor system that
/// `attach` names, through a bridge actor linked to `owner`; call it before any saga runs (the
/// manager child does). `now` gives the times of the pod commands (empty: the system clock).
struct settlement_setup {
  saga_definition definition;
  std::function<void(caf::event_based_actor* owner, std::function<std::int64_t()> now)> attach;
};
settlement_setup make_settlement(settlement_options options);

/// The saga manager, with the settlement registered, as a child of actor_runtime's supervisor.
/// `base` gives the clock, alerts and restart budget; its definitions gain the settlement.
result<actors::child_spec> settlement_manager_child(settlement_options options,
                                                    saga_manager_options base);

}  // namespace payorch::sagas
