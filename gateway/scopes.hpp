#pragma once
/// The scope grammar and who-covers-what, shared by token issuing and request authorization.
///
/// A scope token is `crowdpod:{pod_id|*}:{read|write|admin}` or `operator`. A client's allowed
/// scopes may also hold `*`: any scope may be requested. Coverage: `*` covers every token;
/// `crowdpod:*:P` covers `crowdpod:X:Q` for any X (including `*`) when Q <= P;
/// `crowdpod:X:P` covers `crowdpod:X:Q` when Q <= P; `operator` covers `operator`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/auth.hpp"

namespace payorch::gateway {

/// One parsed scope token.
struct scope_token {
  enum class kind : std::uint8_t { pod, operator_role, any };
  kind what = kind::pod;
  std::string_view pod;  ///< a pod id or "*" (kind::pod only); points into the parsed text
  permission level = permission::read;
};

/// `text` parsed as a grantable token (`crowdpod:...` or `operator`); with `allow_any`, `*` too.
/// Nullopt for anything else, including pod ids that are not `pod_` + 16 hex digits.
std::optional<scope_token> parse_scope(std::string_view text, bool allow_any = false);

/// True when the allowed scope `granted` covers the requested token `requested`.
bool covers(std::string_view granted, std::string_view requested);

/// True when some scope of `granted` covers `requested`.
bool any_covers(const std::vector<std::string>& granted, std::string_view requested);

/// The tokens of a space-separated scope string; nullopt when it is empty or has empty tokens
/// (RFC 6749 3.3: tokens are separated by exactly one space).
std::optional<std::vector<std::string>> split_scope(std::string_view text);

/// `tokens` joined by single spaces.
std::string join_scope(const std::vector<std::string>& tokens);

/// What a client allowed `allowed` gets when it names no scope: its scopes, with `*` standing
/// for `crowdpod:*:admin operator`; duplicates dropped, order kept.
std::vector<std::string> default_grant(const std::vector<std::string>& allowed);

}  // namespace payorch::gateway
