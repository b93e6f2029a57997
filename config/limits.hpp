#pragma once

/// Every bound of the process, in one place, named with its unit.
///
/// A settable bound has a `_default` and the `_floor`/`_ceiling` that `load_settings` enforces;
/// a fixed bound is a single constant. Every queue, batch, retry loop and buffer in the process
/// is bounded by one of these, and the `static_assert`s below pin down how they relate so a
/// change to one cannot silently break another.

#include <cstddef>
#include <cstdint>

namespace payorch::config::limits {

// --- HTTP (gateway) ------------------------------------------------------------------------

inline constexpr std::size_t max_body_bytes_floor = 1024;
inline constexpr std::size_t max_body_bytes_default = std::size_t{1} << 20;   // 1 MiB
inline constexpr std::size_t max_body_bytes_ceiling = std::size_t{64} << 20;  // 64 MiB

inline constexpr std::size_t max_header_bytes_floor = 4096;
inline constexpr std::size_t max_header_bytes_default = 8192;
inline constexpr std::size_t max_header_bytes_ceiling = 65536;

inline constexpr std::size_t max_header_count_floor = 8;
inline constexpr std::size_t max_header_count_default = 100;
inline constexpr std::size_t max_header_count_ceiling = 1000;

/// Longest request target (path and query) a session accepts; part of the header budget.
inline constexpr std::size_t max_target_bytes = 4096;

inline constexpr std::int64_t request_timeout_ms_floor = 100;
inline constexpr std::int64_t request_timeout_ms_default = 5000;
inline constexpr std::int64_t request_timeout_ms_ceiling = 600'000;  // 10 min

inline constexpr std::int64_t keep_alive_timeout_ms_floor = 100;
inline constexpr std::int64_t keep_alive_timeout_ms_default = 30'000;
inline constexpr std::int64_t keep_alive_timeout_ms_ceiling = 600'000;

inline constexpr std::size_t io_threads_floor = 1;
inline constexpr std::size_t io_threads_default = 1;
inline constexpr std::size_t io_threads_ceiling = 64;

/// Pipelined requests one connection may have waiting for replies before the session stops
/// reading; keeps a single client from queueing unbounded work.
inline constexpr std::size_t max_in_flight_requests_per_connection = 16;

/// Open connections the listener accepts before it stops accepting.
inline constexpr std::size_t max_connections = 10'000;

/// Deepest nesting of objects and arrays the JSON codecs accept.
inline constexpr std::size_t max_json_depth = 32;

inline constexpr std::size_t page_size_default = 50;
inline constexpr std::size_t page_size_max = 200;

/// Longest `Idempotency-Key` header value accepted.
inline constexpr std::size_t max_idempotency_key_bytes = 255;
/// How long a stored idempotent response is replayed (24 h).
inline constexpr std::int64_t idempotency_record_ttl_ms = 24LL * 60 * 60 * 1000;

// --- actors --------------------------------------------------------------------------------

inline constexpr std::size_t actor_threads_floor = 1;
inline constexpr std::size_t actor_threads_default = 1;
inline constexpr std::size_t actor_threads_ceiling = 64;

inline constexpr std::int64_t entity_idle_timeout_ms_floor = 1000;
inline constexpr std::int64_t entity_idle_timeout_ms_default = 60'000;
inline constexpr std::int64_t entity_idle_timeout_ms_ceiling = 86'400'000;  // 1 day

/// Commands an entity actor holds while it recovers from the journal; more are refused.
inline constexpr std::size_t max_pending_commands_per_entity = 1024;

/// Zero restarts is allowed: the supervisor then escalates on the first failure.
inline constexpr std::size_t supervisor_max_restarts_floor = 0;
inline constexpr std::size_t supervisor_max_restarts_default = 5;
inline constexpr std::size_t supervisor_max_restarts_ceiling = 1000;

inline constexpr std::int64_t supervisor_restart_window_ms_floor = 100;
inline constexpr std::int64_t supervisor_restart_window_ms_default = 10'000;
inline constexpr std::int64_t supervisor_restart_window_ms_ceiling = 3'600'000;  // 1 h

/// Fixed number of shards entities hash to; changing it re-homes every entity.
inline constexpr std::size_t shard_count = 256;

// --- journal, outbox, sagas ----------------------------------------------------------------

inline constexpr std::size_t journal_max_batch_appends_floor = 1;
inline constexpr std::size_t journal_max_batch_appends_default = 256;
inline constexpr std::size_t journal_max_batch_appends_ceiling = 4096;

/// Zero wait is allowed: the writer then flushes whatever is queued at once.
inline constexpr std::int64_t journal_max_wait_us_floor = 0;
inline constexpr std::int64_t journal_max_wait_us_default = 0;
inline constexpr std::int64_t journal_max_wait_us_ceiling = 10'000;  // 10 ms

inline constexpr std::int64_t snapshot_every_events_floor = 1;
inline constexpr std::int64_t snapshot_every_events_default = 100;
inline constexpr std::int64_t snapshot_every_events_ceiling = 1'000'000;

/// Outbox rows the relay publishes per batch.
inline constexpr std::size_t outbox_batch_max = 512;
/// How long published outbox rows are kept for replay (7 days).
inline constexpr std::int64_t outbox_retention_ms = 7LL * 24 * 60 * 60 * 1000;

inline constexpr std::size_t max_saga_steps = 32;
inline constexpr std::size_t max_retry_attempts = 10;
inline constexpr std::int64_t retry_delay_ms_max = 60'000;
inline constexpr std::size_t max_webhook_attempts = 16;

// --- authentication (gateway) ------------------------------------------------------------

inline constexpr std::int64_t token_ttl_s_floor = 300;  // 5 min
inline constexpr std::int64_t token_ttl_s_default = 3600;
inline constexpr std::int64_t token_ttl_s_ceiling = 86'400;  // 1 day

/// Clock skew forgiven when checking a token's `exp` and `nbf`.
inline constexpr std::int64_t token_leeway_s_floor = 0;
inline constexpr std::int64_t token_leeway_s_default = 30;
inline constexpr std::int64_t token_leeway_s_ceiling = 120;

/// An HS256 secret at least as long as the SHA-256 output (RFC 7518 section 3.2).
inline constexpr std::size_t hs256_secret_min_bytes = 32;
inline constexpr std::size_t hs256_secret_max_bytes = 1024;

/// PBKDF2-HMAC-SHA256 iterations a configured client secret hash may use; `payorch
/// hash-secret` uses the default (OWASP's 2023 figure), about 0.25 s of one core per check.
inline constexpr std::int64_t pbkdf2_iterations_floor = 10'000;
inline constexpr std::int64_t pbkdf2_iterations_default = 600'000;
inline constexpr std::int64_t pbkdf2_iterations_ceiling = 10'000'000;
/// Salt bytes `payorch hash-secret` draws, and the fewest a configured hash may have.
inline constexpr std::size_t pbkdf2_salt_bytes = 16;

/// Configured API clients (`[[auth.clients]]`), and scopes per client.
inline constexpr std::size_t max_auth_clients = 1000;
inline constexpr std::size_t max_scopes_per_client = 200;
/// Longest client id; ids travel in Basic credentials and in every token's `sub`.
inline constexpr std::size_t max_client_id_bytes = 128;
/// Longest `auth.issuer` or `auth.audience`.
inline constexpr std::size_t max_issuer_bytes = 256;

/// Bearer tokens longer than this are refused before any parsing (ours are about 400 bytes).
inline constexpr std::size_t max_bearer_token_bytes = 4096;
/// Verified tokens remembered so a request skips the signature check; when full, the expired
/// entries go, then everything (a token is verified again on its next use).
inline constexpr std::size_t verified_token_cache_entries = 16'384;
/// Client secret checks (PBKDF2) waiting for the auth worker thread; more get 503.
inline constexpr std::size_t max_pending_secret_checks = 64;

// --- FX rates (adapters) -------------------------------------------------------------------

/// Pairs in the static `[[fx.rates]]` table.
inline constexpr std::size_t max_fx_rates = 1000;

// --- providers (adapters) ----------------------------------------------------------------

/// Deadline of one attempt of a provider call: connect, write and read.
inline constexpr std::int64_t provider_timeout_ms_floor = 10;
inline constexpr std::int64_t provider_timeout_ms_default = 2000;
inline constexpr std::int64_t provider_timeout_ms_ceiling = 60'000;

/// Attempts of one provider call, the first included.
inline constexpr std::int64_t provider_max_attempts_floor = 1;
inline constexpr std::int64_t provider_max_attempts_default = 3;
inline constexpr std::int64_t provider_max_attempts_ceiling = 10;  // max_retry_attempts

/// Zero backoff is allowed: the next attempt then goes at once.
inline constexpr std::int64_t provider_initial_backoff_ms_floor = 0;
inline constexpr std::int64_t provider_initial_backoff_ms_default = 100;
inline constexpr std::int64_t provider_initial_backoff_ms_ceiling = 60'000;  // retry_delay_ms_max

inline constexpr std::int64_t provider_max_backoff_ms_floor = 0;
inline constexpr std::int64_t provider_max_backoff_ms_default = 2000;
inline constexpr std::int64_t provider_max_backoff_ms_ceiling = 60'000;  // retry_delay_ms_max

inline constexpr std::int64_t provider_backoff_multiplier_floor = 1;
inline constexpr std::int64_t provider_backoff_multiplier_default = 2;
inline constexpr std::int64_t provider_backoff_multiplier_ceiling = 10;

/// Failures within the breaker window that open a provider's circuit breaker.
inline constexpr std::int64_t breaker_failures_floor = 1;
inline constexpr std::int64_t breaker_failures_default = 5;
inline constexpr std::int64_t breaker_failures_ceiling = 1000;

inline constexpr std::int64_t breaker_window_ms_floor = 100;
inline constexpr std::int64_t breaker_window_ms_default = 10'000;
inline constexpr std::int64_t breaker_window_ms_ceiling = 3'600'000;  // 1 h

inline constexpr std::int64_t breaker_open_ms_floor = 100;
inline constexpr std::int64_t breaker_open_ms_default = 5000;
inline constexpr std::int64_t breaker_open_ms_ceiling = 600'000;  // 10 min

inline constexpr std::int64_t breaker_failure_rate_percent_floor = 1;
inline constexpr std::int64_t breaker_failure_rate_percent_default = 50;
inline constexpr std::int64_t breaker_failure_rate_percent_ceiling = 100;

inline constexpr std::int64_t breaker_half_open_probes_floor = 1;
inline constexpr std::int64_t breaker_half_open_probes_default = 1;
inline constexpr std::int64_t breaker_half_open_probes_ceiling = 100;

/// Idle keep-alive connections kept per provider host; zero disables reuse.
inline constexpr std::int64_t provider_max_idle_per_host_floor = 0;
inline constexpr std::int64_t provider_max_idle_per_host_default = 8;
inline constexpr std::int64_t provider_max_idle_per_host_ceiling = 1000;

inline constexpr std::int64_t provider_idle_timeout_ms_floor = 100;
inline constexpr std::int64_t provider_idle_timeout_ms_default = 30'000;
inline constexpr std::int64_t provider_idle_timeout_ms_ceiling = 600'000;

/// The shared secret that signs provider callbacks (HMAC-SHA256 key).
inline constexpr std::size_t webhook_secret_min_bytes = 8;
inline constexpr std::size_t webhook_secret_max_bytes = 1024;
/// Longest provider base URL.
inline constexpr std::size_t max_provider_url_bytes = 2048;

// --- how they relate -----------------------------------------------------------------------

static_assert(max_body_bytes_floor <= max_body_bytes_default);
static_assert(max_body_bytes_default <= max_body_bytes_ceiling);
static_assert(max_header_bytes_floor <= max_header_bytes_default);
static_assert(max_header_bytes_default <= max_header_bytes_ceiling);
static_assert(max_header_count_floor <= max_header_count_default);
static_assert(max_header_count_default <= max_header_count_ceiling);
static_assert(request_timeout_ms_floor <= request_timeout_ms_default);
static_assert(request_timeout_ms_default <= request_timeout_ms_ceiling);
static_assert(keep_alive_timeout_ms_floor <= keep_alive_timeout_ms_default);
static_assert(keep_alive_timeout_ms_default <= keep_alive_timeout_ms_ceiling);
static_assert(io_threads_floor >= 1 && io_threads_default <= io_threads_ceiling);
static_assert(actor_threads_floor >= 1 && actor_threads_default <= actor_threads_ceiling);
static_assert(entity_idle_timeout_ms_floor <= entity_idle_timeout_ms_default);
static_assert(entity_idle_timeout_ms_default <= entity_idle_timeout_ms_ceiling);
static_assert(supervisor_max_restarts_default <= supervisor_max_restarts_ceiling);
static_assert(supervisor_restart_window_ms_floor <= supervisor_restart_window_ms_default);
static_assert(supervisor_restart_window_ms_default <= supervisor_restart_window_ms_ceiling);
static_assert(journal_max_batch_appends_floor <= journal_max_batch_appends_default);
static_assert(journal_max_batch_appends_default <= journal_max_batch_appends_ceiling);
static_assert(journal_max_wait_us_floor <= journal_max_wait_us_default);
static_assert(journal_max_wait_us_default <= journal_max_wait_us_ceiling);
static_assert(snapshot_every_events_floor <= snapshot_every_events_default);
static_assert(snapshot_every_events_default <= snapshot_every_events_ceiling);

// The request line must fit in the smallest header budget an operator can configure.
static_assert(max_target_bytes <= max_header_bytes_floor);
// A group-commit wait takes at most a tenth of the shortest request deadline.
static_assert(journal_max_wait_us_ceiling * 10 <= request_timeout_ms_floor * 1000);
// A connection must be able to have at least one request in flight.
static_assert(max_in_flight_requests_per_connection >= 1);
static_assert(page_size_default >= 1 && page_size_default <= page_size_max);
// A saga's retry loop is bounded in attempts and in the wait between two of them.
static_assert(max_retry_attempts >= 1 && retry_delay_ms_max > 0);
static_assert(token_ttl_s_floor <= token_ttl_s_default);
static_assert(token_ttl_s_default <= token_ttl_s_ceiling);
static_assert(token_leeway_s_floor <= token_leeway_s_default);
static_assert(token_leeway_s_default <= token_leeway_s_ceiling);
// The leeway must not outlast the shortest token, or an expired token would still pass.
static_assert(token_leeway_s_ceiling < token_ttl_s_floor);
static_assert(hs256_secret_min_bytes <= hs256_secret_max_bytes);
static_assert(pbkdf2_iterations_floor <= pbkdf2_iterations_default);
static_assert(pbkdf2_iterations_default <= pbkdf2_iterations_ceiling);
// A bearer token must fit in the smallest header budget an operator can configure.
static_assert(max_bearer_token_bytes <= max_header_bytes_floor);
static_assert(verified_token_cache_entries >= 1 && max_pending_secret_checks >= 1);
// A provider call's retry loop stays within the bounds every retry loop has.
static_assert(provider_max_attempts_ceiling <= static_cast<std::int64_t>(max_retry_attempts));
static_assert(provider_initial_backoff_ms_ceiling <= retry_delay_ms_max);
static_assert(provider_max_backoff_ms_ceiling <= retry_delay_ms_max);
static_assert(provider_max_attempts_floor <= provider_max_attempts_default &&
              provider_max_attempts_default <= provider_max_attempts_ceiling);
static_assert(provider_timeout_ms_floor <= provider_timeout_ms_default &&
              provider_timeout_ms_default <= provider_timeout_ms_ceiling);
static_assert(provider_initial_backoff_ms_default <= provider_max_backoff_ms_default);
static_assert(breaker_failures_floor <= breaker_failures_default &&
              breaker_failures_default <= breaker_failures_ceiling);
static_assert(breaker_window_ms_floor <= breaker_window_ms_default &&
              breaker_window_ms_default <= breaker_window_ms_ceiling);
static_assert(breaker_open_ms_floor <= breaker_open_ms_default &&
              breaker_open_ms_default <= breaker_open_ms_ceiling);
static_assert(breaker_half_open_probes_floor <= breaker_half_open_probes_default &&
              breaker_half_open_probes_default <= breaker_half_open_probes_ceiling);
static_assert(provider_idle_timeout_ms_floor <= provider_idle_timeout_ms_default &&
              provider_idle_timeout_ms_default <= provider_idle_timeout_ms_ceiling);
static_assert(webhook_secret_min_bytes <= webhook_secret_max_bytes);

}  // namespace payorch::config::limits
