#include <unistd.h>

#include <string_view>

#include "config/settings.hpp"

namespace payorch::config {

environment current_environment() {
  constexpr std::string_view prefix = "PAYORCH_";
  environment found;
  for (char** entry = ::environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view pair(*entry);
    auto equals = pair.find('=');
    if (equals == std::string_view::npos || !pair.starts_with(prefix)) continue;
    found.emplace(std::string(pair.substr(0, equals)), std::string(pair.substr(equals + 1)));
  }
  return found;
}

}  // namespace payorch::config
