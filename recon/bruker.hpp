// Bruker SkyScan (micro-CT) scans: a .log header (INI-like: [System], [Acquisition], ...) beside
// TIFF or BMP projections named <Filename Prefix><8 digits>.<ext>. Converted into the native
// Scan with circular cone-beam vectors. Mapping and conventions: docs/formats.md ("Bruker
// SkyScan .log"). Test: tests/recon/test_vendor_scans.cpp.
//
// Steps:
//  1. parse the header; required: Number of Files, Number of Rows, Number of Columns,
//     Camera Pixel Size (um), Camera to Source (mm), Rotation Step (deg), Depth (bits), and
//     Object to Source (mm) or Image Pixel Size (um) (either gives the magnification; when both
//     are given they must agree to 1 %);
//  2. geometry: view i at angle i * Rotation Step (Rotation Step sign as stored), sod = Object to
//     Source, sdd = Camera to Source, square pixels of Camera Pixel Size; Optical Axis (line),
//     when present, is the detector row the central ray hits (a vertical detector offset);
//  3. projections: files <prefix>########.tif/.tiff/.bmp in the header's folder, sorted; the
//     count must equal Number of Files and their size Number of Columns x Number of Rows;
//  4. intensity: flat/dark reference images in the folder (file names containing "flat" or
//     "bright", and "dark") when present, else raw counts with I0 = 2^Depth - 1 (SkyScan writes
//     flat-field-corrected projections scaled to full range).
#pragma once
#include <filesystem>

#include "recon/scan.hpp"

namespace voidscan {

/// Reads a SkyScan .log (or the one .log in a folder that has a [System] section naming a
/// SkyScan scanner or an [Acquisition] section). Throws InputError naming file and key.
[[nodiscard]] Scan load_bruker(const std::filesystem::path& log);

/// The SkyScan .log in `folder`, or an empty path (throws when several qualify).
[[nodiscard]] std::filesystem::path find_skyscan_log(const std::filesystem::path& folder);

}  // namespace voidscan
