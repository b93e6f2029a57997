/// gateway/openapi.json is a complete, consistent OpenAPI 3.1 document of the API, and the
/// checker the live tests use (tests/support/openapi_check) accepts what conforms to it and
/// rejects what does not.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/openapi_check.hpp"

namespace payorch::testing::openapi {
namespace {

namespace json = boost::json;

std::string document_text() {
  std::ifstream in(PAYORCH_OPENAPI_JSON, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The parsed document (null, and every test failing, if it does not parse).
const json::value& doc() {
  static const json::value parsed = [] {
    boost::system::error_code ec;
    auto v = json::parse(document_text(), ec);
    return ec ? json::value() : v;
  }();
  return parsed;
}

const json::object& paths() {
  return doc().at("paths").as_object();
}

const json::value& schema(std::string_view name) {
  return doc().at("components").at("schemas").at(name);
}

/// A value that follows `$ref`s, for walking the document.
const json::value& deref(const json::value& v) {
  const json::value* out = &v;
  while (out->is_object() && out->as_object().contains("$ref"))
    out = resolve_ref(doc(), out->at("$ref").as_string());
  return *out;
}

struct operation_ref {
  std::string method;
  std::string path;
  const json::object* op;
};

std::vector<operation_ref> operations() {
  static const std::set<std::string> methods = {"get", "post", "patch", "put", "delete"};
  std::vector<operation_ref> out;
  for (const auto& [path, item] : paths())
    for (const auto& [method, op] : item.as_object())
      if (methods.contains(std::string(method)))
        out.push_back({std::string(method), std::string(path), &op.as_object()});
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// --- the document -----------------------------------------------------------------------

// Goal: the document parses, says OpenAPI 3.1.0, and is plain ASCII (CMake embeds it by byte).
TEST(openapi_document, parses_as_openapi_3_1_in_ascii) {
  ASSERT_TRUE(doc().is_object()) << "gateway/openapi.json is not a JSON object";
  EXPECT_EQ(doc().at("openapi"), "3.1.0");
  EXPECT_FALSE(doc().at("info").at("title").as_string().empty());
  EXPECT_FALSE(doc().at("info").at("version").as_string().empty());
  for (char c : document_text()) ASSERT_GE(static_cast<signed char>(c), 0) << "non-ASCII byte";
}

// Goal: every $ref resolves, and a broken one is reported.
TEST(openapi_document, every_ref_resolves) {
  EXPECT_EQ(joined(unresolved_refs(doc())), "");
  auto broken = json::parse(R"({"a": {"$ref": "#/components/schemas/Nope"}})");
  EXPECT_EQ(unresolved_refs(broken).size(), 1u);
}

// Goal: every operation has an operationId, and no two share one.
TEST(openapi_document, every_operation_has_a_unique_operation_id) {
  std::set<std::string> seen;
  for (const auto& o : operations()) {
    auto* id = o.op->if_contains("operationId");
    ASSERT_TRUE(id && id->is_string()) << o.method << " " << o.path;
    EXPECT_TRUE(seen.insert(std::string(id->as_string())).second) << id->as_string();
  }
}

// Goal: every route of the API spec and every health route is documented with its method.
TEST(openapi_document, covers_every_route) {
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"post", "/oauth/token"},
      {"get", "/.well-known/jwks.json"},
      {"get", "/openapi.json"},
      {"post", "/pods"},
      {"get", "/pods"},
      {"get", "/pods/{pod_id}"},
      {"patch", "/pods/{pod_id}/policy"},
      {"post", "/pods/{pod_id}/members"},
      {"get", "/pods/{pod_id}/members"},
      {"get", "/pods/{pod_id}/members/{user_id}"},
      {"patch", "/pods/{pod_id}/members/{user_id}"},
      {"delete", "/pods/{pod_id}/members/{user_id}"},
      {"post", "/pods/{pod_id}/actions/activate"},
      {"post", "/pods/{pod_id}/actions/suspend"},
      {"post", "/pods/{pod_id}/actions/reinstate"},
      {"post", "/pods/{pod_id}/actions/close"},
      {"post", "/pods/{pod_id}/actions/force-close"},
      {"post", "/pods/{pod_id}/pledges"},
      {"get", "/pods/{pod_id}/pledges"},
      {"get", "/pods/{pod_id}/pledges/{pledge_id}"},
      {"post", "/pods/{pod_id}/pledges/{pledge_id}/settle"},
      {"get", "/pods/{pod_id}/balance"},
      {"get", "/pods/{pod_id}/ledger"},
      {"get", "/pods/{pod_id}/events"},
      {"get", "/pods/{pod_id}/cycles/{n}"},
      {"post", "/pods/{pod_id}/payouts"},
      {"get", "/pods/{pod_id}/payouts"},
      {"get", "/pods/{pod_id}/payouts/{payout_id}"},
      {"post", "/pods/{pod_id}/payouts/{payout_id}/votes"},
      {"post", "/pods/{pod_id}/payouts/{payout_id}/otp"},
      {"post", "/callbacks/kyc"},
      {"post", "/callbacks/rail"},
      {"get", "/healthz"},
      {"get", "/health/live"},
      {"get", "/readyz"},
      {"get", "/health/ready"},
      {"get", "/health/deps"},
      {"get", "/metrics"},
      {"get", "/ops/circuit-breakers"},
      {"get", "/ops/sagas"},
      {"get", "/ops/sagas/{saga_id}"},
      {"post", "/ops/sagas/{saga_id}/retry"},
      {"post", "/ops/sagas/{saga_id}/resolve"}};
  for (const auto& [method, path] : routes) {
    auto* item = paths().if_contains(path);
    EXPECT_TRUE(item && item->as_object().contains(method)) << method << " " << path;
  }
  EXPECT_EQ(operations().size(), routes.size()) << "an operation the spec does not name";
}

// Goal: a bearer JWT scheme and an oauth2 client-credentials flow with the crowdpod scopes.
TEST(openapi_document, declares_bearer_jwt_and_oauth2_client_credentials) {
  bool bearer = false, oauth2 = false;
  for (const auto& [name, s] : doc().at("components").at("securitySchemes").as_object()) {
    const auto& scheme = s.as_object();
    if (scheme.at("type") == "http" && scheme.at("scheme") == "bearer" &&
        scheme.at("bearerFormat") == "JWT")
      bearer = true;
    if (scheme.at("type") != "oauth2") continue;
    const auto& flow = scheme.at("flows").at("clientCredentials").as_object();
    EXPECT_EQ(flow.at("tokenUrl"), "/oauth/token");
    for (const char* scope :
         {"crowdpod:{pod_id}:read", "crowdpod:{pod_id}:write", "crowdpod:{pod_id}:admin",
          "crowdpod:*:read", "crowdpod:*:write", "crowdpod:*:admin"}) {
      auto* text = flow.at("scopes").as_object().if_contains(scope);
      EXPECT_TRUE(text && !text->as_string().empty()) << scope;
    }
    oauth2 = true;
  }
  EXPECT_TRUE(bearer);
  EXPECT_TRUE(oauth2);
  EXPECT_FALSE(doc().at("security").as_array().empty()) << "secured unless an operation says not";
}

// Goal: public routes say `security: []`; every /pods operation names the scope it needs, and
// every /ops operation the operator scope.
TEST(openapi_document, public_routes_are_open_and_pod_routes_need_a_scope) {
  for (const auto& o : operations()) {
    SCOPED_TRACE(o.method + " " + o.path);
    auto* security = o.op->if_contains("security");
    ASSERT_TRUE(security && security->is_array());
    const bool pods = o.path.starts_with("/pods"), ops = o.path.starts_with("/ops");
    if (!pods && !ops) {
      EXPECT_TRUE(security->as_array().empty());
      continue;
    }
    std::string scopes;
    for (const auto& requirement : security->as_array())
      if (auto* s = requirement.as_object().if_contains("oauth2"))
        for (const auto& scope : s->as_array()) scopes += std::string(scope.as_string()) + " ";
    if (pods) {
      EXPECT_TRUE(scopes.starts_with("crowdpod:")) << scopes;
    } else {
      EXPECT_EQ(scopes, "operator ");
    }
  }
}

// Goal: each operation documents the errors it can answer: 401/403 when secured, 404 with a
// path parameter, 400/413/415 with a body, 409/422 with an Idempotency-Key, 500 always.
TEST(openapi_document, every_operation_documents_its_errors) {
  for (const auto& o : operations()) {
    SCOPED_TRACE(o.method + " " + o.path);
    const auto& responses = o.op->at("responses").as_object();
    std::set<std::string> need = {"500"};
    if (!o.op->at("security").as_array().empty()) need.insert({"401", "403", "503", "504"});
    if (o.path.find('{') != std::string::npos) need.insert("404");
    if (o.op->contains("requestBody")) need.insert({"400", "413", "415"});
    bool has_key = false, has_query = false;
    if (auto* params = o.op->if_contains("parameters"))
      for (const auto& p : params->as_array()) {
        has_key = has_key || deref(p).at("name") == "Idempotency-Key";
        has_query = has_query || deref(p).at("in") == "query";
      }
    if (has_key) need.insert({"409", "422"});
    if (has_query) need.insert("400");
    for (const auto& status : need) EXPECT_TRUE(responses.contains(status)) << status;
  }
}

// Goal: every response carries X-Request-Id; 201 a Location; 401 WWW-Authenticate; 405 Allow.
TEST(openapi_document, responses_declare_their_headers) {
  auto has_header = [](const json::value& response, const char* name) {
    auto* headers = deref(response).as_object().if_contains("headers");
    return headers && headers->as_object().contains(name);
  };
  for (const auto& o : operations())
    for (const auto& [status, response] : o.op->at("responses").as_object()) {
      SCOPED_TRACE(o.method + " " + o.path + " " + std::string(status));
      EXPECT_TRUE(has_header(response, "X-Request-Id"));
      if (status == "201") {
        EXPECT_TRUE(has_header(response, "Location"));
      }
      if (status == "401" && o.path.starts_with("/pods")) {
        EXPECT_TRUE(has_header(response, "WWW-Authenticate"));
      }
    }
  const auto& shared = doc().at("components").at("responses");
  EXPECT_TRUE(has_header(shared.at("MethodNotAllowed"), "Allow"));
  EXPECT_TRUE(has_header(shared.at("NotFound"), "X-Request-Id"));
}

// Goal: the spec's schemas require exactly the members the spec lists (optional ones aside).
TEST(openapi_document, schemas_require_the_spec_members) {
  const std::vector<std::pair<const char*, std::set<std::string>>> expected = {
      {"Pod",
       {"pod_id", "name", "currency", "status", "policy", "owner_id", "cycle", "member_count",
        "created_at", "updated_at", "version"}},
      {"Policy", {"spending_limit", "voting_quorum", "risk_tier", "version"}},
      {"PodCreated", {"pod_id", "status", "created_at"}},
      {"Member", {"user_id", "role", "joined_at", "reputation"}},
      {"Pledge",
       {"pledge_id", "pod_id", "user_id", "amount_minor", "currency", "status", "cycle", "due_at",
        "created_at", "settled_at"}},
      {"Balance", {"pod_id", "currency", "balances", "total", "rates", "as_of", "version"}},
      {"BalanceTotal", {"currency", "available_minor", "missing_rates", "out_of_range"}},
      {"LedgerEntry",
       {"entry_id", "transaction_id", "account", "currency", "amount_minor", "phase",
        "recorded_at"}},
      {"Event", {"version", "type", "recorded_at", "data", "prev_hash", "hash"}},
      {"Cycle", {"pod_id", "cycle", "starts_at", "ends_at", "currency_totals", "members"}},
      {"TokenResponse", {"access_token", "token_type", "expires_in", "scope"}},
      {"Problem", {"type", "title", "status", "detail", "code"}},
      {"PodPage", {"items", "next_cursor"}},
      {"CreatePodRequest", {"name", "currency", "policy"}},
      {"CreatePledgeRequest", {"user_id", "amount_minor", "currency"}}};
  for (const auto& [name, members] : expected) {
    std::set<std::string> required;
    for (const auto& r : schema(name).at("required").as_array())
      required.insert(std::string(r.as_string()));
    EXPECT_EQ(required, members) << name;
  }
}

// Goal: minor-unit amounts are int64 integers; spending_limit and voting_quorum are numbers.
TEST(openapi_document, money_is_int64_minor_units_and_decimals_are_numbers) {
  int amounts = 0;
  for (const auto& [name, s] : doc().at("components").at("schemas").as_object()) {
    auto* props = s.as_object().if_contains("properties");
    if (!props) continue;
    for (const auto& [key, prop] : props->as_object()) {
      if (!std::string_view(key).ends_with("_minor")) continue;
      ++amounts;
      // A nullable amount is ["integer", "null"].
      const auto& type = deref(prop).at("type");
      const bool integer =
          type == "integer" || (type.is_array() && type.as_array().size() == 2 &&
                                type.as_array()[0] == "integer" && type.as_array()[1] == "null");
      EXPECT_TRUE(integer) << name << "." << key;
      EXPECT_EQ(deref(prop).at("format"), "int64") << name << "." << key;
    }
  }
  EXPECT_GE(amounts, 10);
  EXPECT_EQ(schema("SpendingLimit").at("type"), "number");
  EXPECT_EQ(schema("VotingQuorum").at("type"), "number");
}

// Goal: every JSON request body rejects unknown members, as the server does.
TEST(openapi_document, request_bodies_reject_unknown_members) {
  for (const auto& o : operations()) {
    auto* body = o.op->if_contains("requestBody");
    if (!body) continue;
    for (const auto& [media, content] : body->at("content").as_object()) {
      const auto& s = deref(content.at("schema"));
      EXPECT_EQ(s.at("additionalProperties"), false) << o.method << " " << o.path;
    }
  }
  EXPECT_EQ(schema("PolicyInput").at("additionalProperties"), false);
}

// Goal: every example in the document validates against the schema beside it.
TEST(openapi_document, examples_validate_against_their_schemas) {
  int seen = 0;
  std::function<void(const json::value&, const std::string&)> walk;
  walk = [&](const json::value& v, const std::string& where) {
    if (v.is_array())
      for (const auto& e : v.as_array()) walk(e, where);
    if (!v.is_object()) return;
    const auto& o = v.as_object();
    if (o.contains("schema") && o.contains("example")) {
      ++seen;
      EXPECT_EQ(joined(validate(doc(), o.at("schema"), o.at("example"))), "") << where;
    }
    for (const auto& [k, member] : o) walk(member, where + "/" + std::string(k));
  };
  walk(doc(), "");
  EXPECT_GE(seen, 5);
}

// --- the checker ------------------------------------------------------------------------

constexpr std::string_view good_pod =
    R"({"pod_id":"pod_4248e43bb61215f6","name":"Lake house fund","currency":"EUR",)"
    R"("status":"DRAFT","policy":{"spending_limit":5000,"voting_quorum":0.66,)"
    R"("risk_tier":"STANDARD","version":1},"owner_id":"client_a","cycle":null,)"
    R"("member_count":1,"created_at":"2026-11-23T04:35:13.110Z",)"
    R"("updated_at":"2026-11-23T04:35:13Z","version":1})";

/// The violations of a 200 application/json answer to GET /pods/{id} with `body`.
std::vector<std::string> pod_violations(std::string_view body) {
  return check_response(doc(), "GET", "/pods/pod_4248e43bb61215f6", 200, "application/json", body);
}

/// `good_pod` with `from` replaced by `to` (which must occur).
std::string pod_with(std::string_view from, std::string_view to) {
  std::string body(good_pod);
  auto at = body.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) body.replace(at, from.size(), to);
  return body;
}

// Goal: a conforming pod passes, with parameters on the media type and a cycle object.
TEST(openapi_check, accepts_a_conforming_pod) {
  EXPECT_EQ(joined(pod_violations(good_pod)), "");
  EXPECT_EQ(joined(check_response(doc(), "get", "/pods/pod_4248e43bb61215f6/", 200,
                                  "Application/JSON; charset=utf-8", good_pod)),
            "");
  auto with_cycle = pod_with(R"("cycle":null)",
                             R"("cycle":{"period":"WEEKLY","starts_at":"2026-12-01T00:00:00Z"})");
  EXPECT_EQ(joined(pod_violations(with_cycle)), "");
}

// Goal: a missing required member is named, nested ones with their pointer.
TEST(openapi_check, rejects_a_missing_required_member) {
  auto v = pod_violations(pod_with(R"("member_count":1,)", ""));
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_NE(v[0].find("missing required member member_count"), std::string::npos) << v[0];
  v = pod_violations(pod_with(R"(,"version":1},)", "},"));
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_NE(v[0].find("/policy: missing required member version"), std::string::npos) << v[0];
}

// Goal: a member the schema does not list is rejected where additionalProperties is false.
TEST(openapi_check, rejects_an_extra_member) {
  auto v = pod_violations(pod_with(R"("version":1})", R"("version":1,"colour":"red"})"));
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_NE(v[0].find("unexpected member colour"), std::string::npos) << v[0];
}

// Goal: wrong JSON types are rejected: string for integer, float for integer, number for null.
TEST(openapi_check, rejects_wrong_types) {
  EXPECT_EQ(pod_violations(pod_with(R"("member_count":1)", R"("member_count":"1")")).size(), 1u);
  EXPECT_EQ(pod_violations(pod_with(R"("member_count":1)", R"("member_count":1.5)")).size(), 1u);
  EXPECT_EQ(pod_violations(pod_with(R"("member_count":1)", R"("member_count":1.0)")).size(), 0u);
  EXPECT_EQ(pod_violations(pod_with(R"("cycle":null)", R"("cycle":7)")).size(), 1u);
  EXPECT_EQ(
      pod_violations(pod_with(R"("spending_limit":5000)", R"("spending_limit":"5000")")).size(),
      1u);
}

// Goal: values outside an enum, a const, a pattern, a range or a date-time are rejected.
TEST(openapi_check, rejects_bad_values) {
  EXPECT_EQ(pod_violations(pod_with(R"("DRAFT")", R"("draft")")).size(), 1u);
  EXPECT_EQ(pod_violations(pod_with(R"("risk_tier":"STANDARD")", R"("risk_tier":"MEDIUM")")).size(),
            1u);
  EXPECT_EQ(pod_violations(pod_with("pod_4248e43bb61215f6", "pod_4248E43BB61215F6")).size(), 1u);
  EXPECT_EQ(pod_violations(pod_with(R"("EUR")", R"("euro")")).size(), 1u);
  EXPECT_EQ(pod_violations(pod_with("0.66", "0")).size(), 1u);  // exclusiveMinimum 0
  EXPECT_EQ(pod_violations(pod_with("0.66", "1")).size(), 0u);
  EXPECT_EQ(pod_violations(pod_with("0.66", "1.5")).size(), 1u);
  EXPECT_EQ(pod_violations(pod_with("5000", "-1")).size(), 1u);
  EXPECT_EQ(pod_violations(pod_with("2026-11-23T04:35:13Z", "2026-13-23T04:35:13Z")).size(), 1u);
  EXPECT_EQ(pod_violations(pod_with("2026-11-23T04:35:13Z", "2026-11-23 04:35:13")).size(), 1u);
  EXPECT_EQ(pod_violations(pod_with("2026-11-23T04:35:13Z", "2026-11-23T04:35:13+01:00")).size(),
            0u);
}

// Goal: an undocumented status, media type, path or method, or a non-JSON body, is a violation.
TEST(openapi_check, rejects_undocumented_answers) {
  auto only = [](std::vector<std::string> v, std::string_view text) {
    EXPECT_EQ(v.size(), 1u) << joined(v);
    EXPECT_TRUE(!v.empty() && v[0].find(text) != std::string::npos) << joined(v);
  };
  only(check_response(doc(), "GET", "/pods/pod_4248e43bb61215f6", 418, "application/json", "{}"),
       "status 418 is not documented");
  only(check_response(doc(), "GET", "/pods/pod_4248e43bb61215f6", 200, "text/html", good_pod),
       "content type 'text/html' is not documented");
  only(check_response(doc(), "GET", "/pods/pod_4248e43bb61215f6", 200, "application/json", "{"),
       "not JSON");
  only(check_response(doc(), "GET", "/nowhere", 200, "application/json", "{}"),
       "no path template matches");
  only(check_response(doc(), "PUT", "/pods/pod_4248e43bb61215f6", 200, "application/json", "{}"),
       "no such operation");
  only(check_response(doc(), "DELETE", "/pods/pod_4248e43bb61215f6/members/bob", 204,
                      "application/json", "{}"),
       "a body where none is documented");
}

// Goal: problems validate on every documented error status; a problem lacking `code` does not.
TEST(openapi_check, checks_problem_details) {
  const std::string problem =
      R"({"type":"urn:payorch:problem:not_found","title":"Not Found","status":404,)"
      R"("detail":"no pod pod_0000000000000000","code":"not_found","param":"pod_id"})";
  EXPECT_EQ(joined(check_response(doc(), "GET", "/pods/pod_0000000000000000", 404,
                                  "application/problem+json", problem)),
            "");
  EXPECT_EQ(
      check_response(doc(), "GET", "/pods/pod_0000000000000000", 404, "application/json", problem)
          .size(),
      1u);
  const std::string no_code =
      R"({"type":"urn:payorch:problem:x","title":"Not Found","status":404,"detail":"d"})";
  EXPECT_EQ(check_response(doc(), "GET", "/pods/pod_0000000000000000", 404,
                           "application/problem+json", no_code)
                .size(),
            1u);
}

// Goal: documented headers are checked when given: required ones present, values in shape.
TEST(openapi_check, checks_documented_headers) {
  const std::string created =
      R"({"pod_id":"pod_4248e43bb61215f6","status":"DRAFT","created_at":"2026-11-23T04:35:13.110Z"})";
  response_sample s{201, "application/json", created,
                    header_list{{"Location", "/pods/pod_4248e43bb61215f6"},
                                {"x-request-id", "req_0123456789abcdef"}}};
  EXPECT_EQ(joined(check_response(doc(), "POST", "/pods", s)), "");
  s.headers = header_list{{"X-Request-Id", "req_1"}};
  auto v = check_response(doc(), "POST", "/pods", s);
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_NE(v[0].find("missing header Location"), std::string::npos) << v[0];
  s.headers = header_list{{"Location", "pods/x"}, {"X-Request-Id", "has space"}};
  EXPECT_EQ(check_response(doc(), "POST", "/pods", s).size(), 2u);
  s.headers.reset();  // without headers only the body counts
  EXPECT_EQ(joined(check_response(doc(), "POST", "/pods", s)), "");
}

// Goal: paths match their template by position, literal segments winning, query ignored.
TEST(openapi_check, matches_paths_to_templates) {
  auto m = match_path(doc(), "/pods/pod_0123456789abcdef/members/alice?limit=5");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->path_template, "/pods/{pod_id}/members/{user_id}");
  ASSERT_EQ(m->params.size(), 2u);
  EXPECT_EQ(m->params[0], (std::pair<std::string, std::string>{"pod_id", "pod_0123456789abcdef"}));
  EXPECT_EQ(m->params[1].second, "alice");
  EXPECT_EQ(match_path(doc(), "/pods/p/actions/force-close")->path_template,
            "/pods/{pod_id}/actions/force-close");
  EXPECT_EQ(match_path(doc(), "/pods/")->path_template, "/pods");
  EXPECT_FALSE(match_path(doc(), "/pods/p/unknown").has_value());
  EXPECT_FALSE(match_path(doc(), "/pods//members").has_value());
  EXPECT_FALSE(match_path(doc(), "pods").has_value());
}

// Goal: pages take a string or null cursor; nullable members take null and their type only.
TEST(openapi_check, checks_pages_and_nullable_members) {
  const std::string pledge =
      R"({"pledge_id":"plg_0123456789abcdef","pod_id":"pod_0123456789abcdef","user_id":"bob",)"
      R"("amount_minor":2500,"currency":"EUR","status":"PLEDGED","cycle":null,"due_at":null,)"
      R"("created_at":"2026-11-23T06:00:00Z","settled_at":null})";
  auto page = [&](std::string_view cursor) {
    return check_response(
        doc(), "GET", "/pods/pod_0123456789abcdef/pledges", 200, "application/json",
        R"({"items":[)" + pledge + R"(],"next_cursor":)" + std::string(cursor) + "}");
  };
  EXPECT_EQ(joined(page("null")), "");
  EXPECT_EQ(joined(page(R"("c2")")), "");
  EXPECT_EQ(page("2").size(), 1u);
  auto bad = pledge;
  bad.replace(bad.find(R"("settled_at":null)"), 17, R"("settled_at":5)");
  EXPECT_EQ(check_response(doc(), "GET", "/pods/p/pledges/q", 200, "application/json", bad).size(),
            1u);
}

// Goal: text bodies (metrics) validate as strings; status ranges and `default` are looked up.
TEST(openapi_check, text_bodies_and_status_ranges) {
  EXPECT_EQ(joined(check_response(doc(), "GET", "/metrics", 200,
                                  "text/plain; version=0.0.4; charset=utf-8", "a 1\n")),
            "");
  auto mini = json::parse(R"({"paths":{"/x":{"get":{"responses":{
      "4XX":{"content":{"application/json":{"schema":{"const":4}}}},
      "default":{"content":{"application/json":{"schema":{"const":0}}}}}}}}})");
  EXPECT_EQ(check_response(mini, "GET", "/x", 404, "application/json", "4").size(), 0u);
  EXPECT_EQ(check_response(mini, "GET", "/x", 404, "application/json", "0").size(), 1u);
  EXPECT_EQ(check_response(mini, "GET", "/x", 503, "application/json", "0").size(), 0u);
}

