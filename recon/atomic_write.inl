#pragma once
#include <filesystem>
#include <system_error>
#include <unistd.h>

namespace voidscan {

template <class WriteFn>
void write_atomically(const std::filesystem::path& file, WriteFn&& write) {
  namespace fs = std::filesystem;
  const fs::path tmp = file.parent_path() /
                       (std::string(".") + file.filename().string() + ".part" + std::to_string(::getpid()));
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
