// detect/match.*: the matching rule of docs/accuracy.md on hand-made lists, and truth.json
// reading with errors naming the field.
#include <gtest/gtest.h>

#include <fstream>

#include "detect/match.hpp"
#include "recon/error.hpp"
#include "support/temp_dir.hpp"

namespace voidscan::detect {
namespace {

constexpr double vox = 0.001;

TruthDefect tvoid(const std::string& id, Vec3 c, double d_vox, const std::string& die = "c0r0l0") {
  TruthDefect t;
  t.id = id;
  t.type = DefectType::underfill_void;
  t.die = die;
  t.centroid_mm = c;
  t.equivalent_diameter_mm = d_vox * vox;
  t.volume_mm3 = 3.14159 / 6 * std::pow(d_vox * vox, 3);
  return t;
}

Defect fvoid(Vec3 c, double d_vox, double vol, const std::string& die = "c0r0l0") {
  Defect f;
  f.type = DefectType::underfill_void;
  f.die = die;
  f.centroid_mm = c;
  f.equivalent_diameter_mm = d_vox * vox;
  f.volume_mm3 = vol;
  return f;
}

TEST(DetectMatch, VoidsWithinTheRadiusRuleMatchOneToOne) {
  std::vector<TruthDefect> t = {tvoid("T1", {0, 0, 0}, 4), tvoid("T2", {0.05, 0, 0}, 10), tvoid("T3", {0.1, 0, 0}, 2)};
  std::vector<Defect> f = {
      fvoid({0.0019, 0, 0}, 4, t[0].volume_mm3 * 1.1),         // within 2 voxels of T1
      fvoid({0.05 + 0.0035, 0, 0}, 10, t[1].volume_mm3 * 0.8),  // within 0.75 x 5 voxels of T2
      fvoid({0.0, 0.0021, 0}, 4, 1e-9),                         // duplicate near T1: a false positive
      fvoid({0.3, 0, 0}, 1, 1e-10),                             // too small to count either way
  };
  MatchParams p;
  p.voxel_mm = vox;
  const MatchResult r = match_defects(t, f, p);
  EXPECT_EQ(r.voids_true, 2);  // T3 (2 voxels) is out of scope
  EXPECT_EQ(r.voids_matched, 2);
  EXPECT_DOUBLE_EQ(r.void_recall, 1.0);
  EXPECT_EQ(r.voids_found, 3);
  EXPECT_EQ(r.voids_found_correct, 2);
  EXPECT_NEAR(r.void_precision, 2.0 / 3.0, 1e-12);
  ASSERT_EQ(r.false_positives.size(), 1u);
  EXPECT_EQ(r.false_positives[0], 2);
  EXPECT_NEAR(r.median_volume_error, 0.15, 1e-9);  // median of 0.1 and 0.2
  EXPECT_EQ(r.wrong_die, 0);
}

TEST(DetectMatch, TypeAndDieMatter) {
  std::vector<TruthDefect> t = {tvoid("T1", {0, 0, 0}, 5)};
  Defect wrong_type = fvoid({0, 0, 0}, 5, t[0].volume_mm3);
  wrong_type.type = DefectType::bump_void;
  MatchParams p;
  p.voxel_mm = vox;
  EXPECT_EQ(match_defects(t, {wrong_type}, p).voids_matched, 0);
  const MatchResult r = match_defects(t, {fvoid({0, 0, 0}, 5, t[0].volume_mm3, "c1r0l0")}, p);
  EXPECT_EQ(r.voids_matched, 1);
  EXPECT_EQ(r.wrong_die, 1);
}

TEST(DetectMatch, GapCentroidInsideTheGrownOutline) {
  TruthDefect g;
  g.id = "T1";
  g.type = DefectType::bond_gap;
  g.die = "c0r0l0";
  g.bbox_mm = {{0, 0, -0.0005}, {0.020, 0.010, 0.0005}};
  g.centroid_mm = {0.010, 0.005, 0};
  g.thickness_mm = 0.001;
  g.area_mm2 = 0.0002;
  Defect f;
  f.type = DefectType::bond_gap;
  f.die = "c0r0l0";
  f.centroid_mm = {0.021, 0.011, 0.0};  // outside the box, inside it grown by 2 voxels
  f.thickness_mm = 0.0012;
  f.area_mm2 = 0.00025;
  MatchParams p;
  p.voxel_mm = vox;
  MatchResult r = match_defects({g}, {f}, p);
  EXPECT_EQ(r.gaps_true, 1);
  EXPECT_EQ(r.gaps_matched, 1);
  EXPECT_NEAR(r.median_gap_thickness_error_voxels, 0.2, 1e-9);
  EXPECT_NEAR(r.median_gap_area_error, 0.25, 1e-9);
  f.centroid_mm = {0.0225, 0.005, 0.0};  // 2.5 voxels outside
  r = match_defects({g}, {f}, p);
  EXPECT_EQ(r.gaps_matched, 0);
  g.bbox_mm.max.y = 0.007;  // 7 voxels wide: out of scope
  EXPECT_EQ(match_defects({g}, {f}, p).gaps_true, 0);
}

TEST(DetectMatch, PoolSumsCountsAndTakesMediansOverAllPairs) {
  MatchResult a, b;
  a.voids_true = 3, a.voids_matched = 2, a.voids_found = 2, a.voids_found_correct = 2, a.volume_errors = {0.1, 0.3};
  b.voids_true = 1, b.voids_matched = 1, b.voids_found = 2, b.voids_found_correct = 1, b.volume_errors = {0.2};
  b.gaps_true = 2, b.gaps_matched = 1, b.gap_area_errors = {0.4}, b.gap_thickness_errors_voxels = {0.1};
  b.wrong_die = 1;
  const MatchResult r = pool({a, b});
  EXPECT_EQ(r.voids_true, 4);
  EXPECT_DOUBLE_EQ(r.void_recall, 0.75);
  EXPECT_DOUBLE_EQ(r.void_precision, 0.75);
  EXPECT_DOUBLE_EQ(r.median_volume_error, 0.2);
  EXPECT_DOUBLE_EQ(r.gap_recall, 0.5);
  EXPECT_DOUBLE_EQ(r.median_gap_area_error, 0.4);
  EXPECT_EQ(r.wrong_die, 1);
}

TEST(DetectMatch, ReadsTruthJsonAndNamesBadFields) {
  test::TempDir dir;
  const auto file = dir.path() / "truth.json";
  {
    std::ofstream(file) << R"({"schema": "voidscan.truth/1", "kind": "flip-chip", "seed": 7,
      "grid": {"size": [10, 10, 10], "voxel_mm": [0.001, 0.001, 0.001], "center_mm": [0, 0, 0]},
      "dies": [{"id": "c0r0l0", "index": [0, 0, 0], "bbox_mm": [[0, 0, 0], [1, 1, 1]], "interface_z_mm": [0, 0.012]}],
      "defects": [{"id": "T1", "type": "bump_void", "die": "c0r0l0", "centroid_mm": [1, 2, 3],
                   "bbox_mm": [[0, 0, 0], [1, 1, 1]], "volume_mm3": 1e-8, "equivalent_diameter_mm": 0.003,
                   "area_mm2": 7e-6, "bump": "c0r0l0/b3"}]})";
  }
  const Truth t = read_truth(file);
  EXPECT_EQ(t.kind, "flip-chip");
  EXPECT_EQ(t.seed, 7);
  EXPECT_DOUBLE_EQ(t.voxel_mm, 0.001);
  ASSERT_EQ(t.defects.size(), 1u);
  EXPECT_EQ(t.defects[0].type, DefectType::bump_void);
  EXPECT_EQ(t.defects[0].bump.value_or(""), "c0r0l0/b3");
  EXPECT_DOUBLE_EQ(t.dies[0].interface_z_mm[1], 0.012);
  { std::ofstream(file) << R"({"schema": "voidscan.truth/1", "kind": "x", "grid": {"voxel_mm": [1]}, "dies": [],
      "defects": [{"id": "T1", "type": "crack"}]})"; }
  try {
    (void)read_truth(file);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "defects[0].type");
  }
}

}  // namespace
}  // namespace voidscan::detect
