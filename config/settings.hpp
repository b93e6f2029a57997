#pragma once

/// The settings of one payorch process and how they are loaded.
///
/// `load_settings` runs once in `main`, before any thread starts; the resulting `settings` is
/// then copied or passed by const reference and never changes. Nothing here is thread-aware.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/fwd.hpp"
#include "config/limits.hpp"

namespace payorch::config {

/// Where the HTTP listener binds; `host` holds an IPv6 address without its brackets.
struct listen_address {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;

  bool operator==(const listen_address&) const = default;
};

/// `HOST:PORT`, with brackets around an IPv6 host (`[::1]:8080`): what `listen` accepts.
std::string to_string(const listen_address& address);

/// One API client that may ask `POST /oauth/token` for tokens (`[[auth.clients]]`).
struct auth_client {
  /// The client id: 1 to 128 of `A-Z a-z 0-9 . _ ~ -`; unique.
  std::string id;
  /// `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>`, as `payorch hash-secret` prints.
  std::string secret_hash;
  /// What the client may ask for: `crowdpod:{pod_id|*}:{read|write|admin}`, `operator`, or `*`
  /// (any scope). A token request without `scope` gets all of them.
  std::vector<std::string> scopes;

  bool operator==(const auth_client&) const = default;
};

/// One static FX rate (`[[fx.rates]]`): 1 `base` = `rate` `quote`, the rate as exact decimal text.
struct fx_rate_entry {
  std::string base;   ///< ISO 4217 code, e.g. "EUR"
  std::string quote;  ///< ISO 4217 code, different from base
  std::string rate;   ///< positive decimal text with at most 9 decimals, e.g. "1.0842"

  bool operator==(const fx_rate_entry&) const = default;
};

/// The outside providers (`[providers]`): where they are and how payorch calls them.
///
/// Each member's comment starts with its key under `[providers]`; the bounds and defaults of
/// the numeric ones live in `limits.hpp`.
/// `[settlement]`: how cross-border payouts run (sagas/settlement.hpp).
struct settlement_settings {
  std::string callback_url;  ///< empty: http://{listen}
  std::string otp_secret;    ///< empty: DATA_DIR/otp.key, made on first start
  std::int64_t fx_margin_bps = 200;
  std::int64_t kyc_timeout_ms = 10 * 60 * 1000;
  std::int64_t vote_timeout_ms = 24 * 3600 * 1000;
  std::int64_t otp_timeout_ms = 10 * 60 * 1000;
  std::int64_t confirm_timeout_ms = 30 * 60 * 1000;
  std::int64_t retry_backoff_ms = 500;
  std::int64_t max_attempts = 5;

  bool operator==(const settlement_settings&) const = default;
};

struct provider_settings {
  /// `base_url`: where every provider is served unless it has its own URL below (an
  /// `http://host:port[/path]` URL; the default is `payorch sandbox`'s default address).
  std::string base_url = "http://127.0.0.1:8090";
  /// `fx`, `kyc`, `sanctions`, `risk`, `rail`, `psp`: one provider's own base URL; empty
  /// means `base_url`.
  std::string fx;
  std::string kyc;
  std::string sanctions;
  std::string risk;
  std::string rail;
  std::string psp;
  /// `webhook_secret`: the key that signs provider callbacks; empty until configured.
  std::string webhook_secret;
  /// `timeout_ms`: deadline of one attempt, connect to last byte.
  std::int64_t timeout_ms = limits::provider_timeout_ms_default;
  /// `max_attempts`: attempts of one call, the first included.
  std::int64_t max_attempts = limits::provider_max_attempts_default;
  /// `initial_backoff_ms`: wait before the second attempt, before jitter.
  std::int64_t initial_backoff_ms = limits::provider_initial_backoff_ms_default;
  /// `max_backoff_ms`: longest wait between attempts, before jitter.
  std::int64_t max_backoff_ms = limits::provider_max_backoff_ms_default;
  /// `backoff_multiplier`: each wait is this many times the one before.
  std::int64_t backoff_multiplier = limits::provider_backoff_multiplier_default;
  /// `jitter`: "full" (uniform in [0, wait]) or "equal" (wait/2 plus uniform in [0, wait/2]).
  std::string jitter = "full";
  /// `breaker_failures`: failures within `breaker_window_ms` that open a provider's breaker.
  std::int64_t breaker_failures = limits::breaker_failures_default;
  /// `breaker_window_ms`: how far back failures count.
  std::int64_t breaker_window_ms = limits::breaker_window_ms_default;
  /// `breaker_failure_rate_percent`: those failures must also be this share of the calls.
  std::int64_t breaker_failure_rate_percent = limits::breaker_failure_rate_percent_default;
  /// `breaker_open_ms`: how long an open breaker refuses calls before probing.
  std::int64_t breaker_open_ms = limits::breaker_open_ms_default;
  /// `breaker_half_open_probes`: probe calls let through; all must succeed to close.
  std::int64_t breaker_half_open_probes = limits::breaker_half_open_probes_default;
  /// `max_idle_per_host`: idle keep-alive connections kept per provider host (0: none).
  std::int64_t max_idle_per_host = limits::provider_max_idle_per_host_default;
  /// `idle_timeout_ms`: an idle connection older than this is closed, not reused.
  std::int64_t idle_timeout_ms = limits::provider_idle_timeout_ms_default;

