#include "gateway/json_output.hpp"

#include <charconv>

#include "domain/utf8.hpp"

namespace payorch::gateway {

namespace {

/// The length of the UTF-8 sequence that starts at `at`, or 0 if the bytes there are not one.
std::size_t utf8_sequence(std::string_view v, std::size_t at) {
  const auto lead = static_cast<unsigned char>(v[at]);
  const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (length == 0 || at + length > v.size()) return 0;
  return is_utf8_text(v.substr(at, length)) ? length : 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view v) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t at = 0; at < v.size(); ++at) {
    const auto c = static_cast<unsigned char>(v[at]);
    if (c >= 0x80) {
      // JSON text is UTF-8 (RFC 8259): bytes that are not (a path segment echoed in an error,
      // say) become U+FFFD each, so the document stays valid.
      if (const std::size_t length = utf8_sequence(v, at); length != 0) {
        out.append(v.substr(at, length));
        at += length - 1;
      } else {
        out += "\xEF\xBF\xBD";  // U+FFFD
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void json_writer::separate() {
  if (need_comma_) out_.push_back(',');
  need_comma_ = true;
}

json_writer& json_writer::begin_object() {
  separate();
  out_.push_back('{');
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::end_object() {
  out_.push_back('}');
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::begin_array() {
  separate();
  out_.push_back('[');
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::end_array() {
  out_.push_back(']');
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::key(std::string_view k) {
  separate();
  append_json_string(out_, k);
  out_.push_back(':');
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::string(std::string_view v) {
  separate();
  append_json_string(out_, v);
  return *this;
}

json_writer& json_writer::integer(std::int64_t v) {
  separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out_.append(buf, end);
  return *this;
}

json_writer& json_writer::boolean(bool v) {
  separate();
  out_ += v ? "true" : "false";
  return *this;
}

json_writer& json_writer::null() {
  separate();
  out_ += "null";
  return *this;
}

json_writer& json_writer::raw_number(std::string_view text) {
  separate();
  out_.append(text);
  return *this;
}

}  // namespace payorch::gateway
