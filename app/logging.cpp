#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "app/commands.hpp"

namespace payorch::app {

void setup_logging(const config::settings& settings) {
  auto logger = spdlog::stderr_logger_mt("payorch");
  bool json = settings.log_format == "json" ||
              (settings.log_format == "auto" && isatty(STDERR_FILENO) == 0);
  if (json) {
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(settings.log_level));
  spdlog::set_default_logger(logger);
}

}  // namespace payorch::app
