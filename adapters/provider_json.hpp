#pragma once
/// The plumbing the typed provider clients share: JSON requests, JSON answers, typed errors.
///
/// Internal to the adapters library (it includes Boost.JSON); the clients' headers do not.

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "adapters/provider_caller.hpp"
#include "adapters/provider_result.hpp"

namespace payorch::adapters::detail {

/// Reads the fields of one JSON object, remembering the first field that is missing or of the
/// wrong type; after a problem every read returns an empty value.
class json_reader {
 public:
  /// `where` prefixes field names in problems, e.g. "matches[2]."; empty at the top.
  explicit json_reader(const boost::json::object& object, std::string where = {});

  std::string text(std::string_view key);
  /// Absent or null is nullopt; anything but a string is a problem.
  std::optional<std::string> optional_text(std::string_view key);
  /// A JSON integer within int64; fractions and exponents are problems.
  std::int64_t integer(std::string_view key);
  std::optional<std::int64_t> optional_integer(std::string_view key);
  /// Exact decimal text such as "1.084213": digits, an optional point and digits.
  std::string decimal_text(std::string_view key);
  std::vector<std::string> texts(std::string_view key);
  /// The elements of an array of objects, each with its own reader (sharing the problem).
  std::vector<json_reader> objects(std::string_view key);

  const std::optional<std::string>& problem() const { return *problem_; }
  void fail(std::string problem);

 private:
  json_reader(const boost::json::object& object, std::string where,
              std::shared_ptr<std::optional<std::string>> problem);
  const boost::json::value* field(std::string_view key, bool required);

  const boost::json::object* object_;
  std::string where_;
  std::shared_ptr<std::optional<std::string>> problem_;
};

/// The typed error for an outcome that is not a success (reads `{"error", "detail"}`).
provider_error error_of(const call_outcome& outcome);

/// A JSON answer body as an object, or what is wrong with it.
std::variant<boost::json::object, std::string> parse_object(std::string_view body);

/// A call with a JSON body (`Content-Type: application/json`) and `Accept: application/json`.
http_call json_call(std::string method, std::string url, const boost::json::object& body);
/// A GET with `Accept: application/json`.
http_call get_call(std::string url);

/// Reads an outcome into a provider_result: errors as provider_error, a 2xx body with `parse`
/// (a function of `json_reader&` returning T, which reports what is wrong through the reader).
template <class T, class Parse>
provider_result<T> read_answer(const call_outcome& outcome, const Parse& parse) {
  if (outcome.reason != stop_reason::success) return error_of(outcome);
  auto parsed = parse_object(outcome.answer.body);
  if (auto* problem = std::get_if<std::string>(&parsed)) {
    return provider_error{provider_error_kind::bad_answer, outcome.answer.status, "",
                          std::move(*problem)};
  }
  json_reader reader(std::get<boost::json::object>(parsed));
  T value = parse(reader);
  if (reader.problem()) {
    return provider_error{provider_error_kind::bad_answer, outcome.answer.status, "",
                          *reader.problem()};
  }
  return value;
}

/// Runs `call` through `caller` and hands `done` the parsed answer or the typed error.
template <class T, class Parse>
void call_json(provider_caller& caller, http_call call, std::string idempotency_key, Parse parse,
               std::function<void(provider_result<T>)> done) {
  caller.call(std::move(call), std::move(idempotency_key),
              [parse = std::move(parse), done = std::move(done)](call_outcome outcome) {
                done(read_answer<T>(outcome, parse));
              });
}

}  // namespace payorch::adapters::detail
