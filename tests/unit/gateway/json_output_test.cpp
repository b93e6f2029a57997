// The JSON writer: field values by type, string escapes, and text that is not UTF-8.
#include "gateway/json_output.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace payorch::gateway {
namespace {

std::string quoted(std::string_view v) {
  std::string out;
  append_json_string(out, v);
  return out;
}

// Goal: quotes, backslashes and control characters are escaped; UTF-8 passes through whole.
TEST(json_output, strings_are_escaped_and_utf8_kept) {
  EXPECT_EQ(quoted("a\"b\\c\n\t\x01"), R"("a\"b\\c\n\t\u0001")");
  EXPECT_EQ(quoted("Zürich 東京 \xF0\x9F\x92\xB6"), "\"Zürich 東京 \xF0\x9F\x92\xB6\"");
}

// Goal: bytes that are not UTF-8 (a lone continuation byte, a cut sequence, an overlong form, a
// surrogate, a value past U+10FFFF) each become U+FFFD, and the text around them stays.
TEST(json_output, bytes_that_are_not_utf8_become_replacement_characters) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(quoted("pod_\xFF"), "\"pod_" + fffd + "\"");
  EXPECT_EQ(quoted("\x80x"), "\"" + fffd + "x\"");
  EXPECT_EQ(quoted("\xC3"), "\"" + fffd + "\"");                        // cut at the end
  EXPECT_EQ(quoted("\xE6\x9D"), "\"" + fffd + fffd + "\"");             // cut, two bytes
  EXPECT_EQ(quoted("\xC0\xAF"), "\"" + fffd + fffd + "\"");             // overlong '/'
  EXPECT_EQ(quoted("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");  // a surrogate
  EXPECT_EQ(quoted("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");
  EXPECT_EQ(quoted("a\xC3\xA9\xFF"
                   "b"),
            "\"a\xC3\xA9" + fffd + "b\"");
}

// Goal: a field's value is written as its type: a bool as true/false (not 1/0), an integer as a
// number, text as a string.
TEST(json_output, fields_keep_their_type) {
  json_writer w;
  w.begin_object().field("yes", true).field("no", false).field("n", std::int64_t{7});
  w.field("s", "t").end_object();
  EXPECT_EQ(w.str(), R"({"yes":true,"no":false,"n":7,"s":"t"})");
}

}  // namespace
}  // namespace payorch::gateway
