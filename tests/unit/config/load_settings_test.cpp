#include <gtest/gtest.h>
#include <stdlib.h>

#include "config/settings.hpp"
#include "config_test_support.hpp"

namespace payorch::config {
namespace {

using test::expect_error;
using test::load_env;
using test::load_text;
using test::loaded;
using test::temp_dir;

constexpr std::string_view every_key_file = R"(
listen = "0.0.0.0:9090"
data_dir = "/srv/payorch"

[http]
max_body_bytes = 2048
max_header_bytes = 16384
max_header_count = 50
request_timeout_ms = 1500
keep_alive_timeout_ms = 2500
io_threads = 2

[actors]
threads = 3
entity_idle_timeout_ms = 120000
max_restarts = 0
restart_window_ms = 500

[journal]
max_batch_appends = 64
max_wait_us = 150
synchronous = "normal"
snapshot_every = 7

[log]
level = "debug"
format = "json"

[auth]
issuer = "https://auth.example"
audience = "pods"
token_ttl_s = 600
leeway_s = 5
algorithm = "HS256"
hs256_secret = "0123456789abcdef0123456789abcdef"
)";

environment every_key_env() {
  return {
      {"PAYORCH_LISTEN", "0.0.0.0:9090"},
      {"PAYORCH_DATA_DIR", "/srv/payorch"},
      {"PAYORCH_HTTP_MAX_BODY_BYTES", "2048"},
      {"PAYORCH_HTTP_MAX_HEADER_BYTES", "16384"},
      {"PAYORCH_HTTP_MAX_HEADER_COUNT", "50"},
      {"PAYORCH_HTTP_REQUEST_TIMEOUT_MS", "1500"},
      {"PAYORCH_HTTP_KEEP_ALIVE_TIMEOUT_MS", "2500"},
      {"PAYORCH_HTTP_IO_THREADS", "2"},
      {"PAYORCH_ACTORS_THREADS", "3"},
      {"PAYORCH_ACTORS_ENTITY_IDLE_TIMEOUT_MS", "120000"},
      {"PAYORCH_ACTORS_MAX_RESTARTS", "0"},
      {"PAYORCH_ACTORS_RESTART_WINDOW_MS", "500"},
      {"PAYORCH_JOURNAL_MAX_BATCH_APPENDS", "64"},
      {"PAYORCH_JOURNAL_MAX_WAIT_US", "150"},
      {"PAYORCH_JOURNAL_SYNCHRONOUS", "normal"},
      {"PAYORCH_JOURNAL_SNAPSHOT_EVERY", "7"},
      {"PAYORCH_LOG_LEVEL", "debug"},
      {"PAYORCH_LOG_FORMAT", "json"},
      {"PAYORCH_AUTH_ISSUER", "https://auth.example"},
      {"PAYORCH_AUTH_AUDIENCE", "pods"},
      {"PAYORCH_AUTH_TOKEN_TTL_S", "600"},
      {"PAYORCH_AUTH_LEEWAY_S", "5"},
      {"PAYORCH_AUTH_ALGORITHM", "HS256"},
      {"PAYORCH_AUTH_HS256_SECRET", "0123456789abcdef0123456789abcdef"},
  };
}

/// Checks every member that text can set against `every_key_file` and `every_key_env` (the
/// lists of tables come from the file only; auth_settings_test.cpp covers them).
void expect_every_key_changed(const settings& s) {
  EXPECT_EQ(s.listen.host, "0.0.0.0");
  EXPECT_EQ(s.listen.port, 9090);
  EXPECT_EQ(s.data_dir, std::filesystem::path("/srv/payorch"));
  EXPECT_EQ(s.max_body_bytes, 2048u);
  EXPECT_EQ(s.max_header_bytes, 16384u);
  EXPECT_EQ(s.max_header_count, 50u);
  EXPECT_EQ(s.request_timeout_ms, 1500);
  EXPECT_EQ(s.keep_alive_timeout_ms, 2500);
  EXPECT_EQ(s.io_threads, 2u);
  EXPECT_EQ(s.actor_threads, 3u);
  EXPECT_EQ(s.entity_idle_timeout_ms, 120000);
  EXPECT_EQ(s.supervisor_max_restarts, 0u);
  EXPECT_EQ(s.supervisor_restart_window_ms, 500);
  EXPECT_EQ(s.journal_max_batch_appends, 64u);
  EXPECT_EQ(s.journal_max_wait_us, 150);
  EXPECT_FALSE(s.journal_synchronous_full);
  EXPECT_EQ(s.snapshot_every_events, 7);
  EXPECT_EQ(s.log_level, "debug");
  EXPECT_EQ(s.log_format, "json");
  EXPECT_EQ(s.auth_issuer, "https://auth.example");
  EXPECT_EQ(s.auth_audience, "pods");
  EXPECT_EQ(s.auth_token_ttl_s, 600);
  EXPECT_EQ(s.auth_leeway_s, 5);
  EXPECT_EQ(s.auth_algorithm, "HS256");
  EXPECT_EQ(s.auth_hs256_secret, "0123456789abcdef0123456789abcdef");
}

// Goal: with no file, environment or flags, every member holds its documented default.
TEST(load_settings, no_sources_give_the_defaults) {
  settings s = loaded(load_settings(std::nullopt, {}, {}));
  EXPECT_EQ(s, settings{});
  EXPECT_EQ(s.listen.host, "127.0.0.1");
  EXPECT_EQ(s.listen.port, 8080);
  EXPECT_EQ(s.data_dir, std::filesystem::path("var"));
  EXPECT_EQ(s.max_body_bytes, std::size_t{1} << 20);
  EXPECT_EQ(s.max_header_bytes, 8192u);
  EXPECT_EQ(s.max_header_count, 100u);
  EXPECT_EQ(s.request_timeout_ms, 5000);
  EXPECT_EQ(s.keep_alive_timeout_ms, 30000);
  EXPECT_EQ(s.io_threads, 1u);
  EXPECT_EQ(s.actor_threads, 1u);
  EXPECT_EQ(s.entity_idle_timeout_ms, 60000);
  EXPECT_EQ(s.supervisor_max_restarts, 5u);
  EXPECT_EQ(s.supervisor_restart_window_ms, 10000);
  EXPECT_EQ(s.journal_max_batch_appends, 256u);
  EXPECT_EQ(s.journal_max_wait_us, 0);
  EXPECT_TRUE(s.journal_synchronous_full);
  EXPECT_EQ(s.snapshot_every_events, 100);
  EXPECT_EQ(s.log_level, "info");
  EXPECT_EQ(s.log_format, "auto");
  EXPECT_EQ(s.auth_issuer, "payorch");
  EXPECT_EQ(s.auth_audience, "payorch-api");
  EXPECT_EQ(s.auth_token_ttl_s, 3600);
  EXPECT_EQ(s.auth_leeway_s, 30);
  EXPECT_EQ(s.auth_algorithm, "ES256");
  EXPECT_TRUE(s.auth_hs256_secret.empty());
  EXPECT_TRUE(s.auth_clients.empty());
  EXPECT_TRUE(s.fx_rates.empty());
}

// Goal: an empty file changes nothing.
TEST(load_settings, empty_file_gives_the_defaults) {
  EXPECT_EQ(loaded(load_text("")), settings{});
  EXPECT_EQ(loaded(load_text("# only a comment\n")), settings{});
}

// Goal: the file can set every key, each into its own member.
TEST(load_settings, file_sets_every_key) {
  expect_every_key_changed(loaded(load_text(every_key_file)));
}

// Goal: the environment can set every key, each into its own member.
TEST(load_settings, environment_sets_every_key) {
  expect_every_key_changed(loaded(load_env(every_key_env())));
}

// Goal: a file that sets some keys leaves the others at their defaults.
TEST(load_settings, file_sets_only_what_it_names) {
  settings s = loaded(load_text("[http]\nio_threads = 4\n"));
  settings expected;
  expected.io_threads = 4;
  EXPECT_EQ(s, expected);
}

// Goal: dotted keys at the top level are the same keys as in their section.
TEST(load_settings, dotted_keys_reach_sections) {
  settings s = loaded(load_text("http.max_body_bytes = 4096\nlog.level = \"warn\"\n"));
  EXPECT_EQ(s.max_body_bytes, 4096u);
  EXPECT_EQ(s.log_level, "warn");
}

// Goal: the environment overrides the file, key by key, and leaves the file's other keys.
TEST(load_settings, environment_overrides_file) {
  temp_dir dir;
  auto file = dir.write("p.toml", "listen = \"127.0.0.1:9000\"\n[log]\nlevel = \"warn\"\n");
  settings s = loaded(load_settings(file, {{"PAYORCH_LISTEN", "127.0.0.1:9001"}}, {}));
  EXPECT_EQ(s.listen.port, 9001);
  EXPECT_EQ(s.log_level, "warn");
}

// Goal: flags override the environment and the file.
TEST(load_settings, flags_override_environment_and_file) {
  temp_dir dir;
  auto file = dir.write("p.toml", "listen = \"127.0.0.1:9000\"\ndata_dir = \"from-file\"\n");
  environment env{{"PAYORCH_LISTEN", "127.0.0.1:9001"}, {"PAYORCH_DATA_DIR", "from-env"}};
  flag_overrides flags{"127.0.0.1:9002", "from-flag"};
  settings s = loaded(load_settings(file, env, flags));
  EXPECT_EQ(s.listen.port, 9002);
  EXPECT_EQ(s.data_dir, std::filesystem::path("from-flag"));

  settings no_flags = loaded(load_settings(file, env, {}));
  EXPECT_EQ(no_flags.listen.port, 9001);
  EXPECT_EQ(no_flags.data_dir, std::filesystem::path("from-env"));
}

// Goal: a bad flag is an error naming the key and the flag.
TEST(load_settings, bad_flags_are_errors) {
  expect_error(load_settings(std::nullopt, {}, {"nohost", std::nullopt}), "listen", "--listen");
  expect_error(load_settings(std::nullopt, {}, {std::nullopt, ""}), "data_dir", "--data-dir");
}

// Goal: a bad environment value is an error even when a flag would override it.
TEST(load_settings, bad_environment_is_an_error_even_under_a_flag) {
  flag_overrides flags{"127.0.0.1:9002", std::nullopt};
  expect_error(load_settings(std::nullopt, {{"PAYORCH_LISTEN", "x"}}, flags), "listen",
               "PAYORCH_LISTEN");
}

// Goal: PAYORCH_* variables that name no key are ignored, since other tools share the prefix.
TEST(load_settings, unknown_environment_variables_are_ignored) {
  environment env{{"PAYORCH_NOT_A_KEY", "1"}, {"PAYORCH_HTTP", "x"}, {"HOME", "/root"}};
  EXPECT_EQ(loaded(load_env(env)), settings{});
}

// Goal: a missing file is an error naming its path; so is a directory.
TEST(load_settings, unreadable_file_is_an_error_naming_the_path) {
  temp_dir dir;
  auto missing = dir.path() / "absent.toml";
  expect_error(load_settings(missing, {}, {}), missing.string(), "not found");
  expect_error(load_settings(dir.path(), {}, {}), dir.path().string(), "directory");
}

// Goal: a TOML syntax error is an error naming the path and the line.
TEST(load_settings, syntax_error_names_path_and_line) {
  temp_dir dir;
  auto file = dir.write("bad.toml", "listen = \"127.0.0.1:1\"\n[http\n");
  expect_error(load_settings(file, {}, {}), file.string(), "line 2");
  auto duplicate = dir.write("dup.toml", "[log]\nlevel = \"info\"\nlevel = \"warn\"\n");
  expect_error(load_settings(duplicate, {}, {}), duplicate.string(), "not valid TOML");
}

// Goal: the operator's line carries the key, the rule, the value and where it came from.
TEST(load_settings, error_line_is_one_clear_line) {
  auto result = load_env({{"PAYORCH_HTTP_MAX_BODY_BYTES", "12"}});
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->line(),
            "config error: http.max_body_bytes: must be between 1024 and 67108864 "
            "(got \"12\" from PAYORCH_HTTP_MAX_BODY_BYTES)");
  EXPECT_EQ(result.error->line().find('\n'), std::string::npos);
}

