#pragma once
/// The project's one CAF type-ID block: every message type payorch's actors exchange.
///
/// Register it with `cfg.add_message_types<caf::id_block::payorch>()` (actor_runtime does).
/// Append new types at the end so existing IDs stay stable across nodes of one version.

#include <caf/type_id.hpp>

#include "actors/journal_protocol.hpp"
#include "actors/pod_protocol.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(payorch, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(payorch, (payorch::persistence::append_request))
CAF_ADD_TYPE_ID(payorch, (payorch::persistence::append_result))
CAF_ADD_TYPE_ID(payorch, (payorch::persistence::snapshot_record))
CAF_ADD_TYPE_ID(payorch, (payorch::persistence::stream_read))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::read_stream))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::append_completed))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::read_completed))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::create_pod))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::get_pod))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::pod_view))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::passivate_pod))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::idle_check))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::router_stats_request))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::router_stats))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::appends_completed))

CAF_END_TYPE_ID_BLOCK(payorch)
