#include "persistence/idempotency_filter.hpp"

#include <algorithm>
#include <functional>

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
    std::vector<std::uint64_t> old;
    old.swap(p.slots);
    p.slots.assign(old.empty() ? first_open_slots : old.size() * 2, 0);
    const std::size_t mask = p.slots.size() - 1;
    for (const std::uint64_t v : old) {
      if (v == 0) continue;
      std::size_t i = v & mask;
      while (p.slots[i] != 0) i = (i + 1) & mask;
      p.slots[i] = v;
    }
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

void idempotency_filter::freeze_open() {
  if (open_.keys == 0) return;
  piece frozen;
  frozen.first_expiry = open_.first_expiry;
  frozen.last_expiry = open_.last_expiry;
  frozen.keys = open_.keys;
  const std::size_t blocks = (open_.keys * bloom_bits_per_key + 511) / 512;
  frozen.bloom.assign(blocks * block_words, 0);
  for (const std::uint64_t v : open_.slots)
    if (v != 0) bloom_insert(frozen, v);
  bytes_ = bytes_ - open_.bytes() + frozen.bytes();
  frozen_.push_back(std::move(frozen));
  open_ = piece{};
}

void idempotency_filter::insert(std::uint64_t h, std::int64_t expires_at_ms) {
  if (bytes_ >= options_.max_bytes) {
    untracked_until_ = std::max(untracked_until_, expires_at_ms + options_.grace_ms);
    return;
  }
  if (open_.keys > 0) {
    const std::int64_t first = std::min(open_.first_expiry, expires_at_ms);
    const std::int64_t last = std::max(open_.last_expiry, expires_at_ms);
    if (open_.keys >= options_.piece_keys || last - first >= options_.piece_span_ms) freeze_open();
  }
  if (open_.keys == 0) {
    open_.first_expiry = expires_at_ms;
    open_.last_expiry = expires_at_ms;
  }
  open_.first_expiry = std::min(open_.first_expiry, expires_at_ms);
  open_.last_expiry = std::max(open_.last_expiry, expires_at_ms);
  if (open_contains(open_, h)) return;
  const std::size_t before = open_.bytes();
  open_insert(open_, h);
  bytes_ = bytes_ - before + open_.bytes();
  ++keys_;
}

bool idempotency_filter::may_hold(std::uint64_t h) const {
  if (open_contains(open_, h)) return true;
  return std::any_of(frozen_.begin(), frozen_.end(),
                     [h](const piece& p) { return bloom_contains(p, h); });
}

void idempotency_filter::drop_expired(std::int64_t now_ms) {
  const auto gone = [&](const piece& p) { return p.last_expiry + options_.grace_ms <= now_ms; };
  for (auto it = frozen_.begin(); it != frozen_.end();) {
    if (gone(*it)) {
      bytes_ -= it->bytes();
      keys_ -= it->keys;
      it = frozen_.erase(it);
    } else {
      ++it;
    }
  }
  if (open_.keys > 0 && gone(open_)) {
    bytes_ -= open_.bytes();
    keys_ -= open_.keys;
    open_ = piece{};
  }
}

bool idempotency_filter::remember(std::string_view client_id, std::string_view key,
                                  std::int64_t expires_at_ms, std::int64_t now_ms) {
  const std::uint64_t h = hash_of(client_id, key);
  const std::lock_guard lock(mutex_);
  drop_expired(now_ms);
  const bool absent = ready_ && now_ms >= untracked_until_ && !may_hold(h);
  insert(h, expires_at_ms);
  if (absent) ++skipped_;
  return absent;
}

void idempotency_filter::add(std::string_view client_id, std::string_view key,
                             std::int64_t expires_at_ms) {
  const std::uint64_t h = hash_of(client_id, key);
  const std::lock_guard lock(mutex_);
  insert(h, expires_at_ms);
}

void idempotency_filter::mark_ready() {
  const std::lock_guard lock(mutex_);
  ready_ = true;
}

idempotency_filter_stats idempotency_filter::stats() const {
  const std::lock_guard lock(mutex_);
  return {ready_, keys_, bytes_, skipped_};
}

}  // namespace payorch::persistence
