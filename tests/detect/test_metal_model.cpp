// Metal streak subtraction: detect/metal_model (the fitted cylinders) and recon/metal_streaks
// (the model's own FDK error taken away) on a planted bump array: 4 x 4 SnAg bumps (radius
// 5 um, pitch 20 um, 9 um of solder under 3 um Cu pillars) in an underfill slab under a Si
// die, with an air void between bumps, 1 um voxels at magnification 100, projected exactly (2 x 2 rays per
// pixel), 360 views, FDK with the Hann window, Gaussian noise 0.01 /mm. Asserts:
//   - the model: one column per bump, centres within 0.15 voxel and radii within 0.25 voxel of
//     the planted ones; after the z deblurring its reconstructed content matches the volume's
//     plane by plane within 6 % of the column's largest (measured 4.4 %);
//   - the fill between the bumps (>= 3 voxels from metal): its spread (robust sigma) falls by
//     at least 5x, to at most 2x the noise (measured 2026-11-28: 0.113 -> 0.017 /mm, noise 0.010);
//   - the planted void's centre against the same package reconstructed without its bumps:
//     within 0.08 /mm (achieved 0.060: a known limit, see the assertion) and below the fill.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "detect/metal_model.hpp"
#include "recon/metal_streaks.hpp"
#include "sim/projector.hpp"
#include "support/fdk_fixture.hpp"
#include "support/noise.hpp"

