#include "domain/errc.hpp"

#include <array>
#include <cstddef>

namespace payorch {
namespace {

// Indexed by the numeric value of errc; keep in declaration order.
constexpr std::array<std::string_view, 34> errc_names{
    "ok",
    "invalid_argument",
    "invalid_amount",
    "amount_overflow",
    "currency_mismatch",
    "unknown_currency",
    "too_many_decimals",
    "invalid_rate",
    "invalid_id",
    "invalid_iban",
    "invalid_bic",
    "invalid_vpa",
    "invalid_quorum",
    "invalid_spending_limit",
    "unknown_risk_tier",
    "invalid_name",
    "illegal_transition",
    "not_found",
    "already_exists",
    "version_conflict",
    "storage_unavailable",
    "internal_error",
    "deadline_exceeded",
    "entity_unavailable",
    "role_forbidden",
    "pod_not_active",
    "invalid_role",
    "invalid_cycle",
    "idempotency_key_reused",
    "idempotency_in_flight",
    "idempotency_key_required",
    "ledger_unbalanced",
    "pending_expired",
    "insufficient_funds",
};

static_assert(errc_names.size() == static_cast<std::size_t>(errc::insufficient_funds) + 1,
              "every errc needs a name");

}  // namespace

std::string_view to_string(errc code) noexcept {
  const auto index = static_cast<std::size_t>(code);
  return index < errc_names.size() ? errc_names[index] : std::string_view{"unknown"};
}

errc errc_from_string(std::string_view name) noexcept {
  for (std::size_t i = 0; i < errc_names.size(); ++i) {
    if (errc_names[i] == name) return static_cast<errc>(i);
  }
  return errc::internal_error;
}

}  // namespace payorch
