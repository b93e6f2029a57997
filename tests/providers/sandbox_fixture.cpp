#include "tests/providers/sandbox_fixture.hpp"

#include <unistd.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "adapters/webhook_signature.hpp"

namespace payorch::testing {

std::string fresh_key() {
  static std::atomic<std::uint64_t> next{0};
  return "key-" + std::to_string(::getpid()) + "-" + std::to_string(++next);
}

std::unique_ptr<sandbox_process> start_sandbox(std::vector<std::string> args, std::uint64_t seed) {
  sandbox_start_options options;
  options.binary = PAYORCH_BINARY;
  options.seed = seed;
  options.extra_args = std::move(args);
  std::string error;
  auto p = sandbox_process::start(std::move(options), &error);
  if (!p) ADD_FAILURE() << "payorch sandbox did not start: " << error;
  return p;
}

boost::json::value json_of(const http_reply& reply) {
  boost::system::error_code ec;
  auto v = boost::json::parse(reply.body, ec);
  if (ec) {
    ADD_FAILURE() << "not JSON (status " << reply.status << "): " << reply.body;
    return nullptr;
  }
  return v;
}

boost::json::value json_of(const received_callback& callback) {
  http_reply reply;
  reply.status = callback.answered;
  reply.body = callback.body;
  return json_of(reply);
}

std::string text_of(const boost::json::value& v, std::string_view key) {
  if (!v.is_object()) return {};
  const auto* m = v.as_object().if_contains(key);
  return m && m->is_string() ? std::string(m->as_string()) : std::string();
}

std::int64_t int_of(const boost::json::value& v, std::string_view key) {
  if (!v.is_object()) return -1;
  const auto* m = v.as_object().if_contains(key);
  return m && m->is_int64() ? m->as_int64() : -1;
}

bool signature_valid(const received_callback& c, std::string_view secret) {
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  return adapters::verify_webhook(secret, c.header("webhook-id"), c.header("webhook-timestamp"),
                                  c.header("webhook-signature"), c.body, now_s);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds bound) {
  const auto give_up = std::chrono::steady_clock::now() + bound;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void sandbox_test::start(std::vector<std::string> args, std::uint64_t seed) {
  std::vector<std::string> all{"--kyc-delay-ms", "10", "--rail-delay-ms", "20"};
  all.insert(all.end(), args.begin(), args.end());  // later flags win in CLI11
  sandbox_ = start_sandbox(std::move(all), seed);
  ASSERT_NE(sandbox_, nullptr);
}

void sandbox_test::TearDown() {
  if (sandbox_ && HasFailure()) std::cerr << "--- sandbox log ---\n" << sandbox_->log();
}

http_reply sandbox_test::post(const std::string& target, const std::string& body, std::string key) {
  header_list headers;
  if (key.empty()) key = fresh_key();
  if (key != "-") headers.emplace_back("Idempotency-Key", key);
  return post_raw(target, body, "application/json", std::move(headers));
}

http_reply sandbox_test::post_raw(const std::string& target, const std::string& body,
                                  const std::string& content_type, header_list headers) {
  http_request req;
  req.method = "POST";
  req.target = target;
  req.headers = std::move(headers);
  req.headers.emplace_back("Content-Type", content_type);
  req.body = body;
  return http_exchange(sandbox_->port(), req);
}

http_reply sandbox_test::get(const std::string& target) {
  return http_get(sandbox_->port(), target);
}

http_reply sandbox_test::del(const std::string& target) {
  http_request req;
  req.method = "DELETE";
  req.target = target;
  return http_exchange(sandbox_->port(), req);
}

boost::json::value sandbox_test::stats() {
  return json_of(get("/sandbox/stats"));
}

std::int64_t sandbox_test::stat(std::string_view provider, std::string_view counter) {
  auto s = stats();
  const auto* p = s.is_object() ? s.at("providers").as_object().if_contains(provider) : nullptr;
  return p ? int_of(*p, counter) : -1;
}

void expect_error(const http_reply& reply, int status, std::string_view code,
                  std::string_view field) {
  EXPECT_EQ(reply.status, status) << reply.body;
  auto v = json_of(reply);
  EXPECT_EQ(text_of(v, "error"), code) << reply.body;
  EXPECT_FALSE(text_of(v, "detail").empty()) << reply.body;
  if (!field.empty()) {
    EXPECT_EQ(text_of(v, "field"), field) << reply.body;
  }
}

}  // namespace payorch::testing
