#include "persistence/idempotency_filter.hpp"

#include <algorithm>
#include <functional>
#include <limits>

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

std::size_t idempotency_filter::piece::bytes() const {
  return (slots.capacity() + bloom.capacity()) * sizeof(std::uint64_t);
}

idempotency_filter::idempotency_filter(idempotency_filter_options options) : options_(options) {}

std::uint64_t idempotency_filter::hash_of(std::string_view client_id, std::string_view key) {
  const std::hash<std::string_view> h;
  const std::uint64_t combined = mix(h(client_id) ^ mix(h(key) + 0x9e3779b97f4a7c15ULL));
  return combined == 0 ? 1 : combined;  // 0 marks an empty slot
}

bool idempotency_filter::open_contains(const piece& p, std::uint64_t h) {
  if (p.slots.empty()) return false;
  const std::size_t mask = p.slots.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    if (p.slots[i] == h) return true;
    if (p.slots[i] == 0) return false;
  }
}

void idempotency_filter::open_insert(piece& p, std::uint64_t h) {
  if ((p.keys + 1) * 2 > p.slots.size()) {  // keep the table at most half full
    // Filled aside and swapped in: should the allocation fail, the piece keeps every key.
    std::vector<std::uint64_t> grown(p.slots.empty() ? first_open_slots : p.slots.size() * 2, 0);
    const std::size_t mask = grown.size() - 1;
    for (const std::uint64_t v : p.slots) {
      if (v == 0) continue;
      std::size_t i = v & mask;
      while (grown[i] != 0) i = (i + 1) & mask;
      grown[i] = v;
    }
    p.slots.swap(grown);
  }
  const std::size_t mask = p.slots.size() - 1;
  std::size_t i = h & mask;
  while (p.slots[i] != 0) i = (i + 1) & mask;
  p.slots[i] = h;
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
  piece frozen;
  frozen.first_expiry = newest.first_expiry;
  frozen.last_expiry = newest.last_expiry;
  frozen.keys = newest.keys;
  const std::size_t blocks = (newest.keys * bloom_bits_per_key + 511) / 512;
  frozen.bloom.assign(blocks * block_words, 0);
  for (const std::uint64_t v : newest.slots)
    if (v != 0) bloom_insert(frozen, v);
  const std::size_t frozen_bytes = frozen.bytes();
  frozen_.push_back(std::move(frozen));
  bytes_ = bytes_ - newest.bytes() + frozen_bytes;
  newest = piece{};
}

void idempotency_filter::insert(piece& newest, std::uint64_t h, std::int64_t expires_at_ms) {
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
  freeze(loading_);  // no more loaded keys: 2 bytes each from now on
  ready_ = true;
}

idempotency_filter_stats idempotency_filter::stats() const {
  const std::lock_guard lock(mutex_);
  const std::size_t newest = (open_.keys > 0 ? 1 : 0) + (loading_.keys > 0 ? 1 : 0);
  return {ready_, keys_, bytes_, frozen_.size() + newest, skipped_};
}

}  // namespace payorch::persistence
