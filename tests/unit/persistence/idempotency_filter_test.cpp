// The idempotency key filter (persistence/idempotency_filter.hpp): it may answer "maybe" for a
// fresh key, but never "certainly no record" for a key whose record could still be live.
#include "persistence/idempotency_filter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

namespace payorch::persistence {
namespace {

constexpr std::int64_t now = 1'700'000'000'000;
constexpr std::int64_t day = 24LL * 60 * 60 * 1000;

std::string key_of(int i) {
  return "key-" + std::to_string(i);
}

TEST(idempotency_filter, answers_maybe_until_the_stored_keys_are_in) {
  idempotency_filter filter;
  EXPECT_FALSE(filter.remember("client", "fresh", now + day, now));
  filter.add("client", "stored", now + day);
  filter.mark_ready();
  EXPECT_FALSE(filter.remember("client", "stored", now + day, now));
  EXPECT_FALSE(filter.remember("client", "fresh", now + day, now));  // remembered above
  EXPECT_TRUE(filter.remember("client", "new", now + day, now));
  EXPECT_FALSE(filter.remember("client", "new", now + day, now));
  EXPECT_TRUE(filter.remember("other-client", "new", now + day, now));  // keys are per client
  const auto stats = filter.stats();
  EXPECT_TRUE(stats.ready);
  EXPECT_EQ(stats.keys, 5u);  // "stored" twice: loaded, then remembered with a new expiry
  EXPECT_EQ(stats.skipped, 2u);
  EXPECT_GT(stats.bytes, 0u);
}

// Goal: across many frozen pieces, every key added is still known, and fresh keys are rarely
// mistaken for known ones.
TEST(idempotency_filter, never_forgets_a_key_across_frozen_pieces) {
  constexpr std::size_t piece_keys = 5000;
  idempotency_filter filter({.piece_keys = piece_keys});
  filter.mark_ready();
  constexpr int keys = 50'000;
  for (int i = 0; i < keys; ++i) filter.remember("client", key_of(i), now + day + i, now);
  for (int i = 0; i < keys; ++i)
    ASSERT_FALSE(filter.remember("client", key_of(i), now + day + i, now)) << i;
  int mistaken = 0;
  for (int i = keys; i < 2 * keys; ++i)
    if (!filter.remember("client", key_of(i), now + day, now)) ++mistaken;
  // About one false "maybe" in 1,000 per frozen piece, and a key is checked against all ~20.
  EXPECT_LT(mistaken, keys / 10) << mistaken;
  // Frozen pieces hold 2 bytes a key, the open piece at most 32.
  const auto stats = filter.stats();
  EXPECT_GE(stats.keys, static_cast<std::size_t>(2 * keys));
  EXPECT_LT(stats.bytes, stats.keys * 3 + 32 * piece_keys);
}

// Goal: a table that grows and a piece that freezes do so a few slots per insert, and every key
// is found at every step on the way: in the old table, the new one, the piece being frozen or
// the frozen one.
TEST(idempotency_filter, keys_are_found_while_tables_grow_and_pieces_freeze) {
  constexpr std::size_t piece_keys = 1500;
  idempotency_filter filter({.piece_keys = piece_keys});
  filter.mark_ready();
  constexpr int keys = 4 * static_cast<int>(piece_keys);
  std::size_t most_pieces = 0;
  for (int i = 0; i < keys; ++i) {
    filter.remember("client", key_of(i), now + day, now);  // rarely a false "maybe"
    // Every key so far, at every 61st insert, so each growth and freeze is met part way. A key
    // remembered again goes into the open piece once more, so pieces fill faster than 1,500.
    if (i % 61 != 0) continue;
    for (int j = 0; j <= i; ++j)
      ASSERT_FALSE(filter.remember("client", key_of(j), now + day, now)) << j << " after " << i;
    most_pieces = std::max(most_pieces, filter.stats().pieces);
  }
  EXPECT_GT(most_pieces, 10u);
}

TEST(idempotency_filter, a_piece_spans_a_bounded_stretch_of_expiries) {
  idempotency_filter filter({.piece_span_ms = 1000, .grace_ms = 0});
  filter.mark_ready();
  filter.add("client", "early", now + 10);
  filter.add("client", "late", now + 5000);  // starts a piece of its own
  // "early" expired, its piece goes; "late" lives on in the other.
  EXPECT_TRUE(filter.remember("client", "early", now + day, now + 10));
  EXPECT_FALSE(filter.remember("client", "late", now + day, now + 10));
}

// Goal: the load of stored keys (old expiries) and requests arriving meanwhile (new ones) fill
// pieces of their own, so neither splits the other's into one-key pieces.
TEST(idempotency_filter, loading_beside_requests_keeps_pieces_whole) {
  idempotency_filter filter;
  for (int i = 0; i < 1000; ++i) {
    filter.add("client", "stored-" + std::to_string(i), now + day / 2 + i);
    filter.remember("client", key_of(i), now + day, now);
  }
  filter.mark_ready();
  const auto stats = filter.stats();
  EXPECT_EQ(stats.keys, 2000u);
  EXPECT_EQ(stats.pieces, 2u);  // the loaded keys, frozen at mark_ready, and the requests'
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(filter.remember("client", "stored-" + std::to_string(i), now + day, now)) << i;
    ASSERT_FALSE(filter.remember("client", key_of(i), now + day, now)) << i;
  }
}

// Goal: expiries at the end of time do not overflow into "long gone".
TEST(idempotency_filter, an_expiry_at_the_end_of_time_is_kept) {
  idempotency_filter filter;
  filter.add("client", "forever", std::numeric_limits<std::int64_t>::max());
  filter.mark_ready();
  EXPECT_FALSE(filter.remember("client", "forever", now + day, now + 10 * day));
}

// Goal: a key is forgotten only once its expiry plus the grace has passed.
TEST(idempotency_filter, forgets_a_key_after_its_expiry_and_the_grace) {
  const std::int64_t grace = 60'000;
  idempotency_filter filter({.grace_ms = grace});
  filter.mark_ready();
  filter.add("client", "old", now);
  // Still held just before the grace ends, and remembered again with a later expiry...
  EXPECT_FALSE(filter.remember("client", "old", now + day, now + grace - 1));
  // ...which counts once the first one is gone.
  EXPECT_FALSE(filter.remember("client", "old", now + day, now + grace + 1));
  EXPECT_TRUE(filter.remember("client", "gone", now + 2 * day, now + day + grace));
  EXPECT_EQ(filter.stats().keys, 1u);  // only "gone" is left
  EXPECT_TRUE(filter.remember("client", "old", now + 3 * day, now + day + grace));
}

// Goal: past its memory bound the filter stops adding keys and answers "maybe" for every key
// until the keys it could not add have expired.
TEST(idempotency_filter, past_its_memory_bound_every_answer_is_maybe) {
  // The open piece's table doubles to 16 KiB at its 513th key, the old 8 KiB one searched
  // beside it until copied: no piece freezes (no false "maybe" to blur the test), and the
  // bound is reached.
  idempotency_filter filter({.piece_keys = 1000, .grace_ms = 0, .max_bytes = 16 * 1024});
  filter.mark_ready();
  for (int i = 0; filter.stats().bytes < 16 * 1024; ++i)
    ASSERT_TRUE(filter.remember("client", key_of(i), now + 100, now)) << i;
  EXPECT_TRUE(filter.remember("client", "unrecorded", now + 500, now));
  EXPECT_FALSE(filter.remember("client", "unrecorded", now + 500, now + 1));
  EXPECT_FALSE(filter.remember("client", "fresh", now + 500, now + 499));
  // Everything held and every key that could not be added have expired: answers resume.
  EXPECT_TRUE(filter.remember("client", "fresh-2", now + day, now + 500));
  EXPECT_FALSE(filter.remember("client", "fresh-2", now + day, now + 500));
  EXPECT_EQ(filter.stats().keys, 1u);
}

}  // namespace
}  // namespace payorch::persistence
