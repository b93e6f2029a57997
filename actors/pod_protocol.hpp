#pragma once
/// The CrowdPod protocol: commands the gateway sends, the pod actor's view, and the router.
///
/// Commands carry their input as text (amounts and decimals keep their exact source text); the
/// pod actor validates them against the domain rules, so a command from any source (HTTP, bus,
/// a peer node) meets the same checks.

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>

namespace payorch::actors {

/// A governance policy as submitted: decimal texts and the risk tier's name.
struct policy_input {
  std::string spending_limit;  ///< major units of the pod's currency, e.g. "5000" or "5000.00"
  std::string voting_quorum;   ///< exact decimal in (0, 1], e.g. "0.66"
  std::string risk_tier;       ///< "LOW", "STANDARD" or "HIGH"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_input& x) {
  return f(caf::meta::type_name("policy_input"), x.spending_limit, x.voting_quorum, x.risk_tier);
}

/// Creates a pod in DRAFT; the pod id is chosen by the caller so a retry names the same pod.
struct create_pod {
  std::string pod_id;
  std::string name;
  std::string currency;
  policy_input policy;
  std::string owner_id;
  std::int64_t requested_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_pod& x) {
  return f(caf::meta::type_name("create_pod"), x.pod_id, x.name, x.currency, x.policy, x.owner_id,
           x.requested_at_ms);
}

/// Reads a pod; answered only with committed state.
struct get_pod {
  std::string pod_id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_pod& x) {
  return f(caf::meta::type_name("get_pod"), x.pod_id);
}

/// What a pod looks like from outside; decimals are exact texts.
struct pod_view {
  std::string pod_id;
  std::string name;
  std::string currency;
  std::string status;  ///< "DRAFT", "ACTIVE", "SUSPENDED" or "CLOSED"
  policy_input policy;
  std::string owner_id;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t version = 0;  ///< the pod's journal stream version
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pod_view& x) {
  return f(caf::meta::type_name("pod_view"), x.pod_id, x.name, x.currency, x.status, x.policy,
           x.owner_id, x.created_at_ms, x.updated_at_ms, x.version);
}

/// A pod actor's request to be passivated; the router answers true once it forgot the actor.
struct passivate_pod {
  std::string pod_id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, passivate_pod& x) {
  return f(caf::meta::type_name("passivate_pod"), x.pod_id);
}

/// The router's hint to a pod that no command reached it for `idle_timeout`.
struct idle_check {
  std::uint64_t generation = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idle_check& x) {
  return f(caf::meta::type_name("idle_check"), x.generation);
}

/// Asks the router how many entities are live, restarted and quarantined.
struct router_stats_request {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, router_stats_request&) {
  return f(caf::meta::type_name("router_stats_request"));
}

/// The router's counters.
struct router_stats {
  std::uint64_t live = 0;
  std::uint64_t spawned = 0;
  std::uint64_t passivated = 0;
  std::uint64_t restarted = 0;
  std::uint64_t quarantined = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, router_stats& x) {
  return f(caf::meta::type_name("router_stats"), x.live, x.spawned, x.passivated, x.restarted,
           x.quarantined);
}

/// One live pod: its state lives only inside this actor.
using pod_actor =
    caf::typed_actor<caf::replies_to<create_pod>::with<pod_view>,
                     caf::replies_to<get_pod>::with<pod_view>, caf::reacts_to<idle_check>>;

/// Routes pod commands to the pod's actor, spawning, recovering and restarting it as needed.
using pod_router_actor = caf::typed_actor<
    caf::replies_to<create_pod>::with<pod_view>, caf::replies_to<get_pod>::with<pod_view>,
    caf::replies_to<passivate_pod>::with<bool>,
    caf::replies_to<router_stats_request>::with<router_stats>, caf::reacts_to<caf::tick_atom>>;

}  // namespace payorch::actors
