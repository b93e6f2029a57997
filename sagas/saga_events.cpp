#include "sagas/saga_events.hpp"

#include <array>
#include <boost/json.hpp>

#include "actors/json_fields.hpp"
#include "actors/overloaded.hpp"

namespace payorch::sagas {
namespace json = boost::json;
using actors::overloaded;

namespace {

constexpr std::array<std::string_view, 5> status_names{"RUNNING", "COMPENSATING", "COMPLETED",
                                                       "COMPENSATED", "FAILED"};
constexpr std::array<std::string_view, 3> phase_names{"ACTION", "TIMEOUT", "COMPENSATION"};
constexpr std::array<std::string_view, 3> decision_names{"APPROVE", "REJECT", "PAYLOAD"};
constexpr std::array<std::string_view, 2> resolution_names{"COMPLETED", "COMPENSATE"};

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, Enum value) noexcept {
  auto i = static_cast<std::size_t>(value);
  return i < N ? names[i] : std::string_view{"UNKNOWN"};
}

template <class Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::string_view, N>& names,
                               std::string_view text) noexcept {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == text) return static_cast<Enum>(i);
  return std::nullopt;
}

failure corrupt(std::string what) {
  return fail(errc::internal_error,
              "journal payload is not a valid saga event: " + std::move(what));
}

/// The saga events' members: json_fields plus the engine's enumerations by name.
class reader : public actors::json_fields {
 public:
  using json_fields::json_fields;

  template <class Enum, std::size_t N>
  Enum named(std::string_view key, const std::array<std::string_view, N>& names) {
    auto parsed = parse_name<Enum>(names, text(key));
    if (!parsed) miss(key);
    return parsed.value_or(Enum{});
  }
};

json::object body_of(const saga_event& event) {
  return std::visit(
      overloaded{
          [](const saga_started& e) {
            return json::object{{"type", e.type}, {"input", e.input}, {"at", e.at_ms}};
          },
          [](const step_attempted& e) {
            return json::object{{"step", e.step},
                                {"attempt", e.attempt},
                                {"phase", to_string(e.phase)},
                                {"at", e.at_ms}};
          },
          [](const step_succeeded& e) {
            return json::object{
                {"step", e.step}, {"attempt", e.attempt}, {"output", e.output}, {"at", e.at_ms}};
          },
          [](const step_failed& e) {
            return json::object{
                {"step", e.step},     {"attempt", e.attempt},     {"phase", to_string(e.phase)},
                {"reason", e.reason}, {"retryable", e.retryable}, {"retry_at", e.retry_at_ms},
                {"at", e.at_ms}};
          },
          [](const wait_started& e) {
            return json::object{
                {"step", e.step}, {"deadline_at", e.deadline_at_ms}, {"at", e.at_ms}};
          },
          [](const signal_received& e) {
            return json::object{{"step", e.step},
                                {"signal_id", e.signal_id},
                                {"decision", to_string(e.decision)},
                                {"payload", e.payload},
                                {"at", e.at_ms}};
          },
          [](const compensation_started& e) {
            return json::object{
                {"reason", e.reason}, {"failed_step", e.failed_step}, {"at", e.at_ms}};
          },
          [](const step_compensated& e) {
            return json::object{{"step", e.step}, {"attempt", e.attempt}, {"at", e.at_ms}};
          },
          [](const compensation_failed& e) {
            return json::object{{"step", e.step}, {"reason", e.reason}, {"at", e.at_ms}};
          },
          [](const saga_finished& e) {
            return json::object{
                {"status", to_string(e.status)}, {"reason", e.reason}, {"at", e.at_ms}};
          },
          [](const compensation_retried& e) {
            return json::object{{"step", e.step}, {"at", e.at_ms}};
          },
          [](const saga_resolved& e) {
            return json::object{{"step", e.step},
                                {"outcome", to_string(e.outcome)},
                                {"reason", e.reason},
                                {"by", e.by},
                                {"at", e.at_ms}};
          },
      },
      event);
}

