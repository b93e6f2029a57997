// Memory per live idle pod actor: RSS growth / N after N pods are created and left idle.
//
// The journal is a backend that acknowledges every append at once and keeps nothing, so the
// growth is the pods' own: each actor, its mailbox, its state (one ADMIN member, the policy),
// and its entries in the router's maps. The idle timeout is an hour, so every pod stays live.
// Writes JSON: pods, rss_before_kib, rss_after_kib, bytes_per_pod, seconds.
#include <malloc.h>
#ifdef PAYORCH_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include <caf/all.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "actors/runtime.hpp"
#include "domain/ids.hpp"

namespace payorch::bench {
namespace {

/// Bytes the allocator has handed out and not taken back (jemalloc's or glibc's, whichever the
/// binary links, as payorch serve does).
std::uint64_t heap_in_use() {
#ifdef PAYORCH_WITH_JEMALLOC
  std::uint64_t epoch = 1;
  std::size_t size = sizeof(epoch);
  mallctl("epoch", &epoch, &size, &epoch, size);  // refreshes the statistics
  std::size_t allocated = 0;
  size = sizeof(allocated);
  if (mallctl("stats.allocated", &allocated, &size, nullptr, 0) != 0) return 0;
  return allocated;
#else
  return mallinfo2().uordblks;
#endif
}

/// Gives freed memory back to the system, so RSS counts what is in use.
void release_free_memory() {
#ifdef PAYORCH_WITH_JEMALLOC
  const std::string purge_all = "arena." + std::to_string(MALLCTL_ARENAS_ALL) + ".purge";
  mallctl(purge_all.c_str(), nullptr, nullptr, nullptr, 0);
#else
  malloc_trim(0);
#endif
}

/// Acknowledges appends without storing them; every stream reads as empty.
class forgetful_backend final : public actors::journal_backend {
 public:
  void submit(persistence::append_request req,
              std::function<void(persistence::append_result)> done) override {
    const auto last = req.expected_version + static_cast<std::int64_t>(req.events.size());
    done({persistence::append_status::committed, last, {}});
  }
  void read(std::string, std::function<void(persistence::stream_read)> done) override {
    persistence::stream_read r;
    r.ok = true;
    done(std::move(r));
  }
  void snapshot(persistence::snapshot_record) override {}
  actors::journal_health health() const override {
    actors::journal_health h;
    h.running = true;
    return h;
  }
};

long rss_kib() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

actors::create_pod pod_command(std::uint64_t n) {
  actors::create_pod cmd;
  cmd.pod_id = pod_id::from_random(n * 0x9e3779b97f4a7c15ULL).str();
  cmd.name = "Summer Trip 2025";
  cmd.currency = "EUR";
  cmd.policy = {"5000", "0.66", "STANDARD"};
  cmd.owner_id = "admin_0123456789abcdef";
  cmd.requested_at_ms = 1767225600000;
  // As the gateway sends it: every pod made over HTTP carries its creating Idempotency-Key (a
  // UUID here) and the request's SHA-256 fingerprint, and the pod keeps both.
  char key[40];
  std::snprintf(key, sizeof key, "5f0c2e7a-3b1d-4c8e-9a6f-%012llx",
                static_cast<unsigned long long>(n));
  cmd.idempotency.key = key;
  cmd.idempotency.fingerprint = std::string(64, 'a');
  cmd.idempotency.client_id = "app_0123456789abcdef";
  return cmd;
}

}  // namespace
}  // namespace payorch::bench

int main(int argc, char** argv) {
  using namespace payorch;
  const std::uint64_t pods = argc > 1 ? std::stoull(argv[1]) : 100'000;
  const std::string out = argc > 2 ? argv[2] : "bench/results/idle_pods.json";
  actors::runtime_options options;
  options.actor_threads = 1;
  options.entities.idle_timeout = std::chrono::hours(1);
  auto runtime = actors::actor_runtime::start(options, std::make_shared<bench::forgetful_backend>());
  // The supervisor registers its children asynchronously.
  while (!runtime->ready() || !runtime->pods())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto& sys = runtime->system();
  auto self = std::make_unique<caf::scoped_actor>(sys);
  auto router = runtime->pods();
  // Warm up allocators and CAF with a few pods first, so the baseline includes fixed costs.
  std::uint64_t next = 1;
  auto create_batch = [&](std::uint64_t count) {
    constexpr std::uint64_t window = 512;
    std::uint64_t sent = 0, answered = 0, failed = 0;
    while (answered < count) {
      while (sent < count && sent - answered < window) {
        (*self)->send(router, bench::pod_command(next++));
        ++sent;
      }
      (*self)->receive([&](actors::pod_view&) { ++answered; },
                    [&](caf::error&) { ++answered, ++failed; });
    }
    return failed;
  };
  create_batch(1000);
  bench::release_free_memory();
  const long before = bench::rss_kib();
  const std::uint64_t heap_before = bench::heap_in_use();
  const auto start = std::chrono::steady_clock::now();
  const auto failed = create_batch(pods);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bench::release_free_memory();
  const long after = bench::rss_kib();
  const std::uint64_t heap_after = bench::heap_in_use();
  actors::router_stats stats;
  (*self)->request(router, caf::infinite, actors::router_stats_request{})
      .receive([&](actors::router_stats& s) { stats = s; }, [](caf::error&) {});
  const double per_pod = static_cast<double>(after - before) * 1024.0 / static_cast<double>(pods);
  char json[512];
  std::snprintf(json, sizeof json,
                "{\"pods\": %llu, \"live\": %llu, \"failed\": %llu, \"rss_before_kib\": %ld, "
                "\"rss_after_kib\": %ld, \"bytes_per_pod\": %.0f, \"heap_bytes_per_pod\": %.0f, "
                "\"seconds\": %.2f}\n",
                static_cast<unsigned long long>(pods), static_cast<unsigned long long>(stats.live),
                static_cast<unsigned long long>(failed), before, after, per_pod,
                (static_cast<double>(heap_after) - static_cast<double>(heap_before)) /
                    static_cast<double>(pods),
                seconds);
  std::cout << json << std::flush;
  std::filesystem::create_directories(std::filesystem::path(out).parent_path());
  std::ofstream(out) << json;
  self.reset();  // the runtime waits for every actor, this one included
  runtime->stop();
  return failed == 0 ? 0 : 1;
}
