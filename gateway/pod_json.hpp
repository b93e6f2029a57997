#pragma once
/// The JSON shapes of the CrowdPod resources (see the OpenAPI document's schemas).

#include "actors/pod_protocol.hpp"
#include "gateway/json_output.hpp"

namespace payorch::gateway {

void write_pod(json_writer& w, const actors::pod_view& v);
void write_member(json_writer& w, const actors::member_view& v);
void write_pledge(json_writer& w, const actors::pledge_view& v);
void write_balance(json_writer& w, const actors::balance_view& v);
void write_cycle(json_writer& w, const actors::cycle_view& v);

}  // namespace payorch::gateway
