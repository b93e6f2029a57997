#include "domain/utf8.hpp"

#include <cstdint>

namespace payorch {

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

namespace {

/// The length of the UTF-8 sequence led by `lead` and the smallest code point it may encode.
bool sequence_shape(unsigned char lead, std::size_t& length, std::uint32_t& minimum) {
  if (lead < 0x80U) {
    length = 1;
    minimum = 0;
  } else if ((lead & 0xe0U) == 0xc0U) {
    length = 2;
    minimum = 0x80;
  } else if ((lead & 0xf0U) == 0xe0U) {
    length = 3;
    minimum = 0x800;
  } else if ((lead & 0xf8U) == 0xf0U) {
    length = 4;
    minimum = 0x10000;
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool is_utf8_text(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead == 0) return false;
    std::size_t length = 0;
    std::uint32_t minimum = 0;
    if (!sequence_shape(lead, length, minimum) || i + length > text.size()) return false;
    std::uint32_t code = length == 1 ? lead : lead & (0x7fU >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0U) != 0x80U) return false;
      code = (code << 6U) | (next & 0x3fU);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if (code < minimum || code > 0x10ffffU || (code >= 0xd800U && code <= 0xdfffU)) return false;
    i += length;
  }
  return true;
}

}  // namespace payorch
