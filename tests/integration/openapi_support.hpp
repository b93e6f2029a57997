#pragma once
/// The OpenAPI document (gateway/openapi.json) as integration tests hold live answers to it.

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/http_client.hpp"
#include "tests/support/openapi_check.hpp"

namespace payorch::testing {

/// The document's text as the source tree holds it (CMake passes its path).
inline std::string openapi_text() {
  std::ifstream in(PAYORCH_OPENAPI_JSON, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The parsed document (read once).
inline const boost::json::value& openapi_document() {
  static const boost::json::value parsed = boost::json::parse(openapi_text());
  return parsed;
}

/// The lines of a check, one per line ("" when it passed).
inline std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

inline openapi::response_sample sample_of(const http_reply& r) {
  return {r.status, r.header("Content-Type").value_or(""), r.body, r.headers};
}

/// What `r`, the answer to `method` `target`, does not do as the document says ("" if all).
inline std::string openapi_departures(std::string_view method, std::string_view target,
                                      const http_reply& r) {
  return joined(openapi::check_response(openapi_document(), method, target, sample_of(r)));
}

}  // namespace payorch::testing
