// The Prometheus text the /metrics route serves, as http_metrics renders it.
#include "gateway/metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace payorch::testing {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Goal: every series is one whole line, however long its route and however large its counts
// (a route of a few hundred bytes once cut the histogram's last lines and ran them together).
TEST(http_metrics, renders_whole_lines_for_long_routes) {
  gateway::http_metrics metrics;
  static const std::string long_route =
      "/pods/{pod_id}/payouts/{payout_id}/" + std::string(300, 'x') + "/{user_id}";
  for (int i = 0; i < 1234; ++i)
    metrics.record("POST", long_route, 202, std::chrono::milliseconds(3));
  metrics.record("GET", "/pods/{pod_id}/balance", 200, std::chrono::microseconds(100));
  std::string text;
  metrics.render(text);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  int histogram_lines = 0;
  for (const auto& line : lines_of(text)) {
    if (line.starts_with("#")) continue;
    // name{labels} value
    const auto close = line.rfind("} ");
    ASSERT_NE(close, std::string::npos) << line;
    EXPECT_EQ(line.find("payorch_", 1), std::string::npos) << "two series on one line: " << line;
    if (line.find(long_route) != std::string::npos &&
        line.starts_with("payorch_http_request_duration_seconds"))
      ++histogram_lines;
  }
  EXPECT_EQ(histogram_lines, 12 + 3);  // the bounds, +Inf, _sum and _count
  EXPECT_NE(
      text.find("payorch_http_request_duration_seconds_count{route=\"" + long_route + "\"} 1234\n"),
      std::string::npos);
  EXPECT_NE(text.find("payorch_http_request_duration_seconds_sum{route=\"" + long_route +
                      "\"} 3.702000\n"),
            std::string::npos);
  EXPECT_NE(text.find("payorch_http_requests_total{method=\"POST\",route=\"" + long_route +
                      "\",status=\"202\"} 1234\n"),
            std::string::npos);
  EXPECT_NE(text.find("payorch_http_request_duration_seconds_bucket{route=\"/pods/{pod_id}/"
                      "balance\",le=\"0.0005\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace payorch::testing
