#pragma once
/// Timestamps as text: RFC 3339 in UTC from Unix milliseconds.

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/fwd.hpp"
#include "domain/result.hpp"

namespace payorch {

/// The range RFC 3339's four-digit years can spell, in Unix milliseconds.
inline constexpr std::int64_t min_rfc3339_unix_ms = -62'167'219'200'000;  // 0000-01-01T00:00:00Z
inline constexpr std::int64_t max_rfc3339_unix_ms =
    253'402'300'799'999;  // 9999-12-31T23:59:59.999Z

/// `unix_ms` (milliseconds since 1970-01-01T00:00:00Z) as RFC 3339 UTC text:
/// "2024-05-22T14:11:02Z" when the millisecond part is zero, "2024-05-22T14:11:02.123Z"
/// otherwise. Uses calendar arithmetic only (no locale, no time zone database).
/// Values before 0000-01-01 or after 9999-12-31T23:59:59.999Z, which RFC 3339 cannot
/// spell, are clamped to those bounds.
std::string format_rfc3339_utc(std::int64_t unix_ms);

/// Unix milliseconds of an RFC 3339 timestamp such as "2026-01-05T00:00:00Z",
/// "2026-01-05T01:00:00.250+01:00"; fractions beyond milliseconds must be zero (nothing is
/// rounded). invalid_argument (naming `param`) for any other text, an impossible date, or a time
/// whose offset takes it outside 0000-01-01T00:00:00Z..9999-12-31T23:59:59.999Z.
result<std::int64_t> parse_rfc3339(std::string_view text, std::string param);

/// Adds `months` calendar months to `unix_ms`, keeping the time of day and clamping the day to
/// the end of a shorter month (Jan 31 + 1 month = Feb 28 or 29).
std::int64_t add_calendar_months(std::int64_t unix_ms, std::int64_t months);

}  // namespace payorch
