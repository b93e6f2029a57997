// The bank rail: takes one pacs.008 credit transfer, answers ACCEPTED, and after
// --rail-delay-ms settles it, or returns it with AC04 when the creditor's name contains
// "return". An EndToEndId is paid at most once.
#include <memory>

#include "app/sandbox/pacs008.hpp"
#include "app/sandbox/provider_route.hpp"
#include "app/sandbox/routes.hpp"
#include "app/sandbox/state.hpp"
#include "gateway/json_output.hpp"

namespace payorch::app::sandbox {
namespace {

struct rail_payment {
  std::string payment_id;
  std::string end_to_end_id;
  money amount;
  std::string creditor_name;
  std::string callback_url;
  std::string status = "ACCEPTED";
  std::string reason_code;
};

struct rail_provider {
  bounded_table<rail_payment> payments;
  bounded_table<std::string> by_end_to_end_id;  ///< EndToEndId → payment_id
};

std::string payment_json(const rail_payment& p) {
  gateway::json_writer w;
  w.begin_object()
      .field("payment_id", p.payment_id)
      .field("end_to_end_id", p.end_to_end_id)
      .field("status", p.status);
  if (!p.reason_code.empty()) w.field("reason_code", p.reason_code);
  w.field("amount_minor", p.amount.amount_minor()).field("currency", p.amount.currency_of().code());
  return w.end_object().take();
}

void settle(rail_provider& rail, sandbox_state& state, const std::string& payment_id) {
  auto* p = rail.payments.find(payment_id);
  if (p == nullptr || p->status != "ACCEPTED") return;
  if (contains_word_ignoring_case(p->creditor_name, "return")) {
    p->status = "RETURNED";
    p->reason_code = "AC04";  // ISO 20022: closed account number
  } else {
    p->status = "SETTLED";
  }
  state.send_callback(provider::rail, p->callback_url, "wh_" + p->payment_id + "_" + p->status,
                      payment_json(*p));
}

wire_answer submit(const std::shared_ptr<rail_provider>& rail, sandbox_state& state,
                   const gateway::exchange& ex) {
  std::string callback_url;
  if (auto field = ex.request().find("X-Callback-Url"); field != ex.request().end()) {
    callback_url = std::string(field->value());
    if (!is_http_url(callback_url) || callback_url.size() > 2048)
      return bad_field("X-Callback-Url", "X-Callback-Url must be an absolute http:// URL");
  }
  auto parsed = parse_pacs008(ex.request().body());
  if (auto* bad = std::get_if<pacs008_error>(&parsed))
    return error_answer(http::status::bad_request, "invalid_pacs008", bad->detail, bad->field);
  auto& transfer = std::get<pacs008_transfer>(parsed);
  auto* counts = state.rail_submissions().find(transfer.end_to_end_id);
  if (counts == nullptr) counts = &state.rail_submissions().put(transfer.end_to_end_id, {});
  ++counts->submissions;
  if (const auto* earlier = rail->by_end_to_end_id.find(transfer.end_to_end_id)) {
    ++counts->refused_duplicates;
    return error_answer(http::status::conflict, "duplicate_end_to_end_id",
                        "EndToEndId " + transfer.end_to_end_id + " was already submitted as " +
                            *earlier + " under another Idempotency-Key",
                        "CdtTrfTxInf/PmtId/EndToEndId");
  }
  ++counts->accepted;
  rail_payment payment;
  payment.payment_id = state.new_id("rpay_");
  payment.end_to_end_id = transfer.end_to_end_id;
  payment.amount = transfer.amount;
  payment.creditor_name = transfer.creditor_name;
  payment.callback_url = std::move(callback_url);
  rail->by_end_to_end_id.put(payment.end_to_end_id, payment.payment_id);
  const auto& stored = rail->payments.put(payment.payment_id, payment);
  state.after(std::chrono::milliseconds(state.options().rail_delay_ms),
              [rail, &state, id = payment.payment_id] { settle(*rail, state, id); });
  gateway::json_writer w;
  w.begin_object()
      .field("payment_id", stored.payment_id)
      .field("end_to_end_id", stored.end_to_end_id)
      .field("status", "ACCEPTED")
      .end_object();
  return {http::status::accepted, w.take()};
}

}  // namespace

void add_rail_routes(gateway::route_table& routes, sandbox_state& state) {
  auto rail = std::make_shared<rail_provider>();
  add_provider_route(
      routes, state, provider::rail, http::verb::post, "/rail/v1/payments",
      [rail, &state](const auto& ex) { return submit(rail, state, ex); }, "application/xml");
  add_provider_route(routes, state, provider::rail, http::verb::get,
                     "/rail/v1/payments/{payment_id}", [rail](const gateway::exchange& ex) {
                       const auto* p = rail->payments.find(std::string(ex.param("payment_id")));
                       if (p == nullptr) return not_found("payment", ex.param("payment_id"));
                       return wire_answer{http::status::ok, payment_json(*p)};
                     });
}

}  // namespace payorch::app::sandbox