  /// The base URL of `provider` ("fx", "kyc", "sanctions", "risk", "rail" or "psp"): its own
  /// URL when set, else `base_url` (also for any other name).
  const std::string& url_of(std::string_view provider) const;

  bool operator==(const provider_settings&) const = default;
};

/// Every setting of the process; each member's comment starts with its key in the TOML file.
///
/// The bounds and defaults of the numeric members live in `limits.hpp`.
struct settings {
  /// `listen`: where the HTTP listener binds.
  listen_address listen;
  /// `data_dir`: the embedded database and other state.
  std::filesystem::path data_dir = "var";
  /// `storage`: "sqlite" (the embedded journal in data_dir) or a PostgreSQL URI
  /// (`postgresql://user[:password]@host:port/database`).
  std::string storage = "sqlite";

  /// `http.max_body_bytes`: larger request bodies get 413.
  std::size_t max_body_bytes = limits::max_body_bytes_default;
  /// `http.max_header_bytes`: request line plus header fields.
  std::size_t max_header_bytes = limits::max_header_bytes_default;
  /// `http.max_header_count`: header fields in one request.
  std::size_t max_header_count = limits::max_header_count_default;
  /// `http.request_timeout_ms`: deadline of one request, first byte to reply.
  std::int64_t request_timeout_ms = limits::request_timeout_ms_default;
  /// `http.keep_alive_timeout_ms`: how long an idle connection stays open.
  std::int64_t keep_alive_timeout_ms = limits::keep_alive_timeout_ms_default;
  /// `http.io_threads`: threads running the listener and sessions.
  std::size_t io_threads = limits::io_threads_default;

  /// `actors.threads`: threads of the actor scheduler.
  std::size_t actor_threads = limits::actor_threads_default;
  /// `actors.entity_idle_timeout_ms`: idle time before an entity actor is passivated.
  std::int64_t entity_idle_timeout_ms = limits::entity_idle_timeout_ms_default;
  /// `actors.max_restarts`: restarts per window before a supervisor escalates (0: at once).
  std::size_t supervisor_max_restarts = limits::supervisor_max_restarts_default;
  /// `actors.restart_window_ms`: the window over which restarts are counted.
  std::int64_t supervisor_restart_window_ms = limits::supervisor_restart_window_ms_default;

  /// `journal.max_batch_appends`: most appends in one group commit.
  std::size_t journal_max_batch_appends = limits::journal_max_batch_appends_default;
  /// `journal.max_wait_us`: longest a group commit waits for more appends (0: flush at once).
  std::int64_t journal_max_wait_us = limits::journal_max_wait_us_default;
  /// `journal.synchronous`: "full" (true) survives power loss; "normal" (false) is faster.
  bool journal_synchronous_full = true;
  /// `journal.migrations`: "apply" pending schema migrations at start-up, or only "check" that
  /// none is pending (start-up then stops with a message naming them).
  bool journal_apply_migrations = true;
  /// `journal.snapshot_every`: events between two snapshots of an entity.
  std::int64_t snapshot_every_events = limits::snapshot_every_events_default;

