#pragma once
/// The project's one CAF type-ID block: every message type payorch's actors exchange.
///
/// Register it with `cfg.add_message_types<caf::id_block::payorch>()` (actor_runtime does).
/// Append new types at the end so existing IDs stay stable across nodes of one version.

#include <caf/type_id.hpp>

#include "actors/journal_protocol.hpp"
#include "actors/pod_protocol.hpp"
#include "actors/saga_protocol.hpp"

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

// CrowdPod commands, queries and their views.
CAF_ADD_TYPE_ID(payorch, (payorch::actors::update_policy))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::change_pod_status))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::member_view))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::add_member))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::change_member_role))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::remove_member))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::get_member))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::list_members))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::member_page))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::pledge_view))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::make_pledge))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::settle_pledge))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::get_pledge))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::list_pledges))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::pledge_page))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::get_balance))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::balance_view))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::get_cycle))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::cycle_view))

// Journal pages (events, streams, ledger rows, balances) and idempotency records.
CAF_ADD_TYPE_ID(payorch, (payorch::actors::read_events))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::event_page))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::list_streams))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::stream_page))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::read_ledger))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::ledger_page))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::read_balances))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::balance_page))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::get_idempotency))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::idempotency_lookup))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::put_idempotency))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::query_completed))

// Sagas: requests, views and the engine's internal messages (see saga_protocol.hpp).
CAF_ADD_TYPE_ID(payorch, (payorch::actors::start_saga))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::get_saga))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::signal_saga))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::retry_saga))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::resolve_saga))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::list_sagas))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::saga_view))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::saga_page))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::saga_stats_request))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::saga_stats))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::step_completed))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::saga_timer))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::passivate_saga))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::saga_status_changed))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::resume_sagas))

// Pod payouts (the settlement saga's ledger steps).
CAF_ADD_TYPE_ID(payorch, (payorch::actors::payout_command))
CAF_ADD_TYPE_ID(payorch, (payorch::actors::payout_view))

CAF_END_TYPE_ID_BLOCK(payorch)
