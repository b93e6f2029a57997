#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "config/key_table.hpp"
#include "config_test_support.hpp"

namespace payorch::config {
namespace {

using test::load_text;
using test::loaded;

settings unusual_settings() {
  settings s;
  s.listen = {"::1", 9443};
  s.data_dir = "/tmp/we\"ird\\dir\twith données";
  s.max_body_bytes = limits::max_body_bytes_ceiling;
  s.max_header_bytes = limits::max_header_bytes_floor;
  s.max_header_count = 9;
  s.request_timeout_ms = 100;
  s.keep_alive_timeout_ms = 600000;
  s.io_threads = 64;
  s.actor_threads = 2;
  s.entity_idle_timeout_ms = 1000;
  s.supervisor_max_restarts = 0;
  s.supervisor_restart_window_ms = 3600000;
  s.journal_max_batch_appends = 1;
  s.journal_max_wait_us = 0;
  s.journal_synchronous_full = false;
  s.snapshot_every_events = 1000000;
  s.log_level = "error";
  s.log_format = "text";
  return s;
}

/// The `section.name` of every uncommented `name = value` line of a TOML text.
std::set<std::string> keys_set_in(const std::string& text) {
  std::set<std::string> keys;
  std::istringstream lines(text);
  std::string line;
  std::string section;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    std::string key = section.empty() ? std::string() : section + ".";
    key += line.substr(0, line.find(" = "));
    keys.insert(key);
  }
  return keys;
}

std::set<std::string> every_key() {
  std::set<std::string> keys;
  for (const auto& spec : detail::key_table()) keys.insert(std::string(spec.key));
  return keys;
}

std::string read_example() {
  std::ifstream in(PAYORCH_CONFIG_EXAMPLE);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Goal: the defaults printed by to_toml load back to the defaults.
TEST(to_toml, defaults_round_trip) {
  EXPECT_EQ(loaded(load_text(to_toml(settings{}))), settings{});
}

// Goal: every key at an unusual value, with a path that needs escaping, loads back unchanged.
TEST(to_toml, unusual_settings_round_trip) {
  settings original = unusual_settings();
  ASSERT_NE(original, settings{});
  EXPECT_EQ(loaded(load_text(to_toml(original))), original);
}

// Goal: to_toml writes every key exactly once, with IPv6 in brackets.
TEST(to_toml, writes_every_key) {
  std::string text = to_toml(unusual_settings());
  EXPECT_EQ(keys_set_in(text), every_key());
  EXPECT_NE(text.find("listen = \"[::1]:9443\""), std::string::npos) << text;
  EXPECT_NE(text.find("synchronous = \"normal\""), std::string::npos) << text;
  EXPECT_NE(text.find("(1024 to 67108864)\nmax_body_bytes = "), std::string::npos) << text;
}

// Goal: the example file sets every key, and to the default value.
TEST(example_file, documents_every_key_with_its_default) {
  std::string text = read_example();
  ASSERT_FALSE(text.empty()) << "cannot read " << PAYORCH_CONFIG_EXAMPLE;
  EXPECT_EQ(keys_set_in(text), every_key());
  EXPECT_EQ(loaded(load_settings(PAYORCH_CONFIG_EXAMPLE, {}, {})), settings{});
}

// Goal: the key table lists top-level keys first and each section's keys together, once each,
// since to_toml relies on that order to write valid TOML.
TEST(key_table, order_and_names_suit_to_toml) {
  std::set<std::string_view> closed_sections;
  std::string_view section;
  std::set<std::string_view> names;
  for (const auto& spec : detail::key_table()) {
    EXPECT_TRUE(names.insert(spec.key).second) << "duplicate " << spec.key;
    if (spec.section() != section) {
      EXPECT_FALSE(spec.section().empty()) << spec.key << " comes after a section";
      EXPECT_TRUE(closed_sections.insert(section).second) << "split section " << spec.section();
      section = spec.section();
    }
    EXPECT_FALSE(spec.description.empty()) << spec.key;
  }
  EXPECT_FALSE(closed_sections.count(section)) << "split section " << section;
}

// Goal: environment variable names follow PAYORCH_<SECTION>_<KEY>.
TEST(key_table, env_var_names) {
  EXPECT_EQ(detail::find_key("listen")->env_var(), "PAYORCH_LISTEN");
  EXPECT_EQ(detail::find_key("data_dir")->env_var(), "PAYORCH_DATA_DIR");
  EXPECT_EQ(detail::find_key("http.max_body_bytes")->env_var(), "PAYORCH_HTTP_MAX_BODY_BYTES");
  EXPECT_EQ(detail::find_key("actors.threads")->env_var(), "PAYORCH_ACTORS_THREADS");
  EXPECT_EQ(detail::find_key("no.such_key"), nullptr);
  EXPECT_TRUE(detail::is_section("journal"));
  EXPECT_FALSE(detail::is_section("listen"));
  EXPECT_FALSE(detail::is_section(""));
}

// Goal: quote_toml escapes what TOML requires and passes UTF-8 through.
TEST(to_toml, quote_escapes) {
  EXPECT_EQ(detail::quote_toml("plain"), "\"plain\"");
  EXPECT_EQ(detail::quote_toml("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(detail::quote_toml("\t\n\r\b\f"), R"("\t\n\r\b\f")");
  EXPECT_EQ(detail::quote_toml(std::string_view("\x00\x1f\x7f", 3)), R"("\u0000\u001f\u007f")");
  EXPECT_EQ(detail::quote_toml("données"), "\"données\"");
}

}  // namespace
}  // namespace payorch::config