namespace voidscan {
namespace {

constexpr double kUm = 1e-3;
constexpr double kFill = 0.14, kSi = 0.335, kSolder = 27.7, kCu = 8.87, kNoise = 0.01;
constexpr double kRadius = 5 * kUm, kPitch = 20 * kUm;
constexpr double kZ0 = -4.5 * kUm, kZSolder = 4.5 * kUm, kZ1 = 7.5 * kUm;  // solder [kZ0, kZSolder], Cu above
const Vec3 kVoid{0.0, 0.0, 0.0};  // between the four central bumps
constexpr double kVoidRadius = 3 * kUm;

double robust_sigma(std::vector<double> v) {
  auto med = [](std::vector<double> x) {
    std::nth_element(x.begin(), x.begin() + long(x.size() / 2), x.end());
    return x[x.size() / 2];
  };
  const double m = med(v);
  for (double& x : v) x = std::abs(x - m);
  return 1.4826 * med(v);
}

/// The planted package: underfill slab, Si die, 4 x 4 bumps (solder under Cu), the air void
/// between the central bumps, and optionally a void of `bump_void_radius` inside bump `bump`
/// at `bump_void` from its axis.
struct BumpArray {
  std::vector<Vec3> bumps;
  std::vector<Object> objects;
  explicit BumpArray(int bump = -1, Vec3 bump_void = {}, double bump_void_radius = 0) {
    objects.push_back({Box{{-40 * kUm, -40 * kUm, -6 * kUm}, {40 * kUm, 40 * kUm, 9 * kUm}}, kFill});
    objects.push_back({Box{{-40 * kUm, -40 * kUm, 7.5 * kUm}, {40 * kUm, 40 * kUm, 14 * kUm}}, kSi});  // the die
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b) bumps.push_back({(a - 1.5) * kPitch, (b - 1.5) * kPitch, 0});
    for (const Vec3& c : bumps) {
      objects.push_back({Cylinder{c.x, c.y, kRadius, kZ0, kZSolder}, kSolder});
      objects.push_back({Cylinder{c.x, c.y, kRadius, kZSolder, kZ1}, kCu});
    }
    objects.push_back({Sphere{kVoid, kVoidRadius}, 0.0});
    if (bump >= 0) objects.push_back({Sphere{bumps[std::size_t(bump)] + bump_void, bump_void_radius}, 0.0});
  }
};

/// The scan: magnification 100, 360 views, 1 um voxels; FDK with the Hann window on the CPU.
struct Scanner {
  Geometry geometry;
  VolumeGrid grid;
  FdkParams params;
  Scanner() {
    CircularSpec spec;
    spec.sod_mm = 5;
    spec.sdd_mm = 500;
    for (int i = 0; i < 360; ++i) spec.angles_deg.push_back(i * 1.0);
    geometry = expand_circular({132, 26, 0.1, 0.1}, spec);
    grid.nx = grid.ny = 88;
    grid.nz = 24;
    grid.sx = grid.sy = grid.sz = kUm;
    grid.center = {0, 0, 3.5 * kUm};
    params.device = Device::cpu;
    params.window = FilterWindow::hann;
  }
  /// As a detector sees it: the mean transmission over 2 x 2 rays per pixel, then its log (the
  /// simulator's projector, noise-free), reconstructed.
  [[nodiscard]] Volume scan(const Phantom& ph) const {
    std::vector<float> proj(geometry.views.size() * std::size_t(geometry.detector.rows * geometry.detector.cols));
    sim::SimulateParams sp;
    sp.supersample = 2;
    const auto projector = sim::make_projector(Device::cpu, ph, geometry.detector, sp);
    const std::size_t view_size = std::size_t(geometry.detector.rows * geometry.detector.cols);
    for (std::size_t v = 0; v < geometry.views.size(); ++v) {
      projector->view(geometry.views[v], proj.data() + v * view_size);
      for (std::size_t q = 0; q < view_size; ++q) proj[v * view_size + q] = -std::log(proj[v * view_size + q]);
    }
    MemoryProjections provider(proj.data(), geometry.detector.rows, geometry.detector.cols);
    Volume out{grid, std::vector<float>(grid.voxel_count())};
    reconstruct_fdk(geometry, provider, grid, params, out.data.data());
    return out;
  }
};

TEST(MetalStreaks, FittedBumpModelTakesTheStreaksAwayAndKeepsTheVoid) {
  const BumpArray package;
  const std::vector<Vec3>& bumps = package.bumps;
  const Phantom phantom(package.objects);
  std::vector<Object> no_metal;  // the same package without its bumps: the streak-free reference
  for (const Object& ob : package.objects)
    if (ob.mu < 1.0) no_metal.push_back(ob);
  const Scanner scanner;
  const Geometry& geometry = scanner.geometry;
  const VolumeGrid& grid = scanner.grid;
  const FdkParams& params = scanner.params;
  auto scan_of = [&](const Phantom& ph) { return scanner.scan(ph); };
  Volume vol = scan_of(phantom);
  const double void_ref = test::value_at(scan_of(Phantom(no_metal)).data, grid, kVoid);
  test::add_gaussian_noise(vol.data, kNoise, 7);

  // The model: a column per bump, at its place and of its radius.
  const detect::MetalModel model = detect::fit_metal_model(vol);
  EXPECT_NEAR(model.fill_level, kFill, 0.03);
  EXPECT_EQ(model.columns.size(), bumps.size());
  for (const MetalColumn& c : model.columns) {
    double best = 1e9;
    for (const Vec3& b : bumps) best = std::min(best, std::hypot(c.center_x_mm - b.x, c.center_y_mm - b.y));
    EXPECT_LT(best, 0.15 * kUm);
    EXPECT_NEAR(c.radius_mm, kRadius, 0.25 * kUm);
  }

  // The fill between the bumps, before and after.
  auto fill_spread = [&](const Volume& v) {
    std::vector<double> vals;
    for (int k = 0; k < grid.nz; ++k)
      for (int j = 0; j < grid.ny; ++j)
        for (int i = 0; i < grid.nx; ++i) {
          const Vec3 p = grid.voxel_center(i, j, k);
          if (p.z < kZ0 + 1.5 * kUm || p.z > kZSolder - 1.5 * kUm || std::abs(p.x) > 35 * kUm || std::abs(p.y) > 35 * kUm)
            continue;
          double dmin = 1e9;
          for (const Vec3& b : bumps) dmin = std::min(dmin, std::hypot(p.x - b.x, p.y - b.y) - kRadius);
          if (dmin >= 3 * kUm && norm(p - kVoid) > kVoidRadius + 3 * kUm) vals.push_back(v.data[(std::size_t(k) * grid.ny + j) * grid.nx + i]);
        }
    return robust_sigma(vals);
  };
  const double before = fill_spread(vol);
  const double void_before = test::value_at(vol.data, grid, kVoid);
  {  // a model held to a content error it does not reach: the volume is left as it is
    Volume untouched = vol;
    const MetalStreakReport refused = subtract_metal_streaks(geometry, params, model.columns, untouched, 2, 0.0);
    EXPECT_FALSE(refused.applied);
    EXPECT_GT(refused.content_error, 0.0);
    EXPECT_EQ(untouched.data, vol.data);
  }
  const MetalStreakReport report = subtract_metal_streaks(geometry, params, model.columns, vol);
  EXPECT_TRUE(report.applied);
  const double after = fill_spread(vol);
  const double void_after = test::value_at(vol.data, grid, kVoid);
  std::printf("fill spread between the bumps: %.4f /mm before, %.4f after (noise %.3f); void centre %.3f -> %.3f /mm "
              "(without the bumps %.3f); %d columns, content error %.3f, %.1f s\n",
              before, after, kNoise, void_before, void_after, void_ref, report.columns, report.content_error,
              report.seconds);
  EXPECT_LT(report.content_error, 0.06);
  EXPECT_GE(before, 5 * after);
  EXPECT_LE(after, 2 * kNoise);
  // The void against the same package reconstructed without its bumps: measured 2026-11-28,
  // raw -0.042 /mm off, corrected +0.060 off (the model's residual error at the centre of the
  // array, where every bump's streaks meet, exceeds the raw streak there). Asserted as achieved
  // (a known limit, docs/accuracy.md): the void stays clearly below the fill.
  EXPECT_NEAR(void_after, void_ref, 0.08);
  EXPECT_LT(void_after, kFill - 0.05);
}

// An HBM-like column: 4 x 4 solder bumps (r 4 um) in an NCF tier, each on a Cu TSV (r 2 um)
// through the Si die above. The model must give each part its radius (one radius per column
// gave every TSV plane the bump's and took the die's Si as metal: the corrected die darkened,
// its 10th percentile 0.28 -> 0.11 /mm on the HBM preset) and keep the column continuous where
// the radius changes. Asserts: 16 columns holding their TSVs, the bump planes' radius within
// 0.3 um of 4, the TSV planes' within 0.5 um of 2; the correction applied; the NCF between the
// bumps (>= 3 um from them) no more spread than 2 x the noise after and at least 2 x less than
// before. Measured 2026-11-28: TSV radius 1.60 um (its level is the histogram's Cu peak, which
// thin blurred TSVs lift: the content is right, its split into level and radius is not), NCF
// spread 0.106 -> 0.016 /mm, and the die's Si 0.029 -> 0.038 /mm (one radius: 0.042): the
// correction does not yet clean the TSVs' own streaks in the Si (bounded at 1.5 x; a known
// limit, docs/accuracy.md).
TEST(MetalStreaks, BumpOnTsvColumnsTakeARadiusPerPart) {
  constexpr double kBumpR = 4 * kUm, kTsvR = 2 * kUm, kZTier = -4.5 * kUm, kZDie = 1.5 * kUm, kZTop = 14 * kUm;
  std::vector<Object> objects;
  objects.push_back({Box{{-40 * kUm, -40 * kUm, -6 * kUm}, {40 * kUm, 40 * kUm, kZDie}}, kFill});  // the tier (NCF)
  objects.push_back({Box{{-40 * kUm, -40 * kUm, kZDie}, {40 * kUm, 40 * kUm, kZTop}}, kSi});      // the die
  std::vector<Vec3> axes;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) axes.push_back({(a - 1.5) * kPitch, (b - 1.5) * kPitch, 0});
  for (const Vec3& c : axes) {
    objects.push_back({Cylinder{c.x, c.y, kBumpR, kZTier, kZDie}, kSolder});
    objects.push_back({Cylinder{c.x, c.y, kTsvR, kZDie, kZTop}, 9.8});  // Cu at the HBM preset's level
  }
  const Scanner scanner;
  const VolumeGrid& grid = scanner.grid;
  Volume vol = scanner.scan(Phantom(objects));
  test::add_gaussian_noise(vol.data, kNoise, 5);
  const detect::MetalModel model = detect::fit_metal_model(vol);
  ASSERT_EQ(model.columns.size(), axes.size());
  for (const MetalColumn& c : model.columns) {
    int tsv_planes = 0;
    for (std::size_t p = 0; p < c.mu.size(); ++p) {
      const double z = grid.voxel_center(0, 0, double(c.k0 + int(p))).z;
      if (!(c.mu[p] > 0)) continue;
      if (z > kZTier + 1.5 * kUm && z < kZDie - 1.5 * kUm) EXPECT_NEAR(plane_radius_mm(c, p), kBumpR, 0.3 * kUm) << z;
      if (z > kZDie + 1.5 * kUm && z < kZTop - 1.5 * kUm) {
        EXPECT_NEAR(plane_radius_mm(c, p), kTsvR, 0.5 * kUm) << z;
        ++tsv_planes;
      }
    }
    EXPECT_GE(tsv_planes, 8) << "the TSV is part of the column";
  }
  // Spread of a layer's voxels at least `clear` from every column's metal, in planes [z0, z1].
  auto spread = [&](const Volume& v, double z0, double z1, double r, double clear) {
    std::vector<double> vals;
    for (int k = 0; k < grid.nz; ++k)
      for (int j = 0; j < grid.ny; ++j)
        for (int i = 0; i < grid.nx; ++i) {
          const Vec3 q = grid.voxel_center(i, j, k);
          if (q.z < z0 || q.z > z1 || std::abs(q.x) > 35 * kUm || std::abs(q.y) > 35 * kUm) continue;
          double dmin = 1e9;
          for (const Vec3& c : axes) dmin = std::min(dmin, std::hypot(q.x - c.x, q.y - c.y) - r);
          if (dmin >= clear) vals.push_back(v.data[(std::size_t(k) * grid.ny + j) * grid.nx + i]);
        }
    return robust_sigma(vals);
  };
  const double si_before = spread(vol, kZDie + 1.5 * kUm, kZTop - 1.5 * kUm, kTsvR, 2.5 * kUm);
  const double ncf_before = spread(vol, kZTier + 1.5 * kUm, kZDie - 1.5 * kUm, kBumpR, 3 * kUm);
  const MetalStreakReport report = subtract_metal_streaks(scanner.geometry, scanner.params, model.columns, vol);
  EXPECT_TRUE(report.applied) << report.content_error;
  const double si_after = spread(vol, kZDie + 1.5 * kUm, kZTop - 1.5 * kUm, kTsvR, 2.5 * kUm);
  const double ncf_after = spread(vol, kZTier + 1.5 * kUm, kZDie - 1.5 * kUm, kBumpR, 3 * kUm);
  std::printf("bump-on-TSV columns: Si spread %.4f -> %.4f /mm, NCF spread %.4f -> %.4f (noise %.3f); content error "
              "%.3f\n",
              si_before, si_after, ncf_before, ncf_after, kNoise, report.content_error);
  EXPECT_LE(si_after, 1.5 * si_before);
  EXPECT_LE(ncf_after, 2 * kNoise);
  EXPECT_GE(ncf_before, 2 * ncf_after);
}