// Goal: answers no operation owns are checked against a components/responses entry.
TEST(openapi_check, checks_component_responses) {
  const std::string problem =
      R"({"type":"urn:payorch:problem:method_not_allowed","title":"Method Not Allowed",)"
      R"("status":405,"detail":"DELETE is not allowed on /pods","code":"method_not_allowed"})";
  response_sample s{405, "application/problem+json", problem,
                    header_list{{"Allow", "POST, GET"}, {"X-Request-Id", "r"}}};
  EXPECT_EQ(joined(check_component_response(doc(), "MethodNotAllowed", s)), "");
  s.headers = header_list{{"X-Request-Id", "r"}};
  EXPECT_EQ(check_component_response(doc(), "MethodNotAllowed", s).size(), 1u);
  EXPECT_EQ(check_component_response(doc(), "Nope", s).size(), 1u);
}

// Goal: the combinators: oneOf needs exactly one match, anyOf one or more, allOf every one.
TEST(openapi_check, combinators) {
  auto check = [](std::string_view schema_text, std::string_view value) {
    return validate(doc(), json::parse(schema_text), json::parse(value)).size();
  };
  const char* one = R"({"oneOf":[{"type":"integer"},{"type":"number","minimum":2}]})";
  EXPECT_EQ(check(one, "1"), 0u);    // integer only
  EXPECT_EQ(check(one, "2.5"), 0u);  // number >= 2 only
  EXPECT_EQ(check(one, "3"), 1u);    // both
  EXPECT_EQ(check(one, "\"x\""), 1u);
  const char* any = R"({"anyOf":[{"type":"string"},{"type":"null"}]})";
  EXPECT_EQ(check(any, "null"), 0u);
  EXPECT_EQ(check(any, "true"), 1u);
  const char* all =
      R"({"allOf":[{"$ref":"#/components/schemas/Currency"},{"enum":["EUR","USD"]}]})";
  EXPECT_EQ(check(all, R"("EUR")"), 0u);
  EXPECT_EQ(check(all, R"("JPY")"), 1u);
  EXPECT_EQ(check(all, R"("eu")"), 2u);
}

