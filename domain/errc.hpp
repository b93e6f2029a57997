#pragma once
/// Error codes shared by every layer of payorch.
///
/// The codes are stable: the gateway maps them to problem types and the journal may
/// store them, so new codes go at the end and none is ever renumbered.

#include <cstdint>
#include <string_view>

#include "domain/fwd.hpp"

namespace payorch {

/// One reason an operation failed; `ok` is never carried by a failure.
enum class errc : std::uint8_t {
  ok = 0,
  invalid_argument,
  invalid_amount,
  amount_overflow,
  currency_mismatch,
  unknown_currency,
  too_many_decimals,
  invalid_rate,
  invalid_id,
  invalid_iban,
  invalid_bic,
  invalid_vpa,
  invalid_quorum,
  invalid_spending_limit,
  unknown_risk_tier,
  invalid_name,
  illegal_transition,
  not_found,
  already_exists,
  version_conflict,
  storage_unavailable,
  internal_error,
  deadline_exceeded,   ///< the request's deadline passed before an answer
  entity_unavailable,  ///< the entity is restarting, quarantined or not started yet
  role_forbidden,      ///< the acting member's role may not do this inside the pod
  pod_not_active,      ///< the pod's status does not allow the operation (e.g. pledging)
  invalid_role,
  invalid_cycle,
  idempotency_key_reused,    ///< the same Idempotency-Key came with another request
  idempotency_in_flight,     ///< the first request with this Idempotency-Key is still running
  idempotency_key_required,  ///< the operation needs an Idempotency-Key header
  ledger_unbalanced,         ///< a ledger transaction's postings do not sum to zero per currency
  pending_expired,           ///< the pending ledger transaction expired before it was posted
  insufficient_funds,        ///< the wallet's available balance does not cover the amount
};

/// The snake_case name of `code`, e.g. "amount_overflow"; "unknown" for out-of-range values.
std::string_view to_string(errc code) noexcept;

/// The code named `name` (the inverse of to_string), or internal_error when unknown.
errc errc_from_string(std::string_view name) noexcept;

}  // namespace payorch