std::optional<saga_event> read_body(std::string_view type, reader& r) {
  if (type == "SagaStarted") return saga_started{r.text("type"), r.text("input"), r.integer("at")};
  if (type == "StepAttempted") {
    return step_attempted{r.text("step"), r.integer("attempt"),
                          r.named<step_phase>("phase", phase_names), r.integer("at")};
  }
  if (type == "StepSucceeded") {
    return step_succeeded{r.text("step"), r.integer("attempt"), r.text("output"), r.integer("at")};
  }
  if (type == "StepFailed") {
    return step_failed{
        r.text("step"),   r.integer("attempt"), r.named<step_phase>("phase", phase_names),
        r.text("reason"), r.flag("retryable"),  r.integer("retry_at"),
        r.integer("at")};
  }
  if (type == "WaitStarted")
    return wait_started{r.text("step"), r.integer("deadline_at"), r.integer("at")};
  if (type == "SignalReceived") {
    return signal_received{r.text("step"), r.text("signal_id"),
                           r.named<signal_decision>("decision", decision_names), r.text("payload"),
                           r.integer("at")};
  }
  if (type == "CompensationStarted")
    return compensation_started{r.text("reason"), r.text("failed_step"), r.integer("at")};
  if (type == "StepCompensated")
    return step_compensated{r.text("step"), r.integer("attempt"), r.integer("at")};
  if (type == "CompensationFailed")
    return compensation_failed{r.text("step"), r.text("reason"), r.integer("at")};
  if (type == "SagaFinished") {
    return saga_finished{r.named<saga_status>("status", status_names), r.text("reason"),
                         r.integer("at")};
  }
  if (type == "CompensationRetried") return compensation_retried{r.text("step"), r.integer("at")};
  if (type == "SagaResolved") {
    return saga_resolved{r.text("step"), r.named<saga_resolution>("outcome", resolution_names),
                         r.text("reason"), r.text("by"), r.integer("at")};
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(saga_status s) noexcept {
  return name_of(status_names, s);
}

std::optional<saga_status> saga_status_from_string(std::string_view text) noexcept {
  return parse_name<saga_status>(status_names, text);
}

bool is_finished(saga_status s) noexcept {
  return s == saga_status::completed || s == saga_status::compensated || s == saga_status::failed;
}

std::string_view to_string(step_phase p) noexcept {
  return name_of(phase_names, p);
}

std::optional<step_phase> step_phase_from_string(std::string_view text) noexcept {
  return parse_name<step_phase>(phase_names, text);
}

std::string_view to_string(signal_decision d) noexcept {
  return name_of(decision_names, d);
}

std::optional<signal_decision> signal_decision_from_string(std::string_view text) noexcept {
  return parse_name<signal_decision>(decision_names, text);
}

std::string_view to_string(saga_resolution r) noexcept {
  return name_of(resolution_names, r);
}

std::optional<saga_resolution> saga_resolution_from_string(std::string_view text) noexcept {
  return parse_name<saga_resolution>(resolution_names, text);
}

std::string_view event_type_of(const saga_event& event) noexcept {
  static constexpr std::array<std::string_view, std::variant_size_v<saga_event>> names{
      "SagaStarted",        "StepAttempted",  "StepSucceeded",       "StepFailed",
      "WaitStarted",        "SignalReceived", "CompensationStarted", "StepCompensated",
      "CompensationFailed", "SagaFinished",   "CompensationRetried", "SagaResolved"};
  return names[event.index()];
}

persistence::new_event encode_event(const saga_event& event) {
  auto at = std::visit([](const auto& e) { return e.at_ms; }, event);
  return {std::string(event_type_of(event)), json::serialize(body_of(event)), at};
}

result<saga_event> decode_event(std::string_view type, std::string_view payload) {
  json::error_code ec;
  auto value = json::parse(payload, ec);
  if (ec || !value.is_object()) return corrupt(std::string(type) + " payload is not an object");
  reader r(value.get_object());
  auto event = read_body(type, r);
  if (!event) return corrupt("unknown event type " + std::string(type));
  if (!r.missing().empty())
    return corrupt(std::string(type) + " lacks a valid \"" + r.missing() + "\"");
  return std::move(*event);
}

result<saga_event> decode_event(const persistence::event_record& record) {
  return decode_event(record.event_type, record.payload);
}

}  // namespace payorch::sagas
