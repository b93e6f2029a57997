#include "gateway/http_wire.hpp"

#include <string_view>

namespace payorch::gateway {

void append_head(std::string& out, const http_response& res) {
  // Versions are one digit each side of the dot (Beast's parser reads no more) and statuses three.
  const auto digit = [](unsigned n) { return static_cast<char>('0' + n % 10); };
  const unsigned version = res.version();
  const unsigned code = res.result_int();
  char start[] = "HTTP/x.x xxx ";
  start[5] = digit(version / 10);
  start[7] = digit(version);
  start[9] = digit(code / 100);
  start[10] = digit(code / 10);
  start[11] = digit(code);
  out.append(start, sizeof start - 1);
  const std::string_view reason = res.reason();  // the status's own phrase unless one was set
  out.append(reason);
  out.append("\r\n");
  for (const auto& field : res) {
    out.append(field.name_string());
    out.append(": ");
    out.append(field.value());
    out.append("\r\n");
  }
  out.append("\r\n");
}

bool bodiless_status(unsigned status) {
  return status < 200 || status == 204 || status == 304;
}

}  // namespace payorch::gateway
