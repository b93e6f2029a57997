#pragma once
/// Holds HTTP responses to an OpenAPI 3.1 document: path, operation, status, media type, headers
/// and body must all be what the document says.
///
/// The JSON Schema subset is the one gateway/openapi.json uses: `type` (a name or an array of
/// names, "null" included), `properties`, `required`, `additionalProperties` (false or a
/// schema), `minProperties`, `items`, `enum`, `const`, `minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum`, `minLength`/`maxLength` (in code points), `pattern` (std::regex
/// ECMAScript, unanchored as JSON Schema says), `format: date-time` (RFC 3339, loosely),
/// `oneOf`, `anyOf`, `allOf` and local `$ref`s (`#/components/...`). Other keywords
/// (`description`, `format: int64`, `examples`, ...) are ignored. Path parameters are matched by
/// position only: a malformed id still names its template, since the server answers it too.
///
/// Violations are values: each check returns the list of them, empty when the response conforms.
/// Each one reads `<where>: <what>`, `where` being a JSON pointer into the body (`/policy/version`)
/// or `header <name>`.

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace payorch::testing::openapi {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// One HTTP response as the checker sees it.
struct response_sample {
  int status = 0;
  std::string content_type;  ///< the Content-Type header as sent, parameters included; "" if none
  std::string body;
  /// When given, every documented header must be present (if required) and match its schema.
  std::optional<header_list> headers;
};

/// The document's path template a concrete path falls under, and the values of its parameters.
struct path_match {
  std::string path_template;  ///< e.g. "/pods/{pod_id}/members"
  std::vector<std::pair<std::string, std::string>> params;
};

/// The value a local reference (`#/components/schemas/Pod`) names; nullptr when it names nothing.
const boost::json::value* resolve_ref(const boost::json::value& doc, std::string_view ref);

/// Every `$ref` anywhere in the document that does not resolve, with where it was found.
std::vector<std::string> unresolved_refs(const boost::json::value& doc);

/// The template `path` falls under; the query string and a trailing slash are ignored, and the
/// template with the most literal segments wins (as in the server's routing table).
std::optional<path_match> match_path(const boost::json::value& doc, std::string_view path);

/// The ways `instance` departs from `schema` (whose `$ref`s resolve inside `doc`).
std::vector<std::string> validate(const boost::json::value& doc, const boost::json::value& schema,
                                  const boost::json::value& instance);

/// The ways `sample` departs from what `doc` documents for `method` (any case) on the concrete
/// `path`: a template matches, it has the operation, the status (or `4XX`, or `default`) is
/// documented, so is the media type, and the body (and, if given, the headers) validate.
std::vector<std::string> check_response(const boost::json::value& doc, std::string_view method,
                                        std::string_view path, const response_sample& sample);

/// The same check without headers.
std::vector<std::string> check_response(const boost::json::value& doc, std::string_view method,
                                        std::string_view path, int status,
                                        std::string_view content_type, std::string_view body);

/// The ways `sample` departs from the reusable response `#/components/responses/<name>`: for
/// answers no operation owns, such as an unknown route's 404 or a 405.
std::vector<std::string> check_component_response(const boost::json::value& doc,
                                                  std::string_view name,
                                                  const response_sample& sample);

}  // namespace payorch::testing::openapi
