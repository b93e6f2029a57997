#include "persistence/sqlite/page_cache.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <new>

namespace payorch::persistence::sqlite {

namespace {

/// SQLite's default cache, called for everything.
sqlite3_pcache_methods2 inner{};

/// The process's page_cache_counts.
std::atomic<std::uint64_t> parks{0};
std::atomic<std::uint64_t> truncations_asked{0};
std::atomic<std::uint64_t> truncations_forwarded{0};

/// The byte SQLite locks and never stores data on (sqliteInt.h's PENDING_BYTE); the page holding
/// it is the number b-tree balancing parks pages under.
constexpr unsigned pending_byte = 0x40000000U;

/// One cache: the default one's, and what is known about the page numbers it holds.
struct cache {
  sqlite3_pcache* base = nullptr;
  unsigned pending_page = 0;
  /// No page other than the pending-byte page has a number above this.
  unsigned highest = 0;
  /// The page now numbered pending_page, if there may be one (a stale pointer only costs a
  /// forwarded truncation).
  sqlite3_pcache_page* parked = nullptr;
};

cache* of(sqlite3_pcache* p) {
  return reinterpret_cast<cache*>(p);
}

void note_present(cache& c, unsigned key, sqlite3_pcache_page* page) {
  if (key == c.pending_page) {
    parks.fetch_add(1, std::memory_order_relaxed);
    c.parked = page;
    return;
  }
  if (page == c.parked) c.parked = nullptr;  // that page was reused under another number
  c.highest = std::max(c.highest, key);
}

int init(void*) {
  return inner.xInit != nullptr ? inner.xInit(inner.pArg) : SQLITE_OK;
}

void shutdown(void*) {
  if (inner.xShutdown != nullptr) inner.xShutdown(inner.pArg);
}

sqlite3_pcache* create(int page_size, int extra, int purgeable) {
  auto* c = new (std::nothrow) cache;
  if (c == nullptr) return nullptr;
  c->base = inner.xCreate(page_size, extra, purgeable);
  if (c->base == nullptr) {
    delete c;
    return nullptr;
  }
  c->pending_page = page_size > 0 ? pending_byte / static_cast<unsigned>(page_size) + 1 : 0;
  return reinterpret_cast<sqlite3_pcache*>(c);
}

void cache_size(sqlite3_pcache* p, int pages) {
  inner.xCachesize(of(p)->base, pages);
}

int page_count(sqlite3_pcache* p) {
  return inner.xPagecount(of(p)->base);
}

sqlite3_pcache_page* fetch(sqlite3_pcache* p, unsigned key, int create_flag) {
  cache& c = *of(p);
  sqlite3_pcache_page* page = inner.xFetch(c.base, key, create_flag);
  if (page != nullptr) note_present(c, key, page);
  return page;
}

void unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
  cache& c = *of(p);
  if (discard != 0 && page == c.parked) c.parked = nullptr;
  inner.xUnpin(c.base, page, discard);
}

void rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  cache& c = *of(p);
  if (old_key == c.pending_page && page == c.parked) c.parked = nullptr;
  inner.xRekey(c.base, page, old_key, new_key);
  note_present(c, new_key, page);
}

void truncate(sqlite3_pcache* p, unsigned limit) {
  cache& c = *of(p);
  truncations_asked.fetch_add(1, std::memory_order_relaxed);
  const bool parked_goes = c.parked != nullptr && c.pending_page >= limit;
  if (!parked_goes && c.highest < limit) return;  // nothing numbered limit or above
  truncations_forwarded.fetch_add(1, std::memory_order_relaxed);
  inner.xTruncate(c.base, limit);
  if (parked_goes) c.parked = nullptr;
  if (limit == 0) {
    c.highest = 0;
  } else {
    c.highest = std::min(c.highest, limit - 1);
  }
}

void destroy(sqlite3_pcache* p) {
  cache* c = of(p);
  inner.xDestroy(c->base);
  delete c;
}

void shrink(sqlite3_pcache* p) {
  inner.xShrink(of(p)->base);
}

}  // namespace

bool install_page_cache() {
  if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner) != SQLITE_OK || inner.xCreate == nullptr)
    return false;
  sqlite3_pcache_methods2 methods{};
  methods.iVersion = 1;
  methods.xInit = init;
  methods.xShutdown = shutdown;
  methods.xCreate = create;
  methods.xCachesize = cache_size;
  methods.xPagecount = page_count;
  methods.xFetch = fetch;
  methods.xUnpin = unpin;
  methods.xRekey = rekey;
  methods.xTruncate = truncate;
  methods.xDestroy = destroy;
  methods.xShrink = shrink;
  return sqlite3_config(SQLITE_CONFIG_PCACHE2, &methods) == SQLITE_OK;
}

page_cache_counts page_cache_totals() noexcept {
  return {parks.load(std::memory_order_relaxed), truncations_asked.load(std::memory_order_relaxed),
          truncations_forwarded.load(std::memory_order_relaxed)};
}

}  // namespace payorch::persistence::sqlite
