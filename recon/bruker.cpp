#include "recon/bruker.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>

#include "recon/error.hpp"
#include "recon/image_io.hpp"
#include "recon/text.hpp"
#include "recon/vendor_text.hpp"

namespace voidscan {
namespace fs = std::filesystem;
namespace {


bool is_image_ext(const std::string& ext) { return ext == ".tif" || ext == ".tiff" || ext == ".bmp"; }

/// A .log that looks like SkyScan's: has an [Acquisition] section.
bool looks_like_skyscan(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  for (int i = 0; i < 200 && std::getline(in, line); ++i)
    if (ascii_lower(line).find("[acquisition]") != std::string::npos) return true;
  return false;
}

}  // namespace

fs::path find_skyscan_log(const fs::path& folder) {
  return only_file_in(
      folder, [](const fs::path& p) { return ascii_lower(p.extension().string()) == ".log" && looks_like_skyscan(p); },
      "SkyScan .log file");
}

Scan load_bruker(const fs::path& path) {
  const fs::path file = vendor_header_path(path, find_skyscan_log, "SkyScan .log file (with an [Acquisition] section)");
  Scan scan;
  KeyValueFile kv = open_vendor_header(file, "Acquisition", "Bruker SkyScan .log", scan);
  const fs::path base = file.parent_path();

  const int files = kv.integer("Number of Files");
  if (files < 1) kv.fail("Number of Files", "must be at least 1");
  Detector& d = scan.geometry.detector;
  d.rows = kv.integer("Number of Rows");
  d.cols = kv.integer("Number of Columns");
  if (d.rows < 1) kv.fail("Number of Rows", "must be at least 1");
  if (d.cols < 1) kv.fail("Number of Columns", "must be at least 1");
  const double camera_um = kv.number("Camera Pixel Size (um)");
  if (camera_um <= 0) kv.fail("Camera Pixel Size (um)", "must be positive");
  d.du_mm = d.dv_mm = camera_um / 1000.0;
  const double sdd = kv.number("Camera to Source (mm)");
  if (sdd <= 0) kv.fail("Camera to Source (mm)", "must be positive");
  const auto sod_opt = kv.optional_number("Object to Source (mm)");
  const auto image_um = kv.optional_number("Image Pixel Size (um)");
  if (!sod_opt && !image_um)
    kv.fail("Object to Source (mm)", "missing (and no Image Pixel Size (um) to derive it from): the magnification is unknown");
  const double sod = sod_opt ? *sod_opt : sdd * *image_um / camera_um;
  if (sod <= 0) kv.fail("Object to Source (mm)", "must be positive");
  if (sod >= sdd) kv.fail("Object to Source (mm)", "must be smaller than Camera to Source (mm)");
  if (sod_opt && image_um) {
    const double expected = camera_um * sod / sdd;
    if (!(*image_um > 0) || std::abs(*image_um - expected) > 0.01 * expected)
      kv.fail("Image Pixel Size (um)", "is " + std::to_string(*image_um) + " but Camera Pixel Size x Object to Source / "
                                       "Camera to Source gives " + std::to_string(expected) + ": inconsistent sizes");
  }
  const double step = kv.number("Rotation Step (deg)");
  if (step == 0) kv.fail("Rotation Step (deg)", "must not be 0");
  const int depth = kv.integer("Depth (bits)");
  if (depth < 1 || depth > 32) kv.fail("Depth (bits)", "must be in 1..32");

  CircularSpec spec;
  spec.sod_mm = sod;
  spec.sdd_mm = sdd;
  for (int i = 0; i < files; ++i) spec.angles_deg.push_back(i * step);
  if (const auto axis = kv.optional_number("Optical Axis (line)")) {
    if (*axis < 0 || *axis > d.rows - 1) kv.fail("Optical Axis (line)", "outside the detector's rows");
    spec.detector_offset_mm = {0, (*axis - 0.5 * (d.rows - 1)) * d.dv_mm};
  }
  scan.geometry = expand_circular(d, spec);
  validate(scan.geometry, file.string());

  // projections and references
  std::string prefix = kv.find("Filename Prefix").value_or(file.stem().string());
  std::vector<fs::path> projections, flats, darks;
  for (const auto& e : fs::directory_iterator(base)) {
    if (!e.is_regular_file() || !is_image_ext(ascii_lower(e.path().extension().string()))) continue;
    const std::string stem = e.path().stem().string();
    const std::string ls = ascii_lower(stem);
    if (ls.find("dark") != std::string::npos) {
      darks.push_back(e.path());
      continue;
    }
    if (ls.find("flat") != std::string::npos || ls.find("bright") != std::string::npos) {
      flats.push_back(e.path());
      continue;
    }
    if (ls.rfind(ascii_lower(prefix), 0) != 0 || stem.size() < prefix.size() + 8) continue;
    const std::string digits = stem.substr(stem.size() - 8);
    if (std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
      projections.push_back(e.path());
  }
  std::sort(projections.begin(), projections.end());
  std::sort(flats.begin(), flats.end());
  std::sort(darks.begin(), darks.end());
  if (int(projections.size()) != files)
    kv.fail("Number of Files", std::to_string(files) + " projections but " + std::to_string(projections.size()) +
                                   " image files named '" + prefix + "########.tif|bmp' in " + base.string());
  const ImageInfo first = image_info(projections.front());
  if (first.cols != d.cols || first.rows != d.rows)
    throw InputError(projections.front().string(), "Number of Columns/Number of Rows",
                     "image is " + std::to_string(first.cols) + " x " + std::to_string(first.rows) + " but " +
                         file.string() + " says " + std::to_string(d.cols) + " x " + std::to_string(d.rows));
  for (const auto& p : projections) scan.projections.push_back({p, 0});
  if (!flats.empty()) {
    scan.intensity.flat_files = flats;
    scan.intensity.dark_files = darks;
    for (const auto& f : flats) scan.fields_used.push_back(f.filename().string() + " (flat)");
    for (const auto& f : darks) scan.fields_used.push_back(f.filename().string() + " (dark)");
  } else {
    scan.intensity.white_level = std::ldexp(1.0, depth) - 1.0;
    if (!darks.empty()) scan.warnings.push_back(file.string() + ": dark images without flat images: darks ignored");
  }
  record_fields(kv, scan);
  return scan;
}

}  // namespace voidscan
