// ZEISS Xradia .txrm reader (libgsf). Test: tests/recon/test_txrm.cpp.
//
// Format: a .txrm is a Microsoft OLE2 compound document ("structured storage": a FAT-like
// file system of storages (folders) and streams inside one file). Every value is a raw
// little-endian stream with no header; its type is known only by convention. Streams read:
//   ImageInfo/NoOfImages, ImageWidth, ImageHeight   int32            required
//   ImageInfo/DataType                              int32 (5 = uint16, 10 = float32)  required
//   ImageInfo/Angles                                float32 per image, degrees
//   ImageInfo/PixelSize                             float32, micrometres
//   ImageInfo/StoRADistance, ImageInfo/DtoRADistance float32 per image, mm
//   ImageInfo/XrayGeometry                          int32 code, returned as stored
//   Alignment/X-Shifts, Alignment/Y-Shifts          float32 per image, pixels
//   ImageData{n}/Image{i}                           width*height samples, row 0 first;
//                                                   i counts from 1, n = ceil(i/100)
//   ReferenceData/Image                             only checked for presence (has_reference)
// Optional streams that are absent are listed in fields_missing and leave their field empty
// (or 0 / -1); every stream that was read is listed in fields_used. Per-image streams may be
// longer than NoOfImages values (the writer pads some to a fixed size): the first
// NoOfImages values are taken; shorter is an error.
//
// Unsure (checked on one real file only, tomopy's txrm_test_chip_tomo.txrm, a zone-plate
// nano-XRM at 9.2 keV, version 3.0):
//  - XrayGeometry: that file stores 2, and it is a zone-plate (parallel-beam-like) TXM; the
//    meaning of the codes (which one is cone beam) is not documented, so the code is returned
//    raw and not interpreted here.
//  - StoRADistance / DtoRADistance are 1.0 placeholders in that file; whether real cone-beam
//    files store signed or absolute values (the sign convention for source-side distances)
//    is not verified. They are returned as stored.
//  - Sign conventions of Angles and of the alignment shifts (which way a positive shift
//    moves the image) are not verified.
//  - ReferenceData/Image is not present in that file, so its layout (and its own DataType
//    stream) is not read; only its presence is reported.
//  - DataType codes other than 5 and 10 are rejected as unsupported.
//  - Truncation is detected only where it hits a stream this reader uses (an image read
//    short, or a stream that the directory lists but libgsf cannot read); a file cut inside
//    streams it never reads passes. libgsf logs g_critical/g_warning lines on stderr for
//    damaged files; the reader turns the failure itself into an InputError.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace voidscan {

struct Scan;  // recon/scan.hpp

struct TxrmInfo {
  int images = 0, width = 0, height = 0;
  std::string data_type;           ///< "uint16" or "float32"
  std::vector<double> angles_deg;  ///< one per image, as stored
  double pixel_size_um = 0;        ///< 0 when absent
  std::vector<double> source_to_axis_mm, detector_to_axis_mm;  ///< per image, as stored (may be placeholders)
  int xray_geometry = -1;                                      ///< the stored code, -1 when absent
  std::vector<double> x_shifts_px, y_shifts_px;                ///< empty when absent
  bool has_reference = false;
  std::vector<std::string> fields_used, fields_missing;  ///< stream names, e.g. "ImageInfo/Angles"
};

/// Reads the image count, size, type and acquisition metadata. Throws InputError (file and
/// stream named) when the file is missing, not an OLE2 document, a required stream
/// (NoOfImages, ImageWidth, ImageHeight, DataType) is missing, a stream is too short, or
/// DataType is unsupported.
[[nodiscard]] TxrmInfo read_txrm_info(const std::filesystem::path& file);

/// The .txrm as a scan (recon/scan.hpp), every view read from the file itself (projection
/// file = the .txrm, page = image index). Geometry:
///  - cone beam when StoRADistance and DtoRADistance are both present and |value| > 1 mm for
///    every view (Versa micro-CT): sod = |StoRA|, sdd = |StoRA| + |DtoRA|, detector pixel =
///    PixelSize (the object-plane pixel) x sdd / sod;
///  - parallel beam otherwise (nano-CT / zone-plate TXM, whose distances are 1.0 placeholders):
///    rays along Rz(angle) (0, 1, 0), detector pixel = PixelSize;
///  - view angle = Angles[i] (degrees, counter-clockwise about +z; the stored sign is taken
///    as is); alignment shifts X-Shifts/Y-Shifts (pixels), when present, move detector view i
///    by +x_shift u and +y_shift v (the image content a shift moves to higher columns/rows
///    belongs there: unverified against ZEISS software, see docs/formats.md);
///  - intensity: raw counts with I0 = the largest pixel value over all images (the reference
///    image's layout is not known, so it is not read; a warning says so).
/// Throws InputError (file and stream named) when PixelSize or Angles is missing.
[[nodiscard]] Scan load_txrm_scan(const std::filesystem::path& file);

/// Image `index` (0-based) as float, width x height, row 0 first; `out` must hold
/// width*height floats. Throws InputError for an index out of range or a missing or
/// truncated image stream (plus the read_txrm_info errors).
void read_txrm_image(const std::filesystem::path& file, int index, float* out);

}  // namespace voidscan
