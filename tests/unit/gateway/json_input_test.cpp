#include "gateway/json_input.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace payorch::gateway {
namespace {

using namespace std::string_literals;

// The parsed value of `text`, failing the test when parsing fails.
json_node parse_ok(std::string_view text, const json_limits& limits = {}) {
  json_parse_result result = parse_json(text, limits);
  EXPECT_FALSE(result.error.has_value()) << (result.error ? result.error->message : "");
  EXPECT_TRUE(result.value.has_value());
  return result.value.value();
}

// The error for `text`, failing the test when it parses or the message lacks its offset.
json_error parse_error(std::string_view text, const json_limits& limits = {}) {
  json_parse_result result = parse_json(text, limits);
  EXPECT_FALSE(result.value.has_value());
  if (!result.error) {
    ADD_FAILURE() << "expected an error for: " << text;
    return {};
  }
  const std::string suffix = " at offset " + std::to_string(result.error->offset);
  EXPECT_TRUE(result.error->message.ends_with(suffix)) << result.error->message;
  return *result.error;
}

// --- numbers --------------------------------------------------------------------------------

// Goal: decimal amounts and quorums keep their exact source text, trailing zeros included.
TEST(json_input, decimals_keep_their_source_text) {
  const json_node body = parse_ok(R"({"amount": 15000.00, "voting_quorum": 0.66})");
  ASSERT_TRUE(body.is_object());
  ASSERT_NE(body.find("amount"), nullptr);
  EXPECT_EQ(body.find("amount")->number_text(), "15000.00");
  EXPECT_EQ(body.find("voting_quorum")->number_text(), "0.66");
  EXPECT_FALSE(body.find("amount")->number_is_integer());
  EXPECT_EQ(body.find("amount")->as_int64(), std::nullopt);
}

// Goal: exponent forms keep their text and are never reported as integers.
TEST(json_input, exponents_keep_their_text_and_are_not_integers) {
  for (const std::string_view text : {"1e3", "2.50E-1", "1E+2", "-1e-7", "1e99999", "1e-99999"}) {
    const json_node number = parse_ok(text);
    ASSERT_TRUE(number.is_number()) << text;
    EXPECT_EQ(number.number_text(), text);
    EXPECT_FALSE(number.number_is_integer()) << text;
    EXPECT_EQ(number.as_int64(), std::nullopt) << text;
  }
}

// Goal: negative zero stays "-0" while still reading as the integer 0.
TEST(json_input, negative_zero_keeps_its_sign_in_text) {
  const json_node number = parse_ok("-0");
  EXPECT_EQ(number.number_text(), "-0");
  EXPECT_TRUE(number.number_is_integer());
  EXPECT_EQ(number.as_int64(), 0);
}

// Goal: as_int64 is exact at the int64 bounds and refuses anything past them.
TEST(json_input, int64_bounds_are_exact) {
  EXPECT_EQ(parse_ok("9223372036854775807").as_int64(), INT64_MAX);
  EXPECT_EQ(parse_ok("-9223372036854775808").as_int64(), INT64_MIN);
  EXPECT_EQ(parse_ok("9223372036854775808").as_int64(), std::nullopt);
  EXPECT_EQ(parse_ok("-9223372036854775809").as_int64(), std::nullopt);
}

// Goal: integers beyond int64 (and beyond uint64) keep every digit of their text.
TEST(json_input, big_integers_keep_their_text) {
  for (const std::string_view text : {"18446744073709551615", "123456789012345678901234567890"}) {
    const json_node number = parse_ok(text);
    EXPECT_EQ(number.number_text(), text);
    EXPECT_TRUE(number.number_is_integer());
    EXPECT_EQ(number.as_int64(), std::nullopt);
  }
}

// Goal: number_is_integer and as_int64 answer false/nullopt for non-numbers.
TEST(json_input, integer_queries_on_other_kinds_are_empty) {
  const json_node text = parse_ok(R"("12")");
  EXPECT_FALSE(text.number_is_integer());
  EXPECT_EQ(text.as_int64(), std::nullopt);
  EXPECT_EQ(parse_ok("true").as_int64(), std::nullopt);
}

// --- structure ------------------------------------------------------------------------------

// Goal: nested objects and arrays come back in document order with every kind intact.
TEST(json_input, nested_objects_and_arrays) {
  const json_node body = parse_ok(R"( {
      "name": "Acme", "tags": ["a", 1, true, null, {"x": []}],
      "limits": {"daily": {"amount": "100.00", "currency": "EUR"}, "enabled": false}
    } )");
  ASSERT_EQ(body.members().size(), 3U);
  EXPECT_EQ(body.members()[0].first, "name");
  EXPECT_EQ(body.members()[1].first, "tags");
  EXPECT_EQ(body.members()[2].first, "limits");

