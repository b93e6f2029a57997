#include "sagas/saga_events.hpp"

#include <gtest/gtest.h>

namespace payorch::sagas {
namespace {

std::vector<saga_event> one_of_each() {
  return {
      saga_started{"settlement", "{\"amount_minor\":125000,\"note\":\"caf\\u00e9 \\\"q\\\"\"}", 1},
      step_attempted{"reserve", 1, step_phase::action, 2},
      step_attempted{"reserve", 3, step_phase::compensation, 3},
      step_attempted{"confirm", 2, step_phase::timeout, 4},
      step_succeeded{"reserve", 1, "{\"hold_id\":\"h1\"}", 5},
      step_failed{"charge", 2, step_phase::action, "rail busy", true, 9000, 6},
      step_failed{"charge", 3, step_phase::compensation, "refused", false, 0, 7},
      wait_started{"approve", 60'007, 7},
      signal_received{"approve", "vote-1", signal_decision::approve, "{\"by\":\"u1\"}", 8},
      signal_received{"approve", "vote-2", signal_decision::reject, "", 9},
      signal_received{"otp", "otp-1", signal_decision::payload_only, "{\"code\":\"123\"}", 10},
      compensation_started{"step charge failed: refused", "charge", 11},
      step_compensated{"reserve", 1, 12},
      compensation_failed{"reserve", "ledger down", 13},
      saga_finished{saga_status::failed, "compensation of step reserve failed: x", 14},
      saga_finished{saga_status::completed, "", 15},
      saga_finished{saga_status::compensated, "step charge failed", 16},
      compensation_retried{"reserve", 17},
      saga_resolved{"post", saga_resolution::completed, "the bank says \"paid\"", "ops_1", 18},
      saga_resolved{"post", saga_resolution::compensate, "returned", "ops_2", 19},
  };
}

// Goal: every event type survives encode then decode unchanged, with its type name and time.
TEST(saga_events, round_trip_every_event) {
  for (const auto& event : one_of_each()) {
    auto stored = encode_event(event);
    EXPECT_EQ(stored.event_type, event_type_of(event));
    EXPECT_EQ(stored.recorded_at_ms, std::visit([](const auto& e) { return e.at_ms; }, event));
    auto back = decode_event(stored.event_type, stored.payload);
    ASSERT_TRUE(back) << stored.event_type << ": " << back.error().detail;
    EXPECT_EQ(*back, event) << stored.event_type << " " << stored.payload;
  }
}

// Goal: the JSON texts a saga carries are stored as strings, byte for byte.
TEST(saga_events, json_texts_are_kept_verbatim) {
  saga_started e{"t", "{ \"spaced\" : [1, 2.50, \"x\"] }", 1};
  auto back = decode_event("SagaStarted", encode_event(e).payload);
  ASSERT_TRUE(back);
  EXPECT_EQ(std::get<saga_started>(*back).input, e.input);
}

// Goal: a payload that is not JSON, not an object, of an unknown type, missing a field or with
// an unknown enum value is refused as internal_error, never half-decoded.
TEST(saga_events, corrupt_payloads_are_refused) {
  EXPECT_EQ(decode_event("SagaStarted", "not json").error().code, errc::internal_error);
  EXPECT_EQ(decode_event("SagaStarted", "[1]").error().code, errc::internal_error);
  EXPECT_EQ(decode_event("SagaExploded", "{}").error().code, errc::internal_error);
  auto missing = decode_event("StepAttempted", R"({"step":"a","phase":"ACTION","at":1})");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().detail.find("attempt"), std::string::npos);
  EXPECT_FALSE(
      decode_event("StepAttempted", R"({"step":"a","attempt":1,"phase":"SIDEWAYS","at":1})"));
  EXPECT_FALSE(decode_event("SagaFinished", R"({"status":"RUNNING_LATE","reason":"","at":1})"));
  EXPECT_FALSE(decode_event("StepFailed", R"({"step":"a","attempt":1,"phase":"ACTION","reason":"r",
                                              "retryable":"yes","retry_at":0,"at":1})"));
  EXPECT_FALSE(decode_event("SignalReceived", R"({"step":"a","signal_id":"s","decision":"MAYBE",
                                                  "payload":"","at":1})"));
  EXPECT_FALSE(decode_event("SagaResolved", R"({"step":"a","outcome":"SETTLED","reason":"r",
                                                "by":"o","at":1})"));
  EXPECT_FALSE(decode_event("SagaResolved", R"({"step":"a","outcome":"COMPLETED","at":1})"));
}

// Goal: status, phase and decision names go both ways; unknown names are refused.
TEST(saga_events, names_round_trip) {
  for (auto s : {saga_status::running, saga_status::compensating, saga_status::completed,
                 saga_status::compensated, saga_status::failed})
    EXPECT_EQ(saga_status_from_string(to_string(s)), s);
  for (auto p : {step_phase::action, step_phase::timeout, step_phase::compensation})
    EXPECT_EQ(step_phase_from_string(to_string(p)), p);
  for (auto d : {signal_decision::approve, signal_decision::reject, signal_decision::payload_only})
    EXPECT_EQ(signal_decision_from_string(to_string(d)), d);
  for (auto r : {saga_resolution::completed, saga_resolution::compensate})
    EXPECT_EQ(saga_resolution_from_string(to_string(r)), r);
  EXPECT_FALSE(saga_resolution_from_string("completed"));
  EXPECT_FALSE(saga_status_from_string("completed"));
  EXPECT_FALSE(step_phase_from_string(""));
  EXPECT_TRUE(is_finished(saga_status::failed));
  EXPECT_FALSE(is_finished(saga_status::compensating));
}

}  // namespace
}  // namespace payorch::sagas
