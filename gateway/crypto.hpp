#pragma once
/// The few OpenSSL primitives authentication needs, behind plain types: digests, HMAC,
/// PBKDF2, random bytes, constant-time comparison, and owner-only files for secrets.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace payorch::gateway {

/// The 32-byte SHA-256 digest of `data`.
std::string sha256(std::string_view data);

/// The 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// The 32-byte PBKDF2-HMAC-SHA256 of `secret` (RFC 8018); nullopt if OpenSSL refuses.
std::optional<std::string> pbkdf2_sha256(std::string_view secret, std::string_view salt,
                                         std::int64_t iterations);

/// `count` bytes from the operating system's CSPRNG; nullopt if it fails.
std::optional<std::string> random_bytes(std::size_t count);

/// True when `a` and `b` are equal, taking time that depends only on their lengths.
bool equal_constant_time(std::string_view a, std::string_view b);

/// Writes `content` to `file` readable by its owner only (0600): written beside it, flushed
/// to disk, then renamed over it, so a crash leaves the old file or the new one. False with
/// `error` set on failure.
bool write_private_file(const std::filesystem::path& file, std::string_view content,
                        std::string* error);

/// How create_private_file ended.
enum class create_outcome { created, exists, failed };

/// Makes `file` with `content`, readable by its owner only (0600), unless it already exists:
/// written beside it, flushed to disk, then linked into place, so a crash leaves no file or the
/// whole one, and of two processes making it at once exactly one does and the other is told
/// `exists` (and should read it). `error` is set on `failed`.
create_outcome create_private_file(const std::filesystem::path& file, std::string_view content,
                                   std::string* error);

/// The text of `file`; when there is none, the text `make` gives, written with
/// create_private_file (`*created` true), unless another process made the file first, whose text
/// is read instead. Nullopt with `error` set when the file can be neither read nor made (`make`
/// sets `error` when it fails).
std::optional<std::string> read_or_create_private_file(
    const std::filesystem::path& file,
    const std::function<std::optional<std::string>(std::string* error)>& make, bool* created,
    std::string* error);

/// The whole of `file`, or nullopt with `error` set.
std::optional<std::string> read_small_file(const std::filesystem::path& file, std::string* error);

}  // namespace payorch::gateway