/// The lowest value of `v` 1.5-4 voxels outside the wall of the bump of `radius` centred at
/// `bump` (x, y), in its planes [z0, z1] clear of its faces by 1.5 um (by default the planted
/// array's solder).
double lowest_beside_bump(const Volume& v, const Vec3& bump, double radius = kRadius, double z0 = kZ0,
                          double z1 = kZSolder) {
  const VolumeGrid& grid = v.grid;
  double lo = 1e9;
  for (int k = 0; k < grid.nz; ++k)
    for (int j = 0; j < grid.ny; ++j)
      for (int i = 0; i < grid.nx; ++i) {
        const Vec3 p = grid.voxel_center(i, j, k);
        if (p.z < z0 + 1.5 * kUm || p.z > z1 - 1.5 * kUm) continue;
        const double d = std::hypot(p.x - bump.x, p.y - bump.y) - radius;
        if (d >= 1.5 * kUm && d <= 4 * kUm) lo = std::min(lo, double(v.data[(std::size_t(k) * grid.ny + j) * grid.nx + i]));
      }
  return lo;
}

/// The planted array with a void of `void_radius` in bump `bump` at `offset` from its axis,
/// scanned, with noise (seed `noise_seed`), and the metal model fitted to it.
struct VoidedBumpScan {
  BumpArray package;
  Scanner scanner;
  Volume vol;
  detect::MetalModel model;
  VoidedBumpScan(int bump, Vec3 offset, double void_radius, unsigned noise_seed)
      : package(bump, offset, void_radius), vol(scanner.scan(Phantom(package.objects))) {
    test::add_gaussian_noise(vol.data, kNoise, noise_seed);
    model = detect::fit_metal_model(vol);
  }
};

