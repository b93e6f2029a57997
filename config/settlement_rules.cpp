// The keys of the [settlement] section: how cross-border payouts run.
#include "config/key_table.hpp"

namespace payorch::config::detail {
namespace {

template <auto member>
integer_rule settlement_integer(std::int64_t floor, std::int64_t ceiling) {
  return {floor, ceiling, [](settings& out, std::int64_t value) { out.settlement.*member = value; },
          [](const settings& in) { return in.settlement.*member; }};
}

text_rule callback_url_rule() {
  return {"an http://host:port URL, or empty for the listen address",
          [](settings& out, std::string_view text) -> std::optional<std::string> {
            if (!text.empty()) {
              if (auto problem = provider_url_problem(text)) return problem;
            }
            out.settlement.callback_url = std::string(text);
            return std::nullopt;
          },
          [](const settings& in) { return in.settlement.callback_url; }, false, without_password};
}

text_rule otp_secret_rule() {
  return {"16 to 1024 bytes, or empty",
          [](settings& out, std::string_view text) -> std::optional<std::string> {
            if (!text.empty() && (text.size() < 16 || text.size() > 1024))
              return "must be 16 to 1024 bytes (got " + std::to_string(text.size()) + " bytes)";
            out.settlement.otp_secret = std::string(text);
            return std::nullopt;
          },
          [](const settings& in) { return in.settlement.otp_secret; }, true};
}

}  // namespace

std::vector<key_spec> settlement_keys() {
  using s = settlement_settings;
  constexpr std::int64_t day_ms = 24LL * 3600 * 1000;
  return {
      {"settlement.callback_url",
       "payorch's own base URL, where providers post results; empty: the listen address",
       callback_url_rule()},
      {"settlement.otp_secret",
       "key of payout one-time passwords; empty: a key made on first start in the data dir",
       otp_secret_rule()},
      {"settlement.fx_margin_bps",
       "margin held on top of a cross-currency payout's estimated cost, in basis points",
       settlement_integer<&s::fx_margin_bps>(0, 5'000)},
      {"settlement.kyc_timeout_ms", "how long a payout waits for the payee's KYC result, in ms",
       settlement_integer<&s::kyc_timeout_ms>(100, 30 * day_ms)},
      {"settlement.vote_timeout_ms", "how long a payout above the limit waits for votes, in ms",
       settlement_integer<&s::vote_timeout_ms>(100, 30 * day_ms)},
      {"settlement.otp_timeout_ms", "how long a payout waits for its one-time password, in ms",
       settlement_integer<&s::otp_timeout_ms>(100, day_ms)},
      {"settlement.confirm_timeout_ms",
       "how long a payout waits for the rail's confirmation before asking it, in ms",
       settlement_integer<&s::confirm_timeout_ms>(100, 30 * day_ms)},
      {"settlement.retry_backoff_ms", "first wait before a settlement step runs again, in ms",
       settlement_integer<&s::retry_backoff_ms>(1, 3'600'000)},
      {"settlement.max_attempts", "failed attempts of a settlement step before it gives up",
       settlement_integer<&s::max_attempts>(1, 100)},
  };
}

}  // namespace payorch::config::detail
