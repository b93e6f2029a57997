#include "domain/cycle.hpp"

#include <array>
#include <chrono>

#include "domain/time.hpp"

namespace payorch {
namespace {

constexpr std::int64_t week_ms = 7LL * 24 * 60 * 60 * 1000;
constexpr std::array<std::string_view, 2> period_names{"WEEKLY", "MONTHLY"};
constexpr std::array<std::string_view, 4> pledge_status_names{"PLEDGED", "SETTLED", "EXPIRED",
                                                              "CANCELLED"};

template <class Enum, std::size_t N>
std::optional<Enum> from_names(const std::array<std::string_view, N>& names,
                               std::string_view text) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == text) return static_cast<Enum>(i);
  return std::nullopt;
}

}  // namespace

std::string_view to_string(cycle_period period) noexcept {
  return period_names[static_cast<std::size_t>(period) % period_names.size()];
}

std::optional<cycle_period> cycle_period_from_string(std::string_view text) noexcept {
  return from_names<cycle_period>(period_names, text);
}

std::string_view to_string(pledge_status value) noexcept {
  return pledge_status_names[static_cast<std::size_t>(value) % pledge_status_names.size()];
}

std::optional<pledge_status> pledge_status_from_string(std::string_view text) noexcept {
  return from_names<pledge_status>(pledge_status_names, text);
}

std::int64_t contribution_cycle::start_of(std::int64_t n) const noexcept {
  if (period == cycle_period::weekly) return starts_at_ms + (n - 1) * week_ms;
  return add_calendar_months(starts_at_ms, n - 1);
}

std::optional<std::int64_t> contribution_cycle::number_at(std::int64_t at_ms) const noexcept {
  if (at_ms < starts_at_ms) return std::nullopt;
  if (period == cycle_period::weekly) return (at_ms - starts_at_ms) / week_ms + 1;
  // A month is 28..31 days: estimate from 31-day months, then step forward to the right one.
  std::int64_t n = (at_ms - starts_at_ms) / (31LL * 24 * 60 * 60 * 1000) + 1;
  while (start_of(n + 1) <= at_ms) ++n;
  return n;
}

std::int64_t contribution_cycle::last_number() const noexcept {
  constexpr std::int64_t last_ms = max_rfc3339_unix_ms;
  if (starts_at_ms > last_ms) return 0;
  // Cycle n ends when n + 1 starts: n periods after the first start.
  if (period == cycle_period::weekly) return (last_ms - starts_at_ms) / week_ms;
  using namespace std::chrono;
  const year_month_day first{floor<days>(sys_time<milliseconds>{milliseconds{starts_at_ms}})};
  return (9999LL - static_cast<int>(first.year())) * 12 + 12 - static_cast<unsigned>(first.month());
}

result<contribution_cycle> make_cycle(std::string_view period_text,
                                      std::string_view starts_at_text) {
  auto period = cycle_period_from_string(period_text);
  if (!period)
    return fail(errc::invalid_cycle, "cycle.period must be WEEKLY or MONTHLY", "cycle.period");
  auto start = parse_rfc3339(starts_at_text, "cycle.starts_at");
  if (!start) return fail(errc::invalid_cycle, start.error().detail, "cycle.starts_at");
  return contribution_cycle{*period, *start};
}

}  // namespace payorch