  /// `log.level`: trace, debug, info, warn or error.
  std::string log_level = "info";
  /// `log.format`: auto (text on a terminal, JSON lines otherwise), text or json.
  std::string log_format = "auto";

  /// `auth.issuer`: the `iss` of every token issued, and the only one accepted.
  std::string auth_issuer = "payorch";
  /// `auth.audience`: the `aud` of every token issued, and the only one accepted.
  std::string auth_audience = "payorch-api";
  /// `auth.token_ttl_s`: lifetime of an issued token.
  std::int64_t auth_token_ttl_s = limits::token_ttl_s_default;
  /// `auth.leeway_s`: clock skew forgiven on `exp` and `nbf`.
  std::int64_t auth_leeway_s = limits::token_leeway_s_default;
  /// `auth.algorithm`: "ES256" (a P-256 key made on first start) or "HS256" (`hs256_secret`).
  std::string auth_algorithm = "ES256";
  /// `auth.hs256_secret`: the HMAC key when the algorithm is HS256 (at least 32 bytes).
  std::string auth_hs256_secret;
  /// `auth.clients`: the API clients; none means a bootstrap admin client in `credentials.json`.
  std::vector<auth_client> auth_clients;

  /// `fx.rates`: the static FX table.
  std::vector<fx_rate_entry> fx_rates;

  /// `providers`: the outside providers (the `[providers]` section).
  provider_settings providers;
  /// `settlement`: how cross-border payouts run (the `[settlement]` section).
  settlement_settings settlement;

  bool operator==(const settings&) const = default;
};

/// Why the settings could not be loaded, naming the setting (or file) at fault.
struct config_error {
  /// The dotted key (`http.max_body_bytes`), or the file's path when the file itself is at fault.
  std::string key;
  /// What is wrong and where the bad value came from, e.g. `must be between 1 and 64 (got "0"
  /// from PAYORCH_HTTP_IO_THREADS)`.
  std::string message;

  /// One line for the operator: `config error: <key>: <message>`.
  std::string line() const;
};

/// The settings that command-line flags can set; they override every other source.
struct flag_overrides {
  std::optional<std::string> listen;     // --listen HOST:PORT
  std::optional<std::string> data_dir;   // --data-dir PATH
  std::optional<std::string> storage;    // --storage sqlite|postgresql://...
  std::optional<std::string> providers;  // --providers URL (providers.base_url)
};

/// True when `storage` names a PostgreSQL server rather than the embedded SQLite journal.
bool uses_postgres(const settings& s);

/// The base URL providers post callbacks to (`/callbacks/kyc` is appended): the configured
/// `settlement.callback_url`, else `http://` + the listen address (an IPv6 host in brackets),
/// without a trailing '/'.
std::string callback_base_url(const settings& s);

/// Environment variables by name; only the `PAYORCH_*` ones are read.
using environment = std::map<std::string, std::string>;

/// The process's `PAYORCH_*` environment variables; call it before any thread starts.
environment current_environment();

/// Either the loaded settings or the first error found; exactly one of the two is set.
struct load_result {
  std::optional<settings> value;
  std::optional<config_error> error;
};

/// Builds the settings from the defaults, then the TOML file, then the environment, then flags.
///
/// Each key `section.name` is read from the environment as `PAYORCH_SECTION_NAME` (`listen` as
/// `PAYORCH_LISTEN`; `providers.base_url` also as `PAYORCH_PROVIDERS`, which the longer name
/// overrides). Unknown keys in the file, wrong types, out-of-range values and a malformed
/// `HOST:PORT` are errors naming the key; a file that cannot be read is an error naming its
/// path. `PAYORCH_*` variables that name no key are ignored, since other tools share the prefix.
load_result load_settings(const std::optional<std::filesystem::path>& file, const environment& env,
                          const flag_overrides& flags);

/// Every setting as a TOML document that `load_settings` reads back to the same settings,
/// except that a set secret (`auth.hs256_secret`, `providers.webhook_secret`) is replaced by a
/// comment saying it is set.
std::string to_toml(const settings& value);

}  // namespace payorch::config
