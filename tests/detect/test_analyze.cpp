// detect::analyze() on bad input and on the recipe's kind (issue 4), plus the structure it
// reports on a contract phantom: die ids/index/bbox, bump features, labels that carry the
// defect ids, partial-volume sizes independent of the threshold.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "detect/analyze.hpp"
#include "recon/error.hpp"
#include "support/blur.hpp"
#include "support/fdk_fixture.hpp"
#include "support/noise.hpp"
#include "support/package_phantoms.hpp"

namespace voidscan::detect {
namespace {

TEST(DetectAnalyze, EmptyVolumeIsAnInputError) {
  Volume v;
  EXPECT_THROW((void)analyze(v, Recipe{}, "empty.mha"), InputError);
  v.grid.nx = v.grid.ny = v.grid.nz = 4;
  v.grid.sx = v.grid.sy = v.grid.sz = 1;
  v.data.assign(64, 0.0f);
  EXPECT_THROW((void)analyze(v, Recipe{}, "flat.mha"), InputError);  // a single level: no object
}

TEST(DetectAnalyze, MissingSpacingIsAnInputError) {
  const auto s = test::flip_chip_sample(3, 0, 0);
  Volume v = test::render(s, 0.0, 1);
  v.grid.sz = 0;
  try {
    (void)analyze(v, Recipe{}, "v.mha");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "spacing");
    EXPECT_EQ(e.file(), "v.mha");
  }
  v.grid.sz = 0.001;
  v.data[5] = std::nanf("");
  EXPECT_THROW((void)analyze(v, Recipe{}, "v.mha"), InputError);
}

TEST(DetectAnalyze, RecipeKindTheVolumeDoesNotShowIsAnInputError) {
  const auto s = test::flip_chip_sample(3, 1, 1);
  const Volume v = test::render(s, 0.01, 1);
  Recipe r;
  r.kind = SampleKind::hybrid_bond;
  r.source = "recipe.yaml";
  try {
    (void)analyze(v, r, "v.mha");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "kind");
    EXPECT_EQ(e.file(), "recipe.yaml");
  }
  r.kind = SampleKind::flip_chip;
  EXPECT_EQ(analyze(v, r).kind, SampleKind::flip_chip);
  r.kind = SampleKind::generic;  // always possible: the whole object as P0
  const Analysis g = analyze(v, r);
  EXPECT_EQ(g.kind, SampleKind::generic);
  ASSERT_EQ(g.dies.size(), 1u);
  EXPECT_EQ(g.dies[0].id, "P0");
  for (const Defect& d : g.defects) EXPECT_EQ(d.type, DefectType::void_);
}

