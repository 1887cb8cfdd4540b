// Projection images in any of the layouts vendor scans use, behind one reader: TIFF (libtiff,
// recon/tiff_io), Windows BMP (SkyScan's 8-bit grey projections; written here from the format
// description, no library), and images inside a ZEISS .txrm (recon/txrm). Which one is chosen
// by the file extension (.bmp, .txrm, anything else: TIFF); a "page" is a TIFF directory or a
// .txrm image index (BMP files have one page).
//
// BMP support: BITMAPFILEHEADER + BITMAPINFOHEADER (or a later, larger version), no compression
// (BI_RGB) or BI_BITFIELDS for 32 bit; 8 bit with a palette (the value is the palette entry's
// mean of R, G, B; SkyScan writes a grey ramp, so this is the index), 24 and 32 bit (mean of R,
// G, B), rows bottom-up (height > 0) or top-down (height < 0), padded to 4 bytes.
// Test: tests/recon/test_image_io.cpp.
#pragma once
#include <filesystem>
#include <memory>

#include "recon/tiff_io.hpp"

namespace voidscan {

enum class ImageFileKind { tiff, bmp, txrm };

/// By extension (case-insensitive): .bmp, .txrm, else TIFF.
[[nodiscard]] ImageFileKind image_file_kind(const std::filesystem::path& file);

struct ImageInfo {
  int cols = 0, rows = 0, pages = 0;
};

/// Size and page count. Throws InputError naming the file when it is missing or unreadable.
[[nodiscard]] ImageInfo image_info(const std::filesystem::path& file);

/// Reads page `page` of a BMP (must be 0) as float, row 0 first (the top row as displayed).
void read_bmp(const std::filesystem::path& file, int cols, int rows, float* out);

/// Writes an 8-bit grey BMP (bottom-up, grey palette), atomically. Values are rounded and
/// clamped to [0, 255].
void write_bmp8(const std::filesystem::path& file, int cols, int rows, const float* data);

/// Sequential reader over files of any kind above; keeps a TiffReader for TIFF pages.
/// Not thread-safe; one per reading thread.
class ImageReader {
 public:
  /// Reads `page` of `file` into out (cols x rows floats, row 0 first). Throws InputError naming
  /// the file (and page) when it is missing, truncated, of another size, or the page is absent.
  void read(const std::filesystem::path& file, int page, int cols, int rows, float* out);

 private:
  TiffReader tiff_;
};

}  // namespace voidscan
