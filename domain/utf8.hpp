#pragma once
/// UTF-8 encoding of one code point, for code that decodes text and writes it back.

#include <string>

namespace payorch {

/// Appends the UTF-8 encoding of code point `c` (at most U+10FFFF) to `out`.
void append_utf8(std::string& out, char32_t c);

}  // namespace payorch
