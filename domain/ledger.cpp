#include "domain/ledger.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

#include "domain/currency.hpp"

namespace payorch {
namespace {

constexpr std::array<std::string_view, 4> phase_names{"posted", "pending", "post_pending",
                                                      "void_pending"};

std::string posting_param(std::size_t index, std::string_view field) {
  std::string param = "postings[";
  param += std::to_string(index);
  param += "].";
  param += field;
  return param;
}

/// The running sum of one currency's postings.
struct currency_sum {
  std::string_view code;
  std::int64_t sum_minor = 0;
};

status check_posting(const ledger_posting& posting, std::size_t index) {
  if (posting.account.empty())
    return fail(errc::invalid_argument, "a posting needs an account",
                posting_param(index, "account"));
  const auto known = currency::from_code(posting.currency);
  if (!known || *known == currency{})
    return fail(errc::unknown_currency, "'" + posting.currency + "' is not an ISO 4217 currency",
                posting_param(index, "currency"));
  if (posting.amount_minor == 0)
    return fail(errc::invalid_amount, "a posting cannot move zero",
                posting_param(index, "amount_minor"));
  return {};
}

status check_transaction(const ledger_command& command) {
  if (command.transaction_id.empty())
    return fail(errc::invalid_argument, "a transaction needs an id", "transaction_id");
  if (!command.pending_id.empty())
    return fail(errc::invalid_argument, "only post_pending and void_pending name a pending_id",
                "pending_id");
  if (command.phase == ledger_phase::posted && command.expires_at_ms != 0)
    return fail(errc::invalid_argument, "only a pending transaction expires", "expires_at_ms");
  if (command.expires_at_ms < 0)
    return fail(errc::invalid_argument, "expires_at_ms cannot be negative", "expires_at_ms");
  if (command.postings.size() < 2)
    return fail(errc::invalid_argument, "a transaction needs at least two postings", "postings");
  // Transactions have a handful of postings in one or two currencies: a flat list beats a map.
  std::vector<currency_sum> sums;
  for (std::size_t i = 0; i < command.postings.size(); ++i) {
    const ledger_posting& posting = command.postings[i];
    if (auto checked = check_posting(posting, i); !checked) return checked;
    currency_sum* sum = nullptr;
    for (currency_sum& candidate : sums) {
      if (candidate.code == posting.currency) sum = &candidate;
    }
    if (sum == nullptr) sum = &sums.emplace_back(currency_sum{posting.currency, 0});
    if (__builtin_add_overflow(sum->sum_minor, posting.amount_minor, &sum->sum_minor))
      return fail(errc::amount_overflow, "the postings in " + posting.currency + " overflow int64",
                  posting_param(i, "amount_minor"));
  }
  for (const currency_sum& sum : sums) {
    if (sum.sum_minor != 0)
      return fail(errc::ledger_unbalanced,
                  "the postings in " + std::string(sum.code) + " sum to " +
                      std::to_string(sum.sum_minor) + ", not 0",
                  "postings");
  }
  return {};
}

status check_resolution(const ledger_command& command) {
  if (command.pending_id.empty())
    return fail(errc::invalid_argument, "name the pending transaction to resolve", "pending_id");
  if (!command.postings.empty())
    return fail(errc::invalid_argument,
                "posting or voiding a pending transaction takes no postings", "postings");
  if (command.expires_at_ms != 0)
    return fail(errc::invalid_argument, "only a pending transaction expires", "expires_at_ms");
  return {};
}

failure overflow(std::string_view what) {
  return fail(errc::amount_overflow, "the balance's " + std::string(what) + " would overflow");
}

/// The three figures of a balance, changed on a copy so a failure leaves the balance as it was.
struct figures {
  std::int64_t posted_minor = 0;
  std::int64_t pending_in_minor = 0;
  std::int64_t pending_out_minor = 0;
};

/// Adds a hold's amount to the pending figures (sign = +1) or takes it away again (sign = -1).
status move_pending(figures& f, std::int64_t amount_minor, int sign, const std::string& account) {
  if (amount_minor == INT64_MIN) return overflow("pending amount");
  const bool incoming = amount_minor > 0;
  const std::int64_t magnitude = incoming ? amount_minor : -amount_minor;
  std::int64_t& figure = incoming ? f.pending_in_minor : f.pending_out_minor;
  if (sign > 0) {
    if (__builtin_add_overflow(figure, magnitude, &figure)) return overflow("pending amount");
    return {};
  }
  if (figure < magnitude)
    return fail(errc::internal_error, "releasing more than is pending on " + account);
  figure -= magnitude;
  return {};
}

}  // namespace

std::string_view to_string(ledger_phase phase) noexcept {
  const auto index = static_cast<std::size_t>(phase);
  return index < phase_names.size() ? phase_names[index] : std::string_view{"unknown"};
}

status check_balanced(const ledger_command& command) {
  switch (command.phase) {
    case ledger_phase::posted:
    case ledger_phase::pending:
      return check_transaction(command);
    case ledger_phase::post_pending:
    case ledger_phase::void_pending:
      return check_resolution(command);
  }
  return fail(errc::invalid_argument, "unknown ledger phase", "phase");
}

status apply_posting(account_balance& balance, balance_effect effect, std::int64_t amount_minor) {
  figures next{balance.posted_minor, balance.pending_in_minor, balance.pending_out_minor};
  if (effect == balance_effect::hold) {
    if (auto moved = move_pending(next, amount_minor, +1, balance.account); !moved) return moved;
  } else if (effect == balance_effect::release || effect == balance_effect::settle) {
    if (auto moved = move_pending(next, amount_minor, -1, balance.account); !moved) return moved;
  }
  if (effect == balance_effect::post || effect == balance_effect::settle) {
    if (__builtin_add_overflow(next.posted_minor, amount_minor, &next.posted_minor))
      return overflow("posted amount");
  }
  // available_minor() must stay representable too.
  std::int64_t available = 0;
  if (__builtin_sub_overflow(next.posted_minor, next.pending_out_minor, &available))
    return overflow("available amount");
  balance.posted_minor = next.posted_minor;
  balance.pending_in_minor = next.pending_in_minor;
  balance.pending_out_minor = next.pending_out_minor;
  return {};
}

}  // namespace payorch
