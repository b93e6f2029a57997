#pragma once
/// The route wrapper every provider endpoint goes through: statistics, fault injection,
/// `Idempotency-Key` deduplication and delayed answers.
///
/// Order for one call: count it; draw its fault; an outage or an error roll answers 503 at
/// once (after the latency) and does nothing else. A POST without `Idempotency-Key` is 400; a
/// POST whose key this provider has seen replays the first answer (422 when the key was used
/// on another endpoint). Otherwise the handler runs at once and, for a POST, its answer is
/// stored under the key; the answer is then sent after the latency, plus `hang_ms` when the
/// timeout roll hit. So a "timed out" call has taken effect: a retry with the same key gets
/// the stored answer, which is what a caller must cope with.

#include <functional>
#include <string>

#include "app/sandbox/provider.hpp"
#include "app/sandbox/wire.hpp"
#include "gateway/exchange.hpp"
#include "gateway/route_table.hpp"

namespace payorch::app::sandbox {

class sandbox_state;

/// A provider endpoint: reads the request and answers at once (later results go by callback).
using provider_handler = std::function<wire_answer(const gateway::exchange& ex)>;

/// Registers `run` for `method pattern` of provider `p`, wrapped as described above.
void add_provider_route(gateway::route_table& routes, sandbox_state& state, provider p,
                        http::verb method, std::string pattern, provider_handler run,
                        std::string body_type = "application/json");

/// Sends `answer` as a JSON response on `ex`.
void reply_with(const gateway::exchange_ptr& ex, wire_answer answer);

}  // namespace payorch::app::sandbox
