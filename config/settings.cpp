#include "config/settings.hpp"

namespace payorch::config {

std::string config_error::line() const {
  return "config error: " + key + ": " + message;
}

bool uses_postgres(const settings& s) {
  return s.storage != "sqlite";
}

}  // namespace payorch::config
