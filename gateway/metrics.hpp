#pragma once
/// Request counters and latency histograms, rendered in the Prometheus text format.
///
/// Written by sessions on the Asio threads (one mutex, held for a map update), read by the
/// `/metrics` handler. Journal figures are pulled from a callback at scrape time.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace payorch::gateway {

/// Upper bounds (seconds) of the request latency histogram.
inline constexpr std::array<double, 12> latency_bounds_s{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                         0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

class http_metrics {
 public:
  /// Records one answered request; `route` is the matched pattern or "unmatched".
  ///
  /// Both views must outlive the metrics (route patterns live in the route table, method names
  /// are Beast's static strings), so recording allocates nothing once a series exists.
  void record(std::string_view method, std::string_view route, unsigned status,
              std::chrono::nanoseconds latency);

  /// Appends the request metrics in Prometheus text format.
  void render(std::string& out) const;

 private:
  struct histogram {
    std::array<std::uint64_t, latency_bounds_s.size()> buckets{};
    std::uint64_t count = 0;
    double sum_s = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string_view, std::string_view, unsigned>, std::uint64_t> requests_;
  std::map<std::string_view, histogram> latency_by_route_;
};

}  // namespace payorch::gateway
