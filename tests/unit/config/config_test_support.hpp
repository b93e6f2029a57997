#pragma once

/// Helpers shared by the config tests: a scratch directory and checks on load results.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "config/settings.hpp"

namespace payorch::config::test {

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "payorch-config-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// Writes `text` to `name` inside the directory and returns its path.
  std::filesystem::path write(std::string_view name, std::string_view text) const {
    auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Loads `toml` written to a scratch file, with no environment and no flags.
inline load_result load_text(std::string_view toml) {
  temp_dir dir;
  return load_settings(dir.write("payorch.toml", toml), {}, {});
}

inline load_result load_env(const environment& env) {
  return load_settings(std::nullopt, env, {});
}

/// The settings of a load that must succeed; fails the test with the error line otherwise.
inline settings loaded(const load_result& result) {
  EXPECT_FALSE(result.error.has_value()) << (result.error ? result.error->line() : "");
  EXPECT_TRUE(result.value.has_value());
  return result.value.value_or(settings{});
}

/// Checks that a load failed on `key` with a message holding `fragment`.
inline void expect_error(const load_result& result, std::string_view key,
                         std::string_view fragment) {
  ASSERT_TRUE(result.error.has_value()) << "expected an error on " << key;
  EXPECT_FALSE(result.value.has_value());
  EXPECT_EQ(result.error->key, key) << result.error->line();
  EXPECT_NE(result.error->message.find(fragment), std::string::npos)
      << "'" << fragment << "' not in: " << result.error->line();
}

}  // namespace payorch::config::test
