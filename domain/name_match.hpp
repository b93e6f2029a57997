#pragma once
/// Fuzzy comparison of personal and company names for sanctions screening, in basis points.
///
/// Rule. A name is first normalised: UTF-8 is decoded, common Latin accents are folded
/// (é → e, ß → ss, Ł → l, Æ → ae), ASCII letters are lower-cased, apostrophes are dropped
/// ("O'Neil" → "oneil"), combining marks are dropped, every other punctuation or space
/// character separates tokens, and the tokens are sorted. Letters of other scripts are kept
/// as they are (not case-folded). Two names are then compared two ways and the higher score
/// wins:
///
///   - Jaro-Winkler similarity of the sorted tokens joined by single spaces;
///   - token-set similarity: every token of each name takes the Jaro-Winkler similarity of
///     its best partner in the other name, and the scores are averaged weighted by token
///     length (code points) over both names, so a missing or extra token costs in proportion
///     to its length.
///
/// Everything is integer arithmetic (no floating point): Jaro is an exact fraction floored to
/// basis points, and the Winkler prefix bonus (0.1 per common leading code point, at most 4,
/// only when Jaro is at least 7000) is floored too. A listed party matches at the best score
/// over its primary name and aliases, plus `name_country_bonus_bp` when both sides give the
/// same country, capped at 10000.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace payorch {

/// At or above this score a screening reports a HIT.
inline constexpr int name_hit_bp = 9200;
/// At or above this score (and below `name_hit_bp`) a screening reports a POSSIBLE_MATCH.
inline constexpr int name_possible_match_bp = 8500;
/// What the same country on both sides adds to a name's score.
inline constexpr int name_country_bonus_bp = 300;

/// How strongly a name matches, by the thresholds above.
enum class name_match_level { none, possible_match, hit };

/// "CLEAR", "POSSIBLE_MATCH" or "HIT": the wire spelling of a screening result.
std::string_view to_string(name_match_level level) noexcept;

/// The level a score in basis points reaches.
name_match_level level_of(int score_bp) noexcept;

/// A name normalised once so it can be compared with many others cheaply.
class comparable_name {
 public:
  comparable_name() = default;
  /// Normalises `utf8` as described at the top of this header; invalid UTF-8 bytes separate.
  explicit comparable_name(std::string_view utf8);

  /// The sorted tokens joined by single spaces, as UTF-8 ("jerome quillabrand").
  std::string text() const;
  bool empty() const noexcept { return tokens_.empty(); }
  const std::vector<std::u32string>& tokens() const noexcept { return tokens_; }
  const std::u32string& joined() const noexcept { return joined_; }

 private:
  std::vector<std::u32string> tokens_;
  std::u32string joined_;
};

/// `utf8` normalised: the sorted tokens joined by single spaces.
std::string normalize_name(std::string_view utf8);

/// Jaro-Winkler similarity of two code-point strings in basis points (0..10000); two empty
/// strings are identical, one empty string matches nothing.
int jaro_winkler_bp(std::u32string_view a, std::u32string_view b) noexcept;

/// The similarity of two normalised names in basis points (0..10000): the higher of the
/// joined-text and the token-set scores; 0 when either is empty.
int name_similarity_bp(const comparable_name& a, const comparable_name& b);

/// The similarity of two names given as UTF-8 text.
int name_similarity_bp(std::string_view a, std::string_view b);

/// The outcome of screening one name against one listed party.
struct name_match {
  int score_bp = 0;               ///< best similarity, country bonus included, capped at 10000
  std::size_t matched_index = 0;  ///< which of the party's names scored best (0: the first)
  name_match_level level = name_match_level::none;
};

/// Screens `query` against a listed party's names (primary then aliases); `query_country` and
/// `party_country` are ISO 3166 alpha-2 codes or empty, and add the bonus when equal.
name_match match_listed_party(const comparable_name& query, std::string_view query_country,
                              std::span<const comparable_name> party_names,
                              std::string_view party_country);

}  // namespace payorch
