#include "persistence/journal_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace payorch::persistence {

journal_lock::journal_lock(journal_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

journal_lock& journal_lock::operator=(journal_lock&& other) noexcept {
  std::swap(fd_, other.fd_);
  return *this;
}

journal_lock::~journal_lock() {
  if (fd_ >= 0) ::close(fd_);
}

bool journal_lock::take(const std::filesystem::path& journal, journal_lock& lock,
                        std::string* error) {
  const std::string path = journal.string() + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (error) *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int why = errno;
    ::close(fd);
    if (error) {
      *error = why == EWOULDBLOCK
                   ? "the journal " + journal.string() + " is in use by another payorch process (" +
                         path + " is locked)"
                   : "cannot lock " + path + ": " + std::strerror(why);
    }
    return false;
  }
  lock = journal_lock();
  lock.fd_ = fd;
  return true;
}

}  // namespace payorch::persistence
