#include "persistence/sqlite/wal_buffer.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <vector>

#include "persistence/sqlite/statement.hpp"

namespace payorch::persistence::sqlite {
namespace {

/// Writes beyond this many bytes go to the file at once: a transaction bigger than this (a very
/// large snapshot) is written in pieces of this size.
constexpr std::size_t max_pending_bytes = std::size_t{4} << 20;
constexpr std::size_t max_write_bytes = std::size_t{64} << 10;

/// A WAL file as SQLite sees it: our methods, then the default VFS's file in the same memory.
struct buffered_file {
  sqlite3_file base;                   // first: SQLite passes a pointer to this
  sqlite3_file* real;                  // the default VFS's file, placed after this struct
  std::vector<unsigned char> pending;  // bytes not yet written, starting at pending_offset
  sqlite3_int64 pending_offset;
  bool gathering;    // false: every write goes straight to the file (see open_file)
  bool commit_page;  // the last write was the header of a commit frame: its page follows
};

/// A WAL frame starts with a 24-byte header whose bytes 4-7 (big-endian) hold the database's size
/// in pages after the transaction for its last frame, and 0 for every other frame
/// (https://www.sqlite.org/fileformat2.html#walformat). SQLite writes the header and the page in
/// two calls, so a 24-byte write is a frame header: the 32-byte WAL header is the only other
/// write shorter than a page.
constexpr int frame_header_bytes = 24;

bool is_commit_frame_header(const unsigned char* bytes, int amount) {
  return amount == frame_header_bytes && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

constexpr std::size_t real_file_offset = (sizeof(buffered_file) + alignof(std::max_align_t) - 1) /
                                         alignof(std::max_align_t) * alignof(std::max_align_t);

sqlite3_vfs* wrapped = nullptr;  // the default VFS, set once before registration
sqlite3_vfs vfs{};
sqlite3_io_methods methods{};

buffered_file* of(sqlite3_file* file) {
  return reinterpret_cast<buffered_file*>(file);
}

const sqlite3_io_methods& real_methods(const buffered_file* f) {
  return *f->real->pMethods;
}

sqlite3_int64 pending_end(const buffered_file* f) {
  return f->pending_offset + static_cast<sqlite3_int64>(f->pending.size());
}

/// Writes what is pending. The bytes are dropped even if the write fails: SQLite then fails the
/// transaction they belong to (a failed write or sync puts its pager in the error state; other
/// callers use flush_as), and writes its frames again in the next one.
int flush(buffered_file* f) {
  int rc = SQLITE_OK;
  // The default VFS writes at most 128 KiB - 1 bytes per call (it expects pages), so the bytes
  // go in pieces of 64 KiB.
  for (std::size_t done = 0; done < f->pending.size() && rc == SQLITE_OK; done += max_write_bytes) {
    const std::size_t piece = std::min(max_write_bytes, f->pending.size() - done);
    rc = real_methods(f).xWrite(f->real, f->pending.data() + done, static_cast<int>(piece),
                                f->pending_offset + static_cast<sqlite3_int64>(done));
  }
  f->pending.clear();
  return rc;
}

/// Writes what is pending before an operation that is not a write, whose failure SQLite must
/// take as an I/O error (`ioerr`). SQLite was told those bytes were written, and now they are
/// gone: only an I/O error makes it roll the whole transaction back, whereas SQLITE_FULL in a
/// statement with a statement journal rolls back that statement alone and would let a later
/// COMMIT publish frames that were never written.
int flush_as(buffered_file* f, int ioerr) {
  return flush(f) == SQLITE_OK ? SQLITE_OK : ioerr;
}

int close_file(sqlite3_file* file) {
  auto* f = of(file);
  const int flushed = flush(f);
  const int closed = real_methods(f).xClose(f->real);
  f->pending.~vector();
  return flushed != SQLITE_OK ? flushed : closed;
}

int read_file(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  auto* f = of(file);
  if (!f->pending.empty() && offset < pending_end(f) && offset + amount > f->pending_offset) {
    if (const int rc = flush_as(f, SQLITE_IOERR_READ); rc != SQLITE_OK) return rc;
  }
  return real_methods(f).xRead(f->real, data, amount, offset);
}

int write_file(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  auto* f = of(file);
  if (!f->gathering) return real_methods(f).xWrite(f->real, data, amount, offset);
  const auto* bytes = static_cast<const unsigned char*>(data);
  const auto size = static_cast<std::size_t>(amount);
  // A commit frame's header, and the page after it, end the transaction's frames. SQLite
  // publishes them to other connections right after (with synchronous=FULL after syncing, with
  // NORMAL at once), so both go to the file at once: nothing another connection may read waits
  // here, and a sync made after COMMIT returns covers the whole transaction. The header goes on
  // its own too, as it can be the transaction's last write: when SQLite rewrote a page of the
  // transaction in place, it stamps the frames after it again, the commit frame's header last.
  const bool commit_header = is_commit_frame_header(bytes, amount);
  const bool ends_transaction = commit_header || f->commit_page;
  f->commit_page = commit_header;
  if (!f->pending.empty() && offset >= f->pending_offset && offset + amount <= pending_end(f)) {
    // A frame of this transaction written again (SQLite rewrites a page it wrote earlier).
    std::memcpy(f->pending.data() + (offset - f->pending_offset), bytes, size);
    return ends_transaction ? flush(f) : SQLITE_OK;
  }
  if (!f->pending.empty() &&
      (offset != pending_end(f) || f->pending.size() + size > max_pending_bytes)) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  if (size > max_write_bytes) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    return real_methods(f).xWrite(f->real, data, amount, offset);
  }
  if (f->pending.empty()) f->pending_offset = offset;
  try {
    f->pending.insert(f->pending.end(), bytes, bytes + size);
  } catch (const std::bad_alloc&) {
    return SQLITE_IOERR_NOMEM;  // nothing was appended; SQLite fails the transaction
  }
  return ends_transaction ? flush(f) : SQLITE_OK;
}

int truncate_file(sqlite3_file* file, sqlite3_int64 size) {
  auto* f = of(file);
  if (const int rc = flush_as(f, SQLITE_IOERR_TRUNCATE); rc != SQLITE_OK) return rc;
  return real_methods(f).xTruncate(f->real, size);
}

int sync_file(sqlite3_file* file, int flags) {
  auto* f = of(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xSync(f->real, flags);
}

int file_size(sqlite3_file* file, sqlite3_int64* size) {
  auto* f = of(file);
  if (const int rc = flush_as(f, SQLITE_IOERR_FSTAT); rc != SQLITE_OK) return rc;
  return real_methods(f).xFileSize(f->real, size);
}

int lock_file(sqlite3_file* file, int level) {
  return real_methods(of(file)).xLock(of(file)->real, level);
}

int unlock_file(sqlite3_file* file, int level) {
  return real_methods(of(file)).xUnlock(of(file)->real, level);
}

int check_reserved_lock(sqlite3_file* file, int* out) {
  return real_methods(of(file)).xCheckReservedLock(of(file)->real, out);
}

// A size hint only grows the file where nothing is written yet; the bytes pending land on it
// later, so it needs no flush (SQLite ignores a hint's result, which would lose a flush error).
int file_control(sqlite3_file* file, int op, void* arg) {
  return real_methods(of(file)).xFileControl(of(file)->real, op, arg);
}

int sector_size(sqlite3_file* file) {
  return real_methods(of(file)).xSectorSize(of(file)->real);
}

int device_characteristics(sqlite3_file* file) {
  return real_methods(of(file)).xDeviceCharacteristics(of(file)->real);
}

// A WAL file never gets the shared-memory or memory-map calls (they go to the database file);
// they are forwarded all the same.
int shm_map(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  const auto& m = real_methods(of(file));
  return m.iVersion >= 2 ? m.xShmMap(of(file)->real, page, size, extend, out) : SQLITE_IOERR;
}

int shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  const auto& m = real_methods(of(file));
  return m.iVersion >= 2 ? m.xShmLock(of(file)->real, offset, n, flags) : SQLITE_IOERR;
}

void shm_barrier(sqlite3_file* file) {
  const auto& m = real_methods(of(file));
  if (m.iVersion >= 2) m.xShmBarrier(of(file)->real);
}

int shm_unmap(sqlite3_file* file, int delete_flag) {
  const auto& m = real_methods(of(file));
  return m.iVersion >= 2 ? m.xShmUnmap(of(file)->real, delete_flag) : SQLITE_OK;
}

int fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  auto* f = of(file);
  *out = nullptr;
  if (real_methods(f).iVersion < 3) return SQLITE_OK;  // "no mapping": SQLite reads instead
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xFetch(f->real, offset, amount, out);
}

int unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  const auto& m = real_methods(of(file));
  return m.iVersion >= 3 ? m.xUnfetch(of(file)->real, offset, page) : SQLITE_OK;
}

