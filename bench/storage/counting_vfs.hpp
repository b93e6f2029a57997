#pragma once
/// A SQLite VFS shim that counts the syncs, writes and reads of every file SQLite opens.
///
/// The benchmark installs it as the default VFS before the journal opens its connections, so the
/// counts cover the writer's connection and any helper connection the journal opens.

#include <atomic>
#include <cstdint>

namespace payorch::bench {

/// Totals since the shim was installed; safe to read from any thread.
struct io_counts {
  std::uint64_t syncs = 0;   // xSync calls (fsync/fdatasync of the WAL or the database file)
  std::uint64_t writes = 0;  // xWrite calls (one pwrite each)
  std::uint64_t reads = 0;   // xRead calls (one pread each; mmap'd pages are not counted)
};

/// Wraps the current default VFS and makes the wrapper the default; returns false if SQLite
/// refused.
bool install_counting_vfs();

/// The counts so far.
io_counts read_io_counts();

}  // namespace payorch::bench
