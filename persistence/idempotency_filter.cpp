#include "persistence/idempotency_filter.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <limits>
#include <new>

#include "domain/int128.hpp"

namespace payorch::persistence {
namespace {

/// The splitmix64 finaliser: spreads every input bit over the whole word.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::size_t first_open_slots = 1024;  // a power of two
constexpr std::size_t bloom_bits_per_key = 16;
constexpr std::size_t block_words = 8;  // 512 bits: one cache line
constexpr int bloom_probes = 7;         // 9 bits each, from one 64-bit word
/// Slots copied per insert while a table grows: the old table has half the new one's slots,
/// which must all be copied before the new one is half full, a quarter of its slots of inserts
/// later; 8 finishes in a sixteenth.
constexpr std::size_t grow_slots_per_insert = 8;
/// Slots added to a freezing piece's Bloom filter per insert: a piece of 2^20 keys has 2 to 4
/// slots a key, all added within a quarter of the next piece's inserts. A small piece (a table
/// has at least 1,024 slots) or one its span of expiries cut short may still be freezing when the
/// next one is due, which then finishes it at once.
constexpr std::size_t freeze_slots_per_insert = 16;
/// Tables from this size on are mapped straight from the kernel, whose fresh pages are zeroed as
/// they are first touched: an allocator may instead hand back used memory and clear it all at
/// once (2-3 ms for 16 MiB).
constexpr std::size_t mapped_table_bytes = std::size_t{1} << 20;

/// Puts `h` into an open-addressing table with room for it.
template <class Table>
void put(Table& slots, std::uint64_t h) {
  const std::size_t mask = slots.size() - 1;
  std::size_t i = h & mask;
  while (slots[i] != 0) i = (i + 1) & mask;
  slots[i] = h;
}

template <class Table>
bool table_contains(const Table& slots, std::uint64_t h) {
  if (slots.empty()) return false;
  const std::size_t mask = slots.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    if (slots[i] == h) return true;
    if (slots[i] == 0) return false;
  }
}

/// a + b, or the largest value where that overflows (expiries near the end of time).
std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  return a > std::numeric_limits<std::int64_t>::max() - b ? std::numeric_limits<std::int64_t>::max()
                                                          : a + b;
}

/// Where the block of a Bloom filter of `words` words that hash `h` falls in starts.
std::size_t block_offset(std::size_t words, std::uint64_t h) {
  const std::size_t blocks = words / block_words;
  return static_cast<std::size_t>((static_cast<payorch::detail::uint128>(h) * blocks) >> 64) *
         block_words;
}

/// The bits whose 9-bit groups name a key's probes inside its block (independent of the block).
std::uint64_t probe_bits(std::uint64_t h) {
  return mix(h ^ 0x5851f42d4c957f2dULL);
}

}  // namespace

idempotency_filter::word_table::word_table(std::size_t size) {
  if (size == 0) return;
  if (size > std::numeric_limits<std::size_t>::max() / sizeof(std::uint64_t))
    throw std::bad_alloc();
  const std::size_t bytes = size * sizeof(std::uint64_t);
  void* words = nullptr;
  if (bytes >= mapped_table_bytes) {
    words = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (words == MAP_FAILED) throw std::bad_alloc();
  } else {
    words = std::calloc(size, sizeof(std::uint64_t));
    if (words == nullptr) throw std::bad_alloc();
  }
  words_ =
      std::unique_ptr<std::uint64_t[], release>(static_cast<std::uint64_t*>(words), release{bytes});
  size_ = size;
}

void idempotency_filter::word_table::release::operator()(std::uint64_t* words) const noexcept {
  if (bytes >= mapped_table_bytes)
    ::munmap(words, bytes);
  else
    std::free(words);
}

std::size_t idempotency_filter::piece::bytes() const {
  return (slots.size() + old_slots.size() + bloom.size()) * sizeof(std::uint64_t);
}

idempotency_filter::idempotency_filter(idempotency_filter_options options) : options_(options) {}

