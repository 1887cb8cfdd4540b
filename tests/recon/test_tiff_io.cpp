// Tests for recon/tiff_io: round trips, page navigation, sample types, layouts and the
// InputErrors for missing, foreign, truncated and mis-sized files.
#include "recon/tiff_io.hpp"

#include <gtest/gtest.h>
#include <tiffio.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "recon/error.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using voidscan::InputError;
using voidscan::SampleType;
using voidscan::TiffReader;
using voidscan::test::TempDir;

namespace {

/// Writes one page with libtiff directly, for layouts and types write_tiff_* do not produce.
/// tile = 0: one strip per 3 rows; tile > 0: tile x tile tiles.
template <class T>
void write_page_with_libtiff(const fs::path& file, int cols, int rows, uint16_t format, const std::vector<T>& data,
                             uint32_t tile = 0) {
  TIFF* tif = TIFFOpen(file.c_str(), "w");
  ASSERT_NE(tif, nullptr);
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, uint32_t(cols));
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, uint32_t(rows));
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, uint16_t(1));
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, uint16_t(8 * sizeof(T)));
  TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, format);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, uint16_t(PHOTOMETRIC_MINISBLACK));
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, uint16_t(PLANARCONFIG_CONTIG));
  if (tile == 0) {
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, uint32_t(3));
    for (int r = 0; r < rows; ++r)
      ASSERT_EQ(TIFFWriteScanline(tif, const_cast<T*>(data.data() + size_t(r) * cols), uint32_t(r)), 1);
  } else {
    TIFFSetField(tif, TIFFTAG_TILEWIDTH, tile);
    TIFFSetField(tif, TIFFTAG_TILELENGTH, tile);
    std::vector<T> buf(size_t(tile) * tile);
    for (uint32_t y = 0; y < uint32_t(rows); y += tile) {
      for (uint32_t x = 0; x < uint32_t(cols); x += tile) {
        std::fill(buf.begin(), buf.end(), T(0));
        for (uint32_t ty = 0; ty < tile && y + ty < uint32_t(rows); ++ty)
          for (uint32_t tx = 0; tx < tile && x + tx < uint32_t(cols); ++tx)
            buf[ty * tile + tx] = data[(y + ty) * cols + x + tx];
        ASSERT_GE(TIFFWriteTile(tif, buf.data(), x, y, 0, 0), 0);
      }
    }
  }
  TIFFClose(tif);
}

/// A little-endian, uncompressed, single-strip uint16 TIFF written byte by byte with the image
/// directory *before* the pixel data, then cut after `kept_data_bytes` bytes of pixel data:
/// libtiff itself always writes the directory last, so chopping its files only ever damages
/// directories, never the strip data this exercises.
void write_tiff_with_short_strip(const fs::path& file, uint32_t cols, uint32_t rows, size_t kept_data_bytes) {
  std::vector<unsigned char> b = {'I', 'I', 42, 0, 8, 0, 0, 0};  // header, first IFD at offset 8
  auto put16 = [&](uint32_t v) { b.insert(b.end(), {uint8_t(v), uint8_t(v >> 8)}); };
  auto put32 = [&](uint32_t v) { put16(v & 0xffff), put16(v >> 16); };
  const uint32_t entries = 9, data_offset = 8 + 2 + entries * 12 + 4;
  auto entry = [&](uint16_t tag, uint16_t type, uint32_t value) {  // one value, stored in place
    put16(tag), put16(type), put32(1);
    type == 3 ? (put16(value), put16(0)) : put32(value);
  };
  put16(entries);
  entry(256, 4, cols);                 // ImageWidth, LONG
  entry(257, 4, rows);                 // ImageLength
  entry(258, 3, 16);                   // BitsPerSample, SHORT
  entry(259, 3, 1);                    // Compression: none
  entry(262, 3, 1);                    // Photometric: min is black
  entry(273, 4, data_offset);          // StripOffsets
  entry(277, 3, 1);                    // SamplesPerPixel
  entry(278, 4, rows);                 // RowsPerStrip
  entry(279, 4, cols * rows * 2);      // StripByteCounts
  put32(0);                            // no next IFD
  ASSERT_EQ(b.size(), data_offset);
  for (size_t i = 0; i < kept_data_bytes; ++i) b.push_back(uint8_t(i));
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

/// Runs f, expecting an InputError whose message contains every one of `parts`.
template <class F>
void expect_input_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no InputError thrown";
  } catch (const InputError& e) {
    for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

std::vector<float> read_page(TiffReader& reader, const fs::path& file, int page, int cols, int rows) {
  std::vector<float> out(size_t(cols) * rows, -1.0f);
  reader.read(file, page, cols, rows, out.data());
  return out;
}

}  // namespace

