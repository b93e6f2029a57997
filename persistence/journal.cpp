#include "persistence/journal.hpp"

namespace payorch::persistence {

result<std::vector<std::optional<idempotency_record>>> journal_store::get_idempotency_records(
    std::span<const idempotency_key> keys) {
  std::vector<std::optional<idempotency_record>> records;
  records.reserve(keys.size());
  for (const auto& k : keys) {
    auto found = get_idempotency(k.client_id, k.key);
    if (!found) return found.error();
    records.push_back(std::move(*found));
  }
  return records;
}

result<std::size_t> journal_store::scan_idempotency_keys(
    std::int64_t /*now_ms*/,
    const std::function<bool(const idempotency_key&, std::int64_t)>& /*each*/) {
  return fail(errc::storage_unavailable, "this store does not list its idempotency keys");
}

}  // namespace payorch::persistence
