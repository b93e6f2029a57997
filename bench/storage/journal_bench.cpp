// Durable appends/s through group_commit_writer: closed-loop clients, then open-loop fixed batches.
//
// Closed loop: `--clients` logical clients spread over `--threads` threads; each client submits one
// CrowdPodCreated-like event to a fresh random stream and submits its next one only after the ack.
// Open loop: one thread submits bursts of exactly N appends (N = 1, 16, 128) and waits for all N.
// Every run uses a fresh journal file; each figure is the median of `--repeats` runs.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "counting_vfs.hpp"
#include "persistence/group_commit_writer.hpp"

namespace payorch::bench {
namespace {

using clock_type = std::chrono::steady_clock;
using persistence::append_request;
using persistence::append_result;
using persistence::append_status;
using persistence::group_commit_writer;
using persistence::writer_options;

struct bench_options {
  std::filesystem::path dir;
  std::filesystem::path out = "bench/results/storage.json";
  int clients = 64;
  int threads = 4;
  int duration_s = 5;
  int warmup_s = 1;
  int repeats = 3;
  int open_loop_s = 3;
  writer_options writer{};
  persistence::sqlite_options store{};
  /// Non-empty: run against this PostgreSQL database instead of a SQLite file; fsyncs are then
  /// the server's WAL syncs (pg_stat_wal.wal_sync) and writes/reads are not counted.
  std::string postgres_uri;
  bool closed_only = false;
};

/// A ULID-like pod id: random, so consecutive appends land on unrelated keys as in production.
std::string random_pod_id(std::mt19937_64& rng) {
  static constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string id = "pod_";
  for (int i = 0; i < 26; ++i) id.push_back(alphabet[rng() % alphabet.size()]);
  return id;
}

/// A request shaped like POST /pods: one ~300-byte CrowdPodCreated event on a new stream.
/// A seed no earlier run of this process used: every run then appends to streams of its own.
/// (A PostgreSQL database outlives the runs of one process; with a repeated seed a later run
/// would recreate the same pods and count version conflicts as failures.)
std::uint64_t next_run_seed() {
  static std::atomic<std::uint64_t> runs{0};
  return 0x5eed0000 + (runs.fetch_add(1) << 16);
}

append_request make_request(std::mt19937_64& rng) {
  std::string id = random_pod_id(rng);
  const std::int64_t now_ms = 1700000000000 + static_cast<std::int64_t>(rng() % 100000000);
  std::string payload =
      R"({"pod_id":")" + id + R"(","owner_id":"usr_)" + std::to_string(rng() % 1000000) +
      R"(","name":"Weekend trip to the mountains","currency":"EUR","policy":{"kind":)"
      R"("equal_split","min_contribution_minor":500,"max_members":12,"approval":)"
      R"("owner","deadline_ms":)" +
      std::to_string(now_ms + 86400000) + R"(},"created_at":)" + std::to_string(now_ms) + "}";
  append_request request{std::move(id), 0, {}};
  request.events.push_back({"CrowdPodCreated", std::move(payload), now_ms});
  return request;
}

/// The PostgreSQL database of this run, when there is one (set once in main).
std::string postgres_uri;

std::unique_ptr<group_commit_writer> open_writer(persistence::sqlite_options store_options,
                                                 const std::filesystem::path& file,
                                                 writer_options options) {
  if (!postgres_uri.empty()) {
    std::string error;
    auto store = persistence::open_postgres_journal({.uri = postgres_uri}, &error);
    if (store == nullptr) {
      std::cerr << "cannot open journal: " << error << "\n";
      std::exit(1);
    }
    return std::make_unique<group_commit_writer>(std::move(store), options);
  }
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
  std::filesystem::remove(file.string() + "-wal", ignored);
  std::filesystem::remove(file.string() + "-shm", ignored);
  std::string error;
  store_options.file = file;
  auto store = persistence::open_sqlite_journal(store_options, &error);
  if (store == nullptr) {
    std::cerr << "cannot open journal: " << error << "\n";
    std::exit(1);
  }
  return std::make_unique<group_commit_writer>(std::move(store), options);
}

std::int64_t percentile(std::vector<std::int64_t>& values, int pct) {
  if (values.empty()) return 0;
  const std::size_t at = (values.size() - 1) * static_cast<std::size_t>(pct) / 100;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at];
}

