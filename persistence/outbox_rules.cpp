#include "persistence/outbox_rules.hpp"

#include <algorithm>

namespace payorch::persistence {

std::string malformed_outbox(const append_request& request) {
  const auto& outbox = request.outbox;
  const std::int64_t last =
      request.expected_version + static_cast<std::int64_t>(request.events.size());
  std::vector<std::int64_t> versions;
  versions.reserve(outbox.size());
  for (std::size_t i = 0; i < outbox.size(); ++i) {
    const outbox_message& message = outbox[i];
    const std::string at = "outbox[" + std::to_string(i) + "]";
    const std::string id = request.stream_id + ":" + std::to_string(message.version);
    if (message.subject.empty()) return at + ": message " + id + " has no subject";
    if (message.version <= request.expected_version || message.version > last)
      return at + ": message " + id + " names no event of the request";
    versions.push_back(message.version);
  }
  std::sort(versions.begin(), versions.end());
  if (const auto twice = std::adjacent_find(versions.begin(), versions.end());
      twice != versions.end())
    return "message " + request.stream_id + ":" + std::to_string(*twice) +
           " appears twice in the request";
  return {};
}

append_result outbox_refusal(std::string detail) {
  return {append_status::storage_error, 0, "invalid outbox: " + std::move(detail)};
}

}  // namespace payorch::persistence