TEST(TiffIo, Float32MultiPageRoundTripIsExact) {
  TempDir dir;
  const int cols = 5, rows = 4, pages = 3;
  std::vector<float> data(size_t(cols) * rows * pages);
  for (size_t i = 0; i < data.size(); ++i) data[i] = float(i) * 0.37f - 7.5f + 1e-7f * float(i * i);
  data[3] = 1e30f;
  data[4] = -1e-30f;
  const fs::path file = dir / "stack.tif";
  voidscan::write_tiff_float(file, cols, rows, pages, data.data(), "hello description");

  const voidscan::TiffInfo info = voidscan::tiff_info(file);
  EXPECT_EQ(info.cols, cols);
  EXPECT_EQ(info.rows, rows);
  EXPECT_EQ(info.pages, pages);
  EXPECT_EQ(info.type, SampleType::float32);
  TiffReader reader;
  for (int p = 0; p < pages; ++p) {
    const auto page = read_page(reader, file, p, cols, rows);
    EXPECT_EQ(page, std::vector<float>(data.begin() + p * cols * rows, data.begin() + (p + 1) * cols * rows));
  }
  TIFF* tif = TIFFOpen(file.c_str(), "r");
  ASSERT_NE(tif, nullptr);
  const char* text = nullptr;
  ASSERT_TRUE(TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &text));
  EXPECT_STREQ(text, "hello description");
  TIFFClose(tif);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);  // no .part left
}

TEST(TiffIo, Uint16MultiPageRoundTripIsExact) {
  TempDir dir;
  const int cols = 7, rows = 3, pages = 2;
  std::vector<uint16_t> data(size_t(cols) * rows * pages);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint16_t(i * 3121 % 65536);
  data[0] = 65535;
  data[1] = 0;
  const fs::path file = dir / "stack16.tiff";
  voidscan::write_tiff_uint16(file, cols, rows, pages, data.data());

  const voidscan::TiffInfo info = voidscan::tiff_info(file);
  EXPECT_EQ(info.type, SampleType::uint16);
  EXPECT_EQ(info.pages, pages);
  TiffReader reader;
  for (int p = 0; p < pages; ++p) {
    const auto page = read_page(reader, file, p, cols, rows);
    for (int i = 0; i < cols * rows; ++i) EXPECT_EQ(page[i], float(data[p * cols * rows + i])) << "page " << p << " i " << i;
  }
}

TEST(TiffIo, PagesReadInAnyOrderAndAcrossFiles) {
  TempDir dir;
  const int cols = 3, rows = 2, pages = 6;
  auto stack = [&](float base) {
    std::vector<float> d(size_t(cols) * rows * pages);
    for (size_t i = 0; i < d.size(); ++i) d[i] = base + float(i / (cols * rows)) * 10 + float(i % (cols * rows));
    return d;
  };
  const fs::path a = dir / "a.tif", b = dir / "b.tif";
  voidscan::write_tiff_float(a, cols, rows, pages, stack(0).data());
  voidscan::write_tiff_float(b, cols, rows, pages, stack(1000).data());

  TiffReader reader;
  const std::vector<std::pair<const fs::path*, int>> order = {{&a, 3}, {&a, 0}, {&a, 5}, {&a, 5}, {&a, 1}, {&b, 4},
                                                              {&a, 4}, {&b, 2}, {&b, 5}, {&a, 2}, {&a, 0}};
  for (const auto& [file, p] : order) {
    const float base = file == &a ? 0.0f : 1000.0f;
    const auto page = read_page(reader, *file, p, cols, rows);
    for (int i = 0; i < cols * rows; ++i) ASSERT_EQ(page[i], base + 10.0f * p + float(i)) << *file << " page " << p;
  }
}

TEST(TiffIo, Uint8StripsConvertedToFloat) {
  TempDir dir;
  const int cols = 7, rows = 8;  // 3 rows per strip: the last strip is short
  std::vector<uint8_t> data(size_t(cols) * rows);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 37 % 256);
  data[5] = 255;
  const fs::path file = dir / "u8.tif";
  write_page_with_libtiff(file, cols, rows, SAMPLEFORMAT_UINT, data);

  EXPECT_EQ(voidscan::tiff_info(file).type, SampleType::uint8);
  TiffReader reader;
  const auto page = read_page(reader, file, 0, cols, rows);
  for (size_t i = 0; i < data.size(); ++i) EXPECT_EQ(page[i], float(data[i])) << i;
  EXPECT_EQ(page[5], 255.0f);
}

