// One entry point for every scan voidscan reads: the native scan.json, a Nikon .xtekct (file
// or folder), a ZEISS Xradia .txrm, or a Bruker SkyScan .log (file or folder). Each reader
// returns the same Scan (recon/scan.hpp) with `format`, `fields_used` and `fields_ignored`
// filled, so `reconstruct`, `info` and `convert` treat them alike.
// Test: tests/recon/test_scan_input.cpp.
#pragma once
#include <filesystem>
#include <string>

#include "recon/scan.hpp"

namespace voidscan {

enum class ScanInputKind { native_json, nikon, txrm, bruker, unknown };

/// What `path` is: by extension (.json, .xtekct, .txrm, .log), or for a folder by what it
/// holds (one .xtekct, or a SkyScan .log). `unknown` when none of these.
[[nodiscard]] ScanInputKind scan_input_kind(const std::filesystem::path& path);

/// True for a path scan_input_kind recognises as a scan.
[[nodiscard]] inline bool is_scan_input(const std::filesystem::path& path) {
  return scan_input_kind(path) != ScanInputKind::unknown;
}

/// Reads any scan. Throws InputError naming the file and field; for an unknown kind, says
/// which kinds are accepted.
[[nodiscard]] Scan load_any_scan(const std::filesystem::path& path);

}  // namespace voidscan
