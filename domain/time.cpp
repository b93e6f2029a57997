#include "domain/time.hpp"

#include <chrono>

namespace payorch {
namespace {

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
  if (unix_ms < min_rfc3339_unix_ms) unix_ms = min_rfc3339_unix_ms;
  if (unix_ms > max_rfc3339_unix_ms) unix_ms = max_rfc3339_unix_ms;

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

namespace {

/// Reads exactly `width` digits at `pos`; false if any is missing.
bool read_digits(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

result<std::int64_t> parse_rfc3339(std::string_view text, std::string param) {
  using namespace std::chrono;
  auto bad = [&] {
    return fail(errc::invalid_argument,
                param + " must be an RFC 3339 timestamp such as \"2026-01-05T00:00:00Z\"", param);
  };
  int y, mo, d, h, mi, s;
  if (text.size() < 20 || !read_digits(text, 0, 4, y) || text[4] != '-' ||
      !read_digits(text, 5, 2, mo) || text[7] != '-' || !read_digits(text, 8, 2, d) ||
      (text[10] != 'T' && text[10] != 't') || !read_digits(text, 11, 2, h) || text[13] != ':' ||
      !read_digits(text, 14, 2, mi) || text[16] != ':' || !read_digits(text, 17, 2, s))
    return bad();
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || s > 59) return bad();
  std::size_t pos = 19;
  std::int64_t ms = 0;
  if (text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) {
        ms = ms * 10 + (text[pos] - '0');
      } else if (text[pos] != '0') {
        return bad();  // sub-millisecond precision would be lost
      }
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (std::size_t i = digits; i < 3; ++i) ms *= 10;
  }
  std::int64_t offset_min = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!read_digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !read_digits(text, pos + 4, 2, om) || oh > 23 || om > 59)
      return bad();
    offset_min = (text[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  const auto days_since_epoch = sys_days{date}.time_since_epoch().count();
  const std::int64_t unix_ms =
      ((static_cast<std::int64_t>(days_since_epoch) * 24 + h) * 60 + mi - offset_min) * 60000 +
      static_cast<std::int64_t>(s) * 1000 + ms;
  // An offset can carry a time past the years 0000..9999 in UTC, which no answer could spell.
  if (unix_ms < min_rfc3339_unix_ms || unix_ms > max_rfc3339_unix_ms)
    return fail(errc::invalid_argument,
                param + " must fall between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z",
                param);
  return unix_ms;
}

std::int64_t add_calendar_months(std::int64_t unix_ms, std::int64_t months) {
  using namespace std::chrono;
  const sys_time<milliseconds> point{milliseconds{unix_ms}};
  const auto day_point = floor<days>(point);
  const auto time_of_day = point - day_point;
  const year_month_day date{day_point};
  const auto total = static_cast<std::int64_t>(static_cast<int>(date.year())) * 12 +
                     static_cast<unsigned>(date.month()) - 1 + months;
  const auto y = year{static_cast<int>(total >= 0 ? total / 12 : (total - 11) / 12)};
  const auto m = month{static_cast<unsigned>(total - static_cast<int>(y) * 12LL + 1)};
  const auto last = year_month_day_last{y, month_day_last{m}}.day();
  const auto d = std::min(date.day(), last);
  return (sys_days{year_month_day{y, m, d}} + time_of_day).time_since_epoch().count();
}

}  // namespace payorch
