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

int hex_digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out(text.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit_value(text[2 * i]);
    const int lo = hex_digit_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

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
