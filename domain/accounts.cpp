#include "domain/accounts.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>

namespace payorch {
namespace {

struct iban_country {
  std::string_view code;
  int length;
};

// SWIFT IBAN registry (as of 2024): every country that issues IBANs and the total
// IBAN length there. Dependent territories use their parent's code (e.g. FR, GB).
constexpr iban_country iban_countries[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
    {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
    {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
    {"GT", 28}, {"HN", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26},
    {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20},
    {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20},
    {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24},
    {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25},
    {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
    {"YE", 30},
};

// ISO 3166-1 alpha-2, officially assigned codes (Debian iso-codes 4.15).
constexpr std::string_view alpha2_codes[] = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

static_assert(std::is_sorted(std::begin(iban_countries), std::end(iban_countries),
                             [](const iban_country& a, const iban_country& b) {
                               return a.code < b.code;
                             }),
              "iban_length needs sorted codes");
static_assert(std::is_sorted(std::begin(alpha2_codes), std::end(alpha2_codes)),
              "is_iso3166_alpha2 needs sorted codes");

constexpr bool is_upper(char c) noexcept {
  return c >= 'A' && c <= 'Z';
}
constexpr bool is_lower(char c) noexcept {
  return c >= 'a' && c <= 'z';
}
constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
constexpr bool is_upper_alnum(char c) noexcept {
  return is_upper(c) || is_digit(c);
}
constexpr bool is_alnum(char c) noexcept {
  return is_upper(c) || is_lower(c) || is_digit(c);
}

constexpr std::size_t max_iban_length = 34;

// Copies the IBAN in `text` to `out` without print-form spaces: either no spaces at all
// or exactly one after every group of four. Returns the compact length, 0 on bad spacing.
std::size_t compact_iban(std::string_view text, std::array<char, max_iban_length>& out) noexcept {
  const bool print_form = text.find(' ') != std::string_view::npos;
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool separator_slot = print_form && i % 5 == 4;
    if (separator_slot != (text[i] == ' ')) return 0;
    if (separator_slot) continue;
    if (n == out.size()) return 0;
    out[n++] = text[i];
  }
  if (print_form && !text.empty() && text.back() == ' ') return 0;
  return n;
}

// ISO 7064 mod 97-10 over the IBAN with its first four characters moved to the end and
// letters read as 10..35.
int iban_mod97(std::string_view iban) noexcept {
  int remainder = 0;
  for (std::size_t k = 0; k < iban.size(); ++k) {
    const char c = iban[(k + 4) % iban.size()];
    remainder =
        is_digit(c) ? (remainder * 10 + (c - '0')) % 97 : (remainder * 100 + (c - 'A' + 10)) % 97;
  }
  return remainder;
}

}  // namespace

std::optional<int> iban_length(std::string_view country) noexcept {
  const auto it =
      std::lower_bound(std::begin(iban_countries), std::end(iban_countries), country,
                       [](const iban_country& c, std::string_view key) { return c.code < key; });
  if (it == std::end(iban_countries) || it->code != country) return std::nullopt;
  return it->length;
}

bool is_valid_iban(std::string_view text) noexcept {
  std::array<char, max_iban_length> buffer{};
  const std::size_t n = compact_iban(text, buffer);
  if (n < 5) return false;
  const std::string_view iban(buffer.data(), n);
  if (!is_upper(iban[0]) || !is_upper(iban[1]) || !is_digit(iban[2]) || !is_digit(iban[3])) {
    return false;
  }
  const auto length = iban_length(iban.substr(0, 2));
  if (!length || static_cast<std::size_t>(*length) != n) return false;
  if (!std::all_of(iban.begin() + 4, iban.end(), is_upper_alnum)) return false;
  return iban_mod97(iban) == 1;
}

std::string normalize_iban(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != ' ') out += c;
  }
  return out;
}

bool is_iso3166_alpha2(std::string_view code) noexcept {
  return std::binary_search(std::begin(alpha2_codes), std::end(alpha2_codes), code);
}

bool is_valid_bic(std::string_view text) noexcept {
  if (text.size() != 8 && text.size() != 11) return false;
  if (!std::all_of(text.begin(), text.begin() + 4, is_upper)) return false;
  const auto country = text.substr(4, 2);
  if (!is_iso3166_alpha2(country) && country != "XK") return false;
  return std::all_of(text.begin() + 6, text.end(), is_upper_alnum);
}

bool is_valid_upi_vpa(std::string_view text) noexcept {
  const auto at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos)
    return false;
  const auto handle = text.substr(0, at);
  const auto psp = text.substr(at + 1);
  const auto handle_char = [](char c) { return is_alnum(c) || c == '.' || c == '-' || c == '_'; };
  return handle.size() >= 2 && handle.size() <= 256 &&
         std::all_of(handle.begin(), handle.end(), handle_char) && psp.size() >= 2 &&
         psp.size() <= 64 && std::all_of(psp.begin(), psp.end(), is_alnum);
}

}  // namespace payorch