// A void inside a bump (radius 2 um, 1.5 um off the axis of one bump) is a hole in metal 200 x
// denser than the fill: the model must cut it out of its discs (and not let it pull the disc
// centre, whose error would leave a crescent beside the bump). Asserts: one modelled void, in
// that bump, centre within 1 voxel and equivalent radius within 35 % of the planted, the bump's
// column centred within 0.15 voxel; after the subtraction the lowest fill 1.5-4 voxels outside
// that bump's wall (solder planes) at least 0.1 /mm higher than raw.
TEST(MetalStreaks, VoidInABumpIsModelled) {
  constexpr int kBump = 5;  // an inner bump: (-0.5, -0.5) pitches
  const Vec3 offset{1.5 * kUm, 0, 0};
  constexpr double kBumpVoidRadius = 2 * kUm;
  VoidedBumpScan s(kBump, offset, kBumpVoidRadius, 11);
  const BumpArray& package = s.package;
  const Scanner& scanner = s.scanner;
  Volume& vol = s.vol;
  const detect::MetalModel& model = s.model;
  const Vec3 centre = package.bumps[kBump] + offset;
  int voids = 0;
  for (const MetalColumn& c : model.columns)
    for (const MetalVoid& h : c.voids) {
      ++voids;
      EXPECT_LT(norm(h.center_mm - centre), 1.0 * kUm);
      EXPECT_NEAR(h.radius_mm, kBumpVoidRadius, 0.35 * kBumpVoidRadius);
      EXPECT_LT(std::hypot(c.center_x_mm - package.bumps[kBump].x, c.center_y_mm - package.bumps[kBump].y), 0.15 * kUm);
    }
  EXPECT_EQ(voids, 1);
  const VolumeGrid& grid = scanner.grid;
  auto lowest_beside = [&](const Volume& v, int b) { return lowest_beside_bump(v, package.bumps[std::size_t(b)]); };
  constexpr int kIntact = 10;  // the inner bump opposite, no void
  std::vector<MetalColumn> without = model.columns;  // the same model, the void not cut out
  for (MetalColumn& c : without) c.voids.clear();
  Volume vol_without = vol;
  (void)subtract_metal_streaks(scanner.geometry, scanner.params, without, vol_without);
  const double raw = lowest_beside(vol, kBump), raw_centre = test::value_at(vol.data, grid, centre);
  const MetalStreakReport report = subtract_metal_streaks(scanner.geometry, scanner.params, model.columns, vol);
  const double after = lowest_beside(vol, kBump), intact = lowest_beside(vol, kIntact),
               no_void_model = lowest_beside(vol_without, kBump);
  const double centre_after = test::value_at(vol.data, grid, centre),
               centre_without = test::value_at(vol_without.data, grid, centre);
  const double true_void_mm3 = 4.0 / 3.0 * std::numbers::pi * std::pow(kBumpVoidRadius, 3);
  std::printf("bump void centre (air, 0 /mm): raw %.2f /mm, corrected %.2f (%.2f without the void in the model); fill "
              "beside that bump, lowest: raw %.3f, corrected %.3f (%.3f without), beside an intact bump %.3f; modelled "
              "void %.1f um3 (true %.1f)\n",
              raw_centre, centre_after, centre_without, raw, after, no_void_model, intact, report.void_volume_mm3 * 1e9,
              true_void_mm3 * 1e9);
  // Measured 2026-11-28 (fifth session): beside the bump the lowest fill goes from -0.260 /mm (a
  // crescent that reads as an underfill void) to 0.090 (beside an intact bump 0.096); the void's
  // centre from 3.35 /mm to 0.10 (air is 0; 0.093 and 0.03 before the column's radius was taken
  // again with the void's interior filled, MetalStreaks.LargeVoidInABumpIsSizedWhole). The void's
  // model takes its volume from the column's content balance: 34.1 um3 for 33.5 (re-measured in the
  // sixth session; 33.7 when this was written); the column's centre takes one Gauss-Newton step
  // against the volume. Before both (the volume of the dip measured in the reconstruction, 21
  // voxels, which misses the blur's tails; the centre pulled by the void): beside 0.005 and the
  // centre overshot to -3.3; with the balance alone, beside 0.058.
  EXPECT_NEAR(report.void_volume_mm3, true_void_mm3, 0.15 * true_void_mm3);
  EXPECT_NEAR(centre_after, 0.0, 0.5);
  EXPECT_GT(after, intact - 0.02);
  EXPECT_GT(after, raw + 0.1);
}

