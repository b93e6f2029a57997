#pragma once

/// The table of every settable key, shared by the loaders, `to_toml` and the tests.
///
/// Internal to the config library and its tests: other folders use `settings.hpp`. Each key
/// knows how to check a value and store it in `settings`, and how to read it back, so the file,
/// the environment, the flags and `to_toml` all agree on one definition per key.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/settings.hpp"

namespace payorch::config::detail {

/// A key whose value is a whole number within [floor, ceiling].
struct integer_rule {
  std::int64_t floor = 0;
  std::int64_t ceiling = 0;
  void (*set)(settings&, std::int64_t) = nullptr;
  std::int64_t (*get)(const settings&) = nullptr;
};

/// A key whose value is a string; `set` returns what is wrong with it, if anything.
struct text_rule {
  std::string_view expected;  // shown in errors, e.g. `"full" or "normal"`
  std::optional<std::string> (*set)(settings&, std::string_view) = nullptr;
  std::string (*get)(const settings&) = nullptr;
  /// A secret: `to_toml` says whether it is set but never prints it.
  bool secret = false;
  /// For a value that may hold a secret: what an error may echo of it.
  std::string (*redact)(std::string_view) = nullptr;
};

/// A field of one table in a list of tables: text, or a list of texts.
using item_value = std::variant<std::string, std::vector<std::string>>;

/// One table of a list of tables (`[[auth.clients]]`), read from the file without toml++ types.
struct table_item {
  std::vector<std::pair<std::string, item_value>> fields;  // in file order
  std::string origin;                                      // e.g. `in payorch.toml line 12`
};

/// A key holding a list of tables whose fields are texts or lists of texts; only the file can
/// set it (an environment variable cannot carry a list of tables).
struct table_list_rule {
  std::string_view expected;  // shown in errors, e.g. `[[auth.clients]] tables`
  /// Replaces the list; returns what is wrong with it, naming the item, if anything.
  std::optional<std::string> (*set)(settings&, std::span<const table_item>) = nullptr;
  /// The list as one line of TOML: an array of inline tables.
  std::string (*get)(const settings&) = nullptr;
};

/// One settable key: its dotted name, what it means, and its rule.
struct key_spec {
  std::string_view key;  // `section.name`, or `name` at the top level
  std::string_view description;
  std::variant<integer_rule, text_rule, table_list_rule> rule;
  /// A shorter environment variable that also sets this key (`PAYORCH_PROVIDERS`), or empty;
  /// `env_var()` overrides it when both are set.
  std::string_view env_alias = {};

  /// `PAYORCH_SECTION_NAME`: the environment variable that sets this key.
  std::string env_var() const;
  /// The part before the dot, or empty at the top level.
  std::string_view section() const;
  /// The part after the dot.
  std::string_view name() const;
};

/// Every key, top-level keys first, then each section's keys together, in documentation order.
std::span<const key_spec> key_table();

/// The key named `key`, or null.
const key_spec* find_key(std::string_view key);

/// Whether `name` is a section ([http], [actors], ...) of some key.
bool is_section(std::string_view name);

/// Checks a number from the file and stores it; `origin` says where it came from, for errors.
std::optional<config_error> apply_integer(const key_spec& spec, std::int64_t value,
                                          std::string_view origin, settings& out);

/// Checks text from the environment or a flag (parsing numbers for integer keys) and stores it.
std::optional<config_error> apply_text(const key_spec& spec, std::string_view text,
                                       std::string_view origin, settings& out);

/// Checks a list of tables from the file and stores it.
std::optional<config_error> apply_tables(const key_spec& spec, std::span<const table_item> items,
                                         std::string_view origin, settings& out);

/// What the value of `spec` must be, for type errors: `an integer`, `a string (...)`, ...
std::string expected_of(const key_spec& spec);

/// The rows of the `[providers]` section, in documentation order (provider_rules.cpp).
std::vector<key_spec> provider_keys();

/// The rows of the `[settlement]` section (settlement_rules.cpp).
std::vector<key_spec> settlement_keys();

/// What is wrong with a provider base URL, if anything: it must be `http://host[:port][/path]`.
std::optional<std::string> provider_url_problem(std::string_view url);

/// `text` (a URI of any scheme, or a libpq `keyword = value` string) with every secret replaced
/// by `***`: the password of a `user:password@`, and a `password` or `sslpassword` parameter.
/// What an error may echo of a storage string or of a URL that may hold one.
std::string without_password(std::string_view text);

/// The rules of the list keys (list_rules.cpp).
table_list_rule auth_clients_rule();
table_list_rule fx_rates_rule();

/// What is wrong with a scope a client may be given, if anything (`*`, `operator`,
/// `crowdpod:{pod_id|*}:{read|write|admin}`).
std::optional<std::string> scope_problem(std::string_view scope);

/// Checks the keys that depend on each other, once every source is applied.
std::optional<config_error> check_together(const settings& value);

/// Parses `HOST:PORT` or `[IPV6]:PORT`; on failure, what is wrong with it.
std::variant<listen_address, std::string> parse_listen_address(std::string_view text);

/// Reads the TOML file at `path` into `out`, key by key; the only user of toml++.
std::optional<config_error> apply_file(const std::filesystem::path& path, settings& out);

/// `text` as a TOML basic string, quotes included, with control characters escaped.
std::string quote_toml(std::string_view text);

}  // namespace payorch::config::detail