  const auto& tags = body.find("tags")->items();
  ASSERT_EQ(tags.size(), 5U);
  EXPECT_EQ(tags[0].as_string(), "a");
  EXPECT_EQ(tags[1].number_text(), "1");
  EXPECT_TRUE(tags[2].as_bool());
  EXPECT_TRUE(tags[3].is_null());
  ASSERT_TRUE(tags[4].is_object());
  EXPECT_TRUE(tags[4].find("x")->is_array());
  EXPECT_TRUE(tags[4].find("x")->items().empty());

  const json_node* daily = body.find("limits")->find("daily");
  ASSERT_NE(daily, nullptr);
  EXPECT_EQ(daily->find("currency")->as_string(), "EUR");
  EXPECT_FALSE(body.find("limits")->find("enabled")->as_bool());
}

// Goal: find returns nullptr for absent keys and for values that are not objects.
TEST(json_input, find_misses_are_null) {
  const json_node body = parse_ok(R"({"a": [1]})");
  EXPECT_EQ(body.find("b"), nullptr);
  EXPECT_EQ(body.find("A"), nullptr);
  EXPECT_EQ(body.find("a")->find("a"), nullptr);
}

// Goal: every scalar is accepted as a whole document, with surrounding whitespace.
TEST(json_input, scalar_documents_and_whitespace) {
  EXPECT_TRUE(parse_ok(" \t\r\ntrue\n").as_bool());
  EXPECT_FALSE(parse_ok("false").as_bool());
  EXPECT_TRUE(parse_ok("null").is_null());
  EXPECT_EQ(parse_ok(R"("x")").as_string(), "x");
  EXPECT_TRUE(parse_ok("{}").members().empty());
  EXPECT_TRUE(parse_ok("[]").items().empty());
}

// Goal: the same key may appear in sibling and nested objects; only one object's keys clash.
TEST(json_input, same_key_in_different_objects_is_fine) {
  const json_node body = parse_ok(R"([{"a": 1}, {"a": 2, "b": {"a": 3}}])");
  EXPECT_EQ(body.items()[1].find("b")->find("a")->number_text(), "3");
}

// Goal: every kind has a readable name for codec error messages.
TEST(json_input, kind_names) {
  EXPECT_EQ(to_string(json_kind::null), "null");
  EXPECT_EQ(to_string(json_kind::boolean), "boolean");
  EXPECT_EQ(to_string(json_kind::number), "number");
  EXPECT_EQ(to_string(json_kind::string), "string");
  EXPECT_EQ(to_string(json_kind::array), "array");
  EXPECT_EQ(to_string(json_kind::object), "object");
  EXPECT_EQ(parse_ok("[]").kind(), json_kind::array);
}

// --- strings --------------------------------------------------------------------------------

// Goal: the short escapes are unescaped to their characters.
TEST(json_input, short_escapes_are_unescaped) {
  EXPECT_EQ(parse_ok(R"("q\" b\\ s\/ \b\f\n\r\t")").as_string(), "q\" b\\ s/ \b\f\n\r\t");
}