int open_file(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  // Everything but a WAL file is the default VFS's file itself, in the memory SQLite gave us.
  if ((flags & SQLITE_OPEN_WAL) == 0) return wrapped->xOpen(wrapped, name, file, flags, out_flags);
  auto* f = of(file);
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + real_file_offset);
  const int rc = wrapped->xOpen(wrapped, name, f->real, flags, out_flags);
  if (f->real->pMethods == nullptr) {
    file->pMethods = nullptr;  // not opened: SQLite will not call xClose
    return rc;
  }
  new (&f->pending) std::vector<unsigned char>();
  f->pending_offset = 0;
  f->commit_page = false;
  // Without powersafe overwrite SQLite pads a commit to a sector boundary and syncs in the middle
  // of a frame, so the frame's rest would wait here after the sync that publishes it: write
  // through then (the default unix VFS reports powersafe overwrite).
  f->gathering =
      (f->real->pMethods->xDeviceCharacteristics(f->real) & SQLITE_IOCAP_POWERSAFE_OVERWRITE) != 0;
  file->pMethods = &methods;
  return rc;
}

// The rest of the VFS is the default one's.
int delete_file(sqlite3_vfs*, const char* name, int sync_dir) {
  return wrapped->xDelete(wrapped, name, sync_dir);
}
int access_file(sqlite3_vfs*, const char* name, int flags, int* out) {
  return wrapped->xAccess(wrapped, name, flags, out);
}
int full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return wrapped->xFullPathname(wrapped, name, size, out);
}
void* dl_open(sqlite3_vfs*, const char* name) {
  return wrapped->xDlOpen(wrapped, name);
}
void dl_error(sqlite3_vfs*, int size, char* out) {
  wrapped->xDlError(wrapped, size, out);
}
void (*dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return wrapped->xDlSym(wrapped, handle, symbol);
}
void dl_close(sqlite3_vfs*, void* handle) {
  wrapped->xDlClose(wrapped, handle);
}
int randomness(sqlite3_vfs*, int size, char* out) {
  return wrapped->xRandomness(wrapped, size, out);
}
int sleep_for(sqlite3_vfs*, int microseconds) {
  return wrapped->xSleep(wrapped, microseconds);
}
int current_time(sqlite3_vfs*, double* out) {
  return wrapped->xCurrentTime(wrapped, out);
}
int vfs_last_error(sqlite3_vfs*, int size, char* out) {
  return wrapped->xGetLastError != nullptr ? wrapped->xGetLastError(wrapped, size, out) : 0;
}
int current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return wrapped->xCurrentTimeInt64(wrapped, out);
}

