#include "app/sandbox/sanctions_list.hpp"

#include <algorithm>
#include <charconv>

namespace payorch::app::sandbox {
namespace {

constexpr std::size_t column_count = 6;

/// Splits one CSV record starting at `at` (RFC 4180: quoted fields, "" for a quote, CRLF or
/// LF); false on an unterminated quote or text after a closing quote.
bool read_record(std::string_view csv, std::size_t& at, std::vector<std::string>& fields) {
  fields.assign(1, {});
  bool quoted = false;
  while (at < csv.size()) {
    const char c = csv[at++];
    auto& field = fields.back();
    if (quoted) {
      if (c != '"') {
        field.push_back(c);
      } else if (at < csv.size() && csv[at] == '"') {
        field.push_back('"');
        ++at;
      } else {
        quoted = false;
        if (at < csv.size() && csv[at] != ',' && csv[at] != '\n' && csv[at] != '\r') return false;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      return true;
    } else if (c != '\r') {
      field.push_back(c);
    }
  }
  return !quoted;
}

std::vector<std::string> split_aliases(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    auto end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

/// The party of one record, or what is wrong with it.
std::variant<listed_party, std::string> party_of(const std::vector<std::string>& f) {
  if (f.size() != column_count) return "expected 6 fields, found " + std::to_string(f.size());
  listed_party p;
  auto [end, ec] = std::from_chars(f[0].data(), f[0].data() + f[0].size(), p.ent_num);
  if (ec != std::errc{} || end != f[0].data() + f[0].size() || p.ent_num <= 0)
    return "ent_num must be a positive integer";
  if (f[1].empty()) return "name is empty";
  if (f[2] != "individual" && f[2] != "entity" && f[2] != "vessel")
    return "type must be individual, entity or vessel";
  p.name = f[1];
  p.type = f[2];
  p.program = f[3];
  p.country = f[4];
  p.aliases = split_aliases(f[5]);
  p.comparable.emplace_back(p.name);
  for (const auto& alias : p.aliases) p.comparable.emplace_back(alias);
  return p;
}

}  // namespace

std::variant<sanctions_list, std::string> sanctions_list::parse(std::string_view csv) {
  sanctions_list list;
  std::size_t at = 0;
  std::vector<std::string> fields;
  int line = 0;
  while (at < csv.size()) {
    ++line;
    if (!read_record(csv, at, fields)) return "line " + std::to_string(line) + ": bad quoting";
    if (line == 1) continue;                                // the header
    if (fields.size() == 1 && fields[0].empty()) continue;  // a blank line
    auto party = party_of(fields);
    if (auto* why = std::get_if<std::string>(&party))
      return "line " + std::to_string(line) + ": " + *why;
    list.parties_.push_back(std::move(std::get<listed_party>(party)));
  }
  if (list.parties_.empty()) return std::string("the list has no entries");
  return list;
}

std::vector<screening_match> sanctions_list::screen(std::string_view name,
                                                    std::string_view country) const {
  const comparable_name query(name);
  std::vector<screening_match> out;
  for (const auto& party : parties_) {
    const auto m = match_listed_party(query, country, party.comparable, party.country);
    if (m.level == name_match_level::none) continue;
    out.push_back({&party, m.matched_index == 0 ? party.name : party.aliases[m.matched_index - 1],
                   m.score_bp, m.level});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.score_bp > b.score_bp; });
  if (out.size() > max_screening_matches) out.resize(max_screening_matches);
  return out;
}

}  // namespace payorch::app::sandbox
