#include "gateway/route_table.hpp"

#include <stdexcept>
#include <utility>

#include "gateway/encoding.hpp"

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
  // HEAD is answered by a path's GET route (see match); a route of its own would never be reached.
  if (method == http::verb::head)
    throw std::invalid_argument("route " + pattern + ": HEAD is served by the GET route");
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
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto decoded = form_decode(path.substr(start, end - start), /*plus_is_space=*/false);
    if (!decoded) return false;
    segments.push_back(std::move(*decoded));
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
  // HEAD is GET without the body (RFC 9110, 9.3.2): the GET route answers it and the session
  // sends the head alone.
  const http::verb wanted = method == http::verb::head ? http::verb::get : method;
  int best = -1;
  for (const auto& r : routes_) {
    int score = match_score(r, segments, nullptr);
    if (score < 0) continue;
    result.path_known = true;
    if (r.method == wanted && score > best) {
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
    if (r.method == http::verb::get) name += ", HEAD";
    if (result.allow.find(name) != std::string::npos) continue;
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += name;
  }
  return result;
}

}  // namespace payorch::gateway