const char* register_vfs() {
  configure_sqlite();  // before sqlite3_vfs_find starts SQLite up
  wrapped = sqlite3_vfs_find(nullptr);
  if (wrapped == nullptr) return nullptr;
  methods.iVersion = 3;
  methods.xClose = close_file;
  methods.xRead = read_file;
  methods.xWrite = write_file;
  methods.xTruncate = truncate_file;
  methods.xSync = sync_file;
  methods.xFileSize = file_size;
  methods.xLock = lock_file;
  methods.xUnlock = unlock_file;
  methods.xCheckReservedLock = check_reserved_lock;
  methods.xFileControl = file_control;
  methods.xSectorSize = sector_size;
  methods.xDeviceCharacteristics = device_characteristics;
  methods.xShmMap = shm_map;
  methods.xShmLock = shm_lock;
  methods.xShmBarrier = shm_barrier;
  methods.xShmUnmap = shm_unmap;
  methods.xFetch = fetch;
  methods.xUnfetch = unfetch;

  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(real_file_offset) + wrapped->szOsFile;
  vfs.mxPathname = wrapped->mxPathname;
  vfs.zName = "payorch-wal-buffer";
  vfs.xOpen = open_file;
  vfs.xDelete = delete_file;
  vfs.xAccess = access_file;
  vfs.xFullPathname = full_pathname;
  vfs.xDlOpen = dl_open;
  vfs.xDlError = dl_error;
  vfs.xDlSym = dl_sym;
  vfs.xDlClose = dl_close;
  vfs.xRandomness = randomness;
  vfs.xSleep = sleep_for;
  vfs.xCurrentTime = current_time;
  vfs.xGetLastError = vfs_last_error;
  vfs.xCurrentTimeInt64 = wrapped->iVersion >= 2 ? current_time_int64 : nullptr;
  if (vfs.xCurrentTimeInt64 == nullptr) vfs.iVersion = 1;
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return nullptr;
  return vfs.zName;
}

}  // namespace

const char* wal_buffer_vfs() {
  static const char* const name = register_vfs();
  return name;
}

}  // namespace payorch::persistence::sqlite
