#pragma once
/// How a response goes on the wire (internal to the gateway; the session uses it, tests hold it
/// to Beast's own serializer).

#include <string>

#include "gateway/http_types.hpp"

namespace payorch::gateway {

/// Appends the status line and the header fields of `res`, then the blank line, byte for byte as
/// Beast's serializer writes them; the body is sent as a buffer of its own. Beast's serializer
/// spent about a fifth of the server thread's time on a GET: its generic buffer sequences cost
/// more than the bytes.
void append_head(std::string& out, const http_response& res);

/// True for the statuses whose responses never have content (1xx, 204, 304): they are sent
/// without a body and without Content-Length (RFC 9110, sections 8.6, 15.3.5, 15.4.5).
bool bodiless_status(unsigned status);

}  // namespace payorch::gateway
