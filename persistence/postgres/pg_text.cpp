#include "persistence/postgres/pg_text.hpp"

namespace payorch::persistence::postgres {
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

bool storable_text(std::string_view text) {
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

std::string text_array(const std::vector<std::string_view>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string int_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(values[i]);
  }
  out += '}';
  return out;
}

std::string like_prefix(std::string_view prefix) {
  std::string out;
  out.reserve(prefix.size() + 1);
  for (const char c : prefix) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

}  // namespace payorch::persistence::postgres
