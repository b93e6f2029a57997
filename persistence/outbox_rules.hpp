#pragma once
/// The checks both stores make on an append's outbox messages before writing anything.

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/journal.hpp"

namespace payorch::persistence {

/// Why the request's messages cannot be stored whatever the store holds (an empty id or subject,
/// an id repeated within the request), or "" if they can.
std::string malformed_outbox(const std::vector<outbox_message>& outbox);

/// The time the outbox rows of a request without events record: the store's clock, as nothing
/// else dates them.
std::int64_t outbox_clock_ms();

/// The answer refusing a request for its outbox: storage_error, nothing of the request written.
append_result outbox_refusal(std::string detail);

}  // namespace payorch::persistence
