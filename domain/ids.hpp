#pragma once
/// Strongly typed identifiers: a type-specific prefix followed by 16 lower-case hex digits.

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "domain/fwd.hpp"
#include "domain/result.hpp"

namespace payorch {

/// The bytes of `bytes` as lower-case hex, two digits each (digests, random ids, key material).
std::string hex_encode(std::string_view bytes);
/// The bytes spelled by `text`, two hex digits each (either case); nullopt for an odd length or
/// another character.
std::optional<std::string> hex_decode(std::string_view text);
/// The value of one hex digit (either case), or -1.
int hex_digit_value(char c) noexcept;

namespace detail {
/// True when `text` is `prefix` followed by exactly 16 characters of [0-9a-f].
bool is_prefixed_hex16(std::string_view text, std::string_view prefix) noexcept;
/// `prefix` followed by the 16 lower-case hex digits of `bits`.
std::string prefixed_hex16(std::string_view prefix, std::uint64_t bits);
/// The bits `prefixed_hex16(prefix, bits)` spelled `text`; nullopt unless is_prefixed_hex16.
std::optional<std::uint64_t> prefixed_hex16_bits(std::string_view text,
                                                 std::string_view prefix) noexcept;
}  // namespace detail

/// An identifier of the kind named by Tag, whose `static constexpr std::string_view prefix`
/// starts every valid value (e.g. "pay_3f9a0c1d2e4b5a69").
///
/// Distinct tags make distinct types, so a payment id cannot be passed where a pod id is
/// expected. A default-constructed id is empty and invalid; it exists for containers and
/// deserialisers only.
template <class Tag>
class strong_id {
 public:
  static constexpr std::string_view prefix = Tag::prefix;

  strong_id() = default;

  /// The id spelled by `text`; invalid_id unless it is the prefix plus 16 lower-case hex digits.
  static result<strong_id> parse(std::string_view text) {
    if (!detail::is_prefixed_hex16(text, prefix)) {
      return fail(errc::invalid_id,
                  "expected \"" + std::string(prefix) + "\" followed by 16 lower-case hex digits");
    }
    return strong_id{std::string(text)};
  }

  /// The id for 64 random bits (the caller owns the randomness, so tests stay deterministic).
  static strong_id from_random(std::uint64_t bits) {
    return strong_id{detail::prefixed_hex16(prefix, bits)};
  }

  const std::string& str() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  friend bool operator==(const strong_id&, const strong_id&) = default;
  friend auto operator<=>(const strong_id&, const strong_id&) = default;

 private:
  explicit strong_id(std::string value) : value_(std::move(value)) {}

  std::string value_;
};

struct pod_tag {
  static constexpr std::string_view prefix = "pod_";
};
struct payment_tag {
  static constexpr std::string_view prefix = "pay_";
};
struct pledge_tag {
  static constexpr std::string_view prefix = "plg_";
};
struct payout_tag {
  static constexpr std::string_view prefix = "pout_";
};
struct event_tag {
  static constexpr std::string_view prefix = "evt_";
};
struct saga_tag {
  static constexpr std::string_view prefix = "saga_";
};
struct campaign_tag {
  static constexpr std::string_view prefix = "cmp_";
};

// The aliases (pod_id, payment_id, ...) are declared once, in domain/fwd.hpp.

}  // namespace payorch

template <class Tag>
struct std::hash<payorch::strong_id<Tag>> {
  std::size_t operator()(const payorch::strong_id<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
