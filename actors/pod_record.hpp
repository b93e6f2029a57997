#pragma once
/// A pod's state as rebuilt from its journal stream, and the events that change it.
///
/// Events are stored as JSON payloads (decimals as exact strings). A command's decision yields
/// the new state and the event that records it; recovery rebuilds the same state from the event
/// with `apply_event` (the actor tests restart pods and compare both).

#include <cstdint>
#include <optional>
#include <string>

#include "actors/pod_protocol.hpp"
#include "domain/currency.hpp"
#include "domain/pod.hpp"
#include "domain/result.hpp"
#include "persistence/journal.hpp"

namespace payorch::actors {

/// The state of one pod.
struct pod_record {
  std::string pod_id;
  std::string name;
  std::string owner_id;
  currency pod_currency;
  governance_policy policy;
  pod_status status = pod_status::draft;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

/// Event type names as journaled (and later published); taken from the CrowdPod contract.
namespace pod_event {
inline constexpr std::string_view created = "CrowdPodCreated";
}

/// Validates a create command and returns the pod it describes (not yet journaled).
result<pod_record> decide_create(const create_pod& cmd);

/// Encodes the CrowdPodCreated event of a freshly decided pod.
persistence::new_event created_event(const pod_record& pod);

/// Applies one journaled event to a pod's state (absent before its first event).
result<void> apply_event(std::optional<pod_record>& pod, const persistence::event_record& ev);

/// Encodes the whole state for a snapshot, and decodes it back.
std::string encode_snapshot(const pod_record& pod);
result<pod_record> decode_snapshot(const std::string& payload);

/// The outside view of a pod at a journal version.
pod_view view_of(const pod_record& pod, std::int64_t version);

}  // namespace payorch::actors
