#include "gateway/token_cache.hpp"

namespace payorch::gateway {

std::shared_ptr<const principal> token_cache::find(std::string_view token,
                                                   std::int64_t now_s) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = entries_.find(token);
  if (it == entries_.end() || now_s >= it->second.valid_until_s) return nullptr;
  return it->second.who;
}

void token_cache::insert(std::string_view token, std::shared_ptr<const principal> who,
                         std::int64_t valid_until_s, std::int64_t now_s) {
  std::string key(token);  // allocated outside the lock
  std::lock_guard<std::mutex> guard{mutex_};
  if (entries_.size() >= capacity_ && !entries_.contains(key)) {
    // Rare (the capacity exceeds the live tokens of any sane deployment), so a full sweep
    // under the lock is acceptable.
    std::erase_if(entries_, [now_s](const auto& e) { return now_s >= e.second.valid_until_s; });
    if (entries_.size() >= capacity_) entries_.clear();
  }
  entries_.insert_or_assign(std::move(key), entry{std::move(who), valid_until_s});
}

std::size_t token_cache::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return entries_.size();
}

}  // namespace payorch::gateway
