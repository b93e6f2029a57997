#pragma once
/// Reading a journaled event's JSON payload member by member, remembering the first member that
/// is missing or mistyped, so a decoder reads every field and then reports one clear name.
///
/// Internal to the event codecs (pod events, saga events); includes Boost.JSON.

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace payorch::actors {

class json_fields {
 public:
  explicit json_fields(const boost::json::object& o) : o_(o) {}

  /// A string member.
  std::string text(std::string_view key) {
    auto* v = o_.if_contains(key);
    if (v && v->is_string()) return std::string(v->get_string());
    miss(key);
    return {};
  }
  /// A string member that may be absent (older or optional fields).
  std::string optional_text(std::string_view key) const {
    auto* v = o_.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  }
  /// An integer member that fits int64.
  std::int64_t integer(std::string_view key) {
    auto* v = o_.if_contains(key);
    if (v && v->is_int64()) return v->get_int64();
    if (v && v->is_uint64() && v->get_uint64() <= INT64_MAX)
      return static_cast<std::int64_t>(v->get_uint64());
    miss(key);
    return 0;
  }
  /// A boolean member.
  bool flag(std::string_view key) {
    auto* v = o_.if_contains(key);
    if (v && v->is_bool()) return v->get_bool();
    miss(key);
    return false;
  }
  /// An object member, or null when absent or not an object (not counted as missing).
  const boost::json::object* object(std::string_view key) const {
    auto* v = o_.if_contains(key);
    return v && v->is_object() ? &v->get_object() : nullptr;
  }
  /// The first member that was missing or wrong, or empty when all were fine.
  const std::string& missing() const { return missing_; }

 protected:
  /// Records `key` as wrong unless an earlier member already was.
  void miss(std::string_view key) {
    if (missing_.empty()) missing_ = std::string(key);
  }

 private:
  const boost::json::object& o_;
  std::string missing_;
};

}  // namespace payorch::actors
