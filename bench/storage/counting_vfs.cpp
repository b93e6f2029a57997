#include "counting_vfs.hpp"

#include <sqlite3.h>

namespace payorch::bench {
namespace {

std::atomic<std::uint64_t> syncs{0};
std::atomic<std::uint64_t> writes{0};
std::atomic<std::uint64_t> reads{0};

sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs counting_vfs{};

/// Our file handle: SQLite allocates szOsFile bytes; the real VFS's file lives right after ours.
struct counting_file {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_file* real_of(sqlite3_file* file) {
  return reinterpret_cast<counting_file*>(file)->real;
}

int file_close(sqlite3_file* f) {
  return real_of(f)->pMethods->xClose(real_of(f));
}
int file_read(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
  reads.fetch_add(1, std::memory_order_relaxed);
  return real_of(f)->pMethods->xRead(real_of(f), buffer, amount, offset);
}
int file_write(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
  writes.fetch_add(1, std::memory_order_relaxed);
  return real_of(f)->pMethods->xWrite(real_of(f), buffer, amount, offset);
}
int file_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int file_sync(sqlite3_file* f, int flags) {
  syncs.fetch_add(1, std::memory_order_relaxed);
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int file_lock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xLock(real_of(f), level);
}
int file_unlock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
int file_check_reserved(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int file_sector_size(sqlite3_file* f) {
  return real_of(f)->pMethods->xSectorSize(real_of(f));
}
int file_device(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int file_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, out);
}
int file_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void file_shm_barrier(sqlite3_file* f) {
  real_of(f)->pMethods->xShmBarrier(real_of(f));
}
int file_shm_unmap(sqlite3_file* f, int remove) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), remove);
}
int file_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return real_of(f)->pMethods->xFetch(real_of(f), offset, amount, out);
}
int file_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), offset, page);
}

const sqlite3_io_methods counting_methods{
    3,
    file_close,
    file_read,
    file_write,
    file_truncate,
    file_sync,
    file_size,
    file_lock,
    file_unlock,
    file_check_reserved,
    file_control,
    file_sector_size,
    file_device,
    file_shm_map,
    file_shm_lock,
    file_shm_barrier,
    file_shm_unmap,
    file_fetch,
    file_unfetch,
};

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* ours = reinterpret_cast<counting_file*>(file);
  ours->real = reinterpret_cast<sqlite3_file*>(ours + 1);
  ours->base.pMethods = nullptr;
  const int rc = real_vfs->xOpen(real_vfs, name, ours->real, flags, out_flags);
  // SQLite calls xClose only if pMethods is set, so a failed open must leave it null.
  if (ours->real->pMethods != nullptr) ours->base.pMethods = &counting_methods;
  return rc;
}

}  // namespace

bool install_counting_vfs() {
  if (real_vfs != nullptr) return true;
  real_vfs = sqlite3_vfs_find(nullptr);
  if (real_vfs == nullptr) return false;
  // Every other method (delete, access, randomness, ...) and pAppData stay the real VFS's.
  counting_vfs = *real_vfs;
  counting_vfs.zName = "payorch_counting";
  counting_vfs.szOsFile = static_cast<int>(sizeof(counting_file)) + real_vfs->szOsFile;
  counting_vfs.xOpen = vfs_open;
  return sqlite3_vfs_register(&counting_vfs, 1) == SQLITE_OK;
}

io_counts read_io_counts() {
  return {syncs.load(std::memory_order_relaxed), writes.load(std::memory_order_relaxed),
          reads.load(std::memory_order_relaxed)};
}

}  // namespace payorch::bench
