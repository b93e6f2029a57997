// Tests of name normalisation, Jaro-Winkler in basis points and sanctions-style name matching.
#include "domain/name_match.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace payorch {
namespace {

// Case, accents, punctuation and word order all disappear in the normal form.
TEST(name_match, normalises_case_accents_punctuation_and_order) {
  EXPECT_EQ(normalize_name("Jérôme QUILLABRAND"), "jerome quillabrand");
  EXPECT_EQ(normalize_name("Quillabrand, Jérôme"), "jerome quillabrand");
  EXPECT_EQ(normalize_name("  Ærvik-Łodz   Straße "), "aervik lodz strasse");
  EXPECT_EQ(normalize_name("O'Neil"), "oneil");
  EXPECT_EQ(normalize_name("O\u2019Neil"), "oneil");
  EXPECT_EQ(normalize_name("Ștefan Țăranu"), "stefan taranu");
  EXPECT_EQ(normalize_name("Z\u0301ofia"), "zofia");  // a combining accent is dropped
  EXPECT_EQ(normalize_name("A.B. Holdings Ltd."), "a b holdings ltd");
}

// Nothing comparable is left of empty text, punctuation only or invalid UTF-8.
TEST(name_match, normalises_wrong_input_to_empty_or_separators) {
  EXPECT_EQ(normalize_name(""), "");
  EXPECT_EQ(normalize_name(" ,.;-- "), "");
  EXPECT_TRUE(comparable_name("!!!").empty());
  EXPECT_EQ(normalize_name("ab\xff\xfe"
                           "cd"),
            "ab cd");                               // invalid bytes separate
  EXPECT_EQ(normalize_name("\xc3"), "");            // a truncated sequence
  EXPECT_EQ(normalize_name("\xed\xa0\x80x"), "x");  // an encoded surrogate
}

// Letters of other scripts are kept, so they still compare with themselves.
TEST(name_match, keeps_other_scripts) {
  EXPECT_EQ(normalize_name("Жора  Кот"), "Жора Кот");
  EXPECT_EQ(name_similarity_bp("Жора Кот", "Кот Жора"), 10000);
}

// Jaro-Winkler matches the textbook values, floored to basis points.
TEST(name_match, jaro_winkler_textbook_values) {
  EXPECT_EQ(jaro_winkler_bp(U"MARTHA", U"MARHTA"), 9611);   // 0.9611
  EXPECT_EQ(jaro_winkler_bp(U"DWAYNE", U"DUANE"), 8400);    // 0.84
  EXPECT_EQ(jaro_winkler_bp(U"DIXON", U"DICKSONX"), 8133);  // 0.8133
  EXPECT_EQ(jaro_winkler_bp(U"abc", U"abc"), 10000);
  EXPECT_EQ(jaro_winkler_bp(U"abc", U"xyz"), 0);
}

// Empty strings: identical to each other, similar to nothing else.
TEST(name_match, jaro_winkler_empty_input) {
  EXPECT_EQ(jaro_winkler_bp(U"", U""), 10000);
  EXPECT_EQ(jaro_winkler_bp(U"", U"a"), 0);
  EXPECT_EQ(jaro_winkler_bp(U"a", U""), 0);
  EXPECT_EQ(name_similarity_bp("", ""), 0);
  EXPECT_EQ(name_similarity_bp("Jerome", "..."), 0);
}

// The score is symmetric and identical names score 10000 whatever their spelling.
TEST(name_match, identical_names_score_full) {
  EXPECT_EQ(name_similarity_bp("Jérôme Quillabrand", "QUILLABRAND, jerome"), 10000);
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"Jerome Quillabrand", "Jerome Quilabrand"},
      {"Varkonyi Trading", "Varkony Tradin"},
      {"Anna", "Hannah Smith"}};
  for (const auto& [a, b] : pairs) EXPECT_EQ(name_similarity_bp(a, b), name_similarity_bp(b, a));
}

// A small misspelling of a listed name is still a hit; unrelated names are clear.
TEST(name_match, misspellings_hit_and_strangers_clear) {
  EXPECT_GE(name_similarity_bp("Jerome Quilabrand", "Jérôme Quillabrand"), name_hit_bp);
  EXPECT_GE(name_similarity_bp("Quillabrand Jerom", "Jérôme Quillabrand"), name_hit_bp);
  EXPECT_LT(name_similarity_bp("Maria Lopez", "Jérôme Quillabrand"), name_possible_match_bp);
  EXPECT_LT(name_similarity_bp("Jane Smith", "Jerome Quillabrand"), name_possible_match_bp);
}

// A missing token costs in proportion to its length rather than being ignored.
TEST(name_match, missing_token_lowers_the_score) {
  const int full = name_similarity_bp("Jerome Quillabrand", "Jerome Quillabrand");
  const int partial = name_similarity_bp("Quillabrand", "Jerome Quillabrand");
  EXPECT_LT(partial, full);
  EXPECT_LT(partial, name_hit_bp);
}

// Thresholds: 9200 is a HIT, 8500 a POSSIBLE_MATCH, below that nothing.
TEST(name_match, levels_follow_thresholds) {
  EXPECT_EQ(level_of(10000), name_match_level::hit);
  EXPECT_EQ(level_of(9200), name_match_level::hit);
  EXPECT_EQ(level_of(9199), name_match_level::possible_match);
  EXPECT_EQ(level_of(8500), name_match_level::possible_match);
  EXPECT_EQ(level_of(8499), name_match_level::none);
  EXPECT_EQ(level_of(0), name_match_level::none);
  EXPECT_EQ(level_of(-5), name_match_level::none);
  EXPECT_EQ(to_string(name_match_level::hit), "HIT");
  EXPECT_EQ(to_string(name_match_level::possible_match), "POSSIBLE_MATCH");
  EXPECT_EQ(to_string(name_match_level::none), "CLEAR");
}

// A party matches on its best name or alias, and the same country adds the bonus.
TEST(name_match, party_matches_best_alias_with_country_bonus) {
  const std::vector<comparable_name> names = {comparable_name("Korvath Maritime Holdings"),
                                              comparable_name("Élodie Várkonyi-Žrenak")};
  const comparable_name query("Elodie Varkonyi Zrenak");
  const auto no_country = match_listed_party(query, "", names, "HU");
  EXPECT_EQ(no_country.matched_index, 1u);
  EXPECT_EQ(no_country.score_bp, 10000);
  EXPECT_EQ(no_country.level, name_match_level::hit);

  const comparable_name near("Elodi Varkony");
  const auto other = match_listed_party(near, "FR", names, "HU");
  const auto same = match_listed_party(near, "HU", names, "HU");
  EXPECT_EQ(same.score_bp, std::min(10000, other.score_bp + name_country_bonus_bp));
  EXPECT_EQ(same.matched_index, 1u);
}

// No names, an empty query or a stranger give no match, and the bonus never rescues a zero.
TEST(name_match, party_match_wrong_input) {
  const std::vector<comparable_name> none;
  EXPECT_EQ(match_listed_party(comparable_name("x"), "HU", none, "HU").score_bp, 0);
  const std::vector<comparable_name> names = {comparable_name("Korvath")};
  const auto empty = match_listed_party(comparable_name(""), "HU", names, "HU");
  EXPECT_EQ(empty.score_bp, 0);
  EXPECT_EQ(empty.level, name_match_level::none);
  const auto stranger = match_listed_party(comparable_name("Bob"), "HU", names, "HU");
  EXPECT_EQ(stranger.level, name_match_level::none);
}

}  // namespace
}  // namespace payorch
