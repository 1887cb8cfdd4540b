// TIFF reading and writing with libtiff. See tiff_io.hpp.
//
// libtiff reports problems through error handlers that print to stderr by default. Every TIFF
// opened here gets a per-handle handler (TIFFOpenExt options) that records the message in a
// thread_local buffer instead; messages libtiff emits without a handle go to the same buffer
// through the process-wide handlers, installed once. Callers clear the buffer before a libtiff
// call and turn a failure plus the recorded text into an InputError (or RuntimeFailure when
// writing), so nothing is printed and messages from concurrent threads never mix.
#include "recon/tiff_io.hpp"

#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <stdexcept>

#include "recon/error.hpp"
#include "recon/volume_io.hpp"  // write_atomically

namespace fs = std::filesystem;

namespace voidscan {

namespace {

// ---- error capture ---------------------------------------------------------------------------

thread_local std::string t_tiff_error;  ///< libtiff messages since the last clear, this thread

void record_message(const char* module, const char* fmt, va_list ap) {
  char text[1024];
  std::vsnprintf(text, sizeof text, fmt, ap);
  if (t_tiff_error.size() > 4096) return;  // bounded, should nobody clear it for a while
  if (!t_tiff_error.empty()) t_tiff_error += "; ";
  if (module && *module) t_tiff_error += std::string(module) + ": ";
  t_tiff_error += text;
}

int handle_error(TIFF*, void*, const char* module, const char* fmt, va_list ap) {
  record_message(module, fmt, ap);
  return 1;  // handled: libtiff must not call the global handlers (which would print)
}
int handle_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }  // dropped
void global_error(const char* module, const char* fmt, va_list ap) { record_message(module, fmt, ap); }
void global_warning(const char*, const char*, va_list) {}

/// The recorded libtiff message, or `fallback` when libtiff said nothing.
std::string tiff_message(const char* fallback) { return t_tiff_error.empty() ? fallback : t_tiff_error; }

struct TiffCloser {
  void operator()(TIFF* t) const { TIFFClose(t); }
};
using TiffPtr = std::unique_ptr<TIFF, TiffCloser>;

/// Opens `file` with error capture. mode "r" (read), "w" or "w8" (BigTIFF) as for TIFFOpen.
/// Throws InputError naming `display` when the file cannot be opened.
TiffPtr open_tiff(const fs::path& file, const char* mode, const fs::path& display) {
  static std::once_flag once;
  std::call_once(once, [] {
    TIFFSetErrorHandler(global_error);
    TIFFSetWarningHandler(global_warning);
  });
  std::unique_ptr<TIFFOpenOptions, decltype(&TIFFOpenOptionsFree)> opts(TIFFOpenOptionsAlloc(),
                                                                         TIFFOpenOptionsFree);
  TIFFOpenOptionsSetErrorHandlerExtR(opts.get(), handle_error, nullptr);
  TIFFOpenOptionsSetWarningHandlerExtR(opts.get(), handle_warning, nullptr);
  t_tiff_error.clear();
  TiffPtr tif(TIFFOpenExt(file.c_str(), mode, opts.get()));
  if (tif) return tif;
  if (mode[0] == 'r') {
    std::error_code ec;
    if (!fs::exists(file, ec)) throw InputError(display.string(), "", "file not found");
    throw InputError(display.string(), "", "not a readable TIFF file (" + tiff_message("unknown error") + ")");
  }
  throw InputError(display.string(), "", "cannot create file (" + tiff_message("unknown error") + ")");
}

std::string page_field(int page) { return "page " + std::to_string(page); }

// ---- page layout -----------------------------------------------------------------------------

size_t bytes_per_sample(SampleType t) {
  switch (t) {
    case SampleType::uint8: return 1;
    case SampleType::uint16: return 2;
    case SampleType::uint32:
    case SampleType::float32: return 4;
  }
  return 4;
}

struct PageLayout {
  uint32_t cols = 0, rows = 0;
  SampleType type = SampleType::float32;
  bool tiled = false;
  uint32_t tile_w = 0, tile_h = 0;  ///< tiled layout
  uint32_t rows_per_strip = 0;      ///< strip layout
};

/// Describes the current directory; throws InputError (file, "page N") for layouts this
/// reader does not handle: several samples per pixel, or a sample type other than
/// 8/16/32-bit unsigned integer or 32-bit IEEE float.
PageLayout read_layout(TIFF* tif, const fs::path& file, int page) {
  PageLayout l;
  uint16_t spp = 1, bits = 1, format = SAMPLEFORMAT_UINT;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &l.cols);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &l.rows);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
  if (spp != 1)
    throw InputError(file.string(), page_field(page),
                     "unsupported: " + std::to_string(spp) + " samples per pixel (only single-channel images)");
  if (format == SAMPLEFORMAT_UINT && bits == 8) {
    l.type = SampleType::uint8;
  } else if (format == SAMPLEFORMAT_UINT && bits == 16) {
    l.type = SampleType::uint16;
  } else if (format == SAMPLEFORMAT_UINT && bits == 32) {
    l.type = SampleType::uint32;
  } else if (format == SAMPLEFORMAT_IEEEFP && bits == 32) {
    l.type = SampleType::float32;
  } else {
    const char* kind = format == SAMPLEFORMAT_UINT     ? "unsigned integer"
                       : format == SAMPLEFORMAT_INT    ? "signed integer"
                       : format == SAMPLEFORMAT_IEEEFP ? "float"
                                                       : "other";
    throw InputError(file.string(), page_field(page),
                     "unsupported sample type: " + std::to_string(bits) + "-bit " + kind +
                         " (supported: 8/16/32-bit unsigned integer, 32-bit float)");
  }
  l.tiled = TIFFIsTiled(tif) != 0;
  if (l.tiled) {
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &l.tile_w);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &l.tile_h);
    if (l.tile_w == 0 || l.tile_h == 0) throw InputError(file.string(), page_field(page), "tile size is zero");
  } else {
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &l.rows_per_strip);
    l.rows_per_strip = std::clamp<uint32_t>(l.rows_per_strip, 1, std::max<uint32_t>(l.rows, 1));
  }
  return l;
}

