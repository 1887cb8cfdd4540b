// Tests for recon/preprocess: -log normalisation with scalar and per-pixel levels, clamping,
// dead-pixel interpolation, flat/dark stack averaging and the InputErrors for bad levels.
#include "recon/preprocess.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "recon/error.hpp"
#include "recon/tiff_io.hpp"
#include "tests/support/temp_dir.hpp"

using voidscan::InputError;
using voidscan::IntensitySpec;
using voidscan::Preprocessor;
using voidscan::test::TempDir;

namespace {

constexpr float kClampedLog = 13.815510557964274f;  // -log(1e-6), the documented clamp

/// Raw count that gives line integral p with the given dark and flat levels.
float raw_for(double p, double dark, double flat) { return float(dark + (flat - dark) * std::exp(-p)); }

IntensitySpec scalar_levels(double white, double dark) {
  IntensitySpec s;
  s.white_level = white;
  s.dark_level = dark;
  return s;
}

}  // namespace

TEST(Preprocess, ScalarLevelsGiveExactLogs) {
  Preprocessor pre(scalar_levels(1000, 100), 4, 1);
  std::vector<float> img = {1000, 550, 190, 1900};
  pre.apply(img.data());
  EXPECT_EQ(img[0], 0.0f);
  EXPECT_FLOAT_EQ(img[1], float(std::log(2.0)));
  EXPECT_FLOAT_EQ(img[2], float(-std::log(0.1)));
  EXPECT_FLOAT_EQ(img[3], float(-std::log(2.0)));  // brighter than the flat: negative, not clamped
  EXPECT_EQ(pre.clamped_pixels(), 0u);
  EXPECT_EQ(pre.dead_pixels(), 0);
}

TEST(Preprocess, NonPositiveAndNonFiniteValuesAreClampedAndCounted) {
  Preprocessor pre(scalar_levels(1000, 100), 5, 1);
  std::vector<float> img = {100, 50, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), 550};
  pre.apply(img.data());
  EXPECT_FLOAT_EQ(img[0], kClampedLog);  // I == dark
  EXPECT_FLOAT_EQ(img[1], kClampedLog);  // I < dark
  EXPECT_EQ(img[2], 0.0f);               // NaN -> 0
  EXPECT_EQ(img[3], 0.0f);               // inf -> 0
  EXPECT_FLOAT_EQ(img[4], float(std::log(2.0)));
  EXPECT_EQ(pre.clamped_pixels(), 4u);
  std::vector<float> again = {0, 0, 0, 0, 0};
  pre.apply(again.data());
  EXPECT_EQ(pre.clamped_pixels(), 9u);  // accumulates over images
}

TEST(Preprocess, DeadPixelsInterpolatedAlongTheRow) {
  TempDir dir;
  const int cols = 5, rows = 2;
  // Dead: (row 0, cols 1-2) between valid neighbours; (row 1, col 0) at the edge.
  std::vector<float> dark(cols * rows, 100.0f), flat(cols * rows, 1000.0f);
  flat[1] = 100.0f;  // flat == dark
  flat[2] = 40.0f;   // flat < dark
  flat[cols + 0] = 90.0f;
  IntensitySpec spec;
  spec.dark_files = {dir / "dark.tif"};
  spec.flat_files = {dir / "flat.tif"};
  voidscan::write_tiff_float(spec.dark_files[0], cols, rows, 1, dark.data());
  voidscan::write_tiff_float(spec.flat_files[0], cols, rows, 1, flat.data());
  Preprocessor pre(spec, cols, rows);
  EXPECT_EQ(pre.dead_pixels(), 3);

  const std::vector<double> p = {0.5, 9, 9, 2.0, 0.1, 9, 0.8, 0.3, 0.2, 0.1};  // 9: dead, any raw value
  std::vector<float> img(p.size());
  for (size_t i = 0; i < p.size(); ++i) img[i] = raw_for(p[i], 100, 1000);
  img[2] = 5.0f;  // a dead pixel's raw value does not matter, nor is it counted as clamped
  pre.apply(img.data());
  EXPECT_NEAR(img[0], 0.5, 1e-5);
  EXPECT_NEAR(img[1], 1.0, 1e-5);  // 0.5 + (2.0 - 0.5) / 3
  EXPECT_NEAR(img[2], 1.5, 1e-5);  // 0.5 + 2 (2.0 - 0.5) / 3
  EXPECT_NEAR(img[3], 2.0, 1e-5);
  EXPECT_NEAR(img[cols + 0], 0.8, 1e-5);  // copied from its only neighbour
  EXPECT_NEAR(img[cols + 1], 0.8, 1e-5);
  EXPECT_EQ(pre.clamped_pixels(), 0u);
}

