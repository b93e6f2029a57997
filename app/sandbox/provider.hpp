#pragma once
/// The six providers the sandbox plays, and their names on the wire.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace payorch::app::sandbox {

enum class provider : std::uint8_t { fx, kyc, sanctions, risk, rail, psp };

inline constexpr std::array<provider, 6> all_providers = {provider::fx,        provider::kyc,
                                                          provider::sanctions, provider::risk,
                                                          provider::rail,      provider::psp};

/// "fx", "kyc", "sanctions", "risk", "rail" or "psp".
constexpr std::string_view name_of(provider p) noexcept {
  constexpr std::string_view names[] = {"fx", "kyc", "sanctions", "risk", "rail", "psp"};
  return names[static_cast<std::size_t>(p)];
}

/// The provider of a wire name, or nullopt.
constexpr std::optional<provider> provider_named(std::string_view name) noexcept {
  for (auto p : all_providers)
    if (name_of(p) == name) return p;
  return std::nullopt;
}

constexpr std::size_t index_of(provider p) noexcept {
  return static_cast<std::size_t>(p);
}

}  // namespace payorch::app::sandbox
