#pragma once
/// UTF-8: encoding one code point, for code that decodes text and writes it back, and checking
/// text.

#include <string>
#include <string_view>

namespace payorch {

/// Appends the UTF-8 encoding of code point `c` (at most U+10FFFF) to `out`.
void append_utf8(std::string& out, char32_t c);

/// True if `text` is valid UTF-8 (no overlong forms, surrogates or values past U+10FFFF) and
/// holds no NUL: what a text column of both journal stores takes and measures alike.
bool is_utf8_text(std::string_view text);

}  // namespace payorch