// A void filling most of its bump (radius 3 um in a 5 um bump, 0.5 um off the axis): the dip of
// detect/metal_model.cpp is measured against its planes' interior median, which is the void's
// own, and the void's cap reaches the plane of most content the radius came from (r 4.85 for
// 5), so the content balance, over discs too small, gave 72 um3 for 113 and streaks were left
// beside the bump. Asserts: one modelled void, the column's radius within 0.1 um, the void's
// volume within 15 %, and after the subtraction the lowest fill beside that bump within
// 0.03 /mm of the lowest beside an intact bump.
TEST(MetalStreaks, LargeVoidInABumpIsSizedWhole) {
  constexpr int kBump = 5;
  const Vec3 offset{0.5 * kUm, 0, 0};
  constexpr double kBumpVoidRadius = 3.0 * kUm;
  VoidedBumpScan s(kBump, offset, kBumpVoidRadius, 12);
  const BumpArray& package = s.package;
  const Scanner& scanner = s.scanner;
  Volume& vol = s.vol;
  const detect::MetalModel& model = s.model;
  int voids = 0;
  for (const MetalColumn& c : model.columns)
    if (!c.voids.empty()) {
      voids += int(c.voids.size());
      EXPECT_NEAR(c.radius_mm, kRadius, 0.1 * kUm);
    }
  EXPECT_EQ(voids, 1);
  auto lowest_beside = [&](const Volume& v, int b) { return lowest_beside_bump(v, package.bumps[std::size_t(b)]); };
  const double raw = lowest_beside(vol, kBump);
  const MetalStreakReport report = subtract_metal_streaks(scanner.geometry, scanner.params, model.columns, vol);
  const double after = lowest_beside(vol, kBump), intact = lowest_beside(vol, 10);
  const double true_void_mm3 = 4.0 / 3.0 * std::numbers::pi * std::pow(kBumpVoidRadius, 3);
  std::printf("large bump void: modelled %.1f um3 (true %.1f); fill beside that bump, lowest: raw %.3f, corrected "
              "%.3f, beside an intact bump %.3f; applied %d, content error %.3f\n",
              report.void_volume_mm3 * 1e9, true_void_mm3 * 1e9, raw, after, intact, int(report.applied),
              report.content_error);
  EXPECT_TRUE(report.applied);
  EXPECT_NEAR(report.void_volume_mm3, true_void_mm3, 0.15 * true_void_mm3);
  EXPECT_GT(after, intact - 0.03);
}

