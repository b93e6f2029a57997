// The sanctions screening provider: fuzzy matching of a name against the embedded list.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "app/sandbox/provider_route.hpp"
#include "app/sandbox/routes.hpp"
#include "app/sandbox/sanctions_list.hpp"
#include "app/sandbox/state.hpp"
#include "gateway/json_output.hpp"

namespace payorch::app::sandbox {
namespace {

struct screening_provider {
  explicit screening_provider(sanctions_list l) : list(std::move(l)) {}
  sanctions_list list;
  bounded_table<std::string> screenings;  ///< screening_id → the answer's body
  /// Normalized name + country → what the list says: the list never changes, so a payee
  /// screened again (as repeated payouts do) costs no comparisons against every party.
  bounded_table<std::vector<screening_match>> results{4096};
};

std::string screening_json(const std::string& id, const std::vector<screening_match>& matches) {
  auto level = name_match_level::none;
  for (const auto& m : matches) level = std::max(level, m.level);
  gateway::json_writer w;
  w.begin_object().field("screening_id", id).field("result", to_string(level));
  w.key("matches").begin_array();
  for (const auto& m : matches) {
    w.begin_object()
        .field("entry_id", std::to_string(m.party->ent_num))
        .field("name", m.party->name)
        .field("matched_name", m.matched_name)
        .field("type", m.party->type)
        .field("program", m.party->program)
        .field("country", m.party->country)
        .field("score_bp", static_cast<std::int64_t>(m.score_bp))
        .field("level", to_string(m.level))
        .end_object();
  }
  w.end_array().end_object();
  return w.take();
}

wire_answer screen(screening_provider& provider, sandbox_state& state,
                   const gateway::exchange& ex) {
  auto body = object_body(ex.request().body());
  if (auto* bad = std::get_if<wire_answer>(&body)) return std::move(*bad);
  field_reader in(std::get<gateway::json_node>(body));
  auto name = in.text("name", 256);
  auto country = in.country("country", false);
  if (in.error()) return *in.error();
  if (comparable_name(name).empty())
    return bad_field("name", "name must contain a letter or digit");
  auto id = state.new_id("scr_");
  const auto cache_key = normalize_name(name) + "\n" + std::string(country);
  const auto* known = provider.results.find(cache_key);
  const auto& matches =
      known ? *known : provider.results.put(cache_key, provider.list.screen(name, country));
  auto answer = screening_json(id, matches);
  provider.screenings.put(id, answer);
  return {http::status::ok, std::move(answer)};
}

}  // namespace

void add_sanctions_routes(gateway::route_table& routes, sandbox_state& state) {
  auto parsed = sanctions_list::parse(embedded_sanctions_csv());
  // The list is compiled in and checked by the tests, so a broken one is a build defect.
  if (auto* why = std::get_if<std::string>(&parsed)) {
    std::fprintf(stderr, "the embedded sanctions list is broken: %s\n", why->c_str());
    std::abort();
  }
  auto provider_state =
      std::make_shared<screening_provider>(std::move(std::get<sanctions_list>(parsed)));
  add_provider_route(
      routes, state, provider::sanctions, http::verb::post, "/sanctions/v1/screenings",
      [provider_state, &state](const auto& ex) { return screen(*provider_state, state, ex); });
  add_provider_route(
      routes, state, provider::sanctions, http::verb::get,
      "/sanctions/v1/screenings/{screening_id}", [provider_state](const gateway::exchange& ex) {
        const auto* body = provider_state->screenings.find(std::string(ex.param("screening_id")));
        if (body == nullptr) return not_found("screening", ex.param("screening_id"));
        return wire_answer{http::status::ok, *body};
      });
}

}  // namespace payorch::app::sandbox