// Goal: lengths count code points; patterns are unanchored; minProperties rejects `{}` patches.
TEST(openapi_check, lengths_patterns_and_min_properties) {
  auto check = [](std::string_view schema_text, std::string_view value) {
    return validate(doc(), json::parse(schema_text), json::parse(value)).size();
  };
  EXPECT_EQ(check(R"({"maxLength":2})", "\"\u00e9\u00e9\""), 0u);  // 4 bytes, 2 code points
  EXPECT_EQ(check(R"({"maxLength":2})", R"("abc")"), 1u);
  EXPECT_EQ(check(R"({"minLength":1})", R"("")"), 1u);
  EXPECT_EQ(check(R"({"pattern":"b"})", R"("abc")"), 0u);
  EXPECT_EQ(check(R"({"pattern":"^b"})", R"("abc")"), 1u);
  EXPECT_EQ(validate(doc(), schema("PolicyPatch"), json::parse("{}")).size(), 1u);
  EXPECT_EQ(validate(doc(), schema("PolicyPatch"), json::parse(R"({"risk_tier":"LOW"})")).size(),
            0u);
  EXPECT_EQ(validate(doc(), schema("PolicyPatch"), json::parse(R"({"version":2})")).size(), 1u);
}

}  // namespace
}  // namespace payorch::testing::openapi
