// The native scan manifest, scan.json ("schema": "voidscan.scan/1"): the one format every
// reader converts into. Field reference: docs/formats.md. Test: tests/recon/test_scan.cpp.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "recon/geometry.hpp"

namespace voidscan {

/// Where one view's image lives.
struct ProjectionSource {
  std::filesystem::path file;  ///< absolute, or relative to the working directory
  int page = 0;                ///< page of a multi-page TIFF
};

/// How raw detector values become line integrals.
struct IntensitySpec {
  bool already_log = false;               ///< images already hold -log(I/I0)
  std::optional<double> white_level;      ///< raw counts: I0 (flat) as one number
  double dark_level = 0;                  ///< raw counts: dark offset as one number
  std::vector<std::filesystem::path> dark_files;  ///< dark images (stacks averaged)
  std::vector<std::filesystem::path> flat_files;  ///< flat images (stacks averaged)
};

struct Scan {
  std::filesystem::path manifest;  ///< the scan.json it was read from (empty if built in memory)
  std::string name;                ///< optional label
  Geometry geometry;
  std::vector<ProjectionSource> projections;  ///< one per view, same order as geometry.views
  IntensitySpec intensity;
  std::optional<VolumeGrid> volume;           ///< the manifest's default grid, if it gives one
  std::vector<std::string> warnings;          ///< e.g. unknown keys
  std::string source;                         ///< optional provenance label (e.g. the vendor file it came from)
  std::string format;                         ///< what it was read from: "voidscan scan.json", "Nikon .xtekct", ...
  std::vector<std::string> fields_used;       ///< vendor readers: the fields that set the geometry / intensities
  std::vector<std::string> fields_ignored;    ///< vendor readers: fields present but not used
};

/// Reads and validates a manifest. Throws InputError naming the file and field.
[[nodiscard]] Scan load_scan(const std::filesystem::path& manifest);

/// Writes a manifest with per-view vectors (`ray_mm` for parallel-beam views) (paths written relative to the manifest's folder).
/// Written to a temporary name and renamed.
void save_scan(const Scan& scan, const std::filesystem::path& manifest);

/// The grid to reconstruct on: the manifest's, else default_grid().
[[nodiscard]] VolumeGrid scan_grid(const Scan& scan);

}  // namespace voidscan
