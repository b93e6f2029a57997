#pragma once
/// Seeded pseudo-random numbers: the same seed and call order always give the same values.

#include <cstdint>

namespace payorch::app::sandbox {

/// SplitMix64's finaliser: a well-mixed 64-bit function of `x` (stateless, so a value can be
/// computed for any index without the ones before it).
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// A SplitMix64 stream: one number per call, deterministic from the seed.
class seeded_stream {
 public:
  explicit seeded_stream(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    state_ += 0x9E3779B97F4A7C15ULL;
    return mix64(state_);
  }

  /// A number in 0..bound-1 (bound > 0); the modulo bias is below 2^-40 for the bounds used.
  std::uint64_t below(std::uint64_t bound) noexcept { return next() % bound; }

 private:
  std::uint64_t state_;
};

}  // namespace payorch::app::sandbox
