#include "domain/ids.hpp"

namespace payorch::detail {
namespace {
constexpr std::size_t hex_digits = 16;
constexpr std::string_view hex_alphabet = "0123456789abcdef";
}  // namespace

bool is_prefixed_hex16(std::string_view text, std::string_view prefix) noexcept {
  if (text.size() != prefix.size() + hex_digits || text.substr(0, prefix.size()) != prefix) {
    return false;
  }
  for (char c : text.substr(prefix.size())) {
    if (hex_alphabet.find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::optional<std::uint64_t> prefixed_hex16_bits(std::string_view text,
                                                 std::string_view prefix) noexcept {
  if (!is_prefixed_hex16(text, prefix)) return std::nullopt;
  std::uint64_t bits = 0;
  for (char c : text.substr(prefix.size()))
    bits = (bits << 4U) | static_cast<std::uint64_t>(hex_alphabet.find(c));
  return bits;
}

std::string prefixed_hex16(std::string_view prefix, std::uint64_t bits) {
  std::string out(prefix);
  out.resize(prefix.size() + hex_digits);
  for (std::size_t i = 0; i < hex_digits; ++i) {
    out[out.size() - 1 - i] = hex_alphabet[bits & 0xF];
    bits >>= 4;
  }
  return out;
}

}  // namespace payorch::detail

namespace payorch {

std::string hex_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(detail::hex_alphabet[b >> 4U]);
    out.push_back(detail::hex_alphabet[b & 0xFU]);
  }
  return out;
}

}  // namespace payorch
