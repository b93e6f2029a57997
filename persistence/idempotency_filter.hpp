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
/// about one false "maybe" in 1,000 per piece, so a few in 100 across a day's pieces). Growing
/// the exact set and freezing a piece both happen a few slots per insert, the old form searched
/// until the new one is whole, so no request waits for a whole piece to be copied (that took up
/// to 14 ms per step for a piece of 2^20 keys). Keys
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
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

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
  /// Zeroed words: a large table is mapped from the kernel, whose fresh pages are zeroed as they
  /// are first touched, so allocating one costs no pass over it (a 16 MiB table zeroed up front
  /// held a request for 6.5 ms); a small one comes from calloc.
  class word_table {
   public:
    word_table() = default;
    explicit word_table(std::size_t size);  // throws std::bad_alloc
    word_table(word_table&& other) noexcept
        : words_(std::move(other.words_)), size_(std::exchange(other.size_, 0)) {}
    word_table& operator=(word_table&& other) noexcept {
      words_ = std::move(other.words_);
      size_ = std::exchange(other.size_, 0);
      return *this;
    }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::uint64_t* data() noexcept { return words_.get(); }
    const std::uint64_t* data() const noexcept { return words_.get(); }
    std::uint64_t& operator[](std::size_t i) noexcept { return words_[i]; }
    std::uint64_t operator[](std::size_t i) const noexcept { return words_[i]; }

   private:
    struct release {
      std::size_t bytes;  // mapped from the kernel at mapped_table_bytes and above
      void operator()(std::uint64_t* words) const noexcept;
    };
    std::unique_ptr<std::uint64_t[], release> words_;
    std::size_t size_ = 0;
  };

  struct piece {
    std::int64_t first_expiry = 0;
    std::int64_t last_expiry = 0;
    std::size_t keys = 0;
    word_table slots;  // open piece: hashes, open addressing, 0 is empty
    /// While `slots` grows: the table before it, still searched until every one of its slots
    /// below `moved` has been copied into `slots`, a few with each insert.
    word_table old_slots;
    std::size_t moved = 0;
    word_table bloom;  // frozen piece: 512-bit blocks
    std::size_t bytes() const;
  };
  /// A full newest piece on its way to a frozen one: still searched as it was while the Bloom
  /// filter of `target` is filled from its slots, a few with each insert.
  struct freezing {
    piece source;
    piece target;
    std::size_t done = 0;  // slots of source.slots added to target
  };

  static std::uint64_t hash_of(std::string_view client_id, std::string_view key);
  /// Adds `h` to `newest` (open_ or loading_), freezing it first when it is full.
  void insert(piece& newest, std::uint64_t h, std::int64_t expires_at_ms);
  bool may_hold(std::uint64_t h) const;
  void drop_expired(std::int64_t now_ms);
  bool gone(const piece& p, std::int64_t now_ms) const;
  /// Starts freezing `newest` (after finishing any piece still freezing) and empties it.
  void freeze(piece& newest);
  /// Adds up to `slots` more slots of the freezing piece to its Bloom filter; the last one
  /// turns it into a frozen piece.
  void freeze_step(std::size_t slots);

  static bool open_contains(const piece& p, std::uint64_t h);
  static void open_insert(piece& p, std::uint64_t h);
  /// Copies up to `slots` more slots of a growing table's old one into its new one.
  static void grow_step(piece& p, std::size_t slots);
  static bool bloom_contains(const piece& p, std::uint64_t h);
  static void bloom_insert(piece& p, std::uint64_t h);

  idempotency_filter_options options_;
  mutable std::mutex mutex_;
  piece open_;     // keys remembered for requests
  piece loading_;  // keys added by the load of the stored ones
  std::optional<freezing> freezing_;
  std::deque<piece> frozen_;
  std::size_t bytes_ = 0;
  std::size_t keys_ = 0;
  /// Keys went unrecorded (memory bound): every answer is "maybe" until this passes.
  std::int64_t untracked_until_ = 0;
  bool ready_ = false;
  std::uint64_t skipped_ = 0;
};

}  // namespace payorch::persistence
