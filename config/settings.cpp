#include "config/settings.hpp"

namespace payorch::config {

std::string config_error::line() const {
  return "config error: " + key + ": " + message;
}

}  // namespace payorch::config