/// One run's figures. Rates are integers per second; ratios are kept in thousandths to stay
/// integral.
struct run_result {
  std::int64_t appends_per_s = 0;
  std::int64_t mean_batch_milli = 0;  // appends per batch x 1000
  std::int64_t p50_ack_us = 0;
  std::int64_t p99_ack_us = 0;
  std::int64_t fsyncs_per_ack_milli = 0;
  std::int64_t writes_per_ack_milli = 0;
  std::int64_t reads_per_ack_milli = 0;
  std::int64_t wal_bytes_end = 0;
  std::int64_t failures = 0;
};

/// The server's WAL syncs so far (PostgreSQL), or the VFS shim's counts (SQLite).
io_counts current_io() {
  if (postgres_uri.empty()) return read_io_counts();
  io_counts c;
  try {
    pqxx::connection conn(postgres_uri);
    pqxx::nontransaction txn(conn);
    c.syncs = txn.exec("SELECT wal_sync FROM pg_stat_wal")[0][0].as<std::uint64_t>();
  } catch (const std::exception& e) {
    std::cerr << "pg_stat_wal: " << e.what() << "\n";
  }
  return c;
}

/// The client threads of one closed-loop run and what they measured.
class closed_loop {
 public:
  closed_loop(group_commit_writer& writer, int clients, int threads)
      : writer_(writer), lanes_(static_cast<std::size_t>(threads)), seed_(next_run_seed()) {
    for (int c = 0; c < clients; ++c)
      lanes_[static_cast<std::size_t>(c % threads)].slots.emplace_back();
  }

  /// Runs until `stop_at`, counting acks that complete inside [measure_from, stop_at).
  void run(clock_type::time_point measure_from, clock_type::time_point stop_at) {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < lanes_.size(); ++i) {
      threads.emplace_back(
          [this, i, measure_from, stop_at] { drive(lanes_[i], i, measure_from, stop_at); });
    }
    for (std::thread& t : threads) t.join();
  }

  std::vector<std::int64_t> latencies() const {
    std::vector<std::int64_t> all;
    for (const lane& l : lanes_)
      all.insert(all.end(), l.latencies_us.begin(), l.latencies_us.end());
    return all;
  }
  std::int64_t failures() const {
    std::int64_t total = 0;
    for (const lane& l : lanes_) total += l.failures;
    return total;
  }

 private:
  struct lane {
    std::vector<clock_type::time_point> slots;  // when each client's outstanding request was sent
    std::mutex mutex;
    std::condition_variable acked;
    std::vector<std::pair<std::size_t, bool>> done;  // client slot, committed; guarded by mutex
    std::vector<std::int64_t> latencies_us;
    std::int64_t failures = 0;
  };

  void send(lane& l, std::size_t slot, std::mt19937_64& rng) {
    l.slots[slot] = clock_type::now();
    writer_.submit(make_request(rng), [&l, slot](const append_result& result) {
      {
        const std::lock_guard lock(l.mutex);
        l.done.emplace_back(slot, result.status == append_status::committed);
      }
      l.acked.notify_one();
    });
  }

  void drive(lane& l, std::size_t index, clock_type::time_point measure_from,
             clock_type::time_point stop_at) {
    std::mt19937_64 rng(seed_ + index);
    for (std::size_t slot = 0; slot < l.slots.size(); ++slot) send(l, slot, rng);
    std::size_t outstanding = l.slots.size();
    std::vector<std::pair<std::size_t, bool>> batch;
    while (outstanding > 0) {
      {
        std::unique_lock lock(l.mutex);
        l.acked.wait(lock, [&] { return !l.done.empty(); });
        batch.swap(l.done);
      }
      const auto now = clock_type::now();
      for (const auto& [slot, committed] : batch) {
        --outstanding;
        if (!committed) ++l.failures;
        if (now >= measure_from && now < stop_at) {
          l.latencies_us.push_back(
              std::chrono::duration_cast<std::chrono::microseconds>(now - l.slots[slot]).count());
        }
        if (now < stop_at) {
          send(l, slot, rng);
          ++outstanding;
        }
      }
      batch.clear();
    }
  }

  group_commit_writer& writer_;
  std::vector<lane> lanes_;
  std::uint64_t seed_;  // lanes seed seed_ + index: streams of their own per run
};

