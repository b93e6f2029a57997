#include "gateway/metrics.hpp"

#include <cstdio>
#include <string>

namespace payorch::gateway {

void http_metrics::record(std::string_view method, std::string_view route, unsigned status,
                          std::chrono::nanoseconds latency) {
  double seconds = std::chrono::duration<double>(latency).count();
  std::lock_guard<std::mutex> guard{mutex_};
  ++requests_[{method, route, status}];
  auto& h = latency_by_route_[route];
  for (std::size_t i = 0; i < latency_bounds_s.size(); ++i)
    if (seconds <= latency_bounds_s[i]) ++h.buckets[i];
  ++h.count;
  h.sum_s += seconds;
}

namespace {

/// `value` as printf's `format` writes it (one number: short, so the buffer always holds it).
std::string number(const char* format, double value) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, format, value);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("NaN");
}

}  // namespace

void http_metrics::render(std::string& out) const {
  std::lock_guard<std::mutex> guard{mutex_};
  // Lines are appended piece by piece: a route's label has no length bound a fixed buffer could
  // hold, and a cut line would make the whole exposition unreadable.
  out +=
      "# HELP payorch_http_requests_total HTTP requests answered, by method, route and status.\n";
  out += "# TYPE payorch_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    out.append("payorch_http_requests_total{method=\"")
        .append(method)
        .append("\",route=\"")
        .append(route)
        .append("\",status=\"")
        .append(std::to_string(status))
        .append("\"} ")
        .append(std::to_string(count))
        .append("\n");
  }
  out +=
      "# HELP payorch_http_request_duration_seconds Time from request read to response written.\n";
  out += "# TYPE payorch_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_by_route_) {
    auto bucket = [&](const std::string& le, std::uint64_t n) {
      out.append("payorch_http_request_duration_seconds_bucket{route=\"")
          .append(route)
          .append("\",le=\"")
          .append(le)
          .append("\"} ")
          .append(std::to_string(n))
          .append("\n");
    };
    for (std::size_t i = 0; i < latency_bounds_s.size(); ++i)
      bucket(number("%g", latency_bounds_s[i]), h.buckets[i]);
    bucket("+Inf", h.count);
    out.append("payorch_http_request_duration_seconds_sum{route=\"")
        .append(route)
        .append("\"} ")
        .append(number("%.6f", h.sum_s))
        .append("\n");
    out.append("payorch_http_request_duration_seconds_count{route=\"")
        .append(route)
        .append("\"} ")
        .append(std::to_string(h.count))
        .append("\n");
  }
}

}  // namespace payorch::gateway
