#pragma once
/// JSON of the saga engine's views, shared by the payout and operator routes.

#include "actors/saga_protocol.hpp"
#include "gateway/json_output.hpp"

namespace payorch::gateway {

/// `"resolution"`: an operator's resolve_saga (outcome, step, reason, by, at), or null.
void write_saga_resolution(json_writer& w, const actors::saga_view& v);

/// `"steps": [...]`: every step with its attempts, signals and timestamps (RFC 3339).
void write_saga_steps(json_writer& w, const actors::saga_view& v);

/// The whole saga, as operators see it.
void write_saga(json_writer& w, const actors::saga_view& v);

/// One line of a saga list.
void write_saga_summary(json_writer& w, const actors::saga_summary& s);

}  // namespace payorch::gateway