// A column through two tiers of a stack: a solder bump in the lower tier's NCF, a Cu TSV through
// the die, the next tier's bump on it (2 x 2 such columns, pitch 20 um), with a void in each
// bump of one column (radius 1.45 um at z -9.5 um, 1 um off the axis; radius 2.3 um at z 9.5 um
// on it). One sphere for the column's whole dip sat in the TSV between them and left the model's
// content 16-19 % off at both voids (HBM seed 42: voids at z 2.2 and 23.2 um in one column, the
// correction refused); and the larger void dims three planes of its bump below the solder/Cu
// midpoint, which then took the TSV's radius and mu 139 (content 66 % off; HBM seed 88). Each
// void is sized from the content balance over its own planes. Asserts: two modelled voids, each
// within 1 voxel of its planted centre; their volume after the balance within 20 % of the
// planted; the correction applied with the model's content within 8 % of the volume's; the
// lowest fill beside each voided bump after it within 0.03 /mm of the lowest beside an intact
// bump of the same tier. Measured: 64.3 um3 for 63.7, content 4.5 % off.
TEST(MetalStreaks, VoidsInBothBumpsOfATwoTierColumnAreModelledApart) {
  constexpr double kBumpR = 4 * kUm, kTsvR = 2 * kUm;
  constexpr double kZ0 = -14 * kUm, kZDie0 = -5 * kUm, kZDie1 = 5 * kUm, kZTop = 14 * kUm;
  std::vector<Object> objects;
  objects.push_back({Box{{-25 * kUm, -25 * kUm, kZ0 - 1 * kUm}, {25 * kUm, 25 * kUm, kZDie0}}, kFill});  // tier 0
  objects.push_back({Box{{-25 * kUm, -25 * kUm, kZDie0}, {25 * kUm, 25 * kUm, kZDie1}}, kSi});          // its die
  objects.push_back({Box{{-25 * kUm, -25 * kUm, kZDie1}, {25 * kUm, 25 * kUm, kZTop}}, kFill});         // tier 1
  std::vector<Vec3> axes;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) axes.push_back({(a - 0.5) * kPitch, (b - 0.5) * kPitch, 0});
  for (const Vec3& c : axes) {
    objects.push_back({Cylinder{c.x, c.y, kBumpR, kZ0, kZDie0}, kSolder});
    objects.push_back({Cylinder{c.x, c.y, kTsvR, kZDie0, kZDie1}, 9.8});
    objects.push_back({Cylinder{c.x, c.y, kBumpR, kZDie1, kZTop}, kSolder});
  }
  const std::array<Vec3, 2> voids{axes[0] + Vec3{1 * kUm, 0, -9.5 * kUm}, axes[0] + Vec3{0, 0, 9.5 * kUm}};
  const std::array<double, 2> radii{1.45 * kUm, 2.3 * kUm};
  for (std::size_t v = 0; v < voids.size(); ++v) objects.push_back({Sphere{voids[v], radii[v]}, 0.0});
  Scanner scanner;
  scanner.geometry = expand_circular({100, 44, 0.1, 0.1}, [] {
    CircularSpec spec;
    spec.sod_mm = 5;
    spec.sdd_mm = 500;
    for (int i = 0; i < 360; ++i) spec.angles_deg.push_back(i * 1.0);
    return spec;
  }());
  VolumeGrid& grid = scanner.grid;
  grid.nx = grid.ny = 56;
  grid.nz = 34;
  grid.center = {0, 0, 0};
  Volume vol = scanner.scan(Phantom(objects));
  test::add_gaussian_noise(vol.data, kNoise, 13);
  const detect::MetalModel model = detect::fit_metal_model(vol);
  ASSERT_EQ(model.columns.size(), axes.size());
  std::vector<MetalVoid> found;
  for (const MetalColumn& c : model.columns) found.insert(found.end(), c.voids.begin(), c.voids.end());
  ASSERT_EQ(found.size(), 2u);
  std::sort(found.begin(), found.end(), [](const MetalVoid& x, const MetalVoid& y) { return x.center_mm.z < y.center_mm.z; });
  for (std::size_t v = 0; v < voids.size(); ++v) EXPECT_LT(norm(found[v].center_mm - voids[v]), 1.0 * kUm) << v;
  auto lowest_beside = [&](const Volume& v, const Vec3& c, double z0, double z1) {
    return lowest_beside_bump(v, c, kBumpR, z0, z1);
  };
  const double raw0 = lowest_beside(vol, axes[0], kZ0, kZDie0), raw1 = lowest_beside(vol, axes[0], kZDie1, kZTop);
  const MetalStreakReport report = subtract_metal_streaks(scanner.geometry, scanner.params, model.columns, vol);
  const double after0 = lowest_beside(vol, axes[0], kZ0, kZDie0), after1 = lowest_beside(vol, axes[0], kZDie1, kZTop);
  const double intact0 = lowest_beside(vol, axes[3], kZ0, kZDie0), intact1 = lowest_beside(vol, axes[3], kZDie1, kZTop);
  std::printf("two-tier column: voids at z %.1f and %.1f um, r %.2f and %.2f um; content error %.3f, applied %d; fill "
              "beside the voided bumps, lowest: tier 0 raw %.3f corrected %.3f (intact %.3f), tier 1 raw %.3f corrected "
              "%.3f (intact %.3f)\n",
              found[0].center_mm.z / kUm, found[1].center_mm.z / kUm, found[0].radius_mm / kUm, found[1].radius_mm / kUm,
              report.content_error, int(report.applied), raw0, after0, intact0, raw1, after1, intact1);
  double true_mm3 = 0;
  for (double r : radii) true_mm3 += 4.0 / 3.0 * std::numbers::pi * r * r * r;
  std::printf("two-tier column: modelled void volume %.1f um3 (true %.1f)\n", report.void_volume_mm3 * 1e9, true_mm3 * 1e9);
  EXPECT_TRUE(report.applied);
  EXPECT_LT(report.content_error, 0.08);
  EXPECT_NEAR(report.void_volume_mm3, true_mm3, 0.2 * true_mm3);
  EXPECT_GT(after0, intact0 - 0.03);
  EXPECT_GT(after1, intact1 - 0.03);
}

}  // namespace
}  // namespace voidscan
