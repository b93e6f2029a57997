// A saga's record as the outside sees it.
#include <boost/json.hpp>

#include "sagas/saga_model.hpp"

namespace payorch::sagas {
namespace {

std::string_view result_name(attempt_result r) {
  switch (r) {
    case attempt_result::open:
      return "OPEN";
    case attempt_result::succeeded:
      return "SUCCEEDED";
    case attempt_result::failed:
      return "FAILED";
  }
  return "UNKNOWN";
}

actors::saga_step_view step_view(const step_record& s, step_kind kind, bool private_signals) {
  actors::saga_step_view v;
  v.name = s.name;
  v.kind = kind == step_kind::wait ? "WAIT" : "ACTION";
  v.status = std::string(to_string(s.status));
  v.attempts = s.attempts;
  v.compensation_attempts = s.compensation_attempts;
  v.started_at_ms = s.started_at_ms;
  v.finished_at_ms = s.finished_at_ms;
  v.retry_at_ms = s.retry_at_ms;
  v.deadline_at_ms = s.deadline_at_ms;
  v.output = s.output;
  v.last_error = s.last_error;
  v.history.reserve(s.history.size());
  for (const auto& h : s.history)
    v.history.push_back({std::string(to_string(h.phase)), h.attempt, h.started_at_ms,
                         h.finished_at_ms, std::string(result_name(h.result)), h.error,
                         h.retry_at_ms});
  v.signals.reserve(s.signals.size());
  for (const auto& sig : s.signals)
    v.signals.push_back({sig.signal_id, std::string(to_string(sig.decision)),
                         private_signals ? std::string() : sig.payload, sig.at_ms});
  return v;
}

std::string reason_of(const saga_record& r) {
  return r.finish_reason.empty() ? r.compensation_reason : r.finish_reason;
}

std::string current_name(const saga_definition* d, const saga_record& r) {
  if (!d) return {};
  auto i = current_step(*d, r);
  return i ? d->steps[*i].name : std::string();
}

}  // namespace

actors::saga_view view_of(std::string_view saga_id, const saga_definition* definition,
                          const saga_record& record, std::int64_t version) {
  actors::saga_view v;
  v.saga_id = std::string(saga_id);
  v.type = record.type;
  v.status = std::string(to_string(record.status));
  v.current_step = current_name(definition, record);
  v.input = record.input;
  v.reason = reason_of(record);
  v.failed_step = record.failed_step;
  v.started_at_ms = record.started_at_ms;
  v.updated_at_ms = record.updated_at_ms;
  v.finished_at_ms = record.finished_at_ms;
  v.version = version;
  if (const auto& res = record.resolution) {
    v.resolution = std::string(to_string(res->outcome));
    v.resolved_step = res->step;
    v.resolution_reason = res->reason;
    v.resolved_by = res->by;
    v.resolved_at_ms = res->at_ms;
  }
  if (definition) {
    for (const auto& def : definition->steps) {
      const auto* s = record.step(def.name);
      step_record untouched;
      untouched.name = def.name;
      v.steps.push_back(step_view(s ? *s : untouched, def.kind, def.private_signals));
    }
  } else {
    for (const auto& s : record.steps) v.steps.push_back(step_view(s, step_kind::action, false));
  }
  return v;
}

saga_listing listing_of(const saga_definition* definition, const std::string& input) {
  saga_listing out;
  if (definition == nullptr ||
      (definition->owner_member.empty() && definition->summary_members.empty()))
    return out;
  // The input was checked to be JSON at the start; anything else simply lists nothing.
  boost::json::error_code ec;
  const auto parsed = boost::json::parse(input, ec);
  if (ec || !parsed.is_object()) return out;
  const auto& members = parsed.get_object();
  if (!definition->owner_member.empty()) {
    if (const auto* owner = members.if_contains(definition->owner_member);
        owner != nullptr && owner->is_string())
      out.owner = std::string(owner->get_string());
  }
  boost::json::object details;
  for (const auto& name : definition->summary_members)
    if (const auto* value = members.if_contains(name)) details.emplace(name, *value);
  out.details = boost::json::serialize(details);
  return out;
}

actors::saga_summary summary_of(std::string_view saga_id, const saga_definition* definition,
                                const saga_record& record, const saga_listing& listing) {
  return {std::string(saga_id),
          record.type,
          std::string(to_string(record.status)),
          current_name(definition, record),
          reason_of(record),
          record.started_at_ms,
          record.updated_at_ms,
          listing.owner,
          listing.details};
}

}  // namespace payorch::sagas
