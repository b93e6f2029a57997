#include "actors/errors.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace payorch::actors {

caf::error to_error(const failure& f) {
  return caf::error(static_cast<std::uint8_t>(f.code), error_category,
                    caf::make_message(f.detail, f.param));
}

caf::error make_failure(errc code, std::string detail, std::string param) {
  return to_error(fail(code, std::move(detail), std::move(param)));
}

failure to_failure(const caf::error& e) {
  if (e.category() == error_category) {
    failure f{static_cast<errc>(e.code()), {}, {}};
    const auto& ctx = e.context();
    if (ctx.match_elements<std::string, std::string>()) {
      f.detail = ctx.get_as<std::string>(0);
      f.param = ctx.get_as<std::string>(1);
    }
    return f;
  }
  if (e.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(e.code())) {
      case caf::sec::request_timeout:
        return fail(errc::deadline_exceeded, "the request did not complete before its deadline");
      case caf::sec::request_receiver_down:
        return fail(errc::entity_unavailable, "the entity stopped before answering; retry");
      default:
        break;
    }
  }
  return fail(errc::internal_error, "unexpected actor error");
}

void add_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string text = "payorch: ";
                           text += to_string(static_cast<errc>(code));
                           if (ctx.match_elements<std::string, std::string>())
                             text += " (" + ctx.get_as<std::string>(0) + ")";
                           return text;
                         });
}

}  // namespace payorch::actors