std::uint64_t idempotency_filter::hash_of(std::string_view client_id, std::string_view key) {
  const std::hash<std::string_view> h;
  const std::uint64_t combined = mix(h(client_id) ^ mix(h(key) + 0x9e3779b97f4a7c15ULL));
  return combined == 0 ? 1 : combined;  // 0 marks an empty slot
}

bool idempotency_filter::open_contains(const piece& p, std::uint64_t h) {
  // Slots of the old table already copied are in both: searching both is only slower.
  return table_contains(p.slots, h) || table_contains(p.old_slots, h);
}

void idempotency_filter::grow_step(piece& p, std::size_t slots) {
  if (p.old_slots.empty()) return;
  const std::size_t end = p.moved + std::min(slots, p.old_slots.size() - p.moved);
  for (; p.moved < end; ++p.moved)
    if (p.old_slots[p.moved] != 0) put(p.slots, p.old_slots[p.moved]);
  if (p.moved < p.old_slots.size()) return;
  p.old_slots = word_table{};
  p.moved = 0;
}

void idempotency_filter::open_insert(piece& p, std::uint64_t h) {
  if ((p.keys + 1) * 2 > p.slots.size()) {  // keep the table at most half full
    // Allocated before anything changes: should that fail, the piece is as it was.
    word_table grown(p.slots.empty() ? first_open_slots : p.slots.size() * 2);
    // The last growth has finished long ago (see grow_slots_per_insert); this only makes sure.
    grow_step(p, p.old_slots.size());
    p.old_slots = std::move(p.slots);
    p.slots = std::move(grown);
    p.moved = 0;
  }
  put(p.slots, h);
  ++p.keys;
}

bool idempotency_filter::bloom_contains(const piece& p, std::uint64_t h) {
  const std::uint64_t* words = p.bloom.data() + block_offset(p.bloom.size(), h);
  const std::uint64_t bits = probe_bits(h);
  for (int i = 0; i < bloom_probes; ++i) {
    const auto bit = static_cast<unsigned>((bits >> (9 * i)) & 511U);
    if ((words[bit >> 6] & (std::uint64_t{1} << (bit & 63U))) == 0) return false;
  }
  return true;
}

void idempotency_filter::bloom_insert(piece& p, std::uint64_t h) {
  std::uint64_t* words = p.bloom.data() + block_offset(p.bloom.size(), h);
  const std::uint64_t bits = probe_bits(h);
  for (int i = 0; i < bloom_probes; ++i) {
    const auto bit = static_cast<unsigned>((bits >> (9 * i)) & 511U);
    words[bit >> 6] |= std::uint64_t{1} << (bit & 63U);
  }
}

void idempotency_filter::freeze(piece& newest) {
  if (newest.keys == 0) return;
  // One piece freezes at a time; the one before has finished long ago unless a piece spanned
  // its stretch of expiries early (see freeze_slots_per_insert).
  if (freezing_) freeze_step(freezing_->source.slots.size());
  freezing f;
  f.target.first_expiry = newest.first_expiry;
  f.target.last_expiry = newest.last_expiry;
  f.target.keys = newest.keys;
  const std::size_t blocks = (newest.keys * bloom_bits_per_key + 511) / 512;
  f.target.bloom = word_table(blocks * block_words);  // before anything changes, should it fail
  const std::size_t before = newest.bytes();
  grow_step(newest, newest.old_slots.size());  // frozen from one table
  f.source = std::move(newest);
  newest = piece{};
  bytes_ = bytes_ - before + f.source.bytes() + f.target.bytes();
  freezing_ = std::move(f);
}

void idempotency_filter::freeze_step(std::size_t slots) {
  if (!freezing_) return;
  freezing& f = *freezing_;
  const word_table& source = f.source.slots;
  const std::size_t end = f.done + std::min(slots, source.size() - f.done);
  for (; f.done < end; ++f.done)
    if (source[f.done] != 0) bloom_insert(f.target, source[f.done]);
  if (f.done < source.size()) return;
  frozen_.push_back(std::move(f.target));
  bytes_ -= f.source.bytes();
  freezing_.reset();
}

