#include "gateway/crypto.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>

#include "adapters/webhook_signature.hpp"
#include "domain/ids.hpp"

namespace payorch::gateway {
namespace {

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

/// Files holding secrets are small; anything larger is not one of ours.
constexpr std::uintmax_t max_secret_file_bytes = 64 * 1024;

std::string errno_text() {
  return std::strerror(errno);
}

/// Writes all of `content` to `fd`, retrying on short writes and EINTR.
bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string sha256(std::string_view data) {
  // Fetched once: EVP_sha256() would look the implementation up on every request's digests.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), digest, &size, md, nullptr) != 1)
    throw std::runtime_error("SHA-256 unavailable");
  return {reinterpret_cast<const char*>(digest), size};
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes_of(data), data.size(), mac,
       &size);
  return {reinterpret_cast<const char*>(mac), size};
}

std::optional<std::string> pbkdf2_sha256(std::string_view secret, std::string_view salt,
                                         std::int64_t iterations) {
  if (iterations < 1 || iterations > std::numeric_limits<int>::max()) return std::nullopt;
  std::string out(32, '\0');
  int ok =
      PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()), bytes_of(salt),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data()));
  if (ok != 1) return std::nullopt;
  return out;
}

std::optional<std::string> random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1)
    return std::nullopt;
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  return adapters::equal_in_constant_time(a, b);
}

namespace {

/// Writes `content` to a temp file beside `file` that no other call uses (0600, flushed to
/// disk); its path, or nullopt with `error` set.
std::optional<std::filesystem::path> write_private_temp(const std::filesystem::path& file,
                                                        std::string_view content,
                                                        std::string* error) {
  auto temp = file;
  temp += ".tmp-" + std::to_string(::getpid()) + "-" + hex_encode(random_bytes(8).value_or("0"));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot create " + temp.string() + ": " + errno_text();
    return std::nullopt;
  }
  // O_CREAT's mode is filtered by the umask; the file must be the owner's alone whatever it is.
  bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, content) && ::fsync(fd) == 0;
  std::string why = ok ? std::string() : errno_text();
  ::close(fd);
  if (!ok) {
    *error = "cannot write " + temp.string() + ": " + why;
    ::unlink(temp.c_str());
    return std::nullopt;
  }
  return temp;
}

/// Flushes the directory of `file`, which makes a rename or link into it durable.
void sync_parent(const std::filesystem::path& file) {
  int dir = ::open(file.parent_path().empty() ? "." : file.parent_path().c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

bool write_private_file(const std::filesystem::path& file, std::string_view content,
                        std::string* error) {
  auto temp = write_private_temp(file, content, error);
  if (!temp) return false;
  if (::rename(temp->c_str(), file.c_str()) != 0) {
    *error = "cannot rename " + temp->string() + " to " + file.string() + ": " + errno_text();
    ::unlink(temp->c_str());
    return false;
  }
  sync_parent(file);
  return true;
}

create_outcome create_private_file(const std::filesystem::path& file, std::string_view content,
                                   std::string* error) {
  auto temp = write_private_temp(file, content, error);
  if (!temp) return create_outcome::failed;
  // link() never replaces: of two processes making the file at once, one links and the other
  // reads what the first wrote.
  int linked = ::link(temp->c_str(), file.c_str());
  int link_errno = errno;
  if (linked != 0 && (link_errno == EPERM || link_errno == ENOTSUP || link_errno == ENOSYS)) {
    // A file system without hard links: a rename, which only a start racing this one can beat.
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
      link_errno = EEXIST;
    } else {
      linked = ::rename(temp->c_str(), file.c_str());
      link_errno = errno;
    }
  }
  ::unlink(temp->c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return create_outcome::exists;
    *error =
        "cannot link " + temp->string() + " to " + file.string() + ": " + std::strerror(link_errno);
    return create_outcome::failed;
  }
  sync_parent(file);
  return create_outcome::created;
}

std::optional<std::string> read_or_create_private_file(
    const std::filesystem::path& file,
    const std::function<std::optional<std::string>(std::string* error)>& make, bool* created,
    std::string* error) {
  *created = false;
  std::error_code ec;
  const bool present = std::filesystem::exists(file, ec);
  if (ec) {
    *error = "cannot look for " + file.string() + ": " + ec.message();
    return std::nullopt;
  }
  if (!present) {
    auto content = make(error);
    if (!content) return std::nullopt;
    switch (create_private_file(file, *content, error)) {
      case create_outcome::created:
        *created = true;
        return content;
      case create_outcome::failed:
        return std::nullopt;
      case create_outcome::exists:  // made by another process first (or a link to nothing is there)
        break;
    }
  }
  return read_small_file(file, error);
}

std::optional<std::string> read_small_file(const std::filesystem::path& file, std::string* error) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec) {
    *error = "cannot read " + file.string() + ": " + ec.message();
    return std::nullopt;
  }
  if (size > max_secret_file_bytes) {
    *error = file.string() + " is too large (" + std::to_string(size) + " bytes)";
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) {
    *error = "cannot read " + file.string();
    return std::nullopt;
  }
  return text;
}

}  // namespace payorch::gateway
