#pragma once
/// The hash that links each event to the one before it in its stream.

#include <array>
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

/// The SHA-256 of `bytes` (OpenSSL's implementation, looked up once for the process); throws
/// std::runtime_error if OpenSSL has none.
std::array<unsigned char, 32> sha256(std::string_view bytes);

/// Whether sha256() works here: a store checks it when it opens, so a broken OpenSSL stops the
/// start instead of the first append.
bool sha256_available() noexcept;

/// Returns the lowercase hex SHA-256 of a length-prefixed encoding of the fields.
///
/// Every string is preceded by its length as 8 big-endian bytes and every integer is 8 big-endian
/// bytes, so no two different field tuples encode to the same bytes.
std::string event_hash(const hashed_fields& fields);

struct event_record;

/// Walks events in (stream_id, version) order, as `verify` reads them, and remembers what the
/// next one must link to; one walker per verify, shared by every backend.
class chain_walker {
 public:
  /// Why `event` breaks its chain (version gap, prev_hash or hash mismatch), or "" if intact.
  std::string check(const event_record& event);

  /// How many streams the walk has entered.
  [[nodiscard]] std::int64_t streams() const { return streams_; }

 private:
  void start_stream(const std::string& stream_id);

  bool started_ = false;
  std::string stream_id_;
  std::int64_t next_version_ = 1;
  std::string prev_hash_;
  std::int64_t streams_ = 0;
};

}  // namespace payorch::persistence
