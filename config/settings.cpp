#include "config/settings.hpp"

namespace payorch::config {

std::string config_error::line() const {
  return "config error: " + key + ": " + message;
}

const std::string& provider_settings::url_of(std::string_view provider) const {
  const std::string* own = nullptr;
  if (provider == "fx") own = &fx;
  if (provider == "kyc") own = &kyc;
  if (provider == "sanctions") own = &sanctions;
  if (provider == "risk") own = &risk;
  if (provider == "rail") own = &rail;
  if (provider == "psp") own = &psp;
  return own != nullptr && !own->empty() ? *own : base_url;
}

bool uses_postgres(const settings& s) {
  return s.storage != "sqlite";
}

std::string callback_base_url(const settings& s) {
  std::string base = !s.settlement.callback_url.empty() ? s.settlement.callback_url
                                                        : "http://" + to_string(s.listen);
  while (base.ends_with('/')) base.pop_back();
  return base;
}

}  // namespace payorch::config
