// Nikon XT H / Inspect-X cone-beam scans: an .xtekct header (INI, section [XTekCT]) beside a
// folder of TIFF projections. Converted into the native Scan (recon/scan.hpp) with per-view
// vectors. Field-by-field mapping, sign conventions and the evidence for them:
// docs/formats.md ("Nikon .xtekct"). Test: tests/recon/test_vendor_scans.cpp.
//
// Steps:
//  1. parse the header (recon/vendor_text.hpp); required: DetectorPixelsX/Y,
//     DetectorPixelSizeX/Y, SrcToObject, SrcToDetector, Projections, WhiteLevel, and
//     AngularStep unless an angle file gives every view's angle;
//  2. angles: <Name>_ctdata.txt / *_ctdata.txt (column 2), else <Name>.ang / *.ang (column 2),
//     else InitialAngle + i * AngularStep; the count must equal Projections;
//  3. the rotation axis: ObjectOffsetX (mm at the object), else the mean of
//     CentreOfRotationTop/Bottom (mm at the detector) times SrcToObject / SrcToDetector; its
//     direction from ObjectRoll / ObjectTilt (degrees), else the roll that
//     CentreOfRotationTop - CentreOfRotationBottom implies over the detector height;
//  4. per-view vectors: the fixed system (source at the origin, beam along +y, image columns
//     increasing towards -x, rows downwards) carried into the object frame (axis = +z)
//     by the inverse stage rotation; view angle theta = stage angle - 180 degrees;
//  5. projections: the TIFFs in InputFolderName (absolute, or relative to the header's folder;
//     the header's folder when that does not exist) whose names start with Name, sorted by
//     name; their count must equal Projections;
//  6. intensity: raw counts with I0 = WhiteLevel; VoxelsX/Y/Z and VoxelSizeX/Y/Z (all six)
//     give the default grid, centred on the origin.
#pragma once
#include <filesystem>

#include "recon/scan.hpp"

namespace voidscan {

/// Reads an .xtekct file (or the one .xtekct in a folder). Throws InputError naming the file
/// and the key for a missing or invalid field, a wrong projection count, or missing images.
[[nodiscard]] Scan load_nikon(const std::filesystem::path& xtekct);

/// The .xtekct in `folder` (exactly one), or an empty path.
[[nodiscard]] std::filesystem::path find_xtekct(const std::filesystem::path& folder);

}  // namespace voidscan
