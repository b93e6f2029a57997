#include "gateway/problem.hpp"

#include "gateway/json_output.hpp"

namespace payorch::gateway {

http::status status_of(errc code) {
  switch (code) {
    case errc::not_found:
      return http::status::not_found;
    case errc::already_exists:
    case errc::illegal_transition:
    case errc::version_conflict:
    case errc::pod_not_active:
    case errc::idempotency_in_flight:
    case errc::pending_expired:
      return http::status::conflict;
    case errc::role_forbidden:
      return http::status::forbidden;
    case errc::idempotency_key_reused:
    case errc::insufficient_funds:
      return http::status::unprocessable_entity;
    case errc::storage_unavailable:
    case errc::entity_unavailable:
      return http::status::service_unavailable;
    case errc::deadline_exceeded:
      return http::status::gateway_timeout;
    case errc::internal_error:
    case errc::ledger_unbalanced:  // the code builds balanced transactions: a bug, not input
    case errc::ok:
      return http::status::internal_server_error;
    default:
      return http::status::bad_request;  // every other code is about the input
  }
}

problem make_problem(http::status status, std::string code, std::string detail, std::string param) {
  problem p;
  p.status = status;
  p.code = std::move(code);
  p.title = std::string(http::obsolete_reason(status));
  p.detail = std::move(detail);
  p.param = std::move(param);
  return p;
}

problem problem_from(const failure& f) {
  return make_problem(status_of(f.code), std::string(to_string(f.code)), f.detail, f.param);
}

std::string problem_body(const problem& p) {
  json_writer w;
  w.begin_object()
      .field("type", "urn:payorch:problem:" + p.code)
      .field("title", p.title)
      .field("status", static_cast<std::int64_t>(p.status))
      .field("detail", p.detail)
      .field("code", p.code);
  if (!p.param.empty()) w.field("param", p.param);
  w.end_object();
  return w.take();
}

}  // namespace payorch::gateway