template <class T>
void convert_as(const unsigned char* src, size_t n, float* dst) {
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));  // buffers carry no alignment guarantee
    dst[i] = static_cast<float>(v);
  }
}

/// n samples of type t (native byte order, as libtiff delivers them) -> float.
/// uint32 values above 2^24 lose precision.
void convert_to_float(const unsigned char* src, SampleType t, size_t n, float* dst) {
  switch (t) {
    case SampleType::uint8: return convert_as<uint8_t>(src, n, dst);
    case SampleType::uint16: return convert_as<uint16_t>(src, n, dst);
    case SampleType::uint32: return convert_as<uint32_t>(src, n, dst);
    case SampleType::float32: return convert_as<float>(src, n, dst);
  }
}

[[noreturn]] void throw_corrupt(const fs::path& file, int page) {
  throw InputError(file.string(), page_field(page),
                   "truncated or corrupt image data (" + tiff_message("short read") + ")");
}

/// Decodes the current directory (layout l) into out, cols x rows floats, row 0 first.
void read_pixels(TIFF* tif, const PageLayout& l, float* out, std::vector<unsigned char>& buf,
                 const fs::path& file, int page) {
  const size_t bps = bytes_per_sample(l.type);
  t_tiff_error.clear();
  if (!l.tiled) {
    buf.resize(size_t(l.rows_per_strip) * l.cols * bps);
    for (uint32_t r0 = 0, strip = 0; r0 < l.rows; r0 += l.rows_per_strip, ++strip) {
      const size_t n = size_t(std::min(l.rows_per_strip, l.rows - r0)) * l.cols;
      const tmsize_t got = TIFFReadEncodedStrip(tif, strip, buf.data(), tmsize_t(n * bps));
      if (got < tmsize_t(n * bps)) throw_corrupt(file, page);
      convert_to_float(buf.data(), l.type, n, out + size_t(r0) * l.cols);
    }
    return;
  }
  const tmsize_t tile_bytes = TIFFTileSize(tif);
  buf.resize(size_t(tile_bytes));
  for (uint32_t y = 0; y < l.rows; y += l.tile_h) {
    for (uint32_t x = 0; x < l.cols; x += l.tile_w) {
      if (TIFFReadTile(tif, buf.data(), x, y, 0, 0) < tile_bytes) throw_corrupt(file, page);
      // Tiles are padded to full size at the right and bottom edges: copy the part inside.
      const uint32_t w = std::min(l.tile_w, l.cols - x), h = std::min(l.tile_h, l.rows - y);
      for (uint32_t ty = 0; ty < h; ++ty)
        convert_to_float(buf.data() + size_t(ty) * l.tile_w * bps, l.type, w, out + size_t(y + ty) * l.cols + x);
    }
  }
}

void set_page_tags(TIFF* tif, int cols, int rows, SampleType type, uint32_t rows_per_strip) {
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, uint32_t(cols));
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, uint32_t(rows));
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, uint16_t(1));
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, uint16_t(8 * bytes_per_sample(type)));
  TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, uint16_t(type == SampleType::float32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT));
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, uint16_t(PHOTOMETRIC_MINISBLACK));
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, uint16_t(PLANARCONFIG_CONTIG));
  TIFFSetField(tif, TIFFTAG_COMPRESSION, uint16_t(COMPRESSION_NONE));
  TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rows_per_strip);
}

}  // namespace