TEST(DetectAnalyze, FlipChipStructureAndLabels) {
  const auto s = test::flip_chip_sample(5, 2, 1);
  const Volume v = test::render(s, 0.01, 2);
  const Analysis a = analyze(v, Recipe{});
  ASSERT_EQ(a.dies.size(), 4u);
  for (const Die& d : a.dies) {
    const TruthDie* t = nullptr;
    for (const TruthDie& td : s.truth.dies)
      if (td.id == d.id) t = &td;
    ASSERT_NE(t, nullptr) << d.id;
    EXPECT_EQ(d.index, t->index);
    EXPECT_NEAR(d.bbox_mm.min.x, t->bbox_mm.min.x, 0.0015);
    EXPECT_NEAR(d.bbox_mm.max.y, t->bbox_mm.max.y, 0.0015);
    EXPECT_NEAR(d.bbox_mm.min.z, t->bbox_mm.min.z, 0.0015);
    EXPECT_NEAR(d.interface_area_mm2, 0.080 * 0.080, 0.1 * 0.080 * 0.080);
    EXPECT_EQ(d.features_mm.size(), 16u);  // 4 x 4 bumps
    for (const auto& f : d.features_mm) EXPECT_NEAR(f[2], 0.005, 0.001);  // bump radius 5 um
  }
  ASSERT_FALSE(a.defects.empty());
  ASSERT_EQ(a.labels.size(), v.data.size());
  for (const Defect& d : a.defects) {
    EXPECT_EQ(d.id, int(&d - a.defects.data()) + 1);
    // The labelled voxels of a defect lie within its bounding box.
    std::size_t n = 0;
    for (std::size_t q = 0; q < a.labels.size(); ++q) {
      if (a.labels[q] != d.id) continue;
      ++n;
      const int i = int(q % std::size_t(v.grid.nx)), j = int((q / std::size_t(v.grid.nx)) % std::size_t(v.grid.ny)),
                k = int(q / (std::size_t(v.grid.nx) * std::size_t(v.grid.ny)));
      const Vec3 p = v.grid.voxel_center(i, j, k);
      EXPECT_GE(p.x, d.bbox_mm.min.x);
      EXPECT_LE(p.z, d.bbox_mm.max.z);
    }
    EXPECT_GT(n, 0u);
    EXPECT_GT(d.sphericity, 0.0);
    EXPECT_LE(d.sphericity, 1.0);
    EXPECT_GT(d.cnr, 5.0);
    if (d.type == DefectType::bump_void) {
      ASSERT_TRUE(d.bump && d.bump_void_fraction);
      EXPECT_GT(*d.bump_void_fraction, 0.0);
      EXPECT_LT(*d.bump_void_fraction, 0.5);
    }
  }
}

// A low-attenuation object of one material (acrylic-like, 0.02 /mm) with a 2 mm hole, 32^3
// voxels of 0.25 mm, noise 0.001 /mm, no recipe: read as generic (no die structure), the hole
// one void of its size. Before the 4-sigma merge of histogram peaks, the 32k voxels' noise
// maxima around air became 7 classes and the object a two-die stack with 9 voids.
TEST(DetectAnalyze, OneMaterialObjectWithoutRecipeIsGeneric) {
  const Phantom p({{Cylinder{0, 0, 3.0, -2.0, 2.0}, 0.02}, {Sphere{{0.5, -0.5, 0}, 1.0}, 0.0}});
  Volume v;
  v.grid = test::cube_grid(32, 0.25);
  v.data = voxelize(p, v.grid, 3);
  test::add_gaussian_noise(v.data, 0.001, 5);
  const Analysis a = analyze(v, Recipe{});
  EXPECT_EQ(a.kind, SampleKind::generic);
  EXPECT_TRUE(a.fell_back_to_generic);
  ASSERT_EQ(a.defects.size(), 1u);
  EXPECT_EQ(a.defects[0].type, DefectType::void_);
  EXPECT_NEAR(a.defects[0].equivalent_diameter_mm, 2.0, 0.1);
}

TEST(DetectAnalyze, PartialVolumeSizeDoesNotDependOnTheThreshold) {
  // One 5 um sphere in underfill: the partial-volume volume stays within 10 % of the truth
  // whatever void threshold the recipe forces, where a voxel count would not.
  const auto s = test::flip_chip_sample(8, 0, 0);
  auto objs = s.objects;
  objs.push_back({Sphere{{-55e-3 + 10e-3, -55e-3 + 0.3e-3, 6.2e-3}, 2.5e-3}, 0.0});
  test::PackageSample one = s;
  one.objects = objs;
  const Volume v = test::render(one, 0.005, 3, 3);
  const double truth = 4.0 / 3.0 * M_PI * std::pow(2.5e-3, 3);
  for (double t : {0.03, 0.07, 0.10}) {
    Recipe r;
    r.detect.void_threshold = t;
    const Analysis a = analyze(v, r);
    ASSERT_EQ(a.defects.size(), 1u) << t;
    EXPECT_EQ(a.defects[0].type, DefectType::underfill_void);
    EXPECT_NEAR(a.defects[0].volume_mm3, truth, 0.1 * truth) << "threshold " << t;
  }
}

