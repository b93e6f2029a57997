#include "gateway/exchange.hpp"

#include <boost/beast/http/field.hpp>

namespace payorch::gateway {

void exchange::reply_json(http::status status, std::string body) {
  http_response res{status, request_.version()};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  reply(std::move(res));
}

void exchange::reply_problem(const problem& p) {
  reply(problem_response(p, request_.version()));
}

void exchange::expire() {
  reply_problem(make_problem(http::status::gateway_timeout, "deadline_exceeded",
                             "the request did not complete before its deadline"));
}

http_response problem_response(const problem& p, unsigned version) {
  http_response res{p.status, version};
  res.set(http::field::content_type, "application/problem+json");
  res.body() = problem_body(p);
  return res;
}

}  // namespace payorch::gateway
