// `payorch sandbox`: every provider of docs/providers.md on one port, on one io thread.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <csignal>

#include "app/commands.hpp"
#include "app/sandbox/routes.hpp"
#include "app/sandbox/state.hpp"
#include "gateway/http_server.hpp"

namespace payorch::app::sandbox {
namespace {

namespace asio = boost::asio;

/// Longest wait for in-flight answers after SIGTERM; held ("hanging") answers are dropped.
constexpr auto drain_timeout = std::chrono::seconds(1);

/// HOST:PORT or [IPV6]:PORT; false when malformed.
bool split_listen(std::string_view text, std::string& host, std::uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto h = text.substr(0, colon);
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  }
  auto p = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || value > 65535) return false;
  host = std::string(h);
  port = static_cast<std::uint16_t>(value);
  return true;
}

gateway::server_options server_options_for(std::string host, std::uint16_t port) {
  gateway::server_options o;
  o.host = std::move(host);
  o.port = port;
  // Longer than the longest held answer (latency plus hang), so the server's own deadline
  // never answers 504 in the sandbox's place.
  o.request_timeout =
      std::chrono::milliseconds(bounds::max_latency_ms + bounds::max_hang_ms + 10'000);
  return o;
}

void drain(asio::io_context& ioc, gateway::http_server& server,
           std::chrono::steady_clock::time_point give_up) {
  if (server.in_flight() == 0 || std::chrono::steady_clock::now() >= give_up) return ioc.stop();
  auto timer = std::make_shared<asio::steady_timer>(ioc, std::chrono::milliseconds(5));
  timer->async_wait([&ioc, &server, give_up, timer](auto) { drain(ioc, server, give_up); });
}

void setup_sandbox_logging() {
  auto logger = spdlog::stderr_logger_mt("sandbox");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
}

}  // namespace
}  // namespace payorch::app::sandbox

namespace payorch::app {

int run_sandbox(const sandbox::sandbox_options& options) {
  using namespace sandbox;  // NOLINT(google-build-using-namespace): this file's own namespace
  setup_sandbox_logging();
  std::string host;
  std::uint16_t port = 0;
  if (!split_listen(options.listen, host, port)) {
    spdlog::error("--listen must be HOST:PORT, not '{}'", options.listen);
    return 2;
  }
  asio::io_context ioc{1};
  sandbox_state state{ioc, options};
  gateway::route_table routes;
  add_fx_routes(routes, state);
  add_kyc_routes(routes, state);
  add_sanctions_routes(routes, state);
  add_risk_routes(routes, state);
  add_rail_routes(routes, state);
  add_psp_routes(routes, state);
  add_admin_routes(routes, state);
  gateway::http_metrics metrics;
  gateway::http_server server{ioc, server_options_for(host, port), routes, metrics};
  std::string error;
  if (!server.listen(&error)) {
    spdlog::error("{}", error);
    return 1;
  }
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  signals.async_wait([&](auto ec, int signo) {
    if (ec) return;
    spdlog::info("shutting down ({})", signo == SIGINT ? "SIGINT" : "SIGTERM");
    const auto give_up = std::chrono::steady_clock::now() + drain_timeout;
    server.begin_drain([&ioc, &server, give_up] { drain(ioc, server, give_up); });
  });
  server.start_accepting();
  const auto shown_host = host.find(':') == std::string::npos ? host : "[" + host + "]";
  spdlog::info("payorch sandbox serving on http://{}:{} (seed {})", shown_host, server.port(),
               options.seed);
  ioc.run();
  spdlog::info("bye");
  return 0;
}

}  // namespace payorch::app
