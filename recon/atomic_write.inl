#pragma once
#include <filesystem>
#include <string>
#include <system_error>
#include <unistd.h>

namespace voidscan {

/// The hidden temporary name a file is written under before its rename: ".NAME.partPID" beside
/// it (`tag` is inserted before ".part" for other temporaries of the same output).
inline std::filesystem::path temporary_path(const std::filesystem::path& file, const std::string& tag = "") {
  return file.parent_path() /
         (std::string(".") + file.filename().string() + tag + ".part" + std::to_string(::getpid()));
}

template <class WriteFn>
void write_atomically(const std::filesystem::path& file, WriteFn&& write) {
  namespace fs = std::filesystem;
  const fs::path tmp = temporary_path(file);
  try {
    write(tmp);
    fs::rename(tmp, file);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

}  // namespace voidscan
