#pragma once
/// What a typed provider client hands back: a parsed answer, or a typed error.

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace payorch::adapters {

/// Which way a provider call failed.
enum class provider_error_kind {
  final,                ///< the provider refused (400, 404, 409, 422, ...): retrying cannot help
  retryable_exhausted,  ///< every attempt failed in a way worth retrying (5xx, timeout, ...)
  circuit_open,         ///< the provider's circuit breaker refused the call
  bad_answer,           ///< a 2xx answer that is not the JSON the contract promises
  invalid_request,      ///< payorch's own input was refused before anything was sent
};

/// "final", "retryable_exhausted", "circuit_open", "bad_answer" or "invalid_request".
std::string_view to_string(provider_error_kind kind) noexcept;

/// A failed provider call.
struct provider_error {
  provider_error_kind kind = provider_error_kind::final;
  int http_status = 0;  ///< the last answer's status; 0 when none arrived
  /// The provider's `error` code ("quote_expired"), the transport error ("timeout"), or for
  /// invalid_request the field at fault; may be empty.
  std::string code;
  std::string detail;  ///< one sentence for humans (the provider's `detail`, or ours)

  bool operator==(const provider_error&) const = default;
};

/// Either the parsed answer `T` or a provider_error.
template <class T>
class provider_result {
 public:
  provider_result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  provider_result(provider_error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The answer; only when ok().
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const T* operator->() const { return &std::get<0>(state_); }

  /// The error; only when !ok().
  const provider_error& error() const& { return std::get<1>(state_); }

 private:
  std::variant<T, provider_error> state_;
};

}  // namespace payorch::adapters
