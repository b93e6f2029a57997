#pragma once
/// The subcommands of the `payorch` executable; each returns the process exit code.

#include "app/sandbox/options.hpp"
#include "config/settings.hpp"

namespace payorch::app {

/// Serves the HTTP API until SIGINT/SIGTERM, then drains and flushes the journal (exit 0).
int serve(const config::settings& settings);

/// Walks every journal hash chain; exit 0 when intact, 1 naming the first broken event.
int verify(const config::settings& settings);

/// Applies the journal's pending schema migrations and says which; exit 1 naming a failed one.
int migrate(const config::settings& settings);

/// Prints the effective configuration as TOML.
int print_config(const config::settings& settings);

/// Reads a client secret from stdin (without echo on a terminal) and prints its
/// `pbkdf2-sha256$...` line for `[[auth.clients]] secret_hash`; exit 2 on an empty secret.
int hash_secret(std::int64_t iterations);

/// Serves every provider of docs/providers.md on one port until SIGINT/SIGTERM (exit 0); exit 1
/// when it cannot listen, 2 on a malformed --listen. Needs no settings file.
int run_sandbox(const sandbox::sandbox_options& options);

/// Sets up logging (text on a terminal, JSON lines otherwise, unless the settings say).
void setup_logging(const config::settings& settings);

}  // namespace payorch::app
