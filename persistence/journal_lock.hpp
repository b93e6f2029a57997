#pragma once
/// The lock that lets one process at a time write a SQLite journal.

#include <filesystem>
#include <string>

namespace payorch::persistence {

/// An exclusive flock on "<journal>.lock", held while it lives. `payorch serve` holds it for as
/// long as it runs (knowing it is the only writer lets it know every stored idempotency key), and
/// `payorch migrate` for as long as it migrates, so neither changes a journal the other is using.
class journal_lock {
 public:
  journal_lock() = default;
  journal_lock(journal_lock&& other) noexcept;
  journal_lock& operator=(journal_lock&& other) noexcept;
  journal_lock(const journal_lock&) = delete;
  journal_lock& operator=(const journal_lock&) = delete;
  ~journal_lock();  // closing the last descriptor releases the lock

  /// Takes the lock of the journal file `journal` into `lock`; false with `*error` saying why
  /// (another payorch process holds it, or the lock file cannot be opened).
  static bool take(const std::filesystem::path& journal, journal_lock& lock, std::string* error);

 private:
  int fd_ = -1;
};

}  // namespace payorch::persistence
