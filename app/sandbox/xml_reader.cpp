#include "app/sandbox/xml_reader.hpp"

#include <cstdint>

#include "domain/utf8.hpp"

namespace payorch::app::sandbox {
namespace {

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

class xml_parser {
 public:
  explicit xml_parser(std::string_view text) : s_(text) {}

  xml_parse_result run() {
    xml_parse_result out;
    if (s_.starts_with("\xEF\xBB\xBF")) at_ = 3;  // a UTF-8 byte order mark
    if (!skip_misc()) return failed();
    if (at_ >= s_.size() || s_[at_] != '<') return fail_with("expected the root element");
    xml_element root;
    if (!element(root, 1)) return failed();
    if (!skip_misc()) return failed();
    if (at_ != s_.size()) return fail_with("unexpected content after the root element");
    out.root = std::move(root);
    return out;
  }

 private:
  xml_parse_result fail_with(std::string why) {
    error_ = std::move(why);
    return failed();
  }
  xml_parse_result failed() {
    xml_parse_result out;
    out.error = error_ + " at offset " + std::to_string(at_);
    return out;
  }
  bool fail(std::string why) {
    error_ = std::move(why);
    return false;
  }

  bool consume(std::string_view token) {
    if (!s_.substr(at_).starts_with(token)) return false;
    at_ += token.size();
    return true;
  }

  /// Skips text up to and including `end`; false when it never comes.
  bool skip_past(std::string_view end, const char* what) {
    auto found = s_.find(end, at_);
    if (found == std::string_view::npos) return fail(std::string("unterminated ") + what);
    at_ = found + end.size();
    return true;
  }

  /// Whitespace, comments and processing instructions outside the root; a DOCTYPE is refused.
  bool skip_misc() {
    while (true) {
      while (at_ < s_.size() && is_space(s_[at_])) ++at_;
      if (consume("<?")) {
        if (!skip_past("?>", "processing instruction")) return false;
      } else if (consume("<!--")) {
        if (!skip_past("-->", "comment")) return false;
      } else if (s_.substr(at_).starts_with("<!")) {
        return fail("DOCTYPE and other declarations are not accepted");
      } else {
        return true;
      }
    }
  }

  bool name(std::string& out) {
    if (at_ >= s_.size() || !is_name_start(s_[at_])) return fail("expected a name");
    const auto start = at_;
    while (at_ < s_.size() && is_name_char(s_[at_])) ++at_;
    out.assign(s_.substr(start, at_ - start));
    return true;
  }

  static std::string local(const std::string& qualified) {
    auto colon = qualified.rfind(':');
    return colon == std::string::npos ? qualified : qualified.substr(colon + 1);
  }

  /// Decodes one reference after '&'.
  bool reference(std::string& out) {
    auto semi = s_.find(';', at_);
    if (semi == std::string_view::npos || semi - at_ > 10) return fail("malformed reference");
    auto ref = s_.substr(at_, semi - at_);
    at_ = semi + 1;
    if (ref == "lt") return out.push_back('<'), true;
    if (ref == "gt") return out.push_back('>'), true;
    if (ref == "amp") return out.push_back('&'), true;
    if (ref == "quot") return out.push_back('"'), true;
    if (ref == "apos") return out.push_back('\''), true;
    if (ref.size() < 2 || ref[0] != '#') return fail("unknown entity");
    const bool hex = ref[1] == 'x';
    auto digits = ref.substr(hex ? 2 : 1);
    if (digits.empty()) return fail("malformed character reference");
    std::uint32_t value = 0;
    for (char c : digits) {
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0 || value > 0x10FFFF) return fail("malformed character reference");
      value = value * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
    }
    if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
      return fail("character reference out of range");
    append_utf8(out, static_cast<char32_t>(value));
    return true;
  }