TEST(TiffIo, TiledUint32Read) {
  TempDir dir;
  const int cols = 40, rows = 20;  // 16 x 16 tiles: partial tiles at the right and bottom
  std::vector<uint32_t> data(size_t(cols) * rows);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint32_t(i * 1000 + 7);
  const fs::path file = dir / "tiled.tif";
  write_page_with_libtiff(file, cols, rows, SAMPLEFORMAT_UINT, data, 16);

  EXPECT_EQ(voidscan::tiff_info(file).type, SampleType::uint32);
  TiffReader reader;
  const auto page = read_page(reader, file, 0, cols, rows);
  for (size_t i = 0; i < data.size(); ++i) ASSERT_EQ(page[i], float(data[i])) << i;
}

TEST(TiffIo, TruncatedFileIsInputErrorNamingTheFile) {
  TempDir dir;
  const int cols = 32, rows = 32, pages = 2;
  std::vector<float> data(size_t(cols) * rows * pages, 1.5f);
  const fs::path file = dir / "cut.tif";
  voidscan::write_tiff_float(file, cols, rows, pages, data.data());
  fs::resize_file(file, fs::file_size(file) - 64);  // libtiff writes each page's directory after its data

  expect_input_error([&] { (void)voidscan::tiff_info(file); }, {file.string(), "page 1", "corrupt"});
  TiffReader reader;
  EXPECT_EQ(read_page(reader, file, 0, cols, rows), std::vector<float>(size_t(cols) * rows, 1.5f));  // intact
  expect_input_error([&] { read_page(reader, file, 1, cols, rows); }, {file.string(), "page 1"});
}

TEST(TiffIo, TruncatedStripDataIsInputError) {
  TempDir dir;
  const fs::path file = dir / "short_strip.tif";
  write_tiff_with_short_strip(file, 16, 8, 100);  // 256 bytes of pixel data expected
  EXPECT_EQ(voidscan::tiff_info(file).cols, 16);
  TiffReader reader;
  testing::internal::CaptureStderr();
  expect_input_error([&] { read_page(reader, file, 0, 16, 8); }, {file.string(), "page 0", "truncated or corrupt"});
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");  // libtiff's message was captured, not printed

  const fs::path whole = dir / "whole_strip.tif";  // the same layout, complete, reads fine
  write_tiff_with_short_strip(whole, 16, 8, 256);
  const auto page = read_page(reader, whole, 0, 16, 8);
  EXPECT_EQ(page[1], float(2 + 3 * 256));  // bytes 2, 3 little-endian
}

TEST(TiffIo, WrongSizeMentionsBothSizes) {
  TempDir dir;
  std::vector<float> data(512, 0.0f);
  const fs::path file = dir / "row.tif";
  voidscan::write_tiff_float(file, 512, 1, 1, data.data());
  TiffReader reader;
  expect_input_error([&] { read_page(reader, file, 0, 560, 1); }, {file.string(), "page 0", "expected 560 x 1, found 512 x 1"});
}

TEST(TiffIo, PageOutOfRangeThenReaderRecovers) {
  TempDir dir;
  std::vector<float> data = {1, 2, 3, 4};
  const fs::path file = dir / "two.tif";
  voidscan::write_tiff_float(file, 2, 1, 2, data.data());
  TiffReader reader;
  expect_input_error([&] { read_page(reader, file, 2, 2, 1); }, {file.string(), "page 2", "out of range", "2 page"});
  expect_input_error([&] { read_page(reader, file, -1, 2, 1); }, {file.string(), "page -1"});
  EXPECT_EQ(read_page(reader, file, 1, 2, 1), (std::vector<float>{3, 4}));
}

TEST(TiffIo, MissingFileIsInputError) {
  TempDir dir;
  const fs::path file = dir / "nope.tif";
  expect_input_error([&] { (void)voidscan::tiff_info(file); }, {file.string(), "not found"});
  TiffReader reader;
  expect_input_error([&] { read_page(reader, file, 0, 1, 1); }, {file.string(), "not found"});
}

TEST(TiffIo, NonTiffFileIsInputErrorAndPrintsNothing) {
  TempDir dir;
  const fs::path file = dir / "notes.tif";
  std::ofstream(file) << "this is plain text, not a TIFF\n";
  testing::internal::CaptureStderr();
  expect_input_error([&] { (void)voidscan::tiff_info(file); }, {file.string(), "not a readable TIFF"});
  TiffReader reader;
  expect_input_error([&] { read_page(reader, file, 0, 1, 1); }, {file.string()});
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(TiffIo, SignedIntegerSamplesUnsupported) {
  TempDir dir;
  const fs::path file = dir / "s16.tif";
  write_page_with_libtiff(file, 4, 4, SAMPLEFORMAT_INT, std::vector<int16_t>(16, -3));
  expect_input_error([&] { (void)voidscan::tiff_info(file); }, {file.string(), "unsupported sample type", "16-bit signed"});
}
