#include "persistence/outbox_rules.hpp"

#include <algorithm>
#include <string_view>

namespace payorch::persistence {

namespace {

/// The version `id` names if it is "<stream_id>:<version>" with a version in (first - 1, last],
/// in decimal without leading zeros; 0 otherwise.
std::int64_t named_version(std::string_view id, std::string_view stream_id, std::int64_t after,
                           std::int64_t last) {
  if (id.size() <= stream_id.size() + 1 || !id.starts_with(stream_id) ||
      id[stream_id.size()] != ':')
    return 0;
  const std::string_view digits = id.substr(stream_id.size() + 1);
  if (digits.size() > 18 || digits.front() == '0') return 0;
  std::int64_t version = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return 0;
    version = version * 10 + (c - '0');
  }
  return version > after && version <= last ? version : 0;
}

}  // namespace

std::string malformed_outbox(const append_request& request) {
  const auto& outbox = request.outbox;
  const std::int64_t last =
      request.expected_version + static_cast<std::int64_t>(request.events.size());
  std::vector<std::int64_t> versions;
  versions.reserve(outbox.size());
  for (std::size_t i = 0; i < outbox.size(); ++i) {
    const outbox_message& message = outbox[i];
    const std::string at = "outbox[" + std::to_string(i) + "]";
    if (message.message_id.empty()) return at + ": empty message_id";
    if (message.subject.empty()) return at + ": message " + message.message_id + " has no subject";
    const std::int64_t version =
        named_version(message.message_id, request.stream_id, request.expected_version, last);
    if (version == 0)
      return at + ": message " + message.message_id + " names no event of the request (\"" +
             request.stream_id + ":<version>\")";
    versions.push_back(version);
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
