// Tests for recon/txrm: the real ZEISS Xradia file in shared/data/xradia (values as stored,
// read once and pinned here) and the InputErrors for truncated, foreign and missing files
// and an out-of-range index.
#include "recon/txrm.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "recon/error.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using voidscan::InputError;
using voidscan::read_txrm_image;
using voidscan::read_txrm_info;
using voidscan::test::TempDir;

namespace {

const fs::path kFile = fs::path(VOIDSCAN_SHARED_DATA) / "xradia" / "txrm_test_chip_tomo.txrm";

#define SKIP_WITHOUT_DATA()                                                  \
  do {                                                                       \
    if (!fs::exists(kFile)) GTEST_SKIP() << "shared data not found: " << kFile; \
  } while (0)

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// Reads the info and every image; throws what the reader throws.
void read_everything(const fs::path& file) {
  const auto info = read_txrm_info(file);
  std::vector<float> img(static_cast<std::size_t>(info.width) * static_cast<std::size_t>(info.height));
  for (int i = 0; i < info.images; ++i) read_txrm_image(file, i, img.data());
}

void expect_input_error_naming(const fs::path& file, const std::string& needle) {
  try {
    read_everything(file);
    ADD_FAILURE() << "no InputError for " << file;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), file.string());
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Txrm, RealFileInfo) {
  SKIP_WITHOUT_DATA();
  const auto info = read_txrm_info(kFile);
  EXPECT_EQ(info.images, 7);
  EXPECT_EQ(info.width, 256);
  EXPECT_EQ(info.height, 256);
  EXPECT_EQ(info.data_type, "uint16");
  const std::vector<double> angles = {-45.0180016, -30.0141258, -15.0141258, -0.0141250007,
                                      14.9858761,  29.9858761,  44.985878};
  ASSERT_EQ(info.angles_deg.size(), angles.size());
  for (std::size_t i = 0; i < angles.size(); ++i) EXPECT_NEAR(info.angles_deg[i], angles[i], 1e-4) << i;
  EXPECT_TRUE(std::is_sorted(info.angles_deg.begin(), info.angles_deg.end()));
  EXPECT_NEAR(info.pixel_size_um, 0.15578948, 1e-6);
  EXPECT_EQ(info.xray_geometry, 2);
  // Placeholders in this file: 1.0 for every view.
  ASSERT_EQ(info.source_to_axis_mm.size(), 7u);
  ASSERT_EQ(info.detector_to_axis_mm.size(), 7u);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(info.source_to_axis_mm[i], 1.0);
    EXPECT_EQ(info.detector_to_axis_mm[i], 1.0);
  }
  ASSERT_EQ(info.x_shifts_px.size(), 7u);
  ASSERT_EQ(info.y_shifts_px.size(), 7u);
  EXPECT_NEAR(info.x_shifts_px[0], 0.259159, 1e-5);
  EXPECT_NEAR(info.x_shifts_px[6], 0.332211, 1e-5);
  EXPECT_NEAR(info.y_shifts_px[0], 0.243996, 1e-5);
  EXPECT_NEAR(info.y_shifts_px[6], -0.248375, 1e-5);
  EXPECT_FALSE(info.has_reference);
  for (const char* f : {"ImageInfo/NoOfImages", "ImageInfo/ImageWidth", "ImageInfo/ImageHeight", "ImageInfo/DataType",
                        "ImageInfo/Angles", "ImageInfo/PixelSize", "ImageInfo/StoRADistance",
                        "ImageInfo/DtoRADistance", "ImageInfo/XrayGeometry", "Alignment/X-Shifts",
                        "Alignment/Y-Shifts"})
    EXPECT_TRUE(contains(info.fields_used, f)) << f;
  EXPECT_EQ(info.fields_missing, std::vector<std::string>{"ReferenceData/Image"});
}

TEST(Txrm, RealFileImages) {
  SKIP_WITHOUT_DATA();
  std::vector<float> img(256 * 256, -1.0f);
  read_txrm_image(kFile, 0, img.data());
  const auto [mn, mx] = std::minmax_element(img.begin(), img.end());
  EXPECT_EQ(*mn, 1.0f);
  EXPECT_EQ(*mx, 434.0f);
  const double mean = std::accumulate(img.begin(), img.end(), 0.0) / static_cast<double>(img.size());
  EXPECT_NEAR(mean, 65.314743, 1e-4);
  EXPECT_GT(mean, *mn);
  EXPECT_LT(mean, *mx);
  EXPECT_EQ(img[0], 10.0f);
  EXPECT_EQ(img[1 * 256 + 2], 7.0f);      // row 1, column 2
  EXPECT_EQ(img[128 * 256 + 128], 389.0f);
  // The last image (ImageData1/Image7) is read too, and differs.
  read_txrm_image(kFile, 6, img.data());
  EXPECT_EQ(*std::max_element(img.begin(), img.end()), 416.0f);
  EXPECT_EQ(img[0], 3.0f);
}

TEST(Txrm, IndexOutOfRange) {
  SKIP_WITHOUT_DATA();
  std::vector<float> img(256 * 256);
  for (int bad : {7, -1}) {
    try {
      read_txrm_image(kFile, bad, img.data());
      ADD_FAILURE() << "no InputError for index " << bad;
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), kFile.string());
      EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
    }
  }
}

TEST(Txrm, TruncatedCopy) {
  SKIP_WITHOUT_DATA();
  const TempDir dir;
  // Cut inside the image data (half), and inside the header's sector tables (4096 bytes).
  for (std::uintmax_t size : {fs::file_size(kFile) / 2, std::uintmax_t{4096}}) {
    const fs::path cut = dir / ("cut" + std::to_string(size) + ".txrm");
    fs::copy_file(kFile, cut);
    fs::resize_file(cut, size);
    expect_input_error_naming(cut, "");
  }
  // The half-cut file opens and its metadata reads; an image past the cut is reported by stream.
  const fs::path half = dir / ("cut" + std::to_string(fs::file_size(kFile) / 2) + ".txrm");
  std::vector<float> img(256 * 256);
  try {
    read_txrm_image(half, 6, img.data());
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), half.string());
    EXPECT_EQ(e.field(), "ImageData1/Image7");
  }
}

TEST(Txrm, TextFileIsNotOle2) {
  const TempDir dir;
  const fs::path txt = dir / "notes.txrm";
  std::ofstream(txt) << "this is a plain text file, not a compound document\n";
  expect_input_error_naming(txt, "not an OLE2");
}

TEST(Txrm, MissingFile) {
  const TempDir dir;
  expect_input_error_naming(dir / "absent.txrm", "not found");
}
