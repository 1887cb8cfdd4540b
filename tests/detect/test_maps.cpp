// Defect maps read back from the PNG: image sizes as designed, each defect's type colour at
// the pixel of its centroid, the die fill, the faint pads and the background where nothing
// is drawn, the overview's pass/fail colours per die and per layer.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "detect/maps.hpp"
#include "detect/report.hpp"
#include "recon/error.hpp"
#include "support/temp_dir.hpp"

namespace voidscan::detect {
namespace {

namespace fs = std::filesystem;

Defect defect(int id, DefectType t, const std::string& die, double x, double y, double area, double w, double h) {
  Defect f;
  f.id = id;
  f.type = t;
  f.die = die;
  f.centroid_mm = {x, y, 0.05};
  f.bbox_mm = {{x - w / 2, y - h / 2, 0.04}, {x + w / 2, y + h / 2, 0.06}};
  f.area_mm2 = area;
  f.equivalent_diameter_mm = 0.01;
  return f;
}

/// A 2 mm x 1 mm die at x in [1, 3], y in [-1, 0], with a pad and one defect of each type.
Analysis die_with_defects() {
  Analysis a;
  a.grid = {10, 10, 10, 0.01, 0.01, 0.01, {}};
  Die d;
  d.id = "c0r0l0";
  d.bbox_mm = {{1.0, -1.0, 0.0}, {3.0, 0.0, 0.1}};
  d.interface_area_mm2 = 2.0;
  d.features_mm = {{2.5, -0.25, 0.05}};
  a.dies.push_back(d);
  a.defects.push_back(defect(1, DefectType::underfill_void, "c0r0l0", 1.4, -0.3, 0.01, 0.12, 0.1));
  a.defects.push_back(defect(2, DefectType::bump_void, "c0r0l0", 1.8, -0.7, 0.004, 0.07, 0.07));
  a.defects.push_back(defect(3, DefectType::bond_gap, "c0r0l0", 2.3, -0.6, 0.02, 0.3, 0.08));
  a.defects.push_back(defect(4, DefectType::void_, "c0r0l0", 2.7, -0.8, 0.0, 0.002, 0.002));  // tiny: min size
  return a;
}

std::array<int, 2> pixel(const MapFrame& f, double x, double y) {
  const auto p = f.to_pixel(x, y);
  return {int(std::floor(p[0])), int(std::floor(p[1]))};
}

::testing::AssertionResult colour_at(const RgbImage& img, std::array<int, 2> p, Rgb want) {
  const Rgb got = img.at(p[0], p[1]);
  if (got == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "pixel (" << p[0] << ", " << p[1] << ") is (" << int(got.r) << ", "
                                       << int(got.g) << ", " << int(got.b) << "), expected (" << int(want.r) << ", "
                                       << int(want.g) << ", " << int(want.b) << ")";
}

TEST(Maps, FrameFitsTheDieInThePlotArea) {
  const Analysis a = die_with_defects();
  const MapFrame f = die_map_frame(a.dies[0]);
  // the longer side (2 mm) spans the plot minus 6 % padding each side
  EXPECT_NEAR(f.scale_px_per_mm, kDieMapPlot / (2.0 * 1.12), 1e-9);
  const auto centre = f.to_pixel(2.0, -0.5);
  const auto corner = f.to_pixel(3.0, 0.0);  // x right, y up
  EXPECT_NEAR(corner[0] - centre[0], f.scale_px_per_mm, 1e-9);
  EXPECT_NEAR(corner[1] - centre[1], -0.5 * f.scale_px_per_mm, 1e-9);
}

TEST(Maps, DieMapShowsEachDefectInItsColourAtItsPlace) {
  test::TempDir dir;
  Analysis a = die_with_defects();
  apply_verdicts(a, Criteria{});
  write_die_map(dir / "die.png", a, a.dies[0]);
  const RgbImage img = read_png(dir / "die.png");
  EXPECT_EQ(img.width, kDieMapWidth);
  EXPECT_EQ(img.height, kDieMapHeight);
  const MapFrame f = die_map_frame(a.dies[0]);
  for (const Defect& d : a.defects)
    EXPECT_TRUE(colour_at(img, pixel(f, d.centroid_mm.x, d.centroid_mm.y), defect_colour(d.type))) << "defect " << d.id;

  // Footprint size: the underfill void's ellipse has the bbox aspect (1.2 : 1) and 0.01 mm^2:
  // semi-axes 0.0618 x 0.0515 mm -> inside at 85 % of a semi-axis, outside at 115 %.
  const double k = std::sqrt(0.01 / (3.14159265358979 * 0.12 * 0.1 / 4));
  const double ax = k * 0.06, ay = k * 0.05;
  EXPECT_TRUE(colour_at(img, pixel(f, 1.4 + 0.85 * ax, -0.3), defect_colour(DefectType::underfill_void)));
  EXPECT_TRUE(colour_at(img, pixel(f, 1.4, -0.3 + 0.85 * ay), defect_colour(DefectType::underfill_void)));
  EXPECT_TRUE(colour_at(img, pixel(f, 1.4 - 1.15 * ax, -0.3), kDieFill));
  EXPECT_TRUE(colour_at(img, pixel(f, 1.4, -0.3 - 1.15 * ay), kDieFill));

  // die area away from defects, the faint pad, outside the die
  EXPECT_TRUE(colour_at(img, pixel(f, 1.2, -0.9), kDieFill));
  EXPECT_TRUE(colour_at(img, pixel(f, 2.5, -0.25), kFeatureFill));
  EXPECT_TRUE(colour_at(img, pixel(f, 2.0, 0.25), kMapBackground));   // above the die
  EXPECT_TRUE(colour_at(img, pixel(f, 2.0, -1.25), kMapBackground));  // below the die
}

TEST(Maps, DefectsOfOtherDiesAreNotDrawn) {
  test::TempDir dir;
  Analysis a = die_with_defects();
  Die other = a.dies[0];
  other.id = "c1r0l0";
  a.dies.push_back(other);  // same place (a second layer, say)
  a.defects[0].die = "c1r0l0";
  write_die_map(dir / "die.png", a, a.dies[0]);
  const RgbImage img = read_png(dir / "die.png");
  const MapFrame f = die_map_frame(a.dies[0]);
  EXPECT_TRUE(colour_at(img, pixel(f, 1.4, -0.3), kDieFill));
}

TEST(Maps, OverviewColoursEveryDieByItsVerdict) {
  test::TempDir dir;
  Analysis a;
  a.grid = {10, 10, 10, 0.01, 0.01, 0.01, {}};
  // 2 x 2 dies of 1 mm at a 1.5 mm pitch on layer 0, one die on layer 1
  for (int i = 0; i < 5; ++i) {
    Die d;
    const int col = i % 2, row = (i / 2) % 2, layer = i / 4;
    d.id = "c" + std::to_string(col) + "r" + std::to_string(row) + "l" + std::to_string(layer);
    d.index = {col, row, layer};
    d.bbox_mm = {{1.5 * col, 1.5 * row, 0.1 * layer}, {1.5 * col + 1, 1.5 * row + 1, 0.1 * layer + 0.05}};
    d.interface_area_mm2 = 1;
    a.dies.push_back(d);
  }
  a.defects.push_back(defect(1, DefectType::underfill_void, "c1r0l0", 2.0, 0.5, 0.2, 0.5, 0.5));  // 20 %: fails
  a.defects.push_back(defect(2, DefectType::underfill_void, "c0r0l1", 0.5, 0.5, 0.3, 0.5, 0.5));  // fails
  a.defects.push_back(defect(3, DefectType::underfill_void, "c0r1l0", 0.5, 2.0, 0.01, 0.1, 0.1));  // 1 %: passes
  apply_verdicts(a, Criteria{});
  write_overview_map(dir / "overview.png", a);
  const RgbImage img = read_png(dir / "overview.png");
  const OverviewLayout o = overview_layout(a);
  ASSERT_EQ(o.layers, (std::vector<int>{0, 1}));
  EXPECT_EQ(img.width, o.width);
  EXPECT_EQ(img.height, o.height);
  EXPECT_EQ(o.width, 30 + 2 * (kOverviewPanel + 30));
  for (const Die& d : a.dies) {
    const MapFrame& f = o.panels[size_t(d.index[2])];
    // a point inside the die, away from its centred label
    const auto p = pixel(f, d.bbox_mm.min.x + 0.15, d.bbox_mm.min.y + 0.15);
    EXPECT_TRUE(colour_at(img, p, d.pass ? kPassFill : kFailFill)) << d.id;
  }
  EXPECT_FALSE(a.dies[1].pass);
  EXPECT_FALSE(a.dies[4].pass);
  EXPECT_TRUE(a.dies[2].pass);
  // between the dies (the 0.5 mm street) and on layer 1 where layer 0's other dies are
  EXPECT_TRUE(colour_at(img, pixel(o.panels[0], 1.25, 0.5), kMapBackground));
  EXPECT_TRUE(colour_at(img, pixel(o.panels[1], 2.0, 2.0), kMapBackground));
}

TEST(Maps, WriteMapsNamesEveryDie) {
  test::TempDir dir;
  Analysis a = die_with_defects();
  a.dies[0].id = "P0";
  for (auto& d : a.defects) d.die = "P0";
  apply_verdicts(a, Criteria{});
  write_maps(dir / "maps", a);
  EXPECT_TRUE(fs::is_regular_file(dir / "maps" / "die_P0.png"));
  EXPECT_TRUE(fs::is_regular_file(dir / "maps" / "overview.png"));
  Die odd;
  odd.id = "a/b c";
  EXPECT_EQ(die_map_name(odd), "die_a_b_c.png");
}

TEST(Maps, ReadPngNamesABadFile) {
  test::TempDir dir;
  std::ofstream(dir / "x.png") << "not a png";
  EXPECT_THROW((void)read_png(dir / "x.png"), InputError);
}

}  // namespace
}  // namespace voidscan::detect
