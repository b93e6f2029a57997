#include "domain/time.hpp"

#include <chrono>

namespace payorch {
namespace {

// The range RFC 3339's four-digit years can spell, in Unix milliseconds.
constexpr std::int64_t min_unix_ms = -62'167'219'200'000;  // 0000-01-01T00:00:00.000Z
constexpr std::int64_t max_unix_ms = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z

// Writes `value` as exactly `width` zero-padded digits.
void append_digits(std::string& out, long long value, int width) {
  char buffer[8];
  for (int i = width - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buffer, static_cast<std::size_t>(width));
}

}  // namespace

std::string format_rfc3339_utc(std::int64_t unix_ms) {
  using namespace std::chrono;
  if (unix_ms < min_unix_ms) unix_ms = min_unix_ms;
  if (unix_ms > max_unix_ms) unix_ms = max_unix_ms;

  const sys_time<milliseconds> point{milliseconds{unix_ms}};
  const auto day = floor<days>(point);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> clock{point - day};

  std::string out;
  out.reserve(24);
  append_digits(out, static_cast<int>(date.year()), 4);
  out += '-';
  append_digits(out, static_cast<unsigned>(date.month()), 2);
  out += '-';
  append_digits(out, static_cast<unsigned>(date.day()), 2);
  out += 'T';
  append_digits(out, clock.hours().count(), 2);
  out += ':';
  append_digits(out, clock.minutes().count(), 2);
  out += ':';
  append_digits(out, clock.seconds().count(), 2);
  if (const auto ms = clock.subseconds().count(); ms != 0) {
    out += '.';
    append_digits(out, ms, 3);
  }
  out += 'Z';
  return out;
}

}  // namespace payorch
