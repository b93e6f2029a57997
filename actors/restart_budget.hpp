#pragma once
/// Bounded restarts: at most N restarts within a sliding time window, then escalate.

#include <chrono>
#include <cstddef>
#include <deque>

namespace payorch::actors {

/// Counts restarts of one child in a sliding window; used by the supervisor and the routers.
class restart_budget {
 public:
  using clock_point = std::chrono::steady_clock::time_point;

  restart_budget(std::size_t max_restarts, std::chrono::milliseconds window)
      : max_restarts_(max_restarts), window_(window) {}

  /// Records a restart at `now`; false when that restart would exceed the budget.
  bool try_restart(clock_point now) {
    forget_before(now);
    if (restarts_.size() >= max_restarts_) return false;
    restarts_.push_back(now);
    return true;
  }

  /// True while the budget is used up at `now`.
  bool exhausted(clock_point now) {
    forget_before(now);
    return restarts_.size() >= max_restarts_;
  }

  /// True when no restart falls within the window at `now`: the budget is whole again, and its
  /// owner may drop it.
  bool unused(clock_point now) {
    forget_before(now);
    return restarts_.empty();
  }

 private:
  void forget_before(clock_point now) {
    while (!restarts_.empty() && now - restarts_.front() >= window_) restarts_.pop_front();
  }

  std::size_t max_restarts_;
  std::chrono::milliseconds window_;
  std::deque<clock_point> restarts_;
};

}  // namespace payorch::actors
