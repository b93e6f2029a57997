#pragma once
/// A map that forgets its oldest entries past a fixed size, so a long benchmark cannot grow
/// the sandbox without bound.

#include <cstddef>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

namespace payorch::app::sandbox {

/// Entries each sandbox table keeps; the oldest are forgotten first (then unknown: 404).
inline constexpr std::size_t max_table_entries = 200'000;

template <class V>
class bounded_table {
 public:
  explicit bounded_table(std::size_t capacity = max_table_entries)
      : capacity_(capacity < 1 ? 1 : capacity) {}

  V* find(const std::string& key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }

  /// Inserts or replaces `key`; forgets the oldest entry when full.
  V& put(std::string key, V value) {
    auto [it, inserted] = map_.insert_or_assign(key, std::move(value));
    if (inserted) {
      order_.push_back(std::move(key));
      if (order_.size() > capacity_) {
        map_.erase(order_.front());
        order_.pop_front();
      }
    }
    return it->second;  // erasing another entry leaves `it` valid (capacity is at least 1)
  }

  const std::unordered_map<std::string, V>& entries() const { return map_; }
  std::size_t size() const { return map_.size(); }

 private:
  std::size_t capacity_;
  std::unordered_map<std::string, V> map_;
  std::deque<std::string> order_;
};

}  // namespace payorch::app::sandbox
