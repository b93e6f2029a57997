#include <cstdio>

#include "config/key_table.hpp"

namespace payorch::config {
namespace detail {

std::string quote_toml(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\b':
        quoted += "\\b";
        break;
      case '\t':
        quoted += "\\t";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\f':
        quoted += "\\f";
        break;
      case '\r':
        quoted += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(c));
          quoted += escaped;
        } else {
          quoted += c;  // bytes of UTF-8 sequences pass through unchanged
        }
    }
  }
  return quoted + "\"";
}

}  // namespace detail

namespace {

std::string value_of(const detail::key_spec& spec, const settings& value) {
  if (const auto* rule = std::get_if<detail::integer_rule>(&spec.rule)) {
    return std::to_string(rule->get(value));
  }
  if (const auto* rule = std::get_if<detail::table_list_rule>(&spec.rule)) return rule->get(value);
  return detail::quote_toml(std::get<detail::text_rule>(spec.rule).get(value));
}

/// True for a secret that is set: its line is replaced by a comment saying so.
bool hidden(const detail::key_spec& spec, const settings& value) {
  const auto* rule = std::get_if<detail::text_rule>(&spec.rule);
  return rule != nullptr && rule->secret && !rule->get(value).empty();
}

/// ` (floor to ceiling)` for an integer key, so the printed settings show what may change.
std::string range_of(const detail::key_spec& spec) {
  const auto* rule = std::get_if<detail::integer_rule>(&spec.rule);
  if (rule == nullptr) return {};
  return " (" + std::to_string(rule->floor) + " to " + std::to_string(rule->ceiling) + ")";
}

}  // namespace

std::string to_toml(const settings& value) {
  std::string text =
      "# payorch settings in effect; every key is documented in payorch.example.toml\n";
  std::string_view section;
  for (const detail::key_spec& spec : detail::key_table()) {
    if (spec.section() != section) {
      section = spec.section();
      text += "\n[" + std::string(section) + "]\n";
    }
    text += "# " + std::string(spec.description) + range_of(spec) + "\n";
    if (hidden(spec, value)) {
      // `payorch config` output ends up in tickets and chats; a signing key must not.
      text += "# " + std::string(spec.name()) + " is set (" +
              std::to_string(std::get<detail::text_rule>(spec.rule).get(value).size()) +
              " bytes) and not shown\n";
      continue;
    }
    text += std::string(spec.name()) + " = " + value_of(spec, value) + "\n";
  }
  return text;
}

}  // namespace payorch::config
