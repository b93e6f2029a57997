#pragma once
/// The hash that links each event to the one before it in its stream.

#include <cstdint>
#include <string>
#include <string_view>

namespace payorch::persistence {

/// The prev_hash of every stream's first event: 64 '0' characters.
inline constexpr std::string_view genesis_hash =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one event that its hash covers.
///
/// The strings are views: whatever they point at must outlive the struct.
struct hashed_fields {
  std::string_view prev_hash;
  std::string_view stream_id;
  std::int64_t version = 0;
  std::string_view event_type;
  std::int64_t recorded_at_ms = 0;
  std::string_view payload;
};

/// Returns the lowercase hex SHA-256 of a length-prefixed encoding of the fields.
///
/// Every string is preceded by its length as 8 big-endian bytes and every integer is 8 big-endian
/// bytes, so no two different field tuples encode to the same bytes.
std::string event_hash(const hashed_fields& fields);

}  // namespace payorch::persistence
