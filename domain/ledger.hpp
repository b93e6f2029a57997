#pragma once
/// Double-entry ledger rules: balanced transactions, two-phase (pending) transfers and balances.
///
/// A transaction moves money between accounts with postings whose signed amounts sum to zero in
/// every currency. A pending transaction reserves the money until it is posted (settled) or voided
/// (released). These are the pure rules; the journal stores the rows and applies them atomically.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"

namespace payorch {

/// What a ledger command does.
enum class ledger_phase : std::uint8_t {
  posted,        ///< a transaction that takes effect at once
  pending,       ///< a transaction that reserves money until it is posted or voided
  post_pending,  ///< settles a pending transaction (its postings take effect)
  void_pending,  ///< releases a pending transaction (its postings never take effect)
};

/// The snake_case name of `phase` ("post_pending"); "unknown" for out-of-range values.
std::string_view to_string(ledger_phase phase) noexcept;

/// One leg of a transaction: + credits the account (raises its balance), - debits it.
struct ledger_posting {
  std::string account;
  std::string currency;  ///< ISO 4217 code, e.g. "EUR"
  std::int64_t amount_minor = 0;

  friend bool operator==(const ledger_posting&, const ledger_posting&) = default;
};

/// One ledger command, carried by a journal append and applied in the same transaction.
struct ledger_command {
  /// The transaction's id (posted, pending); unique per pending transaction. For post_pending and
  /// void_pending it only labels the command: the rows keep the pending transaction's id.
  std::string transaction_id;
  ledger_phase phase = ledger_phase::posted;
  std::vector<ledger_posting> postings;  ///< posted, pending: at least two; otherwise empty
  std::int64_t expires_at_ms = 0;  ///< pending only: from this unix ms on it cannot post; 0 never
  std::string pending_id;          ///< post_pending, void_pending: the pending transaction's id

  friend bool operator==(const ledger_command&, const ledger_command&) = default;
};

/// Checks a command on its own, without the ledger's state.
///
/// posted, pending: a transaction id, at least two postings, each with an account, a known ISO
/// currency (not XXX) and a non-zero amount, summing to zero per currency (the sum is computed
/// with overflow checks); no pending_id; expires_at_ms 0 for posted and >= 0 for pending.
/// post_pending, void_pending: a pending_id, no postings and no expiry. Errors: invalid_argument,
/// invalid_amount, unknown_currency, amount_overflow, ledger_unbalanced, each with `param` naming
/// the field ("postings[1].amount_minor").
status check_balanced(const ledger_command& command);

/// One account's money in one currency.
///
/// `posted_minor` is the settled balance; the pending amounts are reserved by transactions not yet
/// posted or voided, both kept as non-negative magnitudes: `pending_in_minor` will arrive,
/// `pending_out_minor` will leave and is no longer available.
struct account_balance {
  std::string account;
  std::string currency;
  std::int64_t posted_minor = 0;
  std::int64_t pending_in_minor = 0;
  std::int64_t pending_out_minor = 0;

  std::int64_t available_minor() const { return posted_minor - pending_out_minor; }

  friend bool operator==(const account_balance&, const account_balance&) = default;
};

/// How one posting's amount moves a balance.
enum class balance_effect : std::uint8_t {
  post,     ///< a posted transaction: posted += amount
  hold,     ///< a new pending transaction: the amount becomes pending in (+) or out (-)
  release,  ///< a voided pending transaction: undoes its hold
  settle,   ///< a posted pending transaction: undoes its hold and posts the amount
};

/// Applies one posting of `amount_minor` to `balance` with overflow checks.
///
/// On failure `balance` is unchanged: amount_overflow if a figure would leave int64 (or the amount
/// is INT64_MIN for a hold), internal_error if a release would drive a pending figure below zero
/// (the ledger's own rows disagree with its balances).
status apply_posting(account_balance& balance, balance_effect effect, std::int64_t amount_minor);

}  // namespace payorch
