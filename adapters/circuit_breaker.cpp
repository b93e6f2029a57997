#include "adapters/circuit_breaker.hpp"

#include <algorithm>

namespace payorch::adapters {

std::string_view to_string(breaker_state state) noexcept {
  switch (state) {
    case breaker_state::open:
      return "open";
    case breaker_state::half_open:
      return "half_open";
    case breaker_state::closed:
      break;
  }
  return "closed";
}

circuit_breaker::circuit_breaker(std::string name, breaker_options options, steady_clock_fn clock)
    : name_(std::move(name)),
      options_(options),
      clock_(clock ? std::move(clock) : [] { return std::chrono::steady_clock::now(); }) {
  counters_.name = name_;
}

breaker_permit circuit_breaker::try_acquire() {
  std::lock_guard lock(mutex_);
  refresh(clock_());
  const bool allowed =
      state_ == breaker_state::closed ||
      (state_ == breaker_state::half_open &&
       probes_let_through_ < std::max<std::uint32_t>(options_.half_open_probes, 1));
  if (!allowed) {
    ++counters_.rejections;
    return {false, generation_};
  }
  if (state_ == breaker_state::half_open) ++probes_let_through_;
  ++counters_.calls;
  return {true, generation_};
}

void circuit_breaker::record_success(const breaker_permit& permit) {
  if (!permit.allowed) return;
  std::lock_guard lock(mutex_);
  ++counters_.successes;
  if (permit.generation == generation_ && state_ == breaker_state::closed)
    count_outcome(clock_(), false);
  if (permit.generation != generation_ || state_ != breaker_state::half_open) return;
  if (++probes_succeeded_ >= std::max<std::uint32_t>(options_.half_open_probes, 1)) {
    move_to(breaker_state::closed, clock_());
  }
}

void circuit_breaker::record_failure(const breaker_permit& permit) {
  if (!permit.allowed) return;
  std::lock_guard lock(mutex_);
  ++counters_.failures;
  if (permit.generation != generation_) return;
  const auto now = clock_();
  if (state_ == breaker_state::half_open) return move_to(breaker_state::open, now);
  if (state_ != breaker_state::closed) return;
  recent_failures_.push_back(now);
  forget_old_failures(now);
  count_outcome(now, true);
  if (recent_failures_.size() >= std::max<std::uint32_t>(options_.failure_threshold, 1) &&
      failure_rate_reached(now)) {
    move_to(breaker_state::open, now);
  }
}

breaker_state circuit_breaker::state() const {
  return snapshot().state;
}

breaker_snapshot circuit_breaker::snapshot() const {
  std::lock_guard lock(mutex_);
  // A snapshot does not move the breaker; it reports open → half_open as it would happen now.
  const auto now = clock_();
  breaker_snapshot shot = counters_;
  shot.state = state_;
  if (state_ == breaker_state::open) {
    const auto reopens = opened_at_ + options_.open_duration;
    if (now >= reopens) {
      shot.state = breaker_state::half_open;
    } else {
      shot.open_remaining = std::chrono::ceil<std::chrono::milliseconds>(reopens - now);
    }
  }
  std::uint32_t in_window = 0;
  for (const auto& at : recent_failures_) in_window += now - at < options_.window;
  shot.failures_in_window = state_ == breaker_state::closed ? in_window : 0;
  return shot;
}

void circuit_breaker::refresh(time_point now) {
  if (state_ == breaker_state::open && now >= opened_at_ + options_.open_duration) {
    move_to(breaker_state::half_open, now);
  }
}

void circuit_breaker::move_to(breaker_state next, time_point now) {
  state_ = next;
  ++generation_;
  ++counters_.state_changes;
  recent_failures_.clear();
  buckets_.fill(bucket{});
  probes_let_through_ = 0;
  probes_succeeded_ = 0;
  if (next == breaker_state::open) opened_at_ = now;
}

void circuit_breaker::forget_old_failures(time_point now) {
  while (!recent_failures_.empty() && now - recent_failures_.front() >= options_.window) {
    recent_failures_.pop_front();
  }
  // Only the newest `failure_threshold` failures can ever matter.
  while (recent_failures_.size() > std::max<std::uint32_t>(options_.failure_threshold, 1)) {
    recent_failures_.pop_front();
  }
}

namespace {

std::int64_t bucket_of(std::chrono::steady_clock::time_point now,
                       std::chrono::milliseconds window) {
  const auto width = std::max<std::int64_t>(window.count() / 10, 1);
  return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() /
         width;
}

}  // namespace

void circuit_breaker::count_outcome(time_point now, bool failed) {
  const auto index = bucket_of(now, options_.window);
  auto& b = buckets_[static_cast<std::size_t>(index % static_cast<std::int64_t>(buckets_.size()))];
  if (b.index != index) b = bucket{index, 0, 0};
  ++b.outcomes;
  b.failures += failed ? 1 : 0;
}

bool circuit_breaker::failure_rate_reached(time_point now) const {
  const auto newest = bucket_of(now, options_.window);
  std::uint64_t outcomes = 0, failures = 0;
  for (const auto& b : buckets_) {
    if (b.index < 0 || newest - b.index >= static_cast<std::int64_t>(buckets_.size())) continue;
    outcomes += b.outcomes;
    failures += b.failures;
  }
  if (options_.failure_rate_percent <= 1) return true;  // the count of failures alone decides
  const auto rate = std::min<std::uint32_t>(options_.failure_rate_percent, 100);
  return outcomes > 0 && failures * 100 >= outcomes * rate;
}

breaker_registry::breaker_registry(breaker_options defaults, steady_clock_fn clock)
    : defaults_(defaults), clock_(std::move(clock)) {}

circuit_breaker& breaker_registry::get(std::string_view provider) {
  std::lock_guard lock(mutex_);
  auto found = breakers_.find(provider);
  if (found != breakers_.end()) return *found->second;
  auto made = std::make_unique<circuit_breaker>(std::string(provider), defaults_, clock_);
  auto& ref = *made;
  breakers_.emplace(std::string(provider), std::move(made));
  return ref;
}

std::vector<breaker_snapshot> breaker_registry::snapshots() const {
  std::lock_guard lock(mutex_);
  std::vector<breaker_snapshot> all;
  all.reserve(breakers_.size());
  for (const auto& [name, breaker] : breakers_) all.push_back(breaker->snapshot());
  return all;
}

}  // namespace payorch::adapters
