#include "persistence/outbox_rules.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>

namespace payorch::persistence {

std::string malformed_outbox(const std::vector<outbox_message>& outbox) {
  std::vector<std::string_view> ids;
  ids.reserve(outbox.size());
  for (std::size_t i = 0; i < outbox.size(); ++i) {
    const outbox_message& message = outbox[i];
    const std::string at = "outbox[" + std::to_string(i) + "]";
    if (message.message_id.empty()) return at + ": empty message_id";
    if (message.subject.empty()) return at + ": message " + message.message_id + " has no subject";
    ids.push_back(message.message_id);
  }
  std::sort(ids.begin(), ids.end());
  if (const auto twice = std::adjacent_find(ids.begin(), ids.end()); twice != ids.end())
    return "message " + std::string(*twice) + " appears twice in the request";
  return {};
}

std::int64_t outbox_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

append_result outbox_refusal(std::string detail) {
  return {append_status::storage_error, 0, "invalid outbox: " + std::move(detail)};
}

}  // namespace payorch::persistence