TEST(Preprocess, DeadRowInterpolatedFromAboveAndBelow) {
  TempDir dir;
  const int cols = 2, rows = 3;
  std::vector<float> flat = {1000, 1000, 0, 0, 1000, 1000};  // row 1 entirely dead (dark level 10)
  IntensitySpec spec;
  spec.dark_level = 10;
  spec.flat_files = {dir / "flat.tif"};
  voidscan::write_tiff_float(spec.flat_files[0], cols, rows, 1, flat.data());
  Preprocessor pre(spec, cols, rows);
  EXPECT_EQ(pre.dead_pixels(), 2);
  const std::vector<double> p = {1.0, 0.2, 0, 0, 3.0, 0.4};
  std::vector<float> img(p.size());
  for (size_t i = 0; i < p.size(); ++i) img[i] = raw_for(p[i], 10, 1000);
  pre.apply(img.data());
  EXPECT_NEAR(img[2], 2.0, 1e-5);
  EXPECT_NEAR(img[3], 0.3, 1e-5);
}

TEST(Preprocess, FlatFilesAveragedOverAllPages) {
  TempDir dir;
  const int cols = 2, rows = 1;
  const std::vector<float> two_pages = {800, 1600, 1200, 2400};  // pixel means over 3 pages: 1000, 2000
  const std::vector<float> one_page = {1000, 2000};
  IntensitySpec spec;
  spec.flat_files = {dir / "flat_a.tif", dir / "flat_b.tif"};
  voidscan::write_tiff_float(spec.flat_files[0], cols, rows, 2, two_pages.data());
  voidscan::write_tiff_float(spec.flat_files[1], cols, rows, 1, one_page.data());
  Preprocessor pre(spec, cols, rows);
  std::vector<float> img = {500, 500};
  pre.apply(img.data());
  EXPECT_FLOAT_EQ(img[0], float(std::log(2.0)));
  EXPECT_FLOAT_EQ(img[1], float(std::log(4.0)));
}

TEST(Preprocess, DarkFilesAveragedAndSubtracted) {
  TempDir dir;
  const std::vector<float> dark = {90, 110, 110, 90};  // two pages of 2 x 1: mean 100 each
  IntensitySpec spec = scalar_levels(1100, 0);
  spec.dark_files = {dir / "dark.tif"};
  voidscan::write_tiff_float(spec.dark_files[0], 2, 1, 2, dark.data());
  Preprocessor pre(spec, 2, 1);
  std::vector<float> img = {600, 200};
  pre.apply(img.data());
  EXPECT_FLOAT_EQ(img[0], float(std::log(2.0)));   // (600 - 100) / (1100 - 100)
  EXPECT_FLOAT_EQ(img[1], float(std::log(10.0)));  // (200 - 100) / 1000
}

TEST(Preprocess, WhiteLevelNotAboveDarkLevelRejected) {
  EXPECT_THROW(Preprocessor(scalar_levels(100, 100), 2, 2), InputError);
  EXPECT_THROW(Preprocessor(scalar_levels(50, 100), 2, 2), InputError);
  try {
    Preprocessor(scalar_levels(50, 100), 2, 2);
  } catch (const InputError& e) {
    EXPECT_NE(e.field().find("white_level"), std::string::npos);
  }
}

TEST(Preprocess, NoWayToNormaliseRejected) {
  EXPECT_THROW(Preprocessor(IntensitySpec{}, 2, 2), InputError);
}

TEST(Preprocess, FlatOfWrongSizeRejectedNamingTheFile) {
  TempDir dir;
  const std::vector<float> flat(8, 1000.0f);
  IntensitySpec spec;
  spec.flat_files = {dir / "flat_small.tif"};
  voidscan::write_tiff_float(spec.flat_files[0], 4, 2, 1, flat.data());
  try {
    Preprocessor pre(spec, 5, 2);
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(spec.flat_files[0].string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("expected 5 x 2, found 4 x 2"), std::string::npos) << e.what();
  }
}

TEST(Preprocess, AlreadyLogPassesThroughReplacingNaN) {
  IntensitySpec spec;
  spec.already_log = true;
  Preprocessor pre(spec, 3, 1);
  std::vector<float> img = {0.25f, -0.5f, std::numeric_limits<float>::quiet_NaN()};
  pre.apply(img.data());
  EXPECT_EQ(img, (std::vector<float>{0.25f, -0.5f, 0.0f}));
  EXPECT_EQ(pre.clamped_pixels(), 1u);
}
