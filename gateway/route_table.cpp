#include "gateway/route_table.hpp"

namespace payorch::gateway {
namespace {

std::vector<std::string> split_pattern(std::string_view pattern) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    auto end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    out.emplace_back(pattern.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex_value(in[i + 1]);
    int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

/// Scores a match: -1 for none, otherwise the number of literal segments (more is better).
int match_score(const route& r, const std::vector<std::string>& segments, path_params* params) {
  if (r.segments.size() != segments.size()) return -1;
  int literals = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (is_param(r.segments[i])) {
      if (segments[i].empty()) return -1;
      if (params)
        params->emplace_back(r.segments[i].substr(1, r.segments[i].size() - 2), segments[i]);
    } else if (r.segments[i] == segments[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  return literals;
}

}  // namespace

void route_table::add(http::verb method, std::string pattern, handler run, std::string body_type) {
  auto segments = split_pattern(pattern);
  routes_.push_back(
      {method, std::move(pattern), std::move(run), std::move(segments), std::move(body_type)});
}

bool split_target(std::string_view target, std::vector<std::string>& segments, std::string& query) {
  if (target.empty() || target.front() != '/') return false;
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
  segments.clear();
  std::size_t start = 1;
  std::string decoded;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (!percent_decode(path.substr(start, end - start), decoded)) return false;
    segments.push_back(decoded);
    start = end + 1;
  }
  // A trailing slash names the same resource ("/pods/" is "/pods").
  if (segments.size() > 1 && segments.back().empty()) segments.pop_back();
  return true;
}

route_match route_table::match(http::verb method, std::string_view path) const {
  route_match result;
  std::vector<std::string> segments;
  std::string query;
  if (!split_target(path, segments, query)) return result;
  int best = -1;
  for (const auto& r : routes_) {
    int score = match_score(r, segments, nullptr);
    if (score < 0) continue;
    result.path_known = true;
    if (r.method == method && score > best) {
      best = score;
      result.found = &r;
    }
  }
  if (result.found) {
    match_score(*result.found, segments, &result.params);
    return result;
  }
  for (const auto& r : routes_) {
    if (match_score(r, segments, nullptr) < 0) continue;
    auto name = std::string(http::to_string(r.method));
    if (result.allow.find(name) != std::string::npos) continue;
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += name;
  }
  return result;
}

}  // namespace payorch::gateway
