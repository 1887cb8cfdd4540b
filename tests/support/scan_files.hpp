// Writes small scans to disk for tests: exact projections of a phantom as a multi-page TIFF
// plus a scan.json (per-view vectors), optionally as raw uint16 counts.
#pragma once
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "recon/phantom.hpp"
#include "recon/scan.hpp"
#include "recon/tiff_io.hpp"

namespace voidscan::test {

/// Writes dir/proj.tif and dir/scan.json; returns the manifest path. With `white_level` > 0
/// the images hold counts round(white * exp(-p)) as uint16, else float32 line integrals.
inline std::filesystem::path write_phantom_scan(const std::filesystem::path& dir, const Phantom& phantom,
                                                const Geometry& g, double white_level = 0,
                                                const VolumeGrid* grid = nullptr) {
  const auto proj = project(phantom, g, 1);
  const auto& d = g.detector;
  const int views = int(g.views.size());
  if (white_level > 0) {
    std::vector<uint16_t> counts(proj.size());
    for (size_t i = 0; i < proj.size(); ++i) counts[i] = uint16_t(std::lround(white_level * std::exp(-proj[i])));
    write_tiff_uint16(dir / "proj.tif", d.cols, d.rows, views, counts.data());
  } else {
    write_tiff_float(dir / "proj.tif", d.cols, d.rows, views, proj.data());
  }
  Scan scan;
  scan.name = "test";
  scan.geometry = g;
  for (int i = 0; i < views; ++i) scan.projections.push_back({dir / "proj.tif", i});
  if (white_level > 0) scan.intensity.white_level = white_level;
  else scan.intensity.already_log = true;
  if (grid) scan.volume = *grid;
  save_scan(scan, dir / "scan.json");
  return dir / "scan.json";
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_text(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

}  // namespace voidscan::test
