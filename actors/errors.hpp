#pragma once
/// Conversion between domain failures and CAF errors, so an actor reply carries the domain's code.
///
/// A failure crosses an actor boundary as `caf::error(code, "payorch", message(detail, param))`;
/// the gateway turns it back into a `failure` and then into problem details.

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "domain/result.hpp"

namespace payorch::actors {

/// The error category of every failure payorch's actors reply with.
inline constexpr caf::atom_value error_category = caf::atom("payorch");

/// Wraps a domain failure into a CAF error (detail and param travel in the error's context).
caf::error to_error(const failure& f);

/// Shorthand for `to_error(fail(code, detail, param))`.
caf::error make_failure(errc code, std::string detail, std::string param = {});

/// Recovers the domain failure from any CAF error; CAF's own errors map to the closest code
/// (a request timeout becomes `deadline_exceeded`, a dead receiver `entity_unavailable`).
failure to_failure(const caf::error& e);

/// Registers the category renderer so `actor_system::render` prints payorch errors readably.
void add_error_category(caf::actor_system_config& cfg);

}  // namespace payorch::actors