// ---- public API --------------------------------------------------------------------------------

TiffInfo tiff_info(const fs::path& file) {
  TiffPtr tif = open_tiff(file, "r", file);
  const PageLayout l = read_layout(tif.get(), file, 0);
  TiffInfo info;
  info.cols = int(l.cols);
  info.rows = int(l.rows);
  info.type = l.type;
  float xres = 0;
  if (TIFFGetField(tif.get(), TIFFTAG_XRESOLUTION, &xres) && xres > 0) {
    uint16_t unit = RESUNIT_INCH;
    TIFFGetFieldDefaulted(tif.get(), TIFFTAG_RESOLUTIONUNIT, &unit);
    info.x_resolution_per_mm = unit == RESUNIT_INCH ? xres / 25.4 : unit == RESUNIT_CENTIMETER ? xres / 10.0 : 0.0;
  }
  // Counting follows the chain of directories; a damaged one (a truncated stack) is reported
  // here rather than silently shortening the stack.
  t_tiff_error.clear();
  info.pages = int(TIFFNumberOfDirectories(tif.get()));
  if (!t_tiff_error.empty())
    throw InputError(file.string(), page_field(info.pages), "corrupt directory (" + t_tiff_error + ")");
  return info;
}

struct TiffReader::Impl {
  fs::path file;      ///< the open file (empty when none); keyed by path, so a file replaced
                      ///< on disk while open is still read from the old copy
  TiffPtr tif;
  int current = -1;   ///< index of the directory libtiff has loaded
  std::vector<unsigned char> buffer;  ///< one strip or tile, reused between reads

  void close() {
    tif.reset();
    file.clear();
    current = -1;
  }

  /// Makes `page` the current directory. Forward moves step with TIFFReadDirectory from the
  /// current directory (so reading a stack in order is linear); only a backward jump
  /// restarts with TIFFSetDirectory.
  void seek(int page) {
    if (page < 0) throw InputError(file.string(), page_field(page), "page index is negative");
    t_tiff_error.clear();
    if (page < current) {
      if (!TIFFSetDirectory(tif.get(), tdir_t(page))) throw_corrupt(file, page);
      current = page;
    }
    while (current < page) {
      if (!TIFFReadDirectory(tif.get())) {
        if (!t_tiff_error.empty())
          throw InputError(file.string(), page_field(current + 1), "corrupt directory (" + t_tiff_error + ")");
        throw InputError(file.string(), page_field(page),
                         "page out of range: the file has " + std::to_string(current + 1) + " page(s)");
      }
      ++current;
    }
  }
};

TiffReader::TiffReader() : impl_(std::make_unique<Impl>()) {}
TiffReader::~TiffReader() = default;

void TiffReader::read(const fs::path& file, int page, int cols, int rows, float* out) {
  Impl& d = *impl_;
  try {
    if (!d.tif || d.file != file) {
      d.close();
      d.tif = open_tiff(file, "r", file);
      d.file = file;
      d.current = 0;
    }
    d.seek(page);
    const PageLayout l = read_layout(d.tif.get(), file, page);
    if (int64_t(l.cols) != cols || int64_t(l.rows) != rows)
      throw InputError(file.string(), page_field(page),
                       "expected " + std::to_string(cols) + " x " + std::to_string(rows) + ", found " +
                           std::to_string(l.cols) + " x " + std::to_string(l.rows));
    read_pixels(d.tif.get(), l, out, d.buffer, file, page);
  } catch (...) {
    d.close();  // libtiff's state after a failure is unknown: start afresh next time
    throw;
  }
}

namespace detail {

/// Pages are written as uncompressed strips of about 256 KiB; BigTIFF when the data would
/// approach 4 GiB. `display` is the name errors use (the final file rather than the temporary).
struct TiffPageWriter::Impl {
  TiffPtr tif;
  fs::path display;
  int cols = 0, rows = 0, pages = 0, written = 0;
  SampleType type = SampleType::float32;
  size_t row_bytes = 0;
  uint32_t rows_per_strip = 1;
  std::string description;