std::int64_t per_thousand(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0 : static_cast<std::int64_t>(part * 1000 / whole);
}

std::int64_t wal_size(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file.string() + "-wal", ec);
  return ec ? 0 : static_cast<std::int64_t>(size);
}

run_result run_closed_loop(const bench_options& options, const std::filesystem::path& file) {
  auto writer = open_writer(options.store, file, options.writer);
  closed_loop loop(*writer, options.clients, options.threads);
  const auto start = clock_type::now();
  const auto measure_from = start + std::chrono::seconds(options.warmup_s);
  const auto stop_at = measure_from + std::chrono::seconds(options.duration_s);
  persistence::writer_stats before{};
  io_counts io_before{};
  std::thread sampler([&] {
    std::this_thread::sleep_until(measure_from);
    before = writer->stats();
    io_before = current_io();
  });
  loop.run(measure_from, stop_at);
  sampler.join();
  // Acks inside the window are the latencies; batches and I/O are counted between the same instants
  // (the last in-flight batches after stop_at add a little to both, equally).
  const persistence::writer_stats after = writer->stats();
  const io_counts io_after = current_io();
  std::vector<std::int64_t> latencies = loop.latencies();
  run_result r;
  const auto acks = static_cast<std::uint64_t>(latencies.size());
  r.appends_per_s = static_cast<std::int64_t>(acks) / options.duration_s;
  const std::uint64_t appends = after.appends - before.appends;
  r.mean_batch_milli = per_thousand(appends, after.batches - before.batches);
  r.p50_ack_us = percentile(latencies, 50);
  r.p99_ack_us = percentile(latencies, 99);
  r.fsyncs_per_ack_milli = per_thousand(io_after.syncs - io_before.syncs, appends);
  r.writes_per_ack_milli = per_thousand(io_after.writes - io_before.writes, appends);
  r.reads_per_ack_milli = per_thousand(io_after.reads - io_before.reads, appends);
  r.failures = loop.failures();
  writer->stop();
  r.wal_bytes_end = wal_size(file);
  return r;
}

/// Bursts of exactly `burst` appends; the writer is told to wait for the whole burst.
run_result run_open_loop(const bench_options& options, const std::filesystem::path& file,
                         std::size_t burst) {
  writer_options wo = options.writer;
  wo.max_batch_appends = burst;
  wo.max_wait_us = 100000;  // the burst arrives within microseconds; never cut it short
  auto writer = open_writer(options.store, file, wo);
  std::mt19937_64 rng(next_run_seed());
  std::mutex mutex;
  std::condition_variable all_acked;
  std::size_t pending = 0;
  std::int64_t failures = 0;
  std::vector<std::int64_t> burst_us;
  const auto before = writer->stats();
  const io_counts io_before = current_io();
  const auto start = clock_type::now();
  const auto stop_at = start + std::chrono::seconds(options.open_loop_s);
  std::uint64_t acks = 0;
  while (clock_type::now() < stop_at) {
    const auto sent = clock_type::now();
    {
      const std::lock_guard lock(mutex);
      pending = burst;
    }
    for (std::size_t i = 0; i < burst; ++i) {
      writer->submit(make_request(rng), [&](const append_result& result) {
        const std::lock_guard lock(mutex);
        if (result.status != append_status::committed) ++failures;
        if (--pending == 0) all_acked.notify_one();
      });
    }
    std::unique_lock lock(mutex);
    all_acked.wait(lock, [&] { return pending == 0; });
    burst_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - sent).count());
    acks += burst;
  }
  const auto elapsed_us =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start).count();
  const auto after = writer->stats();
  const io_counts io_after = current_io();
  run_result r;
  r.appends_per_s =
      static_cast<std::int64_t>(acks * 1000000 / static_cast<std::uint64_t>(elapsed_us));
  r.mean_batch_milli = per_thousand(after.appends - before.appends, after.batches - before.batches);
  r.p50_ack_us = percentile(burst_us, 50);
  r.p99_ack_us = percentile(burst_us, 99);
  r.fsyncs_per_ack_milli = per_thousand(io_after.syncs - io_before.syncs, acks);
  r.writes_per_ack_milli = per_thousand(io_after.writes - io_before.writes, acks);
  r.reads_per_ack_milli = per_thousand(io_after.reads - io_before.reads, acks);
  r.failures = failures;
  writer->stop();
  r.wal_bytes_end = wal_size(file);
  return r;
}

