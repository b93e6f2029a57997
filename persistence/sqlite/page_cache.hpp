#pragma once
/// A page cache over SQLite's own that skips truncations which would remove nothing (internal to
/// persistence).
///
/// When SQLite splits a b-tree page it may swap the new pages' numbers so they stay in ascending
/// order, and parks one page for a moment under the number of the "pending byte" page (page
/// 262,145 with 4 KiB pages). The default cache then believes it holds a page that far out, and
/// at the end of every transaction, when the pager drops pages past the end of the database, it
/// walks its whole hash table (16,384 buckets for the writer's cache) looking for them. On the
/// writer's thread that was 8 % of its time under random inserts.
///
/// This cache forwards every call to SQLite's default one, and keeps beside it an upper bound of
/// the page numbers present other than the pending-byte page and whether that page is present.
/// A truncation that would remove nothing is not forwarded; every other one is.

#include <cstdint>

namespace payorch::persistence::sqlite {

/// How many pages were parked under the pending-byte page's number, how many truncations the
/// pager asked for, and how many of them reached SQLite's cache.
struct page_cache_counts {
  std::uint64_t parked = 0;
  std::uint64_t truncations = 0;
  std::uint64_t forwarded = 0;
};

/// Installs the cache over SQLite's default one. Must run before SQLite is initialised (it is
/// part of configure_sqlite); returns false if SQLite refused, and the default cache then serves
/// alone.
bool install_page_cache();

/// The process's counts since start (for tests and diagnostics).
page_cache_counts page_cache_totals() noexcept;

}  // namespace payorch::persistence::sqlite
