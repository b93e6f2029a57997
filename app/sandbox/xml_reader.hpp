#pragma once
/// A small, strict XML reader for the rail's pacs.008 documents: elements, attributes, text,
/// comments, processing instructions and CDATA, and nothing that could reach outside the text.
///
/// Element names lose their namespace prefix (`<p:MsgId>` is `MsgId`); attribute names are kept
/// as written. Entity references are the five predefined ones and numeric character references;
/// a DOCTYPE is refused (so no entity can expand or load anything). Depth and element count are
/// bounded. Well-formedness is checked: matching tags, one root, unique attributes, quoted
/// attribute values, no stray `&` or `<`.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace payorch::app::sandbox {

struct xml_element {
  std::string name;  ///< the local name
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;  ///< the character data directly inside, concatenated, entities decoded
  std::vector<xml_element> children;

  /// The first child named `local_name`, or nullptr.
  const xml_element* child(std::string_view local_name) const;
  /// How many children are named `local_name`.
  std::size_t count(std::string_view local_name) const;
  /// The value of the attribute named `key` exactly, or nullptr.
  const std::string* attribute(std::string_view key) const;
};

/// Bounds that keep a hostile document cheap.
inline constexpr std::size_t xml_max_depth = 32;
inline constexpr std::size_t xml_max_elements = 10'000;

/// Exactly one of `root` and `error` is set; `error` ends with " at offset N".
struct xml_parse_result {
  std::optional<xml_element> root;
  std::string error;
};

xml_parse_result parse_xml(std::string_view text);

}  // namespace payorch::app::sandbox
