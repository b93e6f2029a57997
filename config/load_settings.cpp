#include <cstdlib>

#include "config/key_table.hpp"

namespace payorch::config {
namespace {

std::optional<config_error> apply_environment(const environment& env, settings& out) {
  for (const detail::key_spec& spec : detail::key_table()) {
    // The alias goes first, so the key's own, longer variable overrides it.
    if (!spec.env_alias.empty()) {
      std::string alias(spec.env_alias);
      if (auto given = env.find(alias); given != env.end()) {
        if (auto error = detail::apply_text(spec, given->second, "from " + alias, out))
          return error;
      }
    }
    std::string name = spec.env_var();
    auto found = env.find(name);
    if (found == env.end()) continue;
    if (auto error = detail::apply_text(spec, found->second, "from " + name, out)) return error;
  }
  return std::nullopt;
}

std::optional<config_error> apply_flag(const std::optional<std::string>& flag, std::string_view key,
                                       std::string_view flag_name, settings& out) {
  if (!flag) return std::nullopt;
  const detail::key_spec* spec = detail::find_key(key);
  if (spec == nullptr) std::abort();  // programmer error: every flag names a key of the table
  return detail::apply_text(*spec, *flag, "from " + std::string(flag_name), out);
}

load_result failure(config_error error) {
  return {std::nullopt, std::move(error)};
}

}  // namespace

load_result load_settings(const std::optional<std::filesystem::path>& file, const environment& env,
                          const flag_overrides& flags) {
  settings loaded;
  if (file) {
    if (auto error = detail::apply_file(*file, loaded)) return failure(std::move(*error));
  }
  if (auto error = apply_environment(env, loaded)) return failure(std::move(*error));
  if (auto error = apply_flag(flags.listen, "listen", "--listen", loaded)) {
    return failure(std::move(*error));
  }
  if (auto error = apply_flag(flags.data_dir, "data_dir", "--data-dir", loaded)) {
    return failure(std::move(*error));
  }
  if (auto error = apply_flag(flags.storage, "storage", "--storage", loaded)) {
    return failure(std::move(*error));
  }
  if (auto error = apply_flag(flags.providers, "providers.base_url", "--providers", loaded)) {
    return failure(std::move(*error));
  }
  if (auto error = detail::check_together(loaded)) return failure(std::move(*error));
  return {std::move(loaded), std::nullopt};
}

}  // namespace payorch::config
