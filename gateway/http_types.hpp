#pragma once
/// The HTTP message types every gateway file speaks (Beast, string bodies).

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace payorch::gateway {

namespace http = boost::beast::http;
using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

}  // namespace payorch::gateway
