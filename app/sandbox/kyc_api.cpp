// The KYC provider: a verification is PENDING, then after --kyc-delay-ms APPROVED, or REJECTED
// when the name contains "reject" in any case; the result is posted to callback_url.
#include <memory>

#include "app/sandbox/provider_route.hpp"
#include "app/sandbox/routes.hpp"
#include "app/sandbox/state.hpp"
#include "gateway/json_output.hpp"

namespace payorch::app::sandbox {
namespace {

struct verification {
  std::string verification_id;
  std::string reference;
  std::string name;
  std::string country;
  std::string callback_url;
  std::string status = "PENDING";
  std::string reason;
};

using verifications = bounded_table<verification>;

std::string verification_json(const verification& v) {
  gateway::json_writer w;
  w.begin_object()
      .field("verification_id", v.verification_id)
      .field("reference", v.reference)
      .field("status", v.status);
  if (!v.reason.empty()) w.field("reason", v.reason);
  return w.end_object().take();
}

/// Decides a pending verification and posts the result.
void decide(verifications& table, sandbox_state& state, const std::string& id) {
  auto* v = table.find(id);
  if (v == nullptr || v->status != "PENDING") return;  // forgotten meanwhile
  if (contains_word_ignoring_case(v->name, "reject")) {
    v->status = "REJECTED";
    v->reason = "identity_not_verified";
  } else {
    v->status = "APPROVED";
  }
  std::string webhook_id = "wh_" + v->verification_id + "_" + v->status;
  state.send_callback(provider::kyc, v->callback_url, std::move(webhook_id), verification_json(*v));
}

wire_answer create(std::shared_ptr<verifications> table, sandbox_state& state,
                   const gateway::exchange& ex) {
  auto body = object_body(ex.request().body());
  if (auto* bad = std::get_if<wire_answer>(&body)) return std::move(*bad);
  field_reader in(std::get<gateway::json_node>(body));
  verification v;
  v.reference = in.text("reference", 128);
  v.name = in.text("name", 256);
  v.country = in.country("country");
  v.callback_url = in.callback_url("callback_url");
  if (in.error()) return *in.error();
  v.verification_id = state.new_id("kyc_");
  const auto& stored = table->put(v.verification_id, v);
  state.after(std::chrono::milliseconds(state.options().kyc_delay_ms),
              [table, &state, id = v.verification_id] { decide(*table, state, id); });
  return {http::status::accepted, verification_json(stored)};
}

}  // namespace

void add_kyc_routes(gateway::route_table& routes, sandbox_state& state) {
  auto table = std::make_shared<verifications>();
  add_provider_route(routes, state, provider::kyc, http::verb::post, "/kyc/v1/verifications",
                     [table, &state](const auto& ex) { return create(table, state, ex); });
  add_provider_route(routes, state, provider::kyc, http::verb::get,
                     "/kyc/v1/verifications/{verification_id}",
                     [table](const gateway::exchange& ex) {
                       const auto* v = table->find(std::string(ex.param("verification_id")));
                       if (v == nullptr)
                         return not_found("verification", ex.param("verification_id"));
                       return wire_answer{http::status::ok, verification_json(*v)};
                     });
}

}  // namespace payorch::app::sandbox
