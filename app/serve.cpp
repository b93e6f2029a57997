#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include "actors/runtime.hpp"
#include "adapters/circuit_breaker.hpp"
#include "adapters/fx_rates.hpp"
#include "adapters/provider_hub.hpp"
#include "adapters/webhook_signature.hpp"
#include "app/commands.hpp"
#include "domain/ids.hpp"
#include "gateway/api.hpp"
#include "gateway/ask.hpp"
#include "gateway/authenticator.hpp"
#include "gateway/crypto.hpp"
#include "gateway/http_server.hpp"
#include "gateway/idempotency.hpp"
#include "persistence/journal_lock.hpp"
#include "sagas/settlement.hpp"

namespace payorch::app {
namespace {

namespace asio = boost::asio;

gateway::server_options server_options_of(const config::settings& s) {
  gateway::server_options o;
  o.host = s.listen.host;
  o.port = s.listen.port;
  o.max_body_bytes = s.max_body_bytes;
  o.max_header_bytes = s.max_header_bytes;
  o.max_header_count = s.max_header_count;
  o.request_timeout = std::chrono::milliseconds(s.request_timeout_ms);
  o.keep_alive_timeout = std::chrono::milliseconds(s.keep_alive_timeout_ms);
  return o;
}

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The signing key and the API clients; logs where the bootstrap credentials are. Null (after
/// logging why) when they cannot be read or made.
std::unique_ptr<gateway::authenticator> start_auth(const config::settings& settings) {
  std::vector<std::string> notices;
  std::string error;
  auto auth = gateway::authenticator::start(settings, &notices, &error);
  for (const auto& line : notices) {
    if (line.starts_with("warning: ")) {
      spdlog::warn("{}", line.substr(9));
    } else {
      spdlog::info("{}", line);
    }
  }
  if (!auth) spdlog::error("cannot start: {}", error);
  return auth;
}

/// The first SIGINT or SIGTERM that came before serve's handler was installed (0: none).
volatile std::sig_atomic_t stop_during_start = 0;

extern "C" void note_stop_during_start(int signo) {
  if (stop_during_start != 0) {  // the second: as if no handler had been set
    std::signal(signo, SIG_DFL);
    std::raise(signo);
    return;
  }
  stop_during_start = signo;
}

/// Longest wait for in-flight requests to finish after SIGTERM.
constexpr auto drain_timeout = std::chrono::seconds(10);

/// Waits (without blocking the io_context) until no request is in flight, then stops it.
void drain(asio::io_context& ioc, gateway::http_server& server,
           std::chrono::steady_clock::time_point give_up) {
  // Answered requests may still be storing their Idempotency-Key records: wait for those too.
  const auto unsettled = gateway::unsettled_idempotency_keys();
  if ((server.in_flight() == 0 && unsettled == 0) || std::chrono::steady_clock::now() >= give_up) {
    if (server.in_flight() > 0)
      spdlog::warn("stopping with {} requests still in flight", server.in_flight());
    if (unsettled > 0)
      spdlog::warn("stopping with {} idempotency records not yet stored", unsettled);
    ioc.stop();
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(ioc, std::chrono::milliseconds(5));
  timer->async_wait([&ioc, &server, give_up, timer](auto) { drain(ioc, server, give_up); });
}

/// The adapters' breaker snapshots in the gateway's terms.
std::vector<gateway::breaker_view> breaker_views(const adapters::breaker_registry& breakers) {
  std::vector<gateway::breaker_view> out;
  for (const auto& b : breakers.snapshots()) {
    out.push_back({.provider = b.name,
                   .state = std::string(adapters::to_string(b.state)),
                   .calls = b.calls,
                   .successes = b.successes,
                   .failures = b.failures,
                   .rejections = b.rejections,
                   .state_changes = b.state_changes,
                   .failures_in_window = b.failures_in_window,
                   .open_remaining_ms = b.open_remaining.count()});
  }
  return out;
}

/// The key of payout one-time passwords: configured, or kept in DATA_DIR/otp.key (made once).
std::optional<std::string> otp_secret_of(const config::settings& s) {
  if (!s.settlement.otp_secret.empty()) return s.settlement.otp_secret;
  const auto file = s.data_dir / "otp.key";
  std::string error;
  bool created = false;
  auto key = gateway::read_or_create_private_file(
      file,
      [](std::string* why) -> std::optional<std::string> {
        auto bits = gateway::random_bytes(32);
        if (!bits) {
          *why = "no randomness";
          return std::nullopt;
        }
        return hex_encode(*bits);
      },
      &created, &error);
  if (!key || key->size() < 16) {
    spdlog::error("cannot use the one-time password key {}: {}", file.string(),
                  key ? "shorter than 16 bytes" : error);
    return std::nullopt;
  }
  if (created)
    spdlog::info("made the one-time password key of payouts: {} (mode 0600)", file.string());
  return key;
}

sagas::settlement_options settlement_options_of(const config::settings& s,
                                                adapters::provider_hub* providers,
                                                std::string otp_secret) {
  sagas::settlement_options o;
  o.providers = providers;
  o.callback_base_url = config::callback_base_url(s);
  o.otp_secret = std::move(otp_secret);
  o.fx_margin_bps = s.settlement.fx_margin_bps;
  o.kyc_timeout = std::chrono::milliseconds(s.settlement.kyc_timeout_ms);
  o.vote_timeout = std::chrono::milliseconds(s.settlement.vote_timeout_ms);
  o.otp_timeout = std::chrono::milliseconds(s.settlement.otp_timeout_ms);
  o.confirm_timeout = std::chrono::milliseconds(s.settlement.confirm_timeout_ms);
  o.retry.initial_backoff = std::chrono::milliseconds(s.settlement.retry_backoff_ms);
  // A first wait longer than the usual 30 s cap is the cap (the range allows up to an hour).
  o.retry.max_backoff = std::max(o.retry.max_backoff, o.retry.initial_backoff);
  o.retry.max_attempts = s.settlement.max_attempts;
  return o;
}

}  // namespace

int serve(const config::settings& settings) {
  // A SIGINT or SIGTERM during start-up (resuming sagas can take a while) is noted and acted on
  // once the server can drain; ending the process there would leave the journal's queue
  // unwritten. A second one ends it at once, for whoever insists.
  std::signal(SIGINT, note_stop_during_start);
  std::signal(SIGTERM, note_stop_during_start);
  auto options = actors::runtime_options::from(settings);
  // One process per SQLite journal, decided before anything is written: two starting at once
  // on a fresh data directory would each make its own keys, and the one left running would
  // hold keys other than those on disk.
  persistence::journal_lock lock;  // outlives the runtime, declared below
  if (!config::uses_postgres(settings)) {
    std::error_code ec;
    std::filesystem::create_directories(settings.data_dir, ec);
    std::string why;
    if (ec || !persistence::journal_lock::take(options.journal_file, lock, &why)) {
      spdlog::error("cannot start: {}",
                    ec ? "cannot create " + settings.data_dir.string() + ": " + ec.message() : why);
      return 1;
    }
    options.journal_locked = true;
  }
  // Before the actors: a missing or unreadable key stops the process before it holds anything.
  auto auth = start_auth(settings);
  if (!auth) return 1;
  // Balance totals convert at these rates inside the pod actors.
  options.entities.fx_rates = std::make_shared<const adapters::static_fx_rates>(
      adapters::static_fx_rates::from_settings(settings, unix_now_ms()));
  // The provider adapters run on a thread of their own; their breakers are visible at once.
  // They start before the actors, because sagas resumed at start call them.
  auto providers =
      adapters::provider_hub::start(settings.providers, static_cast<std::uint64_t>(unix_now_ms()));
  auto otp_secret = otp_secret_of(settings);
  if (!otp_secret) return 1;
  sagas::saga_manager_options saga_base;
  saga_base.entities = options.entities;
  saga_base.on_alert = [](const std::string& line) { spdlog::error("operator alert: {}", line); };
  auto sagas_child = sagas::settlement_manager_child(
      settlement_options_of(settings, providers.get(), std::move(*otp_secret)), saga_base);
  if (!sagas_child) {
    spdlog::error("cannot start the sagas: {}", sagas_child.error().detail);
    return 1;
  }
  options.extra_children.push_back(std::move(*sagas_child));
  std::string error;
  auto runtime = actors::actor_runtime::start(options, &error);
  if (!runtime) {
    spdlog::error("cannot start: {}", error);
    return 1;
  }
  asio::io_context ioc{static_cast<int>(settings.io_threads)};
  gateway::http_metrics metrics;
  gateway::route_table routes;
  gateway::http_server server{ioc, server_options_of(settings), routes, metrics};
  gateway::api_context ctx;
  ctx.runtime = runtime.get();
  ctx.bridge = gateway::spawn_bridge(runtime->system());
  ctx.metrics = &metrics;
  ctx.accepting = [&server] { return !server.draining(); };
  ctx.in_flight = [&server] { return server.in_flight(); };
  ctx.now_ms = unix_now_ms;
  ctx.auth = auth.get();
  ctx.circuit_breakers = [hub = providers.get()] { return breaker_views(hub->breakers()); };
  ctx.verify_callback = [secret = settings.providers.webhook_secret](
                            std::string_view id, std::string_view timestamp,
                            std::string_view signature, std::string_view body) {
    return !secret.empty() &&
           adapters::verify_webhook(secret, id, timestamp, signature, body, unix_now_ms() / 1000);
  };
  gateway::add_all_routes(routes, ctx);
  if (!server.listen(&error)) {
    spdlog::error("{}", error);
    return 1;
  }

  std::atomic<int> exit_code{0};
  auto begin_shutdown = [&](const char* why) {
    if (server.draining()) return;
    spdlog::info("shutting down ({}): draining {} in-flight requests", why, server.in_flight());
    const auto give_up = std::chrono::steady_clock::now() + drain_timeout;
    server.begin_drain([&ioc, &server, give_up] { drain(ioc, server, give_up); });
  };
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  signals.async_wait([&](auto ec, int signo) {
    if (!ec) begin_shutdown(signo == SIGINT ? "SIGINT" : "SIGTERM");
  });
  if (const int early = stop_during_start; early != 0)
    asio::post(ioc, [&begin_shutdown, early] {
      begin_shutdown(early == SIGINT ? "SIGINT during start-up" : "SIGTERM during start-up");
    });
  runtime->on_fatal([&](std::string reason) {
    spdlog::critical("actor supervisor escalated: {}", reason);
    exit_code = 1;
    asio::post(ioc, [&] { begin_shutdown("supervisor escalation"); });
  });

  server.start_accepting();
  spdlog::info("payorch serving on http://{} (data dir {})", config::to_string(settings.listen),
               settings.data_dir.string());
  std::vector<std::thread> extra;
  for (std::size_t i = 1; i < settings.io_threads; ++i) extra.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : extra) t.join();
  auth->shutdown();  // its worker posts replies to the io_context, which must outlive it

  caf::anon_send_exit(ctx.bridge, caf::exit_reason::user_shutdown);
  ctx.bridge = nullptr;
  runtime->stop();  // stops the actors, then commits everything queued in the journal writer
  providers->stop();
  spdlog::info("journal flushed; bye");
  return exit_code.load();
}

}  // namespace payorch::app
