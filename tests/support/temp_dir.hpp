#pragma once
/// A fresh directory (under the system temp dir unless told otherwise), removed with everything in
/// it at scope end.

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace payorch::testing {

class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix = "payorch-test")
      : temp_dir(prefix, std::filesystem::temp_directory_path()) {}

  /// A fresh directory inside `parent` instead of the system temp dir.
  temp_dir(const std::string& prefix, const std::filesystem::path& parent) {
    auto pattern = (parent / (prefix + "-XXXXXX")).string();
    const char* made = ::mkdtemp(pattern.data());
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = made;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path file(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace payorch::testing
