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
  s.journal_max_wait_us = 750;
  s.journal_synchronous_full = false;
  s.snapshot_every_events = 1000000;
  s.log_level = "error";
  s.log_format = "text";
  s.auth_issuer = "https://id.example/\"quoted\"";
  s.auth_audience = "pods api";
  s.auth_token_ttl_s = limits::token_ttl_s_ceiling;
  s.auth_leeway_s = 0;
  s.auth_clients = {{"ops",
                     "pbkdf2-sha256$10000$c2FsdHNhbHRzYWx0c2FsdA==$" + std::string(43, 'A') + "=",
                     {"crowdpod:*:admin", "operator"}},
                    {"reader.1",
                     "pbkdf2-sha256$600000$c2FsdHNhbHRzYWx0c2FsdA==$" + std::string(43, 'B') + "=",
                     {"crowdpod:pod_0123456789abcdef:read"}}};
  s.fx_rates = {{"EUR", "USD", "1.0842"}, {"USD", "JPY", "151.5"}};
  // auth.algorithm stays ES256 and hs256_secret empty: a set secret is not printed, so HS256
  // settings cannot round-trip (hides_the_hs256_secret checks that).
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

// Goal: a set HS256 secret is never printed; its line says it is set and how long it is.
TEST(to_toml, hides_the_hs256_secret) {
  settings s = unusual_settings();
  s.auth_hs256_secret = "a-very-secret-key-of-thirty-two-bytes!";
  std::string text = to_toml(s);
  EXPECT_EQ(text.find(s.auth_hs256_secret), std::string::npos) << text;
  EXPECT_NE(text.find("# hs256_secret is set (38 bytes) and not shown\n"), std::string::npos)
      << text;
  EXPECT_TRUE(loaded(load_text(text)).auth_hs256_secret.empty());
  EXPECT_NE(to_toml(settings{}).find("hs256_secret = \"\"\n"), std::string::npos);
  // Printed HS256 settings say plainly what is missing when loaded back.
  s.auth_algorithm = "HS256";
  test::expect_error(load_text(to_toml(s)), "auth.hs256_secret", "must be set");
}

// Goal: the lists of tables are written as one-line arrays of inline tables.
TEST(to_toml, writes_lists_of_tables_on_one_line) {
  std::string text = to_toml(unusual_settings());
  EXPECT_NE(text.find("rates = [{ base = \"EUR\", quote = \"USD\", rate = \"1.0842\" }, "
                      "{ base = \"USD\", quote = \"JPY\", rate = \"151.5\" }]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("clients = [{ id = \"ops\", "), std::string::npos) << text;
  EXPECT_NE(to_toml(settings{}).find("\nclients = []\n"), std::string::npos);
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
