#include "domain/name_match.hpp"


#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "domain/int128.hpp"
#include "domain/utf8.hpp"

namespace payorch {
namespace {

// ASCII spellings of U+00C0..U+00FF; "" separates (× and ÷).
constexpr const char* latin1_fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};

// ASCII spellings of U+0100..U+017F (Latin Extended-A).
constexpr const char* latin_ext_a_fold[128] = {
    "a", "a", "a",  "a",  "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",   // 0100
    "d", "d", "e",  "e",  "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",   // 0110
    "g", "g", "g",  "g",  "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",   // 0120
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",   // 0130
    "l", "l", "l",  "n",  "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",   // 0140
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",   // 0150
    "s", "s", "t",  "t",  "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",   // 0160
    "u", "u", "u",  "u",  "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"};  // 0170

/// What one code point becomes: text to append, a token break, or nothing.
enum class fold_kind { append, separate, drop };

struct folded {
  fold_kind kind = fold_kind::separate;
  std::u32string text;
};

bool is_apostrophe(char32_t c) {
  return c == U'\'' || c == U'\u2019' || c == U'\u02BC';
}

folded fold(char32_t c) {
  if (c < 0x80) {
    if (c >= U'A' && c <= U'Z') return {fold_kind::append, std::u32string(1, c - U'A' + U'a')};
    if ((c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9'))
      return {fold_kind::append, std::u32string(1, c)};
    if (is_apostrophe(c)) return {fold_kind::drop, {}};
    return {};
  }
  if (is_apostrophe(c) || (c >= 0x300 && c <= 0x36F)) return {fold_kind::drop, {}};
  const char* ascii = nullptr;
  if (c >= 0xC0 && c <= 0xFF) ascii = latin1_fold[c - 0xC0];
  if (c >= 0x100 && c <= 0x17F) ascii = latin_ext_a_fold[c - 0x100];
  if (c == 0x218 || c == 0x219) ascii = "s";  // Romanian comma-below letters
  if (c == 0x21A || c == 0x21B) ascii = "t";
  if (ascii != nullptr) {
    if (*ascii == '\0') return {};
    std::u32string out;
    for (const char* p = ascii; *p != '\0'; ++p) out.push_back(static_cast<char32_t>(*p));
    return {fold_kind::append, out};
  }
  // Latin-1 punctuation, general punctuation and spaces separate; other scripts stay as
  // they are.
  if (c < 0xC0 || (c >= 0x2000 && c <= 0x206F) || c == 0x3000) return {};
  return {fold_kind::append, std::u32string(1, c)};
}

/// Decodes one UTF-8 code point at `at`, advancing it; nullopt (and one byte consumed) on an
/// invalid, overlong or surrogate sequence.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& at) {
  const auto lead = static_cast<unsigned char>(s[at++]);
  if (lead < 0x80) return lead;
  int extra = 0;
  char32_t cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    extra = 1;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    extra = 2;
    cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    extra = 3;
    cp = lead & 0x07;
  } else {
    return std::nullopt;
  }
  if (at + static_cast<std::size_t>(extra) > s.size()) return std::nullopt;
  for (int i = 0; i < extra; ++i) {
    const auto b = static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
    if ((b & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3F);
  }
  const char32_t minimum[] = {0, 0x80, 0x800, 0x10000};
  if (cp < minimum[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  at += static_cast<std::size_t>(extra);
  return cp;
}

/// Jaro similarity as an exact fraction. With m matches and T half-transposed positions
/// (t = T / 2), jaro = (m/la + m/lb + (m - t)/m) / 3 = num / den below; zero when m is 0.
struct fraction {
  detail::int128 num = 0;
  detail::int128 den = 1;
};

fraction jaro(std::u32string_view a, std::u32string_view b) {
  const std::size_t la = a.size();
  const std::size_t lb = b.size();
  const std::size_t window = std::max(la, lb) / 2 > 0 ? std::max(la, lb) / 2 - 1 : 0;
  // Names and their tokens are short: flags on the stack, the heap only for long texts (this
  // runs for every listed party on every screening).
  constexpr std::size_t on_stack = 64;
  std::array<bool, on_stack> a_stack{}, b_stack{};
  std::unique_ptr<bool[]> a_heap, b_heap;
  if (la > on_stack) a_heap = std::make_unique<bool[]>(la);
  if (lb > on_stack) b_heap = std::make_unique<bool[]>(lb);
  bool* a_matched = la > on_stack ? a_heap.get() : a_stack.data();
  bool* b_matched = lb > on_stack ? b_heap.get() : b_stack.data();
  detail::int128 m = 0;
  for (std::size_t i = 0; i < la; ++i) {
    const std::size_t from = i > window ? i - window : 0;
    const std::size_t to = std::min(lb, i + window + 1);
    for (std::size_t j = from; j < to; ++j) {
      if (b_matched[j] || a[i] != b[j]) continue;
      a_matched[i] = b_matched[j] = true;
      ++m;
      break;
    }
  }
  if (m == 0) return {0, 1};
  detail::int128 half_transposed = 0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < la; ++i) {
    if (!a_matched[i]) continue;
    while (!b_matched[k]) ++k;
    if (a[i] != b[k]) ++half_transposed;
    ++k;
  }
  const auto sa = static_cast<detail::int128>(la);
  const auto sb = static_cast<detail::int128>(lb);
  return {2 * m * m * sb + 2 * m * m * sa + (2 * m - half_transposed) * sa * sb, 6 * sa * sb * m};
}

/// Token-set similarity: each token's best partner score, weighted by token length over
/// both names.
int token_set_bp(const std::vector<std::u32string>& a, const std::vector<std::u32string>& b) {
  std::int64_t weighted = 0;
  std::int64_t total_length = 0;
  auto add_side = [&](const std::vector<std::u32string>& from,
                      const std::vector<std::u32string>& to) {
    for (const auto& token : from) {
      int best = 0;
      for (const auto& other : to) best = std::max(best, jaro_winkler_bp(token, other));
      const auto length = static_cast<std::int64_t>(token.size());
      weighted += best * length;
      total_length += length;
    }
  };
  add_side(a, b);
  add_side(b, a);
  return total_length == 0 ? 0 : static_cast<int>(weighted / total_length);
}

}  // namespace

std::string_view to_string(name_match_level level) noexcept {
  switch (level) {
    case name_match_level::hit:
      return "HIT";
    case name_match_level::possible_match:
      return "POSSIBLE_MATCH";
    case name_match_level::none:
      break;
  }
  return "CLEAR";
}

name_match_level level_of(int score_bp) noexcept {
  if (score_bp >= name_hit_bp) return name_match_level::hit;
  if (score_bp >= name_possible_match_bp) return name_match_level::possible_match;
  return name_match_level::none;
}

comparable_name::comparable_name(std::string_view utf8) {
  std::u32string current;
  auto finish_token = [&] {
    if (!current.empty()) tokens_.push_back(std::move(current));
    current.clear();
  };
  std::size_t at = 0;
  while (at < utf8.size()) {
    const auto cp = next_code_point(utf8, at);
    const folded f = cp ? fold(*cp) : folded{};
    if (f.kind == fold_kind::append) current += f.text;
    if (f.kind == fold_kind::separate) finish_token();
  }
  finish_token();
  std::sort(tokens_.begin(), tokens_.end());
  for (const auto& token : tokens_) {
    if (!joined_.empty()) joined_.push_back(U' ');
    joined_ += token;
  }
}

std::string comparable_name::text() const {
  std::string out;
  for (char32_t c : joined_) append_utf8(out, c);
  return out;
}

std::string normalize_name(std::string_view utf8) {
  return comparable_name(utf8).text();
}

int jaro_winkler_bp(std::u32string_view a, std::u32string_view b) noexcept {
  if (a.empty() && b.empty()) return 10000;
  if (a.empty() || b.empty()) return 0;
  const auto [num, den] = jaro(a, b);
  // Winkler's boost only for strings already similar: jaro >= 0.7.
  if (10 * num < 7 * den) return static_cast<int>(num * 10000 / den);
  int prefix = 0;
  while (prefix < 4 && static_cast<std::size_t>(prefix) < std::min(a.size(), b.size()) &&
         a[static_cast<std::size_t>(prefix)] == b[static_cast<std::size_t>(prefix)])
    ++prefix;
  // jaro + prefix/10 * (1 - jaro), exactly, then floored once.
  return static_cast<int>((10 * num + prefix * (den - num)) * 10000 / (10 * den));
}

int name_similarity_bp(const comparable_name& a, const comparable_name& b) {
  if (a.empty() || b.empty()) return 0;
  return std::max(jaro_winkler_bp(a.joined(), b.joined()), token_set_bp(a.tokens(), b.tokens()));
}

int name_similarity_bp(std::string_view a, std::string_view b) {
  return name_similarity_bp(comparable_name(a), comparable_name(b));
}

name_match match_listed_party(const comparable_name& query, std::string_view query_country,
                              std::span<const comparable_name> party_names,
                              std::string_view party_country) {
  name_match best;
  for (std::size_t i = 0; i < party_names.size(); ++i) {
    const int score = name_similarity_bp(query, party_names[i]);
    if (score > best.score_bp) {
      best.score_bp = score;
      best.matched_index = i;
    }
  }
  if (best.score_bp > 0 && !query_country.empty() && query_country == party_country)
    best.score_bp = std::min(10000, best.score_bp + name_country_bonus_bp);
  best.level = level_of(best.score_bp);
  return best;
}

}  // namespace payorch
