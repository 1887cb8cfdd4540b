// RAII temporary directory for tests: created fresh under the system temp folder, removed
// (with everything in it) by the destructor. Tests write only here, never into the source tree.
#pragma once
#include <atomic>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>

#include <unistd.h>

namespace voidscan::test {

class TempDir {
 public:
  /// Creates <tmp>/voidscan-test-<pid>-<counter>-<random>; `prefix` replaces "voidscan-test".
  explicit TempDir(const std::string& prefix = "voidscan-test") {
    namespace fs = std::filesystem;
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
      const fs::path p = fs::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(counter++) + "-" + std::to_string(rd()));
      // create_directory returns false when the path exists: try another name.
      if (fs::create_directory(p)) {
        path_ = p;
        return;
      }
    }
    throw std::runtime_error("TempDir: could not create a unique temporary directory");
  }
  ~TempDir() {
    std::error_code ec;  // never throw from a destructor; a leftover folder is harmless
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// path() / name, for brevity in tests.
  [[nodiscard]] std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace voidscan::test
