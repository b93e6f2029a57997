#pragma once
/// GET /openapi.json: the API's OpenAPI 3.1 document, embedded in the binary at build time.
///
/// The document is `gateway/openapi.json`, hand-written; CMake turns it into a generated source
/// (see this folder's CMakeLists.txt), so the binary serves exactly the file in the tree.

#include <string_view>

#include "gateway/route_table.hpp"

namespace payorch::gateway {

struct api_context;

/// The text of gateway/openapi.json as it was when the binary was built.
std::string_view openapi_document();

/// Registers GET /openapi.json: 200, application/json, cacheable by anyone for five minutes.
void add_openapi_routes(route_table& routes, const api_context& ctx);

}  // namespace payorch::gateway