// Goal: file errors say which file and line the bad value is on.
TEST(load_settings, file_errors_name_file_and_line) {
  temp_dir dir;
  auto file = dir.write("p.toml", "[http]\n\nio_threads = 0\n");
  auto result = load_settings(file, {}, {});
  expect_error(result, "http.io_threads",
               "must be between 1 and 64 (got 0 in " + file.string() + " line 3)");
}

// Goal: current_environment picks up PAYORCH_* variables and nothing else.
TEST(current_environment, reads_only_payorch_variables) {
  ::setenv("PAYORCH_CONFIG_TEST_PROBE", "a=b", 1);
  ::setenv("NOT_PAYORCH_CONFIG_TEST_PROBE", "x", 1);
  environment env = current_environment();
  ::unsetenv("PAYORCH_CONFIG_TEST_PROBE");
  ::unsetenv("NOT_PAYORCH_CONFIG_TEST_PROBE");
  ASSERT_EQ(env.count("PAYORCH_CONFIG_TEST_PROBE"), 1u);
  EXPECT_EQ(env.at("PAYORCH_CONFIG_TEST_PROBE"), "a=b");
  for (const auto& [name, value] : env) EXPECT_EQ(name.rfind("PAYORCH_", 0), 0u) << name;
}

}  // namespace
}  // namespace payorch::config
