// The threaded actor runtime (actors/runtime.hpp) over a SQLite journal: one runtime at a time
// holds the journal, which is what lets it keep the filter of stored idempotency keys.
#include "actors/runtime.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.hpp"

namespace payorch::actors {
namespace {

// Goal: a second runtime on a journal in use is refused with a reason naming it, and the journal
// is free again once the first has stopped.
TEST(actor_runtime, one_runtime_at_a_time_writes_a_sqlite_journal) {
  testing::temp_dir dir{"payorch-runtime"};
  runtime_options options;
  options.journal_file = dir.file("journal.sqlite");
  std::string error;
  auto first = actor_runtime::start(options, &error);
  ASSERT_NE(first, nullptr) << error;

  auto second = actor_runtime::start(options, &error);
  EXPECT_EQ(second, nullptr);
  EXPECT_NE(error.find("in use by another payorch process"), std::string::npos) << error;
  EXPECT_NE(error.find(options.journal_file.string()), std::string::npos) << error;

  first->stop();
  first.reset();
  error.clear();
  auto third = actor_runtime::start(options, &error);
  ASSERT_NE(third, nullptr) << error;
  third->stop();
}

}  // namespace
}  // namespace payorch::actors
