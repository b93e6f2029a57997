#include "adapters/provider_hub.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "adapters/circuit_breaker.hpp"
#include "adapters/fx_client.hpp"
#include "adapters/http_client.hpp"
#include "adapters/kyc_client.hpp"
#include "adapters/provider_caller.hpp"
#include "adapters/provider_setup.hpp"
#include "adapters/psp_client.hpp"
#include "adapters/rail_client.hpp"
#include "adapters/risk_client.hpp"
#include "adapters/sanctions_client.hpp"
#include "config/settings.hpp"

namespace payorch::adapters {

struct provider_hub::parts {
  using work_guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  parts(const config::provider_settings& settings, std::uint64_t jitter_seed)
      : http(ioc, http_options_from(settings)),
        breakers(breaker_options_from(settings)),
        webhook_secret(settings.webhook_secret) {
    const auto policy = retry_policy_from(settings);
    callers.reserve(provider_names.size());
    for (std::size_t i = 0; i < provider_names.size(); ++i) {
      callers.push_back(std::make_unique<provider_caller>(
          ioc, http, breakers.get(provider_names[i]), policy, jitter_seed + i));
    }
    // provider_names is {"fx", "kyc", "sanctions", "risk", "rail", "psp"}, in that order.
    fx.emplace(*callers[0], settings.url_of("fx"));
    kyc.emplace(*callers[1], settings.url_of("kyc"));
    sanctions.emplace(*callers[2], settings.url_of("sanctions"));
    risk.emplace(*callers[3], settings.url_of("risk"));
    rail.emplace(*callers[4], settings.url_of("rail"));
    psp.emplace(*callers[5], settings.url_of("psp"));
  }

  // Declaration order is destruction order reversed: the thread stops before anything it uses.
  boost::asio::io_context ioc{1};
  http_client http;
  breaker_registry breakers;
  std::vector<std::unique_ptr<provider_caller>> callers;
  std::optional<fx_client> fx;
  std::optional<kyc_client> kyc;
  std::optional<sanctions_client> sanctions;
  std::optional<risk_client> risk;
  std::optional<rail_client> rail;
  std::optional<psp_client> psp;
  std::string webhook_secret;
  std::optional<work_guard> work;
  std::thread thread;
};

static_assert(provider_names[0] == "fx" && provider_names[5] == "psp");

std::unique_ptr<provider_hub> provider_hub::start(const config::provider_settings& settings,
                                                  std::uint64_t jitter_seed) {
  auto p = std::make_unique<parts>(settings, jitter_seed);
  p->work.emplace(boost::asio::make_work_guard(p->ioc));
  p->thread = std::thread([ioc = &p->ioc] { ioc->run(); });
  return std::unique_ptr<provider_hub>(new provider_hub(std::move(p)));
}

provider_hub::provider_hub(std::unique_ptr<parts> p) : parts_(std::move(p)) {}

provider_hub::~provider_hub() {
  stop();
}

void provider_hub::stop() {
  if (!parts_->thread.joinable()) return;
  parts_->work.reset();
  parts_->ioc.stop();
  parts_->thread.join();
}

breaker_registry& provider_hub::breakers() {
  return parts_->breakers;
}
fx_client& provider_hub::fx() {
  return *parts_->fx;
}
kyc_client& provider_hub::kyc() {
  return *parts_->kyc;
}
sanctions_client& provider_hub::sanctions() {
  return *parts_->sanctions;
}
risk_client& provider_hub::risk() {
  return *parts_->risk;
}
rail_client& provider_hub::rail() {
  return *parts_->rail;
}
psp_client& provider_hub::psp() {
  return *parts_->psp;
}
const std::string& provider_hub::webhook_secret() const {
  return parts_->webhook_secret;
}

}  // namespace payorch::adapters
