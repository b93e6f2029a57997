#include <toml++/toml.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

#include "config/key_table.hpp"

namespace payorch::config::detail {
namespace {

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

/// The part of a dotted key before its last dot, or empty at the top level.
std::string prefix_of(const std::string& key) {
  auto dot = key.rfind('.');
  return dot == std::string::npos ? std::string() : key.substr(0, dot);
}

/// `[name]`; built by appending, as GCC 12 warns falsely (-Wrestrict) on `"[" + std::string`.
std::string bracketed(std::string_view name) {
  std::string text = "[";
  text.append(name).append("]");
  return text;
}

/// The keys that may appear where an unknown one was found, to point at the likely typo.
std::string known_keys(const std::string& section) {
  std::vector<std::string> items;
  std::string_view last_section;
  for (const key_spec& spec : key_table()) {
    if (spec.section() == section) {
      items.emplace_back(spec.name());
    } else if (section.empty() && spec.section() != last_section) {
      items.push_back(bracketed(spec.section()));
    }
    last_section = spec.section();
  }
  std::string hint = section.empty() ? std::string("the top level") : bracketed(section);
  hint += " takes";
  for (std::size_t i = 0; i < items.size(); ++i) hint.append(i == 0 ? " " : ", ").append(items[i]);
  return hint;
}

/// Reads a whole file; the error names the path, since no key is at fault yet.
std::variant<std::string, config_error> read_file(const std::filesystem::path& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return config_error{path.string(), "config file cannot be opened: " + ec.message()};
  }
  if (!std::filesystem::exists(status)) {
    return config_error{path.string(), "config file not found"};
  }
  if (std::filesystem::is_directory(status)) {
    return config_error{path.string(), "is a directory, not a config file"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return config_error{path.string(),
                        "config file cannot be opened: " + std::generic_category().message(errno)};
  }
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return config_error{path.string(), "config file cannot be read"};
  return text;
}

class file_walker {
 public:
  file_walker(std::string path, settings& out) : path_(std::move(path)), out_(out) {}

  std::optional<config_error> walk(const toml::table& table, const std::string& prefix) {
    for (auto&& [name, node] : table) {
      std::string key =
          prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
      if (auto error = visit(key, name.source(), node)) return error;
    }
    return std::nullopt;
  }

 private:
  std::optional<config_error> visit(const std::string& key, const toml::source_region& at,
                                    const toml::node& node) {
    if (const key_spec* spec = find_key(key)) return apply_node(*spec, node);
    if (!is_section(key)) {
      return config_error{key, "unknown key (" + origin(at) + "); " + known_keys(prefix_of(key))};
    }
    if (const toml::table* section = node.as_table()) return walk(*section, key);
    return config_error{key, "must be a table (" + bracketed(key) + "), not " +
                                 std::string(type_name(node.type())) + " (" + origin(at) + ")"};
  }

  std::optional<config_error> apply_node(const key_spec& spec, const toml::node& node) {
    std::string where = origin(node.source());
    if (const auto* array = node.as_array()) {
      if (std::holds_alternative<table_list_rule>(spec.rule)) return apply_array(spec, *array);
    }
    if (const auto* number = node.as_integer()) {
      return apply_integer(spec, number->get(), where, out_);
    }
    if (const auto* text = node.as_string()) {
      if (std::holds_alternative<text_rule>(spec.rule)) {
        return apply_text(spec, text->get(), where, out_);
      }
    }
    return config_error{std::string(spec.key), "must be " + expected_of(spec) + ", not " +
                                                   std::string(type_name(node.type())) + " (" +
                                                   where + ")"};
  }

  /// Reads an array of tables whose fields are strings or arrays of strings.
  std::optional<config_error> apply_array(const key_spec& spec, const toml::array& array) {
    std::vector<table_item> items;
    for (const toml::node& element : array) {
      const toml::table* table = element.as_table();
      if (table == nullptr) {
        return config_error{std::string(spec.key), "must be " + expected_of(spec) +
                                                       ", not an array holding " +
                                                       std::string(type_name(element.type())) +
                                                       " (" + origin(element.source()) + ")"};
      }
      table_item item;
      item.origin = origin(table->source());
      for (auto&& [name, value] : *table) {
        auto field = field_of(value);
        if (!field) {
          return config_error{
              std::string(spec.key),
              std::string(name.str()) + " must be a string or an array of strings, not " +
                  std::string(type_name(value.type())) + " (" + origin(value.source()) + ")"};
        }
        item.fields.emplace_back(std::string(name.str()), std::move(*field));
      }
      items.push_back(std::move(item));
    }
    return apply_tables(spec, items, origin(array.source()), out_);
  }

  static std::optional<item_value> field_of(const toml::node& node) {
    if (const auto* text = node.as_string()) return item_value{text->get()};
    const auto* list = node.as_array();
    if (list == nullptr) return std::nullopt;
    std::vector<std::string> texts;
    for (const toml::node& element : *list) {
      const auto* text = element.as_string();
      if (text == nullptr) return std::nullopt;
      texts.push_back(text->get());
    }
    return item_value{std::move(texts)};
  }

  std::string origin(const toml::source_region& at) const {
    return "in " + path_ + " line " + std::to_string(at.begin.line);
  }

  std::string path_;
  settings& out_;
};

}  // namespace

std::optional<config_error> apply_file(const std::filesystem::path& path, settings& out) {
  auto text = read_file(path);
  if (auto* error = std::get_if<config_error>(&text)) return std::move(*error);
  toml::table document;
  try {
    // toml++ reports syntax errors by exception; this is the edge where they become values.
    document = toml::parse(std::get<std::string>(text), path.string());
  } catch (const toml::parse_error& error) {
    return config_error{path.string(), "not valid TOML: " + std::string(error.description()) +
                                           " (line " + std::to_string(error.source().begin.line) +
                                           ", column " +
                                           std::to_string(error.source().begin.column) + ")"};
  }
  return file_walker(path.string(), out).walk(document, "");
}

}  // namespace payorch::config::detail
