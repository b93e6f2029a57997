#include "persistence/hash_chain.hpp"

#include <openssl/evp.h>

#include <stdexcept>

#include "domain/ids.hpp"
#include "persistence/journal.hpp"

namespace payorch::persistence {
namespace {

// A version tag up front lets a future encoding coexist with this one.
constexpr std::string_view encoding_tag = "payorch.event.v1";

void append_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xffU));
  }
}

void append_field(std::string& out, std::string_view field) {
  append_u64(out, field.size());
  out.append(field);
}

std::string encode(const hashed_fields& fields) {
  std::string out;
  out.reserve(encoding_tag.size() + fields.prev_hash.size() + fields.stream_id.size() +
              fields.event_type.size() + fields.payload.size() + 8 * 7);
  append_field(out, encoding_tag);
  append_field(out, fields.prev_hash);
  append_field(out, fields.stream_id);
  append_u64(out, static_cast<std::uint64_t>(fields.version));
  append_field(out, fields.event_type);
  append_u64(out, static_cast<std::uint64_t>(fields.recorded_at_ms));
  append_field(out, fields.payload);
  return out;
}

}  // namespace

std::array<unsigned char, 32> sha256(std::string_view bytes) {
  // EVP_sha256() would look the implementation up again on every digest (a third of the
  // time a short event's digest takes); the fetched one is immutable and shared by threads.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  // SHA-256 over memory fails only without OpenSSL's default provider or memory.
  if (md == nullptr ||
      EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, md, nullptr) != 1 ||
      size != digest.size())
    throw std::runtime_error("SHA-256 unavailable");
  return digest;
}

bool sha256_available() noexcept {
  try {
    sha256({});
    return true;
  } catch (...) {
    return false;
  }
}

std::string event_hash(const hashed_fields& fields) {
  const auto digest = sha256(encode(fields));
  return hex_encode({reinterpret_cast<const char*>(digest.data()), digest.size()});
}

std::string chain_walker::check(const event_record& event) {
  if (!started_ || event.stream_id != stream_id_) start_stream(event.stream_id);
  if (event.version != next_version_) {
    return "version " + std::to_string(event.version) + " where " + std::to_string(next_version_) +
           " was expected";
  }
  if (event.prev_hash != prev_hash_)
    return "prev_hash does not match the hash of the previous event";
  const std::string expected = event_hash({event.prev_hash, event.stream_id, event.version,
                                           event.event_type, event.recorded_at_ms, event.payload});
  if (event.hash != expected) return "hash does not match the event's contents";
  ++next_version_;
  prev_hash_ = event.hash;
  return {};
}

void chain_walker::start_stream(const std::string& stream_id) {
  started_ = true;
  stream_id_ = stream_id;
  next_version_ = 1;
  prev_hash_ = genesis_hash;
  ++streams_;
}

}  // namespace payorch::persistence
