#include "gateway/exchange.hpp"

#include <boost/beast/http/field.hpp>

namespace payorch::gateway {

exchange::~exchange() {
  if (handler_replied_.load()) return;
  try {
    reply(problem_response(make_problem(http::status::internal_server_error, "internal_error",
                                        "the request ended without an answer"),
                           request_.version()));
  } catch (...) {  // nothing may leave a destructor; the session's timeout then closes it
  }
}

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
  // Straight to the client: a timeout is not the handler's answer, so it is never stored. The
  // handler's answer, should it come later, still reaches the interceptor (see reply).
  send(problem_response(make_problem(http::status::gateway_timeout, "deadline_exceeded",
                                     "the request did not complete before its deadline"),
                        request_.version()));
}

http_response problem_response(const problem& p, unsigned version) {
  http_response res{p.status, version};
  res.set(http::field::content_type, "application/problem+json");
  if (!p.www_authenticate.empty()) res.set(http::field::www_authenticate, p.www_authenticate);
  res.body() = problem_body(p);
  return res;
}

}  // namespace payorch::gateway
