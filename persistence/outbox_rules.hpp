#pragma once
/// The checks both stores make on an append's outbox messages before writing anything.

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/journal.hpp"

namespace payorch::persistence {

/// Why the request's messages cannot be stored (an empty subject, a version that names none of the
/// request's events, an event named twice), or "" if they can.
///
/// Its events are unique by (stream, version), so messages that name them need no look-up.
std::string malformed_outbox(const append_request& request);

/// The answer refusing a request for its outbox: storage_error, nothing of the request written.
append_result outbox_refusal(std::string detail);

}  // namespace payorch::persistence