/// The run whose appends/s is the median; its other figures come along so each row is one real run.
run_result median_run(std::vector<run_result> runs) {
  std::sort(runs.begin(), runs.end(), [](const run_result& a, const run_result& b) {
    return a.appends_per_s < b.appends_per_s;
  });
  return runs[runs.size() / 2];
}

std::string milli(std::int64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%03lld", static_cast<long long>(value / 1000),
                static_cast<long long>(value % 1000));
  return text;
}

std::string to_json(const run_result& r) {
  std::ostringstream out;
  out << "{\"appends_per_s\": " << r.appends_per_s
      << ", \"mean_batch\": " << milli(r.mean_batch_milli) << ", \"p50_ack_us\": " << r.p50_ack_us
      << ", \"p99_ack_us\": " << r.p99_ack_us
      << ", \"fsyncs_per_ack\": " << milli(r.fsyncs_per_ack_milli)
      << ", \"pwrites_per_ack\": " << milli(r.writes_per_ack_milli)
      << ", \"preads_per_ack\": " << milli(r.reads_per_ack_milli)
      << ", \"wal_bytes_end\": " << r.wal_bytes_end << ", \"failures\": " << r.failures << "}";
  return out.str();
}

std::string runs_json(const std::vector<run_result>& runs) {
  std::string out = "[";
  for (std::size_t i = 0; i < runs.size(); ++i)
    out += (i ? ", " : "") + std::to_string(runs[i].appends_per_s);
  return out + "]";
}

int int_arg(const char* text) {
  return std::atoi(text);
}

bench_options parse(int argc, char** argv) {
  bench_options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--closed-only") {
      o.closed_only = true;
    } else if (arg == "--no-wal-gathering") {
      o.store.gather_wal_writes = false;
    } else if (!has_value) {
      std::cerr << "usage: payorch_bench_journal [--dir D] [--out F] [--clients N] [--threads N] "
                   "[--duration S] [--warmup S] [--repeats N] [--open-loop-s S] [--max-wait-us U] "
                   "[--max-batch N] [--cache-kib K] [--checkpoint-pages P] [--max-wal-pages P] "
                   "[--closed-only] [--no-wal-gathering] [--postgres URI]\n";
      std::exit(2);
    } else if (arg == "--postgres") {
      o.postgres_uri = argv[++i];
    } else if (arg == "--dir") {
      o.dir = argv[++i];
    } else if (arg == "--out") {
      o.out = argv[++i];
    } else if (arg == "--clients") {
      o.clients = std::max(1, int_arg(argv[++i]));
    } else if (arg == "--threads") {
      o.threads = std::max(1, int_arg(argv[++i]));
    } else if (arg == "--duration") {
      o.duration_s = std::max(1, int_arg(argv[++i]));
    } else if (arg == "--warmup") {
      o.warmup_s = std::max(0, int_arg(argv[++i]));
    } else if (arg == "--repeats") {
      o.repeats = std::max(1, int_arg(argv[++i]));
    } else if (arg == "--open-loop-s") {
      o.open_loop_s = std::max(1, int_arg(argv[++i]));
    } else if (arg == "--max-wait-us") {
      o.writer.max_wait_us = int_arg(argv[++i]);
    } else if (arg == "--max-batch") {
      o.writer.max_batch_appends = static_cast<std::size_t>(std::max(1, int_arg(argv[++i])));
    } else if (arg == "--cache-kib") {
      o.store.cache_kib = int_arg(argv[++i]);
    } else if (arg == "--checkpoint-pages") {
      o.store.checkpoint_pages = int_arg(argv[++i]);
    } else if (arg == "--max-wal-pages") {
      o.store.max_wal_pages = int_arg(argv[++i]);
    } else {
      std::cerr << "unknown option " << arg << "\n";
      std::exit(2);
    }
  }
  o.threads = std::min(o.threads, o.clients);
  return o;
}

}  // namespace
}  // namespace payorch::bench

