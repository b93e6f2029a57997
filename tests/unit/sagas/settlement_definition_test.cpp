// The settlement saga's definition: which steps may be given up on while their attempt runs.
#include <gtest/gtest.h>

#include "sagas/settlement.hpp"

namespace payorch::sagas {
namespace {

// Goal: a step whose late answer would still move or commit something that nothing undoes waits
// for its answer (no attempt timeout): the pod steps (a hold or a posting), fx (a second attempt
// locks a fresh quote under a new key, and the first quote would stay locked) and submit (a
// second attempt may find the first in flight at the rail). The other provider steps, whose
// repeats carry the same key, keep the configured timeout.
TEST(settlement_definition, steps_with_lasting_effects_wait_for_their_answer) {
  settlement_options options;
  options.otp_secret = "0123456789abcdef";
  const auto setup = make_settlement(options);
  const auto& d = setup.definition;
  auto timeout_of = [&](const std::string& step) {
    const auto i = d.index_of(step);
    EXPECT_TRUE(i.has_value()) << step;
    return i ? d.steps[*i].retry.attempt_timeout : std::chrono::milliseconds(-1);
  };
  for (const char* step : {"reserve", "fx", "post", "submit"})
    EXPECT_EQ(timeout_of(step).count(), 0) << step;
  for (const char* step : {"kyc", "sanctions", "risk"})
    EXPECT_EQ(timeout_of(step), options.retry.attempt_timeout) << step;
}

}  // namespace
}  // namespace payorch::sagas
