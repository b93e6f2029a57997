#include <cstdio>

#include "app/commands.hpp"
#include "persistence/journal.hpp"
#include "persistence/journal_lock.hpp"

namespace payorch::app {

int migrate(const config::settings& settings) {
  if (config::uses_postgres(settings)) {
    std::string report, error;
    if (!persistence::migrate_postgres(settings.storage, &report, &error)) {
      std::fprintf(stderr, "migrate: %s\n", error.c_str());
      // 1 when a migration failed (and was rolled back); 2 when the database was not reached.
      return error.starts_with("migration ") ? 1 : 2;
    }
    std::printf("postgresql: %s\n", report.c_str());
    return 0;
  }
  std::error_code ec;
  std::filesystem::create_directories(settings.data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "migrate: cannot create %s: %s\n", settings.data_dir.c_str(),
                 ec.message().c_str());
    return 2;
  }
  const auto file = settings.data_dir / "journal.sqlite";
  std::string report, error;
  // Never under a running server: it would meet a schema it does not know.
  persistence::journal_lock lock;
  if (!persistence::journal_lock::take(file, lock, &error)) {
    std::fprintf(stderr, "migrate: %s\n", error.c_str());
    return 2;
  }
  if (!persistence::migrate_sqlite(file, &report, &error)) {
    std::fprintf(stderr, "migrate: %s: %s\n", file.c_str(), error.c_str());
    return error.starts_with("migration ") ? 1 : 2;
  }
  std::printf("%s: %s\n", file.c_str(), report.c_str());
  return 0;
}

}  // namespace payorch::app
