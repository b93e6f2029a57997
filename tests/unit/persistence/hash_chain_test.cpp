// Tests of the event hash: its fixed encoding and that every covered field matters.
#include "persistence/hash_chain.hpp"

#include <gtest/gtest.h>

#include <string>

namespace payorch::persistence {
namespace {

hashed_fields sample() {
  return {genesis_hash, "pay-1", 1, "payment_created", 1700000000000, R"({"amount_minor":1250})"};
}

// Goal: the encoding is pinned, so journals written today still verify after a rebuild.
TEST(event_hash, matches_the_pinned_vector) {
  EXPECT_EQ(event_hash(sample()),
            "33f482fd978a6f31a083c7c2ce853b8da9c6d48343814598437cd771ca24626c");
}

// Goal: the genesis link is 64 '0' characters and a hash is 64 lowercase hex characters.
TEST(event_hash, has_the_documented_shape) {
  EXPECT_EQ(genesis_hash, std::string(64, '0'));
  const std::string hash = event_hash(sample());
  ASSERT_EQ(hash.size(), 64U);
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
}

// Goal: changing any covered field (wrong input to a verifier) changes the hash.
TEST(event_hash, covers_every_field) {
  const std::string base = event_hash(sample());
  const std::string other_prev = std::string(63, '0') + "1";  // must outlive the view below
  hashed_fields changed = sample();
  changed.prev_hash = other_prev;
  EXPECT_NE(event_hash(changed), base);
  changed = sample();
  changed.stream_id = "pay-2";
  EXPECT_NE(event_hash(changed), base);
  changed = sample();
  changed.version = 2;
  EXPECT_NE(event_hash(changed), base);
  changed = sample();
  changed.event_type = "payment_settled";
  EXPECT_NE(event_hash(changed), base);
  changed = sample();
  changed.recorded_at_ms = 1700000000001;
  EXPECT_NE(event_hash(changed), base);
  changed = sample();
  changed.payload = R"({"amount_minor":1251})";
  EXPECT_NE(event_hash(changed), base);
}

// Goal: moving bytes between neighbouring fields cannot produce the same hash (length prefixes).
TEST(event_hash, field_boundaries_are_unambiguous) {
  hashed_fields left = sample();
  left.stream_id = "ab";
  left.event_type = "c";
  hashed_fields right = sample();
  right.stream_id = "a";
  right.event_type = "bc";
  EXPECT_NE(event_hash(left), event_hash(right));
}

// Goal: empty fields and binary bytes hash deterministically.
TEST(event_hash, handles_empty_and_binary_fields) {
  // hashed_fields only views its strings, so the bytes must outlive it.
  const std::string binary("\0\xff\x01", 3);
  const std::string other_binary("\0\xff\x02", 3);
  const hashed_fields fields{genesis_hash, "", 0, "", 0, binary};
  EXPECT_EQ(event_hash(fields), event_hash(fields));
  hashed_fields other = fields;
  other.payload = other_binary;
  EXPECT_NE(event_hash(fields), event_hash(other));
}

}  // namespace
}  // namespace payorch::persistence
