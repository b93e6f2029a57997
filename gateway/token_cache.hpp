#pragma once
/// Verified bearer tokens, so a token's signature is checked once rather than on every request.
///
/// Keyed by the token's full text (a different text is a different token; no hash collisions to
/// reason about). An entry is used only while the token would still verify (before its `exp`
/// plus the leeway). Bounded: when full, expired entries are dropped, and if none were, all of
/// them (each live token is verified again on its next use, which is cheap enough to be rare).
/// Thread-safe; the lock covers one hash lookup and a shared_ptr copy.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gateway/auth.hpp"

namespace payorch::gateway {

class token_cache {
 public:
  explicit token_cache(std::size_t capacity) : capacity_(capacity) {}

  /// The principal of `token` if it was verified and is still valid at `now_s`, else null.
  std::shared_ptr<const principal> find(std::string_view token, std::int64_t now_s) const;

  /// Remembers `token` as verified until `valid_until_s` (exclusive); `now_s` tells which
  /// entries have expired when room must be made.
  void insert(std::string_view token, std::shared_ptr<const principal> who,
              std::int64_t valid_until_s, std::int64_t now_s);

  std::size_t size() const;

 private:
  struct entry {
    std::shared_ptr<const principal> who;
    std::int64_t valid_until_s = 0;
  };
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry, text_hash, std::equal_to<>> entries_;
};

}  // namespace payorch::gateway
