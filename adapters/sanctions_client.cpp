#include "adapters/sanctions_client.hpp"

#include "adapters/provider_json.hpp"
#include "adapters/url.hpp"

namespace payorch::adapters {
namespace {

sanctions_screening parse_screening(detail::json_reader& in) {
  sanctions_screening out;
  out.screening_id = in.text("screening_id");
  out.result = in.text("result");
  for (auto& match : in.objects("matches")) {
    sanctions_match m;
    m.entry_id = match.text("entry_id");
    m.name = match.text("name");
    m.program = match.text("program");
    m.country = match.text("country");
    m.score_bp = match.integer("score_bp");
    out.matches.push_back(std::move(m));
  }
  return out;
}

}  // namespace

sanctions_client::sanctions_client(provider_caller& caller, std::string base_url)
    : caller_(caller), base_url_(std::move(base_url)) {}

void sanctions_client::screen(const sanctions_request& request, std::string idempotency_key,
                              std::function<void(provider_result<sanctions_screening>)> done) {
  boost::json::object body{{"name", request.name}};
  if (request.country) body["country"] = *request.country;
  detail::call_json(
      caller_, detail::json_call("POST", join_url(base_url_, "/sanctions/v1/screenings"), body),
      std::move(idempotency_key), &parse_screening, std::move(done));
}

}  // namespace payorch::adapters
