#pragma once
/// Forward declarations of the actors library, for headers that only pass handles around.

namespace caf {
class actor_system;
class actor_system_config;
class error;
}  // namespace caf

namespace payorch::actors {
struct create_pod;
struct get_pod;
struct pod_view;
struct policy_input;
class actor_runtime;
struct runtime_options;
}  // namespace payorch::actors
