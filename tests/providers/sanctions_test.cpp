// Tests of the sandbox's sanctions screening: fuzzy hits on names and aliases, country weight,
// clear names and bad input.
#include "tests/providers/sandbox_fixture.hpp"

namespace payorch::testing {
namespace {

using sandbox_sanctions_test = sandbox_test;

struct screening {
  std::string result;
  boost::json::array matches;
};

/// The first match naming `entry_id`, or null.
const boost::json::value* match_of(const screening& s, const std::string& entry_id) {
  for (const auto& m : s.matches)
    if (text_of(m, "entry_id") == entry_id) return &m;
  return nullptr;
}

class sanctions_fixture : public sandbox_sanctions_test {
 protected:
  screening screen(const std::string& name, const std::string& country = {}) {
    std::string body = R"({"name":")" + name + "\"";
    if (!country.empty()) body += R"(,"country":")" + country + "\"";
    auto r = post("/sanctions/v1/screenings", body + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    auto v = json_of(r);
    screening s{text_of(v, "result"), {}};
    if (v.is_object() && v.as_object().contains("matches")) s.matches = v.at("matches").as_array();
    return s;
  }
};

// An alias written without its accents and misspelt is still a HIT on that alias.
TEST_F(sanctions_fixture, alias_with_accents_and_misspelling_hits) {
  start();
  // Listed alias: "MØRKVEDT-HÅLAND, Sören" (entry 10005).
  auto s = screen("Soren Morkvet Haland");
  EXPECT_EQ(s.result, "HIT");
  const auto* m = match_of(s, "10005");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(text_of(*m, "matched_name"), "MØRKVEDT-HÅLAND, Sören");
  EXPECT_EQ(text_of(*m, "name"), "MØRKVEDT, Søren Åsmund");
  EXPECT_EQ(text_of(*m, "program"), "SBX-CYBER");
  EXPECT_GE(int_of(*m, "score_bp"), 9200);
  EXPECT_LT(int_of(*m, "score_bp"), 10000);
  // And the Polish alias "DRAWIŃSKA, Łucja" with a dropped letter.
  auto p = screen("Lucja Drawinska");
  EXPECT_EQ(p.result, "HIT");
  ASSERT_NE(match_of(p, "10006"), nullptr);
}

// Case, accents, punctuation and word order do not matter: an exact name scores 10000.
TEST_F(sanctions_fixture, exact_name_any_form_scores_full) {
  start();
  auto s = screen("jerome QUILLABRAND");
  EXPECT_EQ(s.result, "HIT");
  ASSERT_FALSE(s.matches.empty());
  EXPECT_EQ(text_of(s.matches[0], "entry_id"), "10001");
  EXPECT_EQ(int_of(s.matches[0], "score_bp"), 10000);
  EXPECT_EQ(text_of(s.matches[0], "level"), "HIT");
  auto entity = screen("Korvath Shipping");
  ASSERT_NE(match_of(entity, "10003"), nullptr);
  EXPECT_EQ(text_of(*match_of(entity, "10003"), "type"), "entity");
  auto vessel = screen("Ostrelle Dawn");
  ASSERT_NE(match_of(vessel, "10004"), nullptr);
  EXPECT_EQ(text_of(*match_of(vessel, "10004"), "type"), "vessel");
}

// The same country adds weight: a near miss scores 300 bp more with the party's country, which
// here turns a POSSIBLE_MATCH into a HIT.
TEST_F(sanctions_fixture, country_adds_weight) {
  start();
  auto elsewhere = screen("Ignacio Tessalone", "PT");
  auto there = screen("Ignacio Tessalone", "ES");
  const auto* a = match_of(elsewhere, "10008");
  const auto* b = match_of(there, "10008");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(int_of(*b, "score_bp"), int_of(*a, "score_bp") + 300);
  EXPECT_EQ(elsewhere.result, "POSSIBLE_MATCH");
  EXPECT_EQ(text_of(*a, "level"), "POSSIBLE_MATCH");
  EXPECT_EQ(there.result, "HIT");
}

// Unlisted names are CLEAR with no matches.
TEST_F(sanctions_fixture, strangers_are_clear) {
  start();
  for (const char* name : {"Alice Martin", "Bob Example", "Maria Garcia", "Ngozi Okafor"}) {
    auto s = screen(name, "GB");
    EXPECT_EQ(s.result, "CLEAR") << name;
    EXPECT_TRUE(s.matches.empty()) << name;
  }
}

// A screening can be read again by id; bad fields are 400; unknown ids 404.
TEST_F(sanctions_fixture, read_back_and_bad_input) {
  start();
  auto r = post("/sanctions/v1/screenings", R"({"name":"Ostrelle"})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(get("/sanctions/v1/screenings/" + text_of(json_of(r), "screening_id")).body, r.body);
  expect_error(get("/sanctions/v1/screenings/scr_unknown"), 404, "not_found");
  const auto screen_raw = [&](const std::string& body) {
    return post("/sanctions/v1/screenings", body);
  };
  expect_error(screen_raw("{}"), 400, "invalid_field", "name");
  expect_error(screen_raw(R"({"name":""})"), 400, "invalid_field", "name");
  expect_error(screen_raw(R"({"name":"!!! ---"})"), 400, "invalid_field", "name");
  expect_error(screen_raw(R"({"name":["a"]})"), 400, "invalid_field", "name");
  expect_error(screen_raw(R"({"name":")" + std::string(300, 'a') + "\"}"), 400, "invalid_field",
               "name");
  expect_error(screen_raw(R"({"name":"A","country":"ZZ"})"), 400, "invalid_field", "country");
  expect_error(screen_raw("nope"), 400, "malformed_json");
}

}  // namespace
}  // namespace payorch::testing
