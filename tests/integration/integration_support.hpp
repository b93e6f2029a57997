#pragma once
/// What every integration test shares: the binary's path, servers that print their log when a
/// test fails, and checks for the API's JSON and problem-details bodies.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/http_client.hpp"
#include "tests/support/payorch_process.hpp"

namespace payorch::testing {

/// The payorch executable under test (CMake passes its path).
inline std::filesystem::path payorch_binary() {
  return PAYORCH_BINARY;
}

/// The document's example pod.
inline constexpr std::string_view summer_trip_body =
    R"({"name":"Summer Trip 2025","currency":"EUR",)"
    R"("policy":{"spending_limit":5000,"voting_quorum":0.66,"risk_tier":"STANDARD"}})";

/// A create-pod body with the given raw JSON texts in place of each value.
inline std::string pod_body(std::string_view currency_json, std::string_view limit_json,
                            std::string_view quorum_json, std::string_view tier_json) {
  return std::string(R"({"name":"Trip","currency":)") + std::string(currency_json) +
         R"(,"policy":{"spending_limit":)" + std::string(limit_json) + R"(,"voting_quorum":)" +
         std::string(quorum_json) + R"(,"risk_tier":)" + std::string(tier_json) + "}}";
}

/// Starts `payorch serve`; nullptr (and a test failure carrying the log) if it never got ready.
inline std::unique_ptr<payorch_process> start_server(process_options options = {}) {
  options.binary = payorch_binary();
  std::string error;
  auto p = payorch_process::start(std::move(options), &error);
  if (!p) ADD_FAILURE() << "payorch did not start: " << error;
  return p;
}

/// A test (on `Base`, a gtest fixture base) whose servers print their stderr when it fails, and
/// are killed if still running.
template <class Base>
class basic_integration_test : public Base {
 protected:
  payorch_process* start(process_options options = {}) {
    auto p = start_server(std::move(options));
    if (!p) return nullptr;
    servers_.push_back(std::move(p));
    return servers_.back().get();
  }

  void TearDown() override {
    if (!::testing::Test::HasFailure()) return;
    for (const auto& s : servers_)
      std::cerr << "--- payorch stderr (port " << s->port() << ") ---\n" << s->log() << '\n';
  }

 private:
  std::vector<std::unique_ptr<payorch_process>> servers_;
};

/// The plain (unparameterized) integration test.
using integration_test = basic_integration_test<::testing::Test>;

/// A suite sharing one server started with `Config::options()`; it must exit 0 at the end.
template <class Config>
class shared_server_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = start_server(Config::options()); }

  static void TearDownTestSuite() {
    if (!server_) return;
    int code = server_->stop();
    if (code != 0) ADD_FAILURE() << "exit code " << code << "\n" << server_->log();
    server_.reset();
  }

  void SetUp() override { ASSERT_NE(server_, nullptr) << "the shared server did not start"; }

  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "--- payorch stderr ---\n" << server_->log() << '\n';
  }

  static std::uint16_t port() { return server_->port(); }
  static payorch_process& server() { return *server_; }

 private:
  static inline std::unique_ptr<payorch_process> server_;
};

/// The body parsed as a JSON object (an empty object, and a test failure, if it is not one).
inline boost::json::object json_object_of(const http_reply& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << r.body;
    return {};
  }
  return v.as_object();
}

/// The string member `key` of `o` ("" if absent or not a string).
inline std::string string_of(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

/// Checks an RFC 9457 problem: status, media type, every member, and `param` when expected.
inline void expect_problem(const http_reply& r, int status, std::string_view code,
                           std::string_view param = {}) {
  SCOPED_TRACE(r.body);
  ASSERT_EQ(r.status, status) << r.error;
  EXPECT_EQ(r.header("Content-Type").value_or(""), "application/problem+json");
  EXPECT_TRUE(r.header("X-Request-Id").has_value());
  auto o = json_object_of(r);
  EXPECT_EQ(string_of(o, "type"), "urn:payorch:problem:" + std::string(code));
  EXPECT_FALSE(string_of(o, "title").empty());
  auto* s = o.if_contains("status");
  EXPECT_TRUE(s && s->is_int64() && s->as_int64() == status);
  EXPECT_FALSE(string_of(o, "detail").empty());
  EXPECT_EQ(string_of(o, "code"), code);
  if (param.empty()) {
    EXPECT_FALSE(o.contains("param"));
  } else {
    EXPECT_EQ(string_of(o, "param"), param);
  }
}

/// The value of an unlabelled sample in the server's /metrics, or -1 when absent.
inline long metric_value(std::uint16_t port, const std::string& name) {
  const auto metrics = http_get(port, "/metrics").body;
  const auto at = metrics.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stol(metrics.substr(at + name.size() + 2));
}

/// True when `text` is `pod_` followed by 16 lowercase hex digits.
inline bool is_pod_id(std::string_view text) {
  if (text.size() != 20 || text.substr(0, 4) != "pod_") return false;
  for (char c : text.substr(4))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

/// True when `text` is an RFC 3339 UTC timestamp such as 2025-06-01T12:00:00.123Z.
inline bool is_rfc3339_utc(std::string_view text) {
  static constexpr std::string_view shape = "dddd-dd-ddTdd:dd:dd";
  if (text.size() < shape.size() + 1 || text.back() != 'Z') return false;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    bool digit = text[i] >= '0' && text[i] <= '9';
    if (shape[i] == 'd' ? !digit : text[i] != shape[i]) return false;
  }
  auto rest = text.substr(shape.size(), text.size() - shape.size() - 1);
  if (rest.empty()) return true;
  if (rest.front() != '.' || rest.size() < 2) return false;
  for (char c : rest.substr(1))
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace payorch::testing
