#pragma once
/// The sanctions screening provider (docs/providers.md, "Sanctions screening").

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "adapters/provider_result.hpp"

namespace payorch::adapters {

class provider_caller;

/// Who to screen; a country makes a match on the same country weigh more.
struct sanctions_request {
  std::string name;
  std::optional<std::string> country;  ///< ISO 3166 alpha-2
};

/// One list entry that resembles the screened name.
struct sanctions_match {
  std::string entry_id;
  std::string name;
  std::string program;
  std::string country;
  std::int64_t score_bp = 0;  ///< similarity in basis points; 10000 is identical

  bool operator==(const sanctions_match&) const = default;
};

/// A screening: CLEAR, POSSIBLE_MATCH or HIT, with the matches found.
struct sanctions_screening {
  std::string screening_id;
  std::string result;
  std::vector<sanctions_match> matches;

  bool operator==(const sanctions_screening&) const = default;
};

/// Typed calls to the screening provider at `base_url`.
class sanctions_client {
 public:
  sanctions_client(provider_caller& caller, std::string base_url);

  void screen(const sanctions_request& request, std::string idempotency_key,
              std::function<void(provider_result<sanctions_screening>)> done);

 private:
  provider_caller& caller_;
  std::string base_url_;
};

}  // namespace payorch::adapters
