#pragma once
/// Which Idempotency-Keys may have a stored record, kept in memory so that a request under a
/// fresh key (nearly every request) skips the store look-up.
///
/// The filter answers "certainly no record" or "maybe": it never forgets a key while a record of
/// it could still be live, and a "maybe" only costs the look-up that every request made before.
/// It is sound only in the one process that writes every record of the journal (payorch holds a
/// lock on its SQLite journal for that), after the records stored before the process started
/// have been added, and only if every key is remembered before its request can store anything.
///
/// Keys live in pieces, in the order they came: the newest piece is an exact set of 64-bit key
/// hashes (16 bytes a key); a piece that holds `piece_keys` keys or spans `piece_span_ms` of
/// expiry times is frozen into a blocked Bloom filter (2 bytes a key, one 64-byte block per key,
/// about one false "maybe" in 1,000 per piece, so a few in 100 across a day's pieces). Keys
/// remembered for requests and keys added by the load at start-up fill two newest pieces of
/// their own, so the load's old expiries and the requests' new ones never split each other's
/// pieces. A piece is dropped once its last expiry plus `grace_ms` has passed by the callers'
/// clock: records then are expired for every look-up too (a wall clock stepped forward by more
/// than the grace and back again is the one case this misses). Should the pieces grow past
/// `max_bytes`, keys are no longer added and every answer is "maybe" until the keys that could
/// not be added have expired.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string_view>
#include <vector>

namespace payorch::persistence {

struct idempotency_filter_options {
  std::size_t piece_keys = std::size_t{1} << 20;
  std::int64_t piece_span_ms = 2LL * 60 * 60 * 1000;
  /// How long after a key's noted expiry a record of it may still count as live (a record's own
  /// expiry may come from a later clock reading than the one noted here).
  std::int64_t grace_ms = 60LL * 60 * 1000;
  /// 2 bytes a key over 25 hours: enough for about 1,400 keyed requests a second.
  std::size_t max_bytes = std::size_t{256} << 20;
};

/// Figures for metrics.
struct idempotency_filter_stats {
  bool ready = false;  ///< the stored keys are in: "certainly no record" answers are given
  std::size_t keys = 0;
  std::size_t bytes = 0;
  std::size_t pieces = 0;     ///< frozen pieces and non-empty newest ones
  std::uint64_t skipped = 0;  ///< look-ups answered "certainly no record"
};

class idempotency_filter {
 public:
  explicit idempotency_filter(idempotency_filter_options options = {});

  /// Notes that a record of (client_id, key) may be stored from now on, expiring at
  /// `expires_at_ms`. Returns true when no record of the key that is live at `now_ms` can be
  /// stored already, so the caller may skip its look-up; false before mark_ready().
  bool remember(std::string_view client_id, std::string_view key, std::int64_t expires_at_ms,
                std::int64_t now_ms);

  /// Adds a stored key (the load at start-up).
  void add(std::string_view client_id, std::string_view key, std::int64_t expires_at_ms);

  /// Every record stored before this process started has been added.
  void mark_ready();

  idempotency_filter_stats stats() const;

 private:
  struct piece {
    std::int64_t first_expiry = 0;
    std::int64_t last_expiry = 0;
    std::size_t keys = 0;
    std::vector<std::uint64_t> slots;  // open piece: hashes, open addressing, 0 is empty
    std::vector<std::uint64_t> bloom;  // frozen piece: 512-bit blocks
    std::size_t bytes() const;
  };

  static std::uint64_t hash_of(std::string_view client_id, std::string_view key);
  /// Adds `h` to `newest` (open_ or loading_), freezing it first when it is full.
  void insert(piece& newest, std::uint64_t h, std::int64_t expires_at_ms);
  bool may_hold(std::uint64_t h) const;
  void drop_expired(std::int64_t now_ms);
  bool gone(const piece& p, std::int64_t now_ms) const;
  void freeze(piece& newest);

  static bool open_contains(const piece& p, std::uint64_t h);
  static void open_insert(piece& p, std::uint64_t h);
  static bool bloom_contains(const piece& p, std::uint64_t h);
  static void bloom_insert(piece& p, std::uint64_t h);

  idempotency_filter_options options_;
  mutable std::mutex mutex_;
  piece open_;     // keys remembered for requests
  piece loading_;  // keys added by the load of the stored ones
  std::deque<piece> frozen_;
  std::size_t bytes_ = 0;
  std::size_t keys_ = 0;
  /// Keys went unrecorded (memory bound): every answer is "maybe" until this passes.
  std::int64_t untracked_until_ = 0;
  bool ready_ = false;
  std::uint64_t skipped_ = 0;
};

}  // namespace payorch::persistence
