#pragma once
/// A SQLite VFS that gathers a transaction's WAL writes into one (internal to persistence).
///
/// SQLite writes each WAL frame as two calls, its 24-byte header and then its page, so a commit
/// of 80 pages is 160 small pwrite calls, each straddling two pages of the kernel's page cache.
/// Over the default VFS, this one keeps consecutive writes to a "-wal" file in memory and writes
/// them in 64 KiB pieces when a commit frame is written, SQLite syncs, reads what it wrote,
/// truncates, asks the size or closes the file; other files pass straight through, and so does a
/// WAL on a device without powersafe overwrite (SQLite then syncs in the middle of a commit's last
/// frame).
///
/// A transaction's frames go to the file when its commit frame is written (the frame whose header
/// holds the database's size; see wal_buffer.cpp), before SQLite publishes them to other
/// connections, so nothing another connection may read waits in memory, and what a commit wrote is
/// in the file when COMMIT returns, with `synchronous=FULL` (which then syncs it) or NORMAL (whose
/// caller syncs it, see sqlite_options::defer_sync).
///
/// A write that fails when the buffer is written reports its error from the call that wrote it
/// (a commit frame's write, or the sync of the commit): SQLite then fails the transaction, as when
/// the sync itself fails.

namespace payorch::persistence::sqlite {

/// Registers the VFS (once, not as the default) and returns its name for sqlite3_open_v2;
/// null if SQLite has no default VFS to wrap.
const char* wal_buffer_vfs();

}  // namespace payorch::persistence::sqlite
