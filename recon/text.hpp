// Small text helpers shared by the file readers.
#pragma once
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

namespace voidscan {

/// ASCII lower case (file extensions, vendor keys and sections compare case-insensitively).
[[nodiscard]] inline std::string ascii_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

/// The extension of `p` in lower case, dot included (".tif").
[[nodiscard]] inline std::string lower_extension(const std::filesystem::path& p) {
  return ascii_lower(p.extension().string());
}

}  // namespace voidscan
