#pragma once
/// RFC 9457 problem details: every error the API returns is one of these.
///
/// Body: `{"type", "title", "status", "detail", "code", "param"}` as `application/problem+json`.
/// `code` is the stable machine-readable reason (the domain's errc name or a gateway code such
/// as `unsupported_media_type`); `type` is `urn:payorch:problem:<code>`.

#include <string>

#include "domain/result.hpp"
#include "gateway/http_types.hpp"

namespace payorch::gateway {

struct problem {
  http::status status = http::status::internal_server_error;
  std::string code;
  std::string title;
  std::string detail;
  std::string param;
  /// The `WWW-Authenticate` header value of a 401 or 403 (empty: no header).
  std::string www_authenticate;
};

/// A problem with the standard title of `status`.
problem make_problem(http::status status, std::string code, std::string detail,
                     std::string param = {});

/// The problem a domain failure becomes (400 for bad input, 404, 409, 503, 504...).
problem problem_from(const failure& f);

/// The HTTP status a domain error code maps to.
http::status status_of(errc code);

/// The JSON body of a problem.
std::string problem_body(const problem& p);

}  // namespace payorch::gateway
