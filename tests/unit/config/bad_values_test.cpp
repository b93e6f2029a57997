#include <gtest/gtest.h>

#include <string>

#include "config/key_table.hpp"
#include "config_test_support.hpp"

namespace payorch::config {
namespace {

using detail::integer_rule;
using detail::key_spec;
using detail::text_rule;
using test::expect_error;
using test::load_env;
using test::load_text;
using test::loaded;

/// A file that sets `spec` to the TOML literal `literal`, inside its section.
std::string file_setting(const key_spec& spec, std::string_view literal) {
  std::string text;
  if (!spec.section().empty()) text = "[" + std::string(spec.section()) + "]\n";
  return text + std::string(spec.name()) + " = " + std::string(literal) + "\n";
}

load_result load_from_env(const key_spec& spec, std::string_view text) {
  return load_env({{spec.env_var(), std::string(text)}});
}

// Goal: each integer key takes its floor and ceiling, from the file and from the environment.
TEST(bad_values, integer_bounds_are_accepted) {
  for (const key_spec& spec : detail::key_table()) {
    const auto* rule = std::get_if<integer_rule>(&spec.rule);
    if (rule == nullptr) continue;
    for (std::int64_t edge : {rule->floor, rule->ceiling}) {
      SCOPED_TRACE(std::string(spec.key) + " = " + std::to_string(edge));
      EXPECT_EQ(rule->get(loaded(load_text(file_setting(spec, std::to_string(edge))))), edge);
      EXPECT_EQ(rule->get(loaded(load_from_env(spec, std::to_string(edge)))), edge);
    }
  }
}

// Goal: just outside the range, and negative, is an error naming the key, from either source.
TEST(bad_values, integers_out_of_range_name_the_key) {
  for (const key_spec& spec : detail::key_table()) {
    const auto* rule = std::get_if<integer_rule>(&spec.rule);
    if (rule == nullptr) continue;
    for (std::int64_t bad : {rule->floor - 1, rule->ceiling + 1, std::int64_t{-1}}) {
      SCOPED_TRACE(std::string(spec.key) + " = " + std::to_string(bad));
      expect_error(load_text(file_setting(spec, std::to_string(bad))), spec.key, "must be between");
      expect_error(load_from_env(spec, std::to_string(bad)), spec.key, spec.env_var());
    }
  }
}

// Goal: zero is refused exactly where the floor is above zero (threads, sizes, timeouts).
TEST(bad_values, zero_only_where_allowed) {
  for (const key_spec& spec : detail::key_table()) {
    const auto* rule = std::get_if<integer_rule>(&spec.rule);
    if (rule == nullptr) continue;
    SCOPED_TRACE(spec.key);
    auto result = load_from_env(spec, "0");
    if (rule->floor > 0) {
      expect_error(result, spec.key, "must be between");
    } else {
      EXPECT_EQ(rule->get(loaded(result)), 0);
    }
  }
  expect_error(load_text("[actors]\nthreads = 0\n"), "actors.threads", "between 1 and 64");
  EXPECT_EQ(loaded(load_text("[actors]\nmax_restarts = 0\n")).supervisor_max_restarts, 0u);
}

// Goal: environment text that is not a plain decimal integer is refused for integer keys.
TEST(bad_values, environment_non_numbers_name_the_key) {
  for (const key_spec& spec : detail::key_table()) {
    if (!std::holds_alternative<integer_rule>(spec.rule)) continue;
    for (std::string_view bad : {"abc", "", "12abc", " 5", "5 ", "1.5", "0x10", "+5", "1e3"}) {
      SCOPED_TRACE(std::string(spec.key) + " = '" + std::string(bad) + "'");
      expect_error(load_from_env(spec, bad), spec.key, "must be an integer");
    }
    expect_error(load_from_env(spec, "99999999999999999999"), spec.key, "must be between");
  }
}

// Goal: in the file, an integer key refuses strings, floats, booleans, arrays and tables.
TEST(bad_values, file_integer_keys_refuse_other_types) {
  for (const key_spec& spec : detail::key_table()) {
    if (!std::holds_alternative<integer_rule>(spec.rule)) continue;
    SCOPED_TRACE(spec.key);
    expect_error(load_text(file_setting(spec, "\"5\"")), spec.key,
                 "must be an integer, not a string");
    expect_error(load_text(file_setting(spec, "1.5")), spec.key, "floating-point");
    expect_error(load_text(file_setting(spec, "true")), spec.key, "boolean");
    expect_error(load_text(file_setting(spec, "[1]")), spec.key, "array");
    expect_error(load_text(file_setting(spec, "{ a = 1 }")), spec.key, "table");
  }
}

// Goal: in the file, a string key refuses integers and booleans and says what it expects.
TEST(bad_values, file_text_keys_refuse_other_types) {
  for (const key_spec& spec : detail::key_table()) {
    if (!std::holds_alternative<text_rule>(spec.rule)) continue;
    SCOPED_TRACE(spec.key);
    expect_error(load_text(file_setting(spec, "8080")), spec.key, "must be a string (");
    expect_error(load_text(file_setting(spec, "false")), spec.key, "not a boolean");
  }
  expect_error(load_text("[journal]\nsynchronous = true\n"), "journal.synchronous",
               R"(must be a string ("full" or "normal"), not a boolean)");
}

// Goal: the choice keys accept exactly their listed words, in lower case.
TEST(bad_values, choice_keys_accept_only_their_words) {
  for (std::string_view level : {"trace", "debug", "info", "warn", "error"}) {
    EXPECT_EQ(loaded(load_env({{"PAYORCH_LOG_LEVEL", std::string(level)}})).log_level, level);
  }
  for (std::string_view format : {"auto", "text", "json"}) {
    EXPECT_EQ(loaded(load_env({{"PAYORCH_LOG_FORMAT", std::string(format)}})).log_format, format);
  }
  EXPECT_TRUE(loaded(load_env({{"PAYORCH_JOURNAL_SYNCHRONOUS", "full"}})).journal_synchronous_full);
  expect_error(load_env({{"PAYORCH_LOG_LEVEL", "verbose"}}), "log.level",
               "must be one of trace, debug, info, warn, error (got \"verbose\"");
  expect_error(load_env({{"PAYORCH_LOG_LEVEL", "INFO"}}), "log.level", "must be one of");
  expect_error(load_text("[log]\nformat = \"xml\"\n"), "log.format",
               "must be one of auto, text, json");
  expect_error(load_env({{"PAYORCH_JOURNAL_SYNCHRONOUS", "off"}}), "journal.synchronous",
               R"(must be "full" or "normal")");
}

// Goal: data_dir takes any non-empty path and refuses the empty one.
TEST(bad_values, data_dir_must_not_be_empty) {
  EXPECT_EQ(loaded(load_text("data_dir = \"/a b/c\"\n")).data_dir, std::filesystem::path("/a b/c"));
  expect_error(load_text("data_dir = \"\"\n"), "data_dir", "must not be empty");
  expect_error(load_env({{"PAYORCH_DATA_DIR", ""}}), "data_dir", "PAYORCH_DATA_DIR");
  expect_error(load_text("data_dir = \"a\\u0000b\"\n"), "data_dir", "NUL");
}

// Goal: keys and sections the file does not know are errors naming them, with the line.
TEST(bad_values, unknown_keys_name_the_key) {
  expect_error(load_text("listn = \"127.0.0.1:1\"\n"), "listn", "unknown key");
  expect_error(load_text("[http]\nmax_bodybytes = 2048\n"), "http.max_bodybytes", "unknown key");
  expect_error(load_text("[http]\n\nmax_bodybytes = 2048\n"), "http.max_bodybytes", "line 3");
  expect_error(load_text("[database]\nurl = \"x\"\n"), "database", "unknown key");
  expect_error(load_text("[http.tls]\ncert = \"x\"\n"), "http.tls", "unknown key");
  expect_error(load_text("[log]\nlevel = \"info\"\nthreads = 2\n"), "log.threads", "unknown key");
}

// Goal: an unknown key's error lists the keys that may stand there, to point at the typo.
TEST(bad_values, unknown_keys_list_the_known_ones) {
  expect_error(load_text("[log]\nlevl = \"info\"\n"), "log.levl", "; [log] takes level, format");
  expect_error(load_text("[htp]\n"), "htp",
               "; the top level takes listen, data_dir, storage, [http], [actors], [journal], [log], "
               "[auth], [fx]");
}

// Goal: a section written as a plain value is an error naming the section.
TEST(bad_values, section_must_be_a_table) {
  expect_error(load_text("http = 5\n"), "http", "must be a table ([http]), not an integer");
  expect_error(load_text("log = \"debug\"\n"), "log", "must be a table");
}

// Goal: a very long bad value is shortened in the message, and control characters escaped.
TEST(bad_values, shown_values_are_short_and_escaped) {
  auto result = load_env({{"PAYORCH_LOG_LEVEL", std::string(1000, 'x')}});
  ASSERT_TRUE(result.error);
  EXPECT_LT(result.error->line().size(), 250u);
  auto escaped = load_env({{"PAYORCH_LOG_LEVEL", "a\nb\x01"}});
  ASSERT_TRUE(escaped.error);
  EXPECT_NE(escaped.error->message.find(R"("a\nb\u0001")"), std::string::npos)
      << escaped.error->message;
}

}  // namespace
}  // namespace payorch::config
