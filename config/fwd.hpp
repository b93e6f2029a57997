#pragma once

/// Forward declarations of the config library's types, for headers that only pass them along.

namespace payorch::config {

struct listen_address;
struct settings;
struct provider_settings;
struct config_error;
struct flag_overrides;
struct load_result;

}  // namespace payorch::config
