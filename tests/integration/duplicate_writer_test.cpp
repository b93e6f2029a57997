// Two `payorch serve` processes on one PostgreSQL database, writing the same pod: a writer whose
// view of the stream is stale is refused by the journal's version check, never merged, and its
// retry succeeds once it has reloaded the stream.
#include <algorithm>

#include "tests/integration/store_support.hpp"
#include "tests/support/auth_client.hpp"

namespace payorch::testing {
namespace {

/// One `payorch serve` and the token of its own bootstrap admin (each data dir has its own).
struct writer {
  payorch_process* process = nullptr;
  std::string token;

  http_reply call(std::string method, std::string target, std::string body = {},
                  std::string key = {}) const {
    http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.headers = {{"Authorization", bearer(token)}};
    if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    if (!key.empty()) req.headers.push_back({"Idempotency-Key", key});
    req.body = std::move(body);
    return http_exchange(process->port(), req);
  }
};

/// One event of a pod's journal as /events shows it.
struct journal_entry {
  std::int64_t version = 0;
  std::string type;
  std::string user_id;  ///< the data's user_id, when it has one
  std::string prev_hash;
  std::string hash;
};

class duplicate_writer : public integration_test {
 protected:
  void SetUp() override {
    if (auto why = store_unavailable(store_kind::postgresql); !why.empty()) GTEST_SKIP() << why;
    std::string error;
    auto target = make_store_target(store_kind::postgresql, &error);
    ASSERT_TRUE(target.has_value()) << error;
    target_ = std::move(*target);
  }

  void TearDown() override {
    integration_test::TearDown();
    if (HasFailure()) std::cerr << "--- postgres log (tail) ---\n" << shared_postgres_log_tail();
  }

  /// A server on the shared database with a data dir (and so credentials) of its own.
  writer serve() {
    writer w;
    w.process = start(target_.serve({}));
    if (w.process) w.token = admin_token(*w.process);
    return w;
  }

  /// Every event of `pod` read through `w`, oldest first (one page: pods here are small).
  static std::vector<journal_entry> journal_of(const writer& w, const std::string& pod) {
    auto r = w.call("GET", "/pods/" + pod + "/events?limit=100");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<journal_entry> out;
    const auto page = json_object_of(r);
    const auto* items = page.if_contains("items");
    if (!items || !items->is_array()) return out;
    for (const auto& item : items->as_array()) {
      const auto& e = item.as_object();
      journal_entry entry;
      entry.version = e.at("version").as_int64();
      entry.type = string_of(e, "type");
      if (const auto* data = e.if_contains("data"); data && data->is_object())
        entry.user_id = string_of(data->as_object(), "user_id");
      entry.prev_hash = string_of(e, "prev_hash");
      entry.hash = string_of(e, "hash");
      out.push_back(std::move(entry));
    }
    EXPECT_TRUE(page.at("next_cursor").is_null()) << "more than one page of events";
    return out;
  }

  /// The user ids of the MemberJoined events, in journal order.
  static std::vector<std::string> joined(const std::vector<journal_entry>& journal) {
    std::vector<std::string> out;
    for (const auto& e : journal)
      if (e.type == "MemberJoined") out.push_back(e.user_id);
    return out;
  }

  store_target target_;
};

// Goal: B's append on a stale stream is a 409 version_conflict that leaves no trace in the
// journal; B's retry (a new Idempotency-Key) lands after A's member; A, stale in turn, is refused
// the same way; the chain is unbroken and verifies.
TEST_F(duplicate_writer, stale_append_is_refused_by_the_version_check_never_merged) {
  const writer a = serve();
  ASSERT_NE(a.process, nullptr);
  const writer b = serve();
  ASSERT_NE(b.process, nullptr);
  ASSERT_NE(a.process->data_dir(), b.process->data_dir());

  auto created = a.call("POST", "/pods", std::string(summer_trip_body), "a-create");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string pod = string_of(json_object_of(created), "pod_id");
  // B's pod actor loads the stream as it stands now.
  auto seen = b.call("GET", "/pods/" + pod);
  ASSERT_EQ(seen.status, 200) << seen.body;
  const auto before = journal_of(a, pod);
  ASSERT_FALSE(before.empty());

  // A moves the stream on; B still holds the version it loaded.
  ASSERT_EQ(
      a.call("POST", "/pods/" + pod + "/members", R"({"user_id":"ann","role":"MEMBER"})", "a-ann")
          .status,
      201);
  auto stale =
      b.call("POST", "/pods/" + pod + "/members", R"({"user_id":"ben","role":"MEMBER"})", "b-1");
  expect_problem(stale, 409, "version_conflict");
  auto after_conflict = journal_of(a, pod);
  ASSERT_EQ(after_conflict.size(), before.size() + 1);
  auto members = joined(after_conflict);
  EXPECT_EQ(std::count(members.begin(), members.end(), "ben"), 0);
  EXPECT_EQ(members.back(), "ann");

  // A new request on B runs on the reloaded stream and lands after A's member.
  auto retried =
      b.call("POST", "/pods/" + pod + "/members", R"({"user_id":"ben","role":"MEMBER"})", "b-2");
  ASSERT_EQ(retried.status, 201) << retried.body;
  const auto journal = journal_of(a, pod);
  ASSERT_EQ(journal.size(), before.size() + 2);
  members = joined(journal);
  ASSERT_GE(members.size(), 2u);
  EXPECT_EQ((std::vector<std::string>{members.end() - 2, members.end()}),
            (std::vector<std::string>{"ann", "ben"}));
  EXPECT_EQ(journal.front().prev_hash, std::string(64, '0'));
  for (std::size_t i = 0; i < journal.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i + 1));
    EXPECT_EQ(journal[i].version, static_cast<std::int64_t>(i + 1));
    if (i > 0) {
      EXPECT_EQ(journal[i].prev_hash, journal[i - 1].hash);
    }
  }
  // B's reloaded state holds both members.
  for (const char* user : {"ann", "ben"})
    EXPECT_EQ(b.call("GET", "/pods/" + pod + "/members/" + user).status, 200) << user;

  // Now A is the stale one (its actor never saw ben): its write is refused the same way.
  expect_problem(
      a.call("POST", "/pods/" + pod + "/members", R"({"user_id":"cal","role":"MEMBER"})", "a-1"),
      409, "version_conflict");
  ASSERT_EQ(
      a.call("POST", "/pods/" + pod + "/members", R"({"user_id":"cal","role":"MEMBER"})", "a-2")
          .status,
      201);
  members = joined(journal_of(b, pod));
  ASSERT_GE(members.size(), 3u);
  EXPECT_EQ((std::vector<std::string>{members.end() - 3, members.end()}),
            (std::vector<std::string>{"ann", "ben", "cal"}));

  EXPECT_EQ(a.process->stop(), 0);
  EXPECT_EQ(b.process->stop(), 0);
  auto verified = run_payorch(payorch_binary(), {"verify", "--storage", target_.uri}, {},
                              a.process->work_dir());
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("journal intact"), std::string::npos) << verified.out;
}

}  // namespace
}  // namespace payorch::testing
