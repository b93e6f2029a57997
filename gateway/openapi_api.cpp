#include "gateway/openapi_api.hpp"

#include <string>

namespace payorch::gateway {

void add_openapi_routes(route_table& routes, const api_context& /*ctx*/) {
  routes.add(http::verb::get, "/openapi.json", [](const exchange_ptr& ex) {
    http_response res{http::status::ok, ex->request().version()};
    res.set(http::field::content_type, "application/json");
    // The document changes only with the binary; five minutes keeps clients close to a deploy.
    res.set(http::field::cache_control, "public, max-age=300");
    res.body() = std::string(openapi_document());
    ex->reply(std::move(res));
  });
}

}  // namespace payorch::gateway
