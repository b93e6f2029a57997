// Tests of the sandbox's KYC provider: decisions, signed callbacks, retries and bad input.
#include "tests/providers/sandbox_fixture.hpp"

namespace payorch::testing {
namespace {

using sandbox_kyc_test = sandbox_test;

std::string verification(const std::string& name, const std::string& callback_url) {
  std::string body = R"({"reference":"cust-1","name":")" + name + R"(","country":"DE")";
  if (!callback_url.empty()) body += R"(,"callback_url":")" + callback_url + "\"";
  return body + "}";
}

// A verification is PENDING, then APPROVED, posted once, signed, with the GET's body.
TEST_F(sandbox_kyc_test, approves_and_posts_signed_callback) {
  start();
  auto created = post("/kyc/v1/verifications", verification("Ada Lovelace", receiver_.url("kyc")));
  ASSERT_EQ(created.status, 202) << created.body;
  auto v = json_of(created);
  EXPECT_EQ(text_of(v, "status"), "PENDING");
  EXPECT_EQ(text_of(v, "reference"), "cust-1");
  const auto id = text_of(v, "verification_id");
  auto got = receiver_.wait_for([](const auto& r) { return !r.empty(); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/callbacks/kyc");
  EXPECT_TRUE(signature_valid(got[0])) << got[0].body;
  EXPECT_FALSE(signature_valid(got[0], "another-secret"));
  EXPECT_EQ(got[0].header("webhook-id"), "wh_" + id + "_APPROVED");
  auto body = json_of(got[0]);
  EXPECT_EQ(text_of(body, "status"), "APPROVED");
  EXPECT_EQ(text_of(body, "verification_id"), id);
  EXPECT_EQ(get("/kyc/v1/verifications/" + id).body, got[0].body);
  EXPECT_TRUE(eventually([&] { return stat("kyc", "callbacks_sent") == 1; }));
}

// A name containing "reject" in any case is REJECTED with a reason.
TEST_F(sandbox_kyc_test, rejects_names_containing_reject) {
  start({"--webhook-secret", "s3cret"});
  auto created = post("/kyc/v1/verifications", verification("Max ReJeCtor", receiver_.url()));
  ASSERT_EQ(created.status, 202);
  auto got = receiver_.wait_for([](const auto& r) { return !r.empty(); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(signature_valid(got[0], "s3cret"));
  EXPECT_FALSE(signature_valid(got[0]));
  auto body = json_of(got[0]);
  EXPECT_EQ(text_of(body, "status"), "REJECTED");
  EXPECT_FALSE(text_of(body, "reason").empty());
}

// Without a callback URL the result is still readable by GET once decided.
TEST_F(sandbox_kyc_test, result_readable_without_callback) {
  start();
  auto created = post("/kyc/v1/verifications", verification("Grace Hopper", ""));
  ASSERT_EQ(created.status, 202);
  const auto id = text_of(json_of(created), "verification_id");
  EXPECT_TRUE(eventually([&] {
    return text_of(json_of(get("/kyc/v1/verifications/" + id)), "status") == "APPROVED";
  }));
  EXPECT_TRUE(receiver_.received().empty());
  EXPECT_EQ(stat("kyc", "callback_attempts"), 0);
}

// A callback answered 500 and 503 is retried under the same webhook-id until it gets a 2xx.
TEST_F(sandbox_kyc_test, callback_retried_until_2xx) {
  start();
  receiver_.script({500, 503});
  ASSERT_EQ(post("/kyc/v1/verifications", verification("Alan Turing", receiver_.url())).status,
            202);
  auto got = receiver_.wait_for([](const auto& r) { return r.size() >= 3; });
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].answered, 500);
  EXPECT_EQ(got[2].answered, 200);
  for (const auto& c : got) {
    EXPECT_EQ(c.header("webhook-id"), got[0].header("webhook-id"));
    EXPECT_EQ(c.body, got[0].body);
    EXPECT_TRUE(signature_valid(c));
  }
  EXPECT_TRUE(eventually([&] { return stat("kyc", "callbacks_sent") == 1; }));
  EXPECT_EQ(stat("kyc", "callback_attempts"), 3);
  EXPECT_EQ(stat("kyc", "callbacks_failed"), 0);
}

// A callback never answered 2xx is given up after 5 retries (6 attempts) and counted failed.
TEST_F(sandbox_kyc_test, callback_given_up_after_five_retries) {
  start();
  receiver_.script({500, 500, 500, 500, 500, 500, 500});
  ASSERT_EQ(post("/kyc/v1/verifications", verification("Emmy Noether", receiver_.url())).status,
            202);
  EXPECT_TRUE(eventually([&] { return stat("kyc", "callbacks_failed") == 1; }));
  EXPECT_EQ(receiver_.received().size(), 6u);
  EXPECT_EQ(stat("kyc", "callbacks_sent"), 0);
}

// Missing, empty and malformed fields are 400 naming the field; unknown ids are 404.
TEST_F(sandbox_kyc_test, bad_input) {
  start();
  const auto create = [&](const std::string& body) { return post("/kyc/v1/verifications", body); };
  expect_error(create(R"({"name":"A","country":"DE"})"), 400, "invalid_field", "reference");
  expect_error(create(R"({"reference":"r","country":"DE"})"), 400, "invalid_field", "name");
  expect_error(create(R"({"reference":"r","name":"","country":"DE"})"), 400, "invalid_field",
               "name");
  expect_error(create(R"({"reference":"r","name":"A","country":"de"})"), 400, "invalid_field",
               "country");
  expect_error(create(R"({"reference":"r","name":"A","country":"XX"})"), 400, "invalid_field",
               "country");
  expect_error(create(R"({"reference":"r","name":"A"})"), 400, "invalid_field", "country");
  expect_error(create(R"({"reference":5,"name":"A","country":"DE"})"), 400, "invalid_field",
               "reference");
  expect_error(create(R"({"reference":"r","name":"A\u0001","country":"DE"})"), 400, "invalid_field",
               "name");
  expect_error(create(R"({"reference":"r","name":"A","country":"DE","callback_url":"ftp://x"})"),
               400, "invalid_field", "callback_url");
  expect_error(create(R"({"reference":"r","name":"A","country":"DE","callback_url":"http://"})"),
               400, "invalid_field", "callback_url");
  expect_error(create("{"), 400, "malformed_json");
  expect_error(get("/kyc/v1/verifications/kyc_unknown"), 404, "not_found");
}

}  // namespace
}  // namespace payorch::testing
