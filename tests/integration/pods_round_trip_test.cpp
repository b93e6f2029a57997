/// POST /pods and GET /pods/{id} on the real binary, across a restart on the same store, and
/// `payorch verify` of that store; on SQLite and on PostgreSQL.

#include <sqlite3.h>

#include <pqxx/pqxx>

#include "tests/integration/store_support.hpp"
#include "tests/support/auth_client.hpp"

namespace payorch::testing {
namespace {

/// The round trip and verify, on each store.
class pods_round_trip : public store_test {};
INSTANTIATE_TEST_SUITE_P(stores, pods_round_trip, both_stores(), store_test_name);

/// What only the embedded journal has: a data dir that may hold no journal file.
class pods_round_trip_sqlite : public integration_test {};

/// GET /pods/{id} on a fresh connection, as `server`'s admin client.
http_reply get_pod(const payorch_process& server, const std::string& id) {
  http_request req;
  req.target = "/pods/" + id;
  req.headers.emplace_back("Authorization", bearer(admin_token(server)));
  return http_exchange(server.port(), req);
}

/// POST /pods of the example pod, as `server`'s admin client.
http_reply create_pod(const payorch_process& server) {
  auto req = json_post("/pods", std::string(summer_trip_body));
  req.headers.emplace_back("Authorization", bearer(admin_token(server)));
  return http_exchange(server.port(), req);
}

// Goal: a created pod reads back exactly as written, survives SIGTERM and restart, and verifies.
TEST_P(pods_round_trip, created_pod_reads_back_exactly_and_survives_a_restart) {
  temp_dir data{"payorch-data"};
  process_options on_data;
  on_data.data_dir = data.path();
  auto* first = start(on_data);
  ASSERT_NE(first, nullptr);

  auto created = create_pod(*first);
  ASSERT_EQ(created.status, 201) << created.error << created.body;
  EXPECT_EQ(created.header("Content-Type").value_or(""), "application/json");
  auto c = json_object_of(created);
  const std::string id = string_of(c, "pod_id");
  EXPECT_TRUE(is_pod_id(id)) << id;
  EXPECT_EQ(string_of(c, "status"), "DRAFT");
  EXPECT_TRUE(is_rfc3339_utc(string_of(c, "created_at"))) << created.body;
  EXPECT_EQ(created.header("Location").value_or(""), "/pods/" + id);

  auto read = get_pod(*first, id);
  ASSERT_EQ(read.status, 200) << read.error << read.body;
  EXPECT_EQ(read.header("Content-Type").value_or(""), "application/json");
  auto r = json_object_of(read);
  EXPECT_EQ(string_of(r, "pod_id"), id);
  EXPECT_EQ(string_of(r, "name"), "Summer Trip 2025");
  EXPECT_EQ(string_of(r, "currency"), "EUR");
  EXPECT_EQ(string_of(r, "status"), "DRAFT");
  EXPECT_EQ(string_of(r, "created_at"), string_of(c, "created_at"));
  // Decimals keep their source text: the raw body must hold them exactly as they were sent.
  EXPECT_NE(read.body.find(R"("policy":{"spending_limit":5000,"voting_quorum":0.66,)"
                           R"("risk_tier":"STANDARD","version":1})"),
            std::string::npos)
      << read.body;

  ASSERT_EQ(first->stop(), 0);

  auto* second = start(on_data);
  ASSERT_NE(second, nullptr);
  auto again = get_pod(*second, id);
  ASSERT_EQ(again.status, 200) << again.error << again.body;
  EXPECT_EQ(again.body, read.body);
  // A pod that was never created is still unknown after recovery.
  EXPECT_EQ(get_pod(*second, "pod_0123456789abcdef").status, 404);
  ASSERT_EQ(second->stop(), 0);

  auto verified = verify(data.path(), second->work_dir());
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("journal intact"), std::string::npos) << verified.out;
}

// Goal: verify refuses a data dir that holds no journal (exit non-zero, nothing created).
TEST_F(pods_round_trip_sqlite, verify_of_an_empty_data_dir_fails) {
  temp_dir data{"payorch-data"};
  auto run = run_payorch(payorch_binary(), {"verify", "--data-dir", data.path().string()}, {},
                         data.path());
  EXPECT_NE(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.err.find("no journal"), std::string::npos) << run.err;
}

/// Changes the spending limit in the payload of event 1 of `pod`, behind payorch's back.
void tamper_with_first_event(const store_target& target, const std::filesystem::path& data_dir,
                             const std::string& pod) {
  if (target.kind == store_kind::postgresql) {
    pqxx::connection connection{target.uri};
    pqxx::work tx{connection};
    auto changed = tx.exec_params(
        "UPDATE events SET payload = convert_to(replace(convert_from(payload, 'UTF8'), '5000', "
        "'9000'), 'UTF8') WHERE stream_id = $1 AND version = 1",
        pod);
    tx.commit();
    EXPECT_EQ(changed.affected_rows(), 1u);
    return;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data_dir / "journal.sqlite").c_str(), &db), SQLITE_OK);
  const std::string tamper =
      "UPDATE events SET payload = replace(payload, '5000', '9000') WHERE stream_id = '" + pod +
      "' AND version = 1";
  EXPECT_EQ(sqlite3_exec(db, tamper.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
}

// Goal: a journal edited behind payorch's back fails verify, which names the broken event.
TEST_P(pods_round_trip, verify_names_the_first_tampered_event) {
  temp_dir data{"payorch-data"};
  process_options on_data;
  on_data.data_dir = data.path();
  auto* server = start(on_data);
  ASSERT_NE(server, nullptr);
  auto created = create_pod(*server);
  ASSERT_EQ(created.status, 201) << created.error << created.body;
  const std::string id = string_of(json_object_of(created), "pod_id");
  ASSERT_EQ(server->stop(), 0);
  auto intact = verify(data.path(), data.path());
  ASSERT_EQ(intact.exit_code, 0) << intact.out << intact.err;

  tamper_with_first_event(target(), data.path(), id);

  auto run = verify(data.path(), data.path());
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("BROKEN at stream " + id + " version 1: "), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find(id + " version 1: " + id), std::string::npos)
      << "named twice: " << run.out;
}

}  // namespace
}  // namespace payorch::testing