  bool attributes(xml_element& e) {
    while (true) {
      const auto before = at_;
      while (at_ < s_.size() && is_space(s_[at_])) ++at_;
      if (at_ >= s_.size()) return fail("unterminated start tag");
      if (s_[at_] == '>' || s_[at_] == '/') return true;
      if (at_ == before) return fail("expected whitespace before an attribute");
      std::string key;
      if (!name(key)) return false;
      while (at_ < s_.size() && is_space(s_[at_])) ++at_;
      if (!consume("=")) return fail("expected '=' after attribute " + key);
      while (at_ < s_.size() && is_space(s_[at_])) ++at_;
      if (at_ >= s_.size() || (s_[at_] != '"' && s_[at_] != '\''))
        return fail("attribute values must be quoted");
      const char quote = s_[at_++];
      std::string value;
      while (at_ < s_.size() && s_[at_] != quote) {
        const char c = s_[at_++];
        if (c == '<') return fail("'<' in an attribute value");
        if (c == '&') {
          if (!reference(value)) return false;
        } else {
          value.push_back(c);
        }
      }
      if (!consume(std::string_view(&quote, 1))) return fail("unterminated attribute value");
      if (e.attribute(key) != nullptr) return fail("duplicate attribute " + key);
      e.attributes.emplace_back(std::move(key), std::move(value));
    }
  }

  /// Reads the content up to the end tag of `qualified`.
  bool content(xml_element& e, const std::string& qualified, std::size_t depth) {
    while (at_ < s_.size()) {
      const char c = s_[at_];
      if (c == '&') {
        ++at_;
        if (!reference(e.text)) return false;
      } else if (c != '<') {
        if (c == '>' && s_.substr(at_ >= 2 ? at_ - 2 : 0).starts_with("]]>"))
          return fail("']]>' in text");
        e.text.push_back(c);
        ++at_;
      } else if (consume("<!--")) {
        if (!skip_past("-->", "comment")) return false;
      } else if (consume("<![CDATA[")) {
        auto end = s_.find("]]>", at_);
        if (end == std::string_view::npos) return fail("unterminated CDATA section");
        e.text.append(s_.substr(at_, end - at_));
        at_ = end + 3;
      } else if (consume("<?")) {
        if (!skip_past("?>", "processing instruction")) return false;
      } else if (consume("</")) {
        std::string closing;
        if (!name(closing)) return false;
        if (closing != qualified)
          return fail("</" + closing + "> does not close <" + qualified + ">");
        while (at_ < s_.size() && is_space(s_[at_])) ++at_;
        if (!consume(">")) return fail("malformed end tag");
        return true;
      } else if (s_.substr(at_).starts_with("<!")) {
        return fail("declarations are not accepted inside elements");
      } else {
        e.children.emplace_back();
        if (!element(e.children.back(), depth + 1)) return false;
      }
    }
    return fail("unterminated element <" + qualified + ">");
  }

  bool element(xml_element& e, std::size_t depth) {
    if (depth > xml_max_depth) return fail("elements nest too deep");
    if (++elements_ > xml_max_elements) return fail("too many elements");
    if (!consume("<")) return fail("expected '<'");
    std::string qualified;
    if (!name(qualified)) return false;
    e.name = local(qualified);
    if (!attributes(e)) return false;
    if (consume("/>")) return true;
    if (!consume(">")) return fail("malformed start tag");
    return content(e, qualified, depth);
  }

  std::string_view s_;
  std::size_t at_ = 0;
  std::size_t elements_ = 0;
  std::string error_;
};

}  // namespace

const xml_element* xml_element::child(std::string_view local_name) const {
  for (const auto& c : children)
    if (c.name == local_name) return &c;
  return nullptr;
}

std::size_t xml_element::count(std::string_view local_name) const {
  std::size_t n = 0;
  for (const auto& c : children) n += c.name == local_name ? 1 : 0;
  return n;
}

const std::string* xml_element::attribute(std::string_view key) const {
  for (const auto& [k, v] : attributes)
    if (k == key) return &v;
  return nullptr;
}

xml_parse_result parse_xml(std::string_view text) {
  return xml_parser(text).run();
}

}  // namespace payorch::app::sandbox
