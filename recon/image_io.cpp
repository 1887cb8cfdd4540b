#include "recon/image_io.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

#include "recon/error.hpp"
#include "recon/text.hpp"
#include "recon/txrm.hpp"
#include "recon/volume_io.hpp"

namespace voidscan {
namespace fs = std::filesystem;
namespace {

uint32_t le32(const unsigned char* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
uint16_t le16(const unsigned char* p) { return uint16_t(p[0] | p[1] << 8); }

struct BmpLayout {
  int cols = 0, rows = 0, bits = 0;
  bool top_down = false;
  uint32_t data_offset = 0;
  size_t row_bytes = 0;
  std::vector<float> palette;  // grey value per index (8 bit)
};

BmpLayout bmp_layout(const fs::path& file, std::ifstream& in) {
  const std::string f = file.string();
  unsigned char h[54];
  in.read(reinterpret_cast<char*>(h), 54);
  if (in.gcount() < 54) throw InputError(f, "BMP header", "file too short for a BMP header");
  if (h[0] != 'B' || h[1] != 'M') throw InputError(f, "BMP header", "not a BMP file (no 'BM' signature)");
  BmpLayout b;
  b.data_offset = le32(h + 10);
  const uint32_t info_size = le32(h + 14);
  if (info_size < 40) throw InputError(f, "BMP header", "unsupported BMP header version (size " + std::to_string(info_size) + ")");
  const int32_t w = int32_t(le32(h + 18)), hgt = int32_t(le32(h + 22));
  b.bits = le16(h + 28);
  const uint32_t compression = le32(h + 30);
  if (w <= 0 || hgt == 0) throw InputError(f, "BMP header", "invalid image size");
  b.cols = w;
  b.rows = hgt < 0 ? -hgt : hgt;
  b.top_down = hgt < 0;
  if (b.bits != 8 && b.bits != 24 && b.bits != 32)
    throw InputError(f, "BMP header", "unsupported bit depth " + std::to_string(b.bits) + " (8, 24 or 32)");
  if (!(compression == 0 || (compression == 3 && b.bits == 32)))
    throw InputError(f, "BMP header", "compressed BMP (compression " + std::to_string(compression) + ") is not supported");
  b.row_bytes = (size_t(b.cols) * b.bits / 8 + 3) / 4 * 4;
  if (b.bits == 8) {
    uint32_t colours = le32(h + 46);
    if (colours == 0) colours = 256;
    if (colours > 256) throw InputError(f, "BMP palette", "more than 256 palette entries");
    std::vector<unsigned char> pal(size_t(colours) * 4);
    in.seekg(14 + info_size);
    in.read(reinterpret_cast<char*>(pal.data()), std::streamsize(pal.size()));
    if (size_t(in.gcount()) < pal.size()) throw InputError(f, "BMP palette", "file truncated in the palette");
    b.palette.assign(256, 0.f);
    for (uint32_t i = 0; i < colours; ++i)
      b.palette[i] = (float(pal[4 * i]) + float(pal[4 * i + 1]) + float(pal[4 * i + 2])) / 3.f;
  }
  return b;
}

}  // namespace

ImageFileKind image_file_kind(const fs::path& file) {
  const std::string e = lower_extension(file);
  if (e == ".bmp") return ImageFileKind::bmp;
  if (e == ".txrm") return ImageFileKind::txrm;
  return ImageFileKind::tiff;
}

ImageInfo image_info(const fs::path& file) {
  switch (image_file_kind(file)) {
    case ImageFileKind::bmp: {
      std::ifstream in(file, std::ios::binary);
      if (!in) throw InputError(file.string(), "", fs::exists(file) ? "cannot be opened for reading" : "file not found");
      const BmpLayout b = bmp_layout(file, in);
      return {b.cols, b.rows, 1};
    }
    case ImageFileKind::txrm: {
      const TxrmInfo t = read_txrm_info(file);
      return {t.width, t.height, t.images};
    }
    case ImageFileKind::tiff:
    default: {
      const TiffInfo t = tiff_info(file);
      return {t.cols, t.rows, t.pages};
    }
  }
}

void read_bmp(const fs::path& file, int cols, int rows, float* out) {
  const std::string f = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(f, "", fs::exists(file) ? "cannot be opened for reading" : "file not found");
  const BmpLayout b = bmp_layout(file, in);
  if (b.cols != cols || b.rows != rows)
    throw InputError(f, "", "image is " + std::to_string(b.cols) + " x " + std::to_string(b.rows) + ", expected " +
                                std::to_string(cols) + " x " + std::to_string(rows));
  std::vector<unsigned char> data(b.row_bytes * size_t(b.rows));
  in.seekg(b.data_offset);
  in.read(reinterpret_cast<char*>(data.data()), std::streamsize(data.size()));
  if (size_t(in.gcount()) < data.size())
    throw InputError(f, "BMP pixel data", "file truncated: " + std::to_string(in.gcount()) + " of " +
                                              std::to_string(data.size()) + " bytes of pixel data");
  const int bpp = b.bits / 8;
  for (int r = 0; r < rows; ++r) {
    const unsigned char* src = data.data() + b.row_bytes * size_t(b.top_down ? r : rows - 1 - r);
    float* dst = out + size_t(r) * cols;
    if (b.bits == 8)
      for (int c = 0; c < cols; ++c) dst[c] = b.palette[src[c]];
    else
      for (int c = 0; c < cols; ++c)
        dst[c] = (float(src[bpp * c]) + float(src[bpp * c + 1]) + float(src[bpp * c + 2])) / 3.f;
  }
}

void write_bmp8(const fs::path& file, int cols, int rows, const float* data) {
  const size_t row_bytes = (size_t(cols) + 3) / 4 * 4;
  const uint32_t offset = 14 + 40 + 256 * 4;
  const uint32_t size = offset + uint32_t(row_bytes * rows);
  std::vector<unsigned char> buf(size, 0);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) buf[at + i] = (v >> (8 * i)) & 0xff;
  };
  auto put16 = [&](size_t at, uint16_t v) {
    buf[at] = v & 0xff;
    buf[at + 1] = v >> 8;
  };
  buf[0] = 'B';
  buf[1] = 'M';
  put32(2, size);
  put32(10, offset);
  put32(14, 40);
  put32(18, uint32_t(cols));
  put32(22, uint32_t(rows));
  put16(26, 1);
  put16(28, 8);
  put32(34, uint32_t(row_bytes * rows));
  put32(46, 256);
  for (int i = 0; i < 256; ++i) buf[54 + 4 * i] = buf[55 + 4 * i] = buf[56 + 4 * i] = (unsigned char)i;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      buf[offset + row_bytes * size_t(rows - 1 - r) + c] =
          (unsigned char)std::clamp(std::lround(data[size_t(r) * cols + c]), 0L, 255L);
  write_atomically(file, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out.write(reinterpret_cast<const char*>(buf.data()), std::streamsize(buf.size()));
    if (!out) throw RuntimeFailure("cannot write " + file.string());
  });
}

void ImageReader::read(const fs::path& file, int page, int cols, int rows, float* out) {
  switch (image_file_kind(file)) {
    case ImageFileKind::bmp:
      if (page != 0) throw InputError(file.string(), "page", "a BMP file has one page, asked for page " + std::to_string(page));
      read_bmp(file, cols, rows, out);
      return;
    case ImageFileKind::txrm: {
      const TxrmInfo t = read_txrm_info(file);
      if (t.width != cols || t.height != rows)
        throw InputError(file.string(), "ImageInfo/ImageWidth", "images are " + std::to_string(t.width) + " x " +
                                                                    std::to_string(t.height) + ", expected " +
                                                                    std::to_string(cols) + " x " + std::to_string(rows));
      read_txrm_image(file, page, out);
      return;
    }
    case ImageFileKind::tiff:
    default:
      tiff_.read(file, page, cols, rows, out);
  }
}

}  // namespace voidscan