void idempotency_filter::insert(piece& newest, std::uint64_t h, std::int64_t expires_at_ms) {
  // First, also past the memory bound: a finished freeze gives most of its piece's bytes back,
  // and a finished growth its old table.
  freeze_step(freeze_slots_per_insert);
  if (!newest.old_slots.empty()) {
    const std::size_t before = newest.bytes();
    grow_step(newest, grow_slots_per_insert);
    bytes_ = bytes_ - before + newest.bytes();
  }
  if (bytes_ >= options_.max_bytes) {
    untracked_until_ = std::max(untracked_until_, saturating_add(expires_at_ms, options_.grace_ms));
    return;
  }
  if (newest.keys > 0) {
    const std::int64_t first = std::min(newest.first_expiry, expires_at_ms);
    const std::int64_t last = std::max(newest.last_expiry, expires_at_ms);
    if (newest.keys >= options_.piece_keys || last - first >= options_.piece_span_ms)
      freeze(newest);
  }
  const bool was_empty = newest.keys == 0;
  if (!open_contains(newest, h)) {
    const std::size_t before = newest.bytes();
    open_insert(newest, h);  // first: a failed allocation leaves the piece as it was
    bytes_ = bytes_ - before + newest.bytes();
    ++keys_;
  }
  newest.first_expiry = was_empty ? expires_at_ms : std::min(newest.first_expiry, expires_at_ms);
  newest.last_expiry = was_empty ? expires_at_ms : std::max(newest.last_expiry, expires_at_ms);
}

bool idempotency_filter::may_hold(std::uint64_t h) const {
  if (open_contains(open_, h) || open_contains(loading_, h)) return true;
  if (freezing_ && open_contains(freezing_->source, h)) return true;
  return std::any_of(frozen_.begin(), frozen_.end(),
                     [h](const piece& p) { return bloom_contains(p, h); });
}

bool idempotency_filter::gone(const piece& p, std::int64_t now_ms) const {
  return saturating_add(p.last_expiry, options_.grace_ms) <= now_ms;
}

void idempotency_filter::drop_expired(std::int64_t now_ms) {
  for (auto it = frozen_.begin(); it != frozen_.end();) {
    if (gone(*it, now_ms)) {
      bytes_ -= it->bytes();
      keys_ -= it->keys;
      it = frozen_.erase(it);
    } else {
      ++it;
    }
  }
  if (freezing_ && gone(freezing_->source, now_ms)) {
    bytes_ -= freezing_->source.bytes() + freezing_->target.bytes();
    keys_ -= freezing_->source.keys;
    freezing_.reset();
  }
  for (piece* newest : {&open_, &loading_}) {
    if (newest->keys > 0 && gone(*newest, now_ms)) {
      bytes_ -= newest->bytes();
      keys_ -= newest->keys;
      *newest = piece{};
    }
  }
}

bool idempotency_filter::remember(std::string_view client_id, std::string_view key,
                                  std::int64_t expires_at_ms, std::int64_t now_ms) {
  const std::uint64_t h = hash_of(client_id, key);
  const std::lock_guard lock(mutex_);
  drop_expired(now_ms);
  const bool absent = ready_ && now_ms >= untracked_until_ && !may_hold(h);
  insert(open_, h, expires_at_ms);
  if (absent) ++skipped_;
  return absent;
}

void idempotency_filter::add(std::string_view client_id, std::string_view key,
                             std::int64_t expires_at_ms) {
  const std::uint64_t h = hash_of(client_id, key);
  const std::lock_guard lock(mutex_);
  insert(loading_, h, expires_at_ms);
}

void idempotency_filter::mark_ready() {
  const std::lock_guard lock(mutex_);
  freeze(loading_);  // no more loaded keys: 2 bytes each once the next inserts froze them
  ready_ = true;
}

idempotency_filter_stats idempotency_filter::stats() const {
  const std::lock_guard lock(mutex_);
  const std::size_t newest = (open_.keys > 0 ? 1 : 0) + (loading_.keys > 0 ? 1 : 0);
  return {ready_, keys_, bytes_, frozen_.size() + (freezing_ ? 1 : 0) + newest, skipped_};
}

}  // namespace payorch::persistence
