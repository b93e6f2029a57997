#include <algorithm>
#include <cctype>
#include <charconv>

#include "config/key_table.hpp"

namespace payorch::config {
namespace {

constexpr std::string_view shape_hint = "must be HOST:PORT, as 127.0.0.1:8080 or [::1]:8080";
constexpr std::size_t max_host_bytes = 253;  // the longest DNS name

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
}

bool is_ipv6_char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
}

/// What is wrong with an IPv6 host taken from between brackets, if anything.
std::optional<std::string> ipv6_host_problem(std::string_view host) {
  // A zone (`fe80::1%eth0`) names an interface, so it follows the name rules.
  auto zone_at = host.find('%');
  std::string_view address = host.substr(0, zone_at);
  std::string_view zone =
      zone_at == std::string_view::npos ? std::string_view{} : host.substr(zone_at + 1);
  bool bad_address = address.find(':') == std::string_view::npos ||
                     !std::all_of(address.begin(), address.end(), is_ipv6_char);
  bool bad_zone = zone_at != std::string_view::npos &&
                  (zone.empty() || !std::all_of(zone.begin(), zone.end(), is_name_char));
  if (bad_address || bad_zone) return "must hold an IPv6 address between the brackets";
  return std::nullopt;
}

/// What is wrong with a host name or IPv4 address, if anything.
std::optional<std::string> name_host_problem(std::string_view host) {
  if (host.empty()) return "must name a host before the port (0.0.0.0 for every interface)";
  if (host.find(':') != std::string_view::npos) {
    return "must put an IPv6 host in brackets, as [::1]:8080";
  }
  if (!std::all_of(host.begin(), host.end(), is_name_char)) {
    return "must have a host of letters, digits, '.', '-' and '_' only";
  }
  return std::nullopt;
}

std::variant<std::uint16_t, std::string> parse_port(std::string_view text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || stop != end || value < 1 || value > 65535) {
    return std::string("must have a port between 1 and 65535");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string to_string(const listen_address& address) {
  bool ipv6 = address.host.find(':') != std::string::npos;
  std::string host = ipv6 ? "[" + address.host + "]" : address.host;
  return host + ":" + std::to_string(address.port);
}

namespace detail {

std::variant<listen_address, std::string> parse_listen_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  std::optional<std::string> host_problem;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::string(shape_hint);
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return std::string(shape_hint);
    port = rest.substr(1);
    host_problem = ipv6_host_problem(host);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::string(shape_hint);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    host_problem = name_host_problem(host);
  }
  if (host_problem) return std::move(*host_problem);
  if (host.size() > max_host_bytes) return std::string("must have a host of at most 253 bytes");
  auto parsed_port = parse_port(port);
  if (auto* problem = std::get_if<std::string>(&parsed_port)) return std::move(*problem);
  return listen_address{std::string(host), std::get<std::uint16_t>(parsed_port)};
}

}  // namespace detail
}  // namespace payorch::config
