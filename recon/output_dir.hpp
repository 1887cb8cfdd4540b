// An output folder that appears whole or not at all: files are written into a hidden
// temporary sibling ("<name>.part<pid>"), renamed into place by commit(); if commit() is never
// reached (an exception), the destructor removes the temporary folder. An existing non-empty
// destination is refused (InputError) unless `force`, in which case the old folder is moved
// aside, the new one renamed in, and the old one removed. Used by `simulate`, `detect`, `run`.
// Test: tests/recon/test_output_dir.cpp.
#pragma once
#include <filesystem>
#include <string>
#include <system_error>
#include <unistd.h>

#include "recon/error.hpp"

namespace voidscan {

class OutputDir {
 public:
  OutputDir(const std::filesystem::path& dest, bool force) : dest_(dest) {
    namespace fs = std::filesystem;
    if (dest_.filename().empty()) dest_ = dest_.parent_path();  // "out/" -> "out"
    std::error_code ec;
    if (fs::exists(dest_, ec)) {
      if (!fs::is_directory(dest_, ec)) throw InputError(dest_.string(), "", "exists and is not a folder");
      if (!fs::is_empty(dest_, ec) && !force)
        throw InputError(dest_.string(), "", "output folder exists and is not empty (use --force to replace it)");
    }
    const fs::path parent = dest_.has_parent_path() ? dest_.parent_path() : fs::path(".");
    fs::create_directories(parent, ec);
    tmp_ = parent / ("." + dest_.filename().string() + ".part" + std::to_string(::getpid()));
    fs::remove_all(tmp_, ec);
    if (!fs::create_directories(tmp_, ec))
      throw RuntimeFailure("cannot create " + tmp_.string() + ": " + ec.message(), "check the output folder's permissions");
  }
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;
  ~OutputDir() {
    if (committed_) return;
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

  /// Where to write now (the temporary folder).
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return tmp_; }
  /// Where the files end up.
  [[nodiscard]] const std::filesystem::path& destination() const noexcept { return dest_; }

  /// Moves the finished folder into place.
  void commit() {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path old;
    if (fs::exists(dest_, ec)) {
      old = dest_.parent_path() / ("." + dest_.filename().string() + ".old" + std::to_string(::getpid()));
      fs::remove_all(old, ec);
      fs::rename(dest_, old, ec);
      if (ec) throw RuntimeFailure("cannot move " + dest_.string() + " aside: " + ec.message());
    }
    fs::rename(tmp_, dest_, ec);
    if (ec) {
      if (!old.empty()) fs::rename(old, dest_, ec);
      throw RuntimeFailure("cannot rename " + tmp_.string() + " to " + dest_.string());
    }
    committed_ = true;
    if (!old.empty()) fs::remove_all(old, ec);
  }

 private:
  std::filesystem::path dest_;
  std::filesystem::path tmp_;
  bool committed_ = false;
};

}  // namespace voidscan
