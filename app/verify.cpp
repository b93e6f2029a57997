#include <cstdio>

#include "app/commands.hpp"
#include "persistence/journal.hpp"

namespace payorch::app {

namespace {

/// The configured journal, opened to read: verify applies no migration (a journal that needs one
/// is refused, naming it, before anything is written to it) and runs no checkpointer, so beside a
/// server running on a current journal it writes nothing. (SQLite itself may still copy the WAL
/// into the file when verify's connection is the last to close.)
std::unique_ptr<persistence::journal_store> open_journal(const config::settings& settings) {
  std::string error;
  if (config::uses_postgres(settings)) {
    auto store = persistence::open_postgres_journal(
        {.uri = settings.storage, .apply_migrations = false}, &error);
    if (!store) std::fprintf(stderr, "verify: cannot open the journal: %s\n", error.c_str());
    return store;
  }
  auto file = settings.data_dir / "journal.sqlite";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    std::fprintf(stderr, "verify: no journal at %s\n", file.c_str());
    return nullptr;
  }
  auto store = persistence::open_sqlite_journal(
      {.file = file, .apply_migrations = false, .checkpoint_pages = 0}, &error);
  if (!store) std::fprintf(stderr, "verify: cannot open %s: %s\n", file.c_str(), error.c_str());
  return store;
}

}  // namespace

int verify(const config::settings& settings) {
  auto store = open_journal(settings);
  if (!store) return 2;
  auto report = store->verify();
  if (report.ok) {
    std::printf("journal intact: %lld streams, %lld events, every hash chain verified\n",
                static_cast<long long>(report.streams_checked),
                static_cast<long long>(report.events_checked));
    return 0;
  }
  if (report.first_broken) {
    // The detail names the event too ("<stream> version <v>: <reason>"): said once.
    const std::string at = report.first_broken->stream_id + " version " +
                           std::to_string(report.first_broken->version) + ": ";
    const std::string reason =
        report.detail.starts_with(at) ? report.detail.substr(at.size()) : report.detail;
    std::printf("journal BROKEN at stream %s%s\n", at.c_str(), reason.c_str());
  } else {
    std::printf("journal BROKEN: %s\n", report.detail.c_str());
  }
  return 1;
}

int print_config(const config::settings& settings) {
  std::fputs(config::to_toml(settings).c_str(), stdout);
  return 0;
}

}  // namespace payorch::app