/// `d` is of `type`, on `die`, its centroid within half a voxel (0.5 um) of `c` on each axis.
void expect_defect_at(const Defect& d, DefectType type, const std::string& die, const Vec3& c) {
  EXPECT_EQ(d.type, type);
  EXPECT_EQ(d.die, die);
  EXPECT_NEAR(d.centroid_mm.x, c.x, 0.5e-3);
  EXPECT_NEAR(d.centroid_mm.y, c.y, 0.5e-3);
  EXPECT_NEAR(d.centroid_mm.z, c.z, 0.5e-3);
}

/// The symmetric 2 x 2-die flip chip (no planted defects) with spherical voids of `radius` mm
/// at `centres`, blurred as a reconstruction blurs (Gaussian, `sigma` voxels) with noise 0.01 /mm.
Volume blurred_flip_chip_with_voids(const std::vector<Vec3>& centres, double radius, double sigma) {
  test::PackageSample one = test::flip_chip_sample(8, 0, 0);
  for (const Vec3& c : centres) one.objects.push_back({Sphere{c, radius}, 0.0});
  Volume v = test::render(one, 0.0, 3, 3);
  const int n[3] = {v.grid.nx, v.grid.ny, v.grid.nz};
  const double s[3] = {sigma, sigma, sigma};
  test::gaussian_blur(v.data, n, s);
  test::add_gaussian_noise(v.data, 0.01, 4);
  return v;
}

/// One void of `radius` at `c` (die c0r0l0), blurred as the FDK blurs (sigma 0.8 voxel), is
/// found there at its volume within `tolerance` (relative); the same void at `c` and all its
/// `images` is not.
void expect_void_found_alone_not_with_images(const Vec3& c, const std::vector<Vec3>& images, double radius,
                                             double tolerance, const char* what) {
  const Analysis a = analyze(blurred_flip_chip_with_voids({c}, radius, 0.8), Recipe{});
  ASSERT_EQ(a.defects.size(), 1u);
  const Defect& d = a.defects[0];
  expect_defect_at(d, DefectType::underfill_void, "c0r0l0", c);
  const double truth = 4.0 / 3.0 * M_PI * std::pow(radius, 3);
  std::printf("blurred %.1f um void %s: volume %.1f um3 (truth %.1f), diameter %.2f um\n", 2e3 * radius, what,
              d.volume_mm3 * 1e9, truth * 1e9, d.equivalent_diameter_mm * 1e3);
  EXPECT_NEAR(d.volume_mm3, truth, tolerance * truth);

  std::vector<Vec3> all = images;
  all.push_back(c);
  const Analysis sym = analyze(blurred_flip_chip_with_voids(all, radius, 0.8), Recipe{});
  EXPECT_TRUE(sym.defects.empty()) << sym.defects.size() << " found";
}

/// The seven other images of an off-diagonal point (x, y, z) under the square's mirrors and
/// quarter turns about the package's centre (0, 0).
std::vector<Vec3> images_of(const Vec3& c) {
  std::vector<Vec3> images;
  for (const auto& [x, y] : std::vector<std::array<double, 2>>{{c.x, c.y}, {c.y, c.x}})
    for (const double sx : {-1.0, 1.0})
      for (const double sy : {-1.0, 1.0})
        if (sx * x != c.x || sy * y != c.y) images.push_back({sx * x, sy * y, c.z});
  return images;
}

constexpr double kSmallVoidRadius = 1.7e-3;  // 3.4 um: just over the 3-voxel cut, read under it