// Goal: \u escapes (including surrogate pairs) become UTF-8 and raw UTF-8 passes through.
TEST(json_input, unicode_escapes_become_utf8) {
  EXPECT_EQ(parse_ok(R"("caf\u00e9")").as_string(), "caf\xC3\xA9");
  EXPECT_EQ(parse_ok(R"("\u20AC")").as_string(), "\xE2\x82\xAC");
  EXPECT_EQ(parse_ok(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(parse_ok("\"caf\xC3\xA9 \xF0\x9F\x98\x80\"").as_string(),
            "caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(parse_ok(R"("a\u0000b")").as_string(), "a\0b"s);
}

// Goal: keys are unescaped before lookup and before the duplicate check.
TEST(json_input, keys_are_unescaped) {
  const json_node body = parse_ok(R"({"a\u0062": 1, "\u00e9": 2})");
  EXPECT_NE(body.find("ab"), nullptr);
  EXPECT_NE(body.find("\xC3\xA9"), nullptr);
}

// --- malformed input ------------------------------------------------------------------------

struct malformed_case {
  std::string text;
  std::size_t offset;
  std::string message;  // the message up to " at offset N"
};

// gtest finds this printer by its name.
void PrintTo(const malformed_case& c, std::ostream* out) {  // NOLINT(readability-identifier-naming)
  *out << testing::PrintToString(c.text);
}

class json_input_malformed : public testing::TestWithParam<malformed_case> {};

// Goal: each malformed body is rejected with the expected message and the offset of the fault.
TEST_P(json_input_malformed, is_rejected_with_offset) {
  const malformed_case& c = GetParam();
  const json_error error = parse_error(c.text);
  EXPECT_EQ(error.offset, c.offset);
  EXPECT_EQ(error.message, c.message + " at offset " + std::to_string(c.offset));
}

INSTANTIATE_TEST_SUITE_P(
    json_input, json_input_malformed,
    testing::Values(
        // truncated
        malformed_case{"", 0, "unexpected end of input"},
        malformed_case{"   ", 3, "unexpected end of input"},
        malformed_case{R"({"a": 1)", 7, "unexpected end of input"},
        malformed_case{"[1,", 3, "unexpected end of input"},
        malformed_case{R"("abc)", 4, "unexpected end of input"},
        malformed_case{"tru", 3, "unexpected end of input"},
        malformed_case{"-", 1, "unexpected end of input"},
        malformed_case{"1.", 2, "unexpected end of input"},
        malformed_case{"1e", 2, "unexpected end of input"},
        // trailing commas
        malformed_case{"[1,]", 3, "unexpected character"},
        malformed_case{R"({"a":1,})", 7, "unexpected character"},
        // comments
        malformed_case{"/*x*/1", 0, "unexpected character"},
        malformed_case{"[1 // c\n]", 3, "unexpected character"},
        // non-numbers and malformed numbers
        malformed_case{"NaN", 0, "unexpected character"},
        malformed_case{"Infinity", 0, "unexpected character"},
        malformed_case{"-Infinity", 1, "unexpected character"},
        malformed_case{"+1", 0, "unexpected character"},
        malformed_case{".5", 0, "unexpected character"},
        malformed_case{"1.e5", 2, "unexpected character"},
        malformed_case{"0x10", 1, "unexpected data after the JSON value"},
        // leading zeros
        malformed_case{"01", 1, "unexpected data after the JSON value"},
        malformed_case{"-01", 2, "unexpected data after the JSON value"},
        malformed_case{"[01]", 2, "unexpected character"},
        // more than one value
        malformed_case{"1 2", 2, "unexpected data after the JSON value"},
        malformed_case{"{} {}", 3, "unexpected data after the JSON value"},
        malformed_case{"nulll", 4, "unexpected data after the JSON value"},
        // other grammar faults
        malformed_case{"True", 0, "unexpected character"},
        malformed_case{"'a'", 0, "unexpected character"},
        malformed_case{R"({"a" 1})", 5, "unexpected character"},
        malformed_case{"{a: 1}", 1, "unexpected character"},
        malformed_case{"[1 2]", 3, "unexpected character"},
        malformed_case{"\xEF\xBB\xBF{}", 0, "unexpected character"},  // byte order mark
        // duplicate keys (the offset is the duplicate's closing quote)
        malformed_case{R"({"a":1,"a":2})", 9, R"(duplicate key "a")"},
        malformed_case{R"({"a":1,"\u0061":2})", 14, R"(duplicate key "a")"},
        malformed_case{R"({"x":{"b":1,"c":2,"b":3}})", 20, R"(duplicate key "b")"},
        // string content
        malformed_case{R"("\q")", 2, "invalid escape sequence"},
        malformed_case{"\"a\tb\"", 2, "unescaped control character in string"},
        malformed_case{"\"a\nb\"", 2, "unescaped control character in string"},
        malformed_case{R"("\u12g4")", 5, "expected a hex digit in \\u escape"},
        malformed_case{R"("\ud800")", 7, "unpaired surrogate in \\u escape"},
        malformed_case{R"("\udc00x")", 7, "unpaired surrogate in \\u escape"},
        malformed_case{R"("\ud800\n")", 8, "unpaired surrogate in \\u escape"},
        malformed_case{R"("\uDBFF\u0041")", 9, "unpaired surrogate in \\u escape"},
        malformed_case{R"("\\ud800\q")", 9, "invalid escape sequence"},
        // invalid UTF-8: stray byte, truncated sequence, overlong form, encoded surrogate
        malformed_case{"\"\xFF\"", 1, "invalid UTF-8 in string"},
        malformed_case{"\"ab\xE2\x82\"", 3, "invalid UTF-8 in string"},
        malformed_case{"\"\xC0\xAF\"", 1, "invalid UTF-8 in string"},
        malformed_case{"\"\xED\xA0\x80\"", 1, "invalid UTF-8 in string"},
        malformed_case{"{\"k\xFF\": 1}", 3, "invalid UTF-8 in string"},
        malformed_case{"[\xC3\xA9]", 1, "unexpected character"}));

// Goal: nesting is bounded by max_depth, counting arrays and objects alike.
TEST(json_input, depth_limit) {
  const std::string deepest_ok = std::string(32, '[') + std::string(32, ']');
  EXPECT_TRUE(parse_json(deepest_ok).value.has_value());

  const std::string too_deep = std::string(33, '[') + std::string(33, ']');
  const json_error error = parse_error(too_deep);
  EXPECT_EQ(error.offset, 32U);
  EXPECT_EQ(error.message, "nesting deeper than 32 levels at offset 32");

  const json_limits shallow{.max_depth = 2};
  EXPECT_TRUE(parse_json(R"({"a": [1]})", shallow).value.has_value());
  EXPECT_EQ(parse_error(R"({"a": {"b": {}}})", shallow).message,
            "nesting deeper than 2 levels at offset 12");
}

// Goal: strings, keys and numbers are bounded by max_string_bytes after unescaping.
TEST(json_input, string_limit) {
  const json_limits small{.max_string_bytes = 4};
  EXPECT_EQ(parse_ok(R"("abcd")", small).as_string(), "abcd");
  EXPECT_EQ(parse_ok(R"("\u00e9\u00e9")", small).as_string().size(), 4U);
  EXPECT_EQ(parse_error(R"("abcde")", small).message, "string longer than 4 bytes at offset 6");
  EXPECT_EQ(parse_error(R"({"abcde": 1})", small).message, "key longer than 4 bytes at offset 7");
  EXPECT_EQ(parse_error("12345", small).message, "number longer than 4 bytes at offset 5");
  EXPECT_EQ(parse_error(R"(["\u00e9\u00e9\u00e9"])", small).message.substr(0, 26),
            "string longer than 4 bytes");
}

// Goal: objects and arrays are bounded by max_members.
TEST(json_input, member_limit) {
  const json_limits small{.max_members = 2};
  EXPECT_EQ(parse_ok(R"({"a": 1, "b": 2})", small).members().size(), 2U);
  EXPECT_EQ(parse_ok("[1, 2]", small).items().size(), 2U);
  EXPECT_EQ(parse_error(R"({"a": 1, "b": 2, "c": 3})", small).message,
            "object has more than 2 members at offset 19");
  EXPECT_EQ(parse_error("[1, 2, 3]", small).message, "array has more than 2 elements at offset 8");
}

// Goal: the default member limit allows 1000 members and refuses the 1001st.
TEST(json_input, default_member_limit) {
  std::string items = "[0";
  for (int i = 1; i < 1000; ++i) items += ",0";
  EXPECT_EQ(parse_ok(items + "]").items().size(), 1000U);
  EXPECT_TRUE(parse_error(items + ",0]").message.starts_with("array has more than 1000 elements"));
}

// Goal: a duplicate key in the message is bounded and has its control characters escaped.
TEST(json_input, duplicate_key_message_is_sanitised) {
  const std::string long_key(100, 'k');
  const std::string body = "{\"" + long_key + "\":1,\"" + long_key + "\":2}";
  const json_error error = parse_error(body);
  EXPECT_TRUE(error.message.starts_with("duplicate key \"" + std::string(64, 'k') + "\"... at"))
      << error.message;

  EXPECT_TRUE(
      parse_error(R"({"a\nb":1,"a\nb":2})").message.starts_with(R"(duplicate key "a\u000Ab")"));
  EXPECT_TRUE(parse_error(R"({"a\"":1,"a\"":2})").message.starts_with(R"(duplicate key "a\"")"));
}

// Goal: truncating a long key never splits a UTF-8 sequence in the message.
TEST(json_input, duplicate_key_message_keeps_utf8_whole) {
  const std::string key = std::string(63, 'k') + "\xC3\xA9" + "tail";
  const std::string body = "{\"" + key + "\":1,\"" + key + "\":2}";
  EXPECT_TRUE(parse_error(body).message.starts_with("duplicate key \"" + std::string(63, 'k') +
                                                    "\"... at"));
}

}  // namespace
}  // namespace payorch::gateway
