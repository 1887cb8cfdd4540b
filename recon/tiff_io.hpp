// TIFF reading and writing for projections and slices (libtiff). Test: tests/recon/test_tiff_io.cpp.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace voidscan {

enum class SampleType { uint8, uint16, uint32, float32 };

struct TiffInfo {
  int cols = 0;       ///< width
  int rows = 0;       ///< height
  int pages = 0;      ///< number of directories
  SampleType type = SampleType::float32;
  double x_resolution_per_mm = 0;  ///< from the resolution tags when present, else 0
};

/// Reads the first directory's layout and counts the pages. Throws InputError (file named)
/// when missing, not a TIFF, or of an unsupported layout (multi-sample, tiled is fine).
[[nodiscard]] TiffInfo tiff_info(const std::filesystem::path& file);

/// Sequential reader that keeps one file open, so reading page after page of a multi-page
/// TIFF is linear, not quadratic. Not thread-safe; one per reading thread.
class TiffReader {
 public:
  TiffReader();
  ~TiffReader();
  TiffReader(const TiffReader&) = delete;
  TiffReader& operator=(const TiffReader&) = delete;
  /// Reads `page` of `file` into out (cols x rows floats, row 0 first), converting the sample
  /// type to float. Throws InputError naming the file and page when the file is missing,
  /// truncated or corrupt, the page does not exist, or its size differs from cols x rows.
  void read(const std::filesystem::path& file, int page, int cols, int rows, float* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Writes one or more pages of cols x rows values. float32 or uint16 (values rounded and
/// clamped to [0, 65535]). Written to a temporary name and renamed. `description` goes into
/// the ImageDescription tag of the first page when not empty.
void write_tiff_float(const std::filesystem::path& file, int cols, int rows, int pages, const float* data,
                      const std::string& description = {});
void write_tiff_uint16(const std::filesystem::path& file, int cols, int rows, int pages, const uint16_t* data,
                       const std::string& description = {});

namespace detail {
/// Writes `pages` single-channel pages of cols x rows samples of `type` (float32 or uint16) to
/// `file`, asking page_data(i) for page i's samples, so a caller can convert page by page
/// (volume_io.cpp writes volumes slice by slice). `display` is the name used in errors (the
/// final name when `file` is a temporary). Not atomic: callers wrap it in write_atomically.
void write_tiff_pages(const std::filesystem::path& file, const std::filesystem::path& display, int cols, int rows,
                      int pages, SampleType type, const std::function<const void*(int page)>& page_data,
                      const std::string& description);
/// The push form of write_tiff_pages(): opens `file`, then takes the pages one call at a time
/// (volume writers stream slabs into it). finish() flushes; a writer destroyed unfinished
/// just closes the file (callers remove it). Not atomic either.
class TiffPageWriter {
 public:
  TiffPageWriter(const std::filesystem::path& file, const std::filesystem::path& display, int cols, int rows,
                 int pages, SampleType type, const std::string& description);
  ~TiffPageWriter();
  TiffPageWriter(const TiffPageWriter&) = delete;
  TiffPageWriter& operator=(const TiffPageWriter&) = delete;
  /// Writes the next page: cols x rows samples of the type given at construction.
  void write_page(const void* samples);
  /// After the last page: flushes. Throws RuntimeFailure when a page is missing or writing failed.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};
/// The ImageDescription tag of the first page ("" when absent).
[[nodiscard]] std::string tiff_description(const std::filesystem::path& file);
}  // namespace detail

}  // namespace voidscan
