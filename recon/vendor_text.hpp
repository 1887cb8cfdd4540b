// Text headers of vendor scans ("key=value" lines in [sections]: Nikon .xtekct, Bruker SkyScan
// .log): parsing, typed access that names the file and key in every error, a record of which
// keys a reader used so it can report the ones it ignored, and the readers' shared steps
// (finding the one header in a folder, recording the fields). Test:
// tests/recon/test_vendor_scans.cpp (through the readers).
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "recon/scan.hpp"

namespace voidscan {

class KeyValueFile {
 public:
  /// Reads `file`. Lines "key=value" (spaces around both trimmed), "[Section]" headers, and
  /// lines starting with ';' or '#' (comments) or without '=' (skipped). Throws InputError when
  /// the file is missing or empty.
  explicit KeyValueFile(const std::filesystem::path& file);

  [[nodiscard]] const std::filesystem::path& path() const { return file_; }
  [[nodiscard]] bool has_section(const std::string& section) const;
  /// The first value of `key` (keys compare case-insensitively), or nullopt. Marks it used.
  [[nodiscard]] std::optional<std::string> find(const std::string& key);
  [[nodiscard]] bool has(const std::string& key) const;
  /// Required number: InputError(file, key, "missing") when absent, "not a number" when not
  /// one (trailing text is not allowed), "not finite" for NaN/inf.
  double number(const std::string& key);
  std::optional<double> optional_number(const std::string& key);
  int integer(const std::string& key);
  std::string string(const std::string& key);
  /// Keys present in the file that no call above asked for ("Section/Key"), in file order.
  [[nodiscard]] std::vector<std::string> unused() const;
  /// Keys asked for and found, in the order they were asked.
  [[nodiscard]] const std::vector<std::string>& used() const { return used_; }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

 private:
  struct Entry {
    std::string section, key, value;
  };
  const Entry* lookup(const std::string& key) const;
  std::filesystem::path file_;
  std::vector<Entry> entries_;
  std::vector<std::string> sections_;
  std::set<std::string> used_keys_;  // lower-case
  std::vector<std::string> used_;
};

/// Parses a whole string as a finite double; nullopt otherwise.
[[nodiscard]] std::optional<double> parse_number(const std::string& s);

/// The one regular file in `folder` that `accept` takes; an empty path when `folder` is not a
/// folder or holds none; InputError naming the folder when it holds more than one (`what`
/// names the kind, e.g. ".xtekct file").
[[nodiscard]] std::filesystem::path only_file_in(const std::filesystem::path& folder,
                                                 const std::function<bool(const std::filesystem::path&)>& accept,
                                                 const std::string& what);

/// A vendor header's file: `path` itself, or when it is a folder the file `find` finds there
/// (InputError "no <what> in this folder" when none).
[[nodiscard]] std::filesystem::path vendor_header_path(const std::filesystem::path& path,
                                                       std::filesystem::path (*find)(const std::filesystem::path&),
                                                       const std::string& what);

/// Opens the header `file`, which must have `[section]` (else InputError "section missing: not a
/// <format> file"), and starts `scan` from it: manifest, format, source.
[[nodiscard]] KeyValueFile open_vendor_header(const std::filesystem::path& file, const std::string& section,
                                              const std::string& format, Scan& scan);

/// A reader's record of its header: the keys it used, then `scan.fields_used` so far (files it
/// read besides), become `scan.fields_used`; the keys it did not use `scan.fields_ignored`.
void record_fields(const KeyValueFile& kv, Scan& scan);

}  // namespace voidscan