// A 3.4 um void in the underfill midway between four bumps, 9 um from their walls: its core
// dips to about half the fill's contrast, the threshold takes only its deepest voxels, and the
// partial-volume sum over them grown by one voxel reads it under the 3-voxel cut (no defect
// without the symmetric measure: checked by disabling it). Measured against its images under
// the bump array's symmetries it is found, at its volume within 25 % (19.5 um3 for 20.6; 17.5
// before the template was centred on the void's centroid rather than its voxel). The same
// void planted at all four of its images is what a residual artefact of the symmetric bump
// array looks like: nothing then tells it from the background, and nothing is found.
TEST(DetectAnalyze, BlurredSmallUnderfillVoidIsMeasuredAgainstItsSymmetricImages) {
  const Vec3 c{-55e-3, -55e-3, 6e-3};  // on the diagonal: its images are its three mirrors
  expect_void_found_alone_not_with_images(c, {{-c.x, c.y, c.z}, {c.x, -c.y, c.z}, {-c.x, -c.y, c.z}}, kSmallVoidRadius, 0.25,
                                          "between bumps");
}

// The same void with its centre 3 um from a bump's wall (a 1.3 um gap; 8 um from the axis of
// bump (-65, -65) um, radius 5 um): the bump reaches the ball the symmetric measure sums over.
// Bump voxels 2 or more voxels from its centre are left out of that measure (when any bump in
// the ball refused it, nothing was found: the void read 2.7 um; now 18.6 um3 for 20.6). Off
// the diagonal it has seven images, and all eight together are not found.
TEST(DetectAnalyze, BlurredSmallVoidNextToABumpIsMeasuredAgainstItsSymmetricImages) {
  const Vec3 c{-57e-3, -65e-3, 6e-3};
  expect_void_found_alone_not_with_images(c, images_of(c), kSmallVoidRadius, 0.25, "next to a bump");
}

// A 4 um void between bumps reads just over the cut by its own partial-volume sum (3.5 um:
// the blur's tails are outside the component grown by one voxel, docs/detection.md's known
// limits; hence 35 % here). Alone it is found. Planted at all eight of its images it is what
// the correction's residual dips look like (the same dip at every image, read over the cut):
// each reads under 0.6 of its volume against its images and none is found (all eight without
// that rule: checked by disabling it).
TEST(DetectAnalyze, VoidsJustOverTheCutAtAllTheirSymmetricImagesAreTakenForAnArtefact) {
  const Vec3 c{-55e-3, -75e-3, 6e-3};  // off the diagonal, 9 um from the four nearest bumps' walls
  expect_void_found_alone_not_with_images(c, images_of(c), 2.0e-3, 0.35, "between bumps, off the diagonal");
}

TEST(DetectAnalyze, BlurredBumpVoidAboveTheMetalThresholdIsFound) {
  // A 4 um void in the middle of a solder bump (27.7 /mm), blurred as a reconstruction blurs
  // (sigma 1 voxel): its centre reads ~7 /mm, far above the metal threshold, so only its depth
  // below the enclosing solder (grayscale hole filling) finds it. Asking for a dip of 90 % of
  // the solder contrast finds nothing: the parameter is what decides.
  const Vec3 c{-55e-3 - 10e-3, -55e-3 - 10e-3, 4.5e-3};  // bump (1, 1) of die c0r0l0
  const Volume v = blurred_flip_chip_with_voids({c}, 2e-3, 1.0);
  const double truth = 4.0 / 3.0 * M_PI * std::pow(2e-3, 3);

  const Analysis a = analyze(v, Recipe{});
  ASSERT_EQ(a.defects.size(), 1u);
  const Defect& d = a.defects[0];
  expect_defect_at(d, DefectType::bump_void, "c0r0l0", c);
  // Its size is underestimated (measured: 0.53 x the truth): the partial-volume sum over the
  // component grown by one voxel misses the blur's tails, and 3 voxels from the bump's wall
  // the ring that gives the host level is blurred too. docs/accuracy.md says so.
  EXPECT_GT(d.volume_mm3, 0.4 * truth);
  EXPECT_LT(d.volume_mm3, 1.0 * truth);
  ASSERT_TRUE(d.bump_void_fraction);
  EXPECT_GT(*d.bump_void_fraction, 0.0);

  Recipe strict;
  strict.detect.bump_void_depth_fraction = 0.9;
  EXPECT_TRUE(analyze(v, strict).defects.empty());
}

}  // namespace
}  // namespace voidscan::detect
