#pragma once
/// A value-or-failure return type, because C++20 has no std::expected.
///
/// Every fallible domain operation returns `result<T>` (or `status` when there is no
/// value). Reading the value of a failed result is a programmer error: it prints the
/// failure and aborts, in every build type, rather than running on with garbage.

#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "domain/errc.hpp"
#include "domain/fwd.hpp"

namespace payorch {

/// Why an operation failed: a code, a human sentence and the input field at fault.
struct failure {
  errc code = errc::internal_error;
  std::string detail;  ///< One sentence for humans; never parsed by code.
  std::string param;   ///< The input field at fault (e.g. "policy.voting_quorum"); may be empty.

  friend bool operator==(const failure&, const failure&) = default;
};

/// Builds a failure; the usual way to return an error from a function returning result<T>.
failure fail(errc code, std::string detail, std::string param = {});

namespace detail {
/// Aborts the process after reporting `f` (or a missing failure) on stderr.
[[noreturn]] void bad_result_access(const failure* f) noexcept;

/// What result<T> accepts as a value: anything convertible to T except a result or failure.
template <class U, class T>
concept result_value_for =
    std::is_convertible_v<U&&, T> && !std::is_same_v<std::remove_cvref_t<U>, result<T>> &&
    !std::is_same_v<std::remove_cvref_t<U>, failure>;
}  // namespace detail

/// Either a T or a failure; converts implicitly from both so `return x;` and
/// `return fail(...);` both work.
template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, failure>, "result<failure> is ambiguous");
  static_assert(!std::is_reference_v<T>, "result<T&> is not supported");

 public:
  /// Success holding anything convertible to T.
  template <detail::result_value_for<T> U = T>
  // NOLINTNEXTLINE(bugprone-forwarding-reference-overload): the concept excludes result
  result(U&& value) : state_(std::in_place_index<0>, std::forward<U>(value)) {}

  /// The failed state.
  result(failure error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return checked(); }
  const T& value() const& { return checked(); }
  T&& value() && { return std::move(checked()); }

  T& operator*() & { return checked(); }
  const T& operator*() const& { return checked(); }
  T&& operator*() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &checked(); }

  /// The value, or `fallback` when this result failed.
  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? *std::get_if<0>(&state_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// The failure; calling it on a success is a programmer error.
  const failure& error() const& {
    if (const auto* f = std::get_if<1>(&state_)) return *f;
    detail::bad_result_access(nullptr);
  }

 private:
  T& checked() {
    if (auto* v = std::get_if<0>(&state_)) return *v;
    detail::bad_result_access(std::get_if<1>(&state_));
  }
  const T& checked() const {
    if (const auto* v = std::get_if<0>(&state_)) return *v;
    detail::bad_result_access(std::get_if<1>(&state_));
  }

  std::variant<T, failure> state_;
};

/// The outcome of an operation without a value: success (default) or a failure.
template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(failure error) : error_(std::move(error)) {}

  bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }

  /// Does nothing on success; aborts on failure (mirrors result<T>::value()).
  void value() const {
    if (error_) detail::bad_result_access(&*error_);
  }

  /// The failure; calling it on a success is a programmer error.
  const failure& error() const& {
    if (!error_) detail::bad_result_access(nullptr);
    return *error_;
  }

 private:
  std::optional<failure> error_;
};

/// Shorter name for result<void>.
using status = result<void>;

}  // namespace payorch