int main(int argc, char** argv) {
  using namespace payorch::bench;
  bench_options options = parse(argc, argv);
  postgres_uri = options.postgres_uri;
  if (!install_counting_vfs()) {
    std::cerr << "cannot install the counting VFS\n";
    return 1;
  }
  bool own_dir = false;
  if (options.dir.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "payorch-journal-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "mkdtemp failed\n";
      return 1;
    }
    options.dir = pattern;
    own_dir = true;
  }
  const std::filesystem::path file = options.dir / "journal.db";

  std::vector<run_result> closed;
  for (int i = 0; i < options.repeats; ++i) {
    closed.push_back(run_closed_loop(options, file));
    std::cerr << "closed loop run " << i + 1 << ": " << to_json(closed.back()) << "\n";
  }
  std::ostringstream json;
  json << "{\n  \"config\": {\"clients\": " << options.clients
       << ", \"threads\": " << options.threads << ", \"duration_s\": " << options.duration_s
       << ", \"repeats\": " << options.repeats
       << ", \"max_wait_us\": " << options.writer.max_wait_us
       << ", \"max_batch_appends\": " << options.writer.max_batch_appends << ", \"store\": \""
       << (options.postgres_uri.empty() ? "sqlite" : "postgresql") << "\"";
  if (options.postgres_uri.empty()) {  // the SQLite store's own settings
    json << ", \"cache_kib\": " << options.store.cache_kib
         << ", \"checkpoint_pages\": " << options.store.checkpoint_pages
         << ", \"max_wal_pages\": " << options.store.max_wal_pages
         << ", \"gather_wal_writes\": " << (options.store.gather_wal_writes ? "true" : "false");
  }
  json << "},\n";
  json << "  \"closed_loop\": {\"median\": " << to_json(median_run(closed))
       << ", \"appends_per_s_runs\": " << runs_json(closed) << "}";
  if (!options.closed_only) {
    json << ",\n  \"open_loop\": [";
    const std::size_t bursts[] = {1, 16, 128};
    for (std::size_t b = 0; b < std::size(bursts); ++b) {
      std::vector<run_result> runs;
      for (int i = 0; i < options.repeats; ++i)
        runs.push_back(run_open_loop(options, file, bursts[b]));
      const run_result median = median_run(runs);
      std::cerr << "open loop burst " << bursts[b] << ": " << to_json(median) << "\n";
      json << (b ? ",\n    " : "\n    ") << "{\"batch\": " << bursts[b]
           << ", \"median\": " << to_json(median) << ", \"appends_per_s_runs\": " << runs_json(runs)
           << "}";
    }
    json << "\n  ]";
  }
  json << "\n}\n";
  if (own_dir) std::filesystem::remove_all(options.dir);

  std::error_code ec;
  if (options.out.has_parent_path())
    std::filesystem::create_directories(options.out.parent_path(), ec);
  std::ofstream(options.out) << json.str();
  std::cout << json.str();
  return 0;
}
