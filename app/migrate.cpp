#include <cstdio>

#include "app/commands.hpp"
#include "persistence/journal.hpp"

namespace payorch::app {

int migrate(const config::settings& settings) {
  if (config::uses_postgres(settings)) {
    std::string report, error;
    if (!persistence::migrate_postgres(settings.storage, &report, &error)) {
      std::fprintf(stderr, "migrate: %s\n", error.c_str());
      return 1;
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
  if (!persistence::migrate_sqlite(file, &report, &error)) {
    std::fprintf(stderr, "migrate: %s: %s\n", file.c_str(), error.c_str());
    return 1;
  }
  std::printf("%s: %s\n", file.c_str(), report.c_str());
  return 0;
}

}  // namespace payorch::app