  [[noreturn]] void fail() const {
    throw RuntimeFailure("cannot write " + display.string() + ": " + tiff_message("write error"),
                         "check free disk space and permissions");
  }
};

TiffPageWriter::TiffPageWriter(const fs::path& file, const fs::path& display, int cols, int rows, int pages,
                               SampleType type, const std::string& description)
    : impl_(std::make_unique<Impl>()) {
  if (cols <= 0 || rows <= 0 || pages <= 0)
    throw std::invalid_argument("write_tiff: cols, rows and pages must be positive");
  if (type != SampleType::float32 && type != SampleType::uint16)
    throw std::invalid_argument("write_tiff: only float32 and uint16 are written");
  Impl& d = *impl_;
  d.display = display;
  d.cols = cols, d.rows = rows, d.pages = pages, d.type = type, d.description = description;
  d.row_bytes = size_t(cols) * bytes_per_sample(type);
  const uint64_t total = uint64_t(d.row_bytes) * uint64_t(rows) * uint64_t(pages);
  d.tif = open_tiff(file, total > 0xF0000000ull ? "w8" : "w", display);
  d.rows_per_strip = uint32_t(std::clamp<size_t>((256 << 10) / d.row_bytes, 1, size_t(rows)));
}

TiffPageWriter::~TiffPageWriter() = default;

void TiffPageWriter::write_page(const void* samples) {
  Impl& d = *impl_;
  if (d.written >= d.pages) throw std::logic_error("TiffPageWriter: more pages than announced");
  TIFF* tif = d.tif.get();
  const int p = d.written;
  t_tiff_error.clear();
  set_page_tags(tif, d.cols, d.rows, d.type, d.rows_per_strip);
  if (d.pages > 1) {
    TIFFSetField(tif, TIFFTAG_SUBFILETYPE, uint32_t(FILETYPE_PAGE));
    TIFFSetField(tif, TIFFTAG_PAGENUMBER, uint16_t(std::min(p, 65535)), uint16_t(std::min(d.pages, 65535)));
  }
  if (p == 0 && !d.description.empty()) TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, d.description.c_str());
  const auto* src = static_cast<const unsigned char*>(samples);
  for (uint32_t r0 = 0, strip = 0; r0 < uint32_t(d.rows); r0 += d.rows_per_strip, ++strip) {
    const size_t n = size_t(std::min<uint32_t>(d.rows_per_strip, uint32_t(d.rows) - r0)) * d.row_bytes;
    // libtiff does not modify the buffer for uncompressed native-order data.
    if (TIFFWriteEncodedStrip(tif, strip, const_cast<unsigned char*>(src + r0 * d.row_bytes), tmsize_t(n)) < 0)
      d.fail();
  }
  if (!TIFFWriteDirectory(tif)) d.fail();
  ++d.written;
}

void TiffPageWriter::finish() {
  Impl& d = *impl_;
  if (d.written != d.pages)
    throw RuntimeFailure("cannot write " + d.display.string() + ": " + std::to_string(d.written) + " of " +
                         std::to_string(d.pages) + " pages were given");
  t_tiff_error.clear();
  if (!TIFFFlush(d.tif.get())) d.fail();
  d.tif.reset();  // TIFFClose writes nothing more for a flushed file
}

/// Writes `pages` single-channel pages of cols x rows samples (float32 or uint16) to `file`.
/// page_data(p) returns page p's samples, valid until the next call, so callers can convert
/// slab by slab. No rename here: callers wrap this in write_atomically.
void write_tiff_pages(const fs::path& file, const fs::path& display, int cols, int rows, int pages,
                      SampleType type, const std::function<const void*(int page)>& page_data,
                      const std::string& description) {
  TiffPageWriter writer(file, display, cols, rows, pages, type, description);
  for (int p = 0; p < pages; ++p) writer.write_page(page_data(p));
  writer.finish();
}

/// The first page's ImageDescription tag, or "" when it has none.
std::string tiff_description(const fs::path& file) {
  TiffPtr tif = open_tiff(file, "r", file);
  const char* text = nullptr;
  return TIFFGetField(tif.get(), TIFFTAG_IMAGEDESCRIPTION, &text) && text ? std::string(text) : std::string();
}

}  // namespace detail

namespace {
template <class T>
void write_tiff_stack(const fs::path& file, int cols, int rows, int pages, const T* data, SampleType type,
                      const std::string& description) {
  const size_t page_size = size_t(cols) * size_t(rows);
  write_atomically(file, [&](const fs::path& tmp) {
    detail::write_tiff_pages(tmp, file, cols, rows, pages, type,
                             [&](int p) -> const void* { return data + size_t(p) * page_size; }, description);
  });
}
}  // namespace

void write_tiff_float(const fs::path& file, int cols, int rows, int pages, const float* data,
                      const std::string& description) {
  write_tiff_stack(file, cols, rows, pages, data, SampleType::float32, description);
}

void write_tiff_uint16(const fs::path& file, int cols, int rows, int pages, const uint16_t* data,
                       const std::string& description) {
  write_tiff_stack(file, cols, rows, pages, data, SampleType::uint16, description);
}

}  // namespace voidscan
