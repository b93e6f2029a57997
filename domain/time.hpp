#pragma once
/// Timestamps as text: RFC 3339 in UTC from Unix milliseconds.

#include <cstdint>
#include <string>

#include "domain/fwd.hpp"

namespace payorch {

/// `unix_ms` (milliseconds since 1970-01-01T00:00:00Z) as RFC 3339 UTC text:
/// "2024-05-22T14:11:02Z" when the millisecond part is zero, "2024-05-22T14:11:02.123Z"
/// otherwise. Uses calendar arithmetic only (no locale, no time zone database).
/// Values before 0000-01-01 or after 9999-12-31T23:59:59.999Z, which RFC 3339 cannot
/// spell, are clamped to those bounds.
std::string format_rfc3339_utc(std::int64_t unix_ms);

}  // namespace payorch
