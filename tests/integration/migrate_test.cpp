// `payorch migrate` and the start-up migration policy, on the real binary.
#include "tests/integration/integration_support.hpp"

namespace payorch::testing {
namespace {

class migrate : public integration_test {};

// Goal: migrate applies the schema once, says so, and is a no-op the second time.
TEST_F(migrate, applies_once_then_reports_up_to_date) {
  temp_dir data{"payorch-migrate"};
  auto first = run_payorch(payorch_binary(), {"migrate", "--data-dir", data.path().string()}, {},
                           data.path());
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("applied migration 1 (events and snapshots)"), std::string::npos)
      << first.out;
  auto second = run_payorch(payorch_binary(), {"migrate", "--data-dir", data.path().string()}, {},
                            data.path());
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("up to date"), std::string::npos) << second.out;
}

// Goal: with migrations = "check", a journal that needs migrating stops start-up with a line
// naming them; after `payorch migrate` the same server starts.
TEST_F(migrate, check_only_start_refuses_pending_migrations) {
  temp_dir data{"payorch-migrate"};
  process_options o;
  o.binary = payorch_binary();
  o.data_dir = data.path();
  o.env = {{"PAYORCH_JOURNAL_MIGRATIONS", "check"}};
  std::string error;
  auto refused = payorch_process::start(o, &error);
  EXPECT_EQ(refused, nullptr);
  EXPECT_NE(error.find("schema migrations pending: 1 (events and snapshots)"), std::string::npos)
      << error;
  auto migrated = run_payorch(payorch_binary(), {"migrate", "--data-dir", data.path().string()}, {},
                              data.path());
  ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  auto* server = start(o);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(http_get(server->port(), "/readyz").status, 200);
  EXPECT_EQ(server->stop(), 0);
}

}  // namespace
}  // namespace payorch::testing
