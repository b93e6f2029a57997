/// payorch: the executable's entry point; parses the command line and runs a subcommand.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.hpp"

int main(int argc, char** argv) {
  using namespace payorch;
  CLI::App cli{"payorch: an actor-model asynchronous payment orchestrator"};
  cli.require_subcommand(1);
  std::optional<std::string> config_file;
  config::flag_overrides flags;
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("--config", config_file, "TOML configuration file");
    cmd->add_option("--listen", flags.listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
    cmd->add_option("--data-dir", flags.data_dir, "directory of the journal (default ./var)");
    cmd->add_option("--storage", flags.storage,
                    "the journal: sqlite (default) or a postgresql:// URI");
    cmd->add_option("--providers", flags.providers,
                    "base URL of every provider adapter (e.g. a payorch sandbox)");
  };
  auto* serve = cli.add_subcommand("serve", "serve the HTTP API");
  auto* show = cli.add_subcommand("config", "print the effective configuration");
  auto* verify = cli.add_subcommand("verify", "verify every journal hash chain");
  auto* migrate = cli.add_subcommand("migrate", "apply the journal's pending schema migrations");
  for (auto* cmd : {serve, show, verify, migrate}) add_common(cmd);
  auto* hash = cli.add_subcommand(
      "hash-secret", "read a client secret on stdin and print its secret_hash for auth.clients");
  std::int64_t iterations = config::limits::pbkdf2_iterations_default;
  hash->add_option("--iterations", iterations, "PBKDF2 iterations (default 600000)")
      ->check(CLI::Range(config::limits::pbkdf2_iterations_floor,
                         config::limits::pbkdf2_iterations_ceiling));
  app::sandbox::sandbox_options sandbox_options;
  auto* sandbox_cmd = cli.add_subcommand("sandbox", "play every outside provider on one port");
  app::sandbox::add_options(sandbox_cmd, sandbox_options);
  CLI11_PARSE(cli, argc, argv);
  // Need no settings: an operator runs hash-secret to write the configuration, and the sandbox
  // stands in for the outside world.
  if (hash->parsed()) return app::hash_secret(iterations);
  if (sandbox_cmd->parsed()) return app::run_sandbox(sandbox_options);

  std::optional<std::filesystem::path> file;
  if (config_file) file = *config_file;
  auto loaded = config::load_settings(file, config::current_environment(), flags);
  if (!loaded.value) {
    std::fprintf(stderr, "%s\n", loaded.error->line().c_str());
    return 2;
  }
  const auto& settings = *loaded.value;
  if (show->parsed()) return app::print_config(settings);
  if (verify->parsed()) return app::verify(settings);
  if (migrate->parsed()) return app::migrate(settings);
  app::setup_logging(settings);
  return app::serve(settings);
}
