#include "gateway/metrics.hpp"

#include <cstdio>

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

void http_metrics::render(std::string& out) const {
  std::lock_guard<std::mutex> guard{mutex_};
  char buf[256];
  out +=
      "# HELP payorch_http_requests_total HTTP requests answered, by method, route and status.\n";
  out += "# TYPE payorch_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    std::snprintf(
        buf, sizeof buf,
        "payorch_http_requests_total{method=\"%.*s\",route=\"%.*s\",status=\"%u\"} %llu\n",
        static_cast<int>(method.size()), method.data(), static_cast<int>(route.size()),
        route.data(), status, static_cast<unsigned long long>(count));
    out += buf;
  }
  out +=
      "# HELP payorch_http_request_duration_seconds Time from request read to response written.\n";
  out += "# TYPE payorch_http_request_duration_seconds histogram\n";
  for (const auto& [route_view, h] : latency_by_route_) {
    std::string route{route_view};
    for (std::size_t i = 0; i < latency_bounds_s.size(); ++i) {
      std::snprintf(buf, sizeof buf,
                    "payorch_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    route.c_str(), latency_bounds_s[i],
                    static_cast<unsigned long long>(h.buckets[i]));
      out += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "payorch_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                  "payorch_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                  "payorch_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                  route.c_str(), static_cast<unsigned long long>(h.count), route.c_str(), h.sum_s,
                  route.c_str(), static_cast<unsigned long long>(h.count));
    out += buf;
  }
}

}  // namespace payorch::gateway
