/// A request whose journal write cannot commit before its deadline gets 504, and the server
/// recovers once the journal is writable again.

#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "tests/integration/integration_support.hpp"
#include "tests/support/auth_client.hpp"

namespace payorch::testing {
namespace {

/// Short enough to keep the test quick, long enough that unblocked requests never reach it.
constexpr int request_timeout_ms = 500;

/// Holds SQLite's write lock on a journal file from outside the server while it lives.
class journal_write_lock {
 public:
  explicit journal_write_lock(const std::filesystem::path& file) {
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      error_ = "open: " + std::string(db_ ? sqlite3_errmsg(db_) : "out of memory");
      return;
    }
    char* message = nullptr;
    // The server may still be committing the previous request's idempotency record (stored
    // after its response was sent): wait for that commit, but never longer than 5 s.
    if (sqlite3_exec(db_, "PRAGMA busy_timeout=5000; BEGIN EXCLUSIVE;", nullptr, nullptr,
                     &message) != SQLITE_OK) {
      error_ = "BEGIN EXCLUSIVE: " + std::string(message ? message : "?");
      sqlite3_free(message);
      return;
    }
    held_ = true;
  }
  ~journal_write_lock() {
    release();
    sqlite3_close(db_);
  }
  journal_write_lock(const journal_write_lock&) = delete;
  journal_write_lock& operator=(const journal_write_lock&) = delete;

  bool held() const { return held_; }
  const std::string& error() const { return error_; }

  void release() {
    if (held_) sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
    held_ = false;
  }

 private:
  sqlite3* db_ = nullptr;
  bool held_ = false;
  std::string error_;
};

class deadline : public integration_test {
 protected:
  /// payorch with a `request_timeout_ms` deadline (null if it did not start).
  payorch_process* start_with_deadline() {
    process_options o;
    o.config_toml = "[http]\nrequest_timeout_ms = " + std::to_string(request_timeout_ms) + "\n";
    return start(o);
  }
};

/// `req` carrying `token`.
http_request with_token(const std::string& token, http_request req) {
  req.headers.emplace_back("Authorization", bearer(token));
  return req;
}

/// GET `target` carrying `token`.
http_reply get_with(std::uint16_t port, const std::string& token, std::string target) {
  http_request req;
  req.target = std::move(target);
  return http_exchange(port, with_token(token, std::move(req)));
}

// Goal: a create blocked behind a held journal lock gets 504; afterwards the server answers and
// the journal verifies.
TEST_F(deadline, blocked_journal_write_yields_504_and_the_server_recovers) {
  auto* server = start_with_deadline();
  ASSERT_NE(server, nullptr);
  const std::string token = admin_token(*server);
  auto before = http_exchange(server->port(),
                              with_token(token, json_post("/pods", std::string(summer_trip_body))));
  ASSERT_EQ(before.status, 201) << before.error << before.body;
  const std::string kept = string_of(json_object_of(before), "pod_id");

  journal_write_lock lock(server->data_dir() / "journal.sqlite");
  ASSERT_TRUE(lock.held()) << lock.error();
  http_request blocked = with_token(token, json_post("/pods", std::string(summer_trip_body)));
  blocked.headers.emplace_back("X-Request-Id", "blocked-create");
  auto timed_out = http_exchange(server->port(), blocked);
  expect_problem(timed_out, 504, "deadline_exceeded");
  EXPECT_EQ(timed_out.header("X-Request-Id").value_or(""), "blocked-create");
  // Reads of committed state do not need the write lock.
  EXPECT_EQ(get_with(server->port(), token, "/pods/" + kept).status, 200);
  lock.release();

  EXPECT_EQ(http_get(server->port(), "/readyz").status, 200);
  auto after = http_exchange(server->port(),
                             with_token(token, json_post("/pods", std::string(summer_trip_body))));
  EXPECT_EQ(after.status, 201) << after.error << after.body;
  EXPECT_EQ(get_with(server->port(), token, "/pods/" + kept).status, 200);
  ASSERT_EQ(server->stop(), 0);

  auto verified =
      run_payorch(payorch_binary(), {"verify", "--data-dir", server->data_dir().string()}, {},
                  server->work_dir());
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

// Goal: an answer that comes after its request's 504 is still stored under its Idempotency-Key,
// so the retry (once the first run finished; 409 while it runs) is that answer, replayed, and the
// action does not run twice.
TEST_F(deadline, an_answer_after_the_deadline_is_replayed_to_the_retry) {
  auto* server = start_with_deadline();
  ASSERT_NE(server, nullptr);
  const std::string token = admin_token(*server);
  auto created = http_exchange(
      server->port(), with_token(token, json_post("/pods", std::string(summer_trip_body))));
  ASSERT_EQ(created.status, 201) << created.error << created.body;
  const std::string pod = "/pods/" + string_of(json_object_of(created), "pod_id");
  http_request activate = with_token(token, json_post(pod + "/actions/activate", ""));
  for (auto& [name, value] : activate.headers)
    if (name == "Idempotency-Key") value = "late-activate";

  journal_write_lock lock(server->data_dir() / "journal.sqlite");
  ASSERT_TRUE(lock.held()) << lock.error();
  expect_problem(http_exchange(server->port(), activate), 504, "deadline_exceeded");
  lock.release();

  http_reply retry;
  for (int i = 0; i < 500; ++i) {  // the first run commits, then its answer is stored
    retry = http_exchange(server->port(), activate);
    if (retry.status != 409) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(retry.status, 200) << retry.error << retry.body;
  EXPECT_EQ(retry.header("Idempotency-Replayed").value_or(""), "true");
  EXPECT_EQ(string_of(json_object_of(retry), "status"), "ACTIVE");
  auto events = get_with(server->port(), token, pod + "/events");
  ASSERT_EQ(events.status, 200) << events.body;
  std::size_t accepted = 0;
  const auto listed = json_object_of(events);
  for (const auto& e : listed.at("items").as_array())
    if (e.as_object().at("type").as_string() == "PolicyAccepted") ++accepted;
  EXPECT_EQ(accepted, 1u);
  ASSERT_EQ(server->stop(), 0);
}

// Goal: SIGTERM with a create in flight answers it (201) before the process exits 0.
TEST_F(deadline, sigterm_drains_in_flight_requests_before_exit) {
  auto* server = start();
  ASSERT_NE(server, nullptr);
  const std::string token = admin_token(*server);
  journal_write_lock lock(server->data_dir() / "journal.sqlite");
  ASSERT_TRUE(lock.held()) << lock.error();
  http_connection pending(server->port());
  ASSERT_TRUE(pending.send_raw(serialise(
      with_token(token, json_post("/pods", std::string(summer_trip_body))), server->port())));
  // The create is in flight once the gauge counts it beside the scrape itself. Bounded by time,
  // not by scrapes: on a busy machine the server may read the create only after many of them.
  bool in_flight = false;
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       !in_flight && std::chrono::steady_clock::now() < until;)
    in_flight = metric_value(server->port(), "payorch_http_requests_in_flight") >= 2;
  ASSERT_TRUE(in_flight);
  ASSERT_EQ(::kill(server->pid(), SIGTERM), 0);
  lock.release();
  auto answered = pending.read_reply();
  EXPECT_EQ(answered.status, 201) << answered.error << answered.body;
  EXPECT_EQ(answered.header("Connection").value_or(""), "close");
  EXPECT_EQ(server->stop(), 0);
}

}  // namespace
}  // namespace payorch::testing
