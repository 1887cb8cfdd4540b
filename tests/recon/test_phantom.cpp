// Tests of recon/phantom.hpp: line integrals, projections and voxelizations of analytic
// phantoms against closed forms computed here, independently of the implementation.
#include "recon/phantom.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "recon/error.hpp"

namespace voidscan {
namespace {

constexpr double kPi = std::numbers::pi;

double rad(double deg) { return deg * kPi / 180; }

/// Counter-clockwise rotation about +z.
Vec3 rot_z(Vec3 p, double deg) {
  const double c = std::cos(rad(deg)), s = std::sin(rad(deg));
  return {c * p.x - s * p.y, s * p.x + c * p.y, p.z};
}

/// Distance from point c to the line through a and b.
double line_distance(Vec3 c, Vec3 a, Vec3 b) { return norm(cross(c - a, b - a)) / norm(b - a); }

/// Chord of a ball of radius r at distance d from its centre (0 when it misses).
double chord(double r, double d) { return d < r ? 2 * std::sqrt(r * r - d * d) : 0; }

/// Slab method by hand, parameter t in [0, 1] along a -> b (no axis-parallel rays here).
double slab_length(Vec3 lo, Vec3 hi, Vec3 a, Vec3 b) {
  double t0 = 0, t1 = 1;
  for (int k = 0; k < 3; ++k) {
    double ta = (lo[k] - a[k]) / (b[k] - a[k]), tb = (hi[k] - a[k]) / (b[k] - a[k]);
    if (ta > tb) std::swap(ta, tb);
    t0 = std::max(t0, ta);
    t1 = std::min(t1, tb);
  }
  return t1 > t0 ? (t1 - t0) * norm(b - a) : 0;
}

void expect_rel(double got, double want, double rel) { EXPECT_NEAR(got, want, rel * std::abs(want)) << want; }

Object sphere(Vec3 c, double r, double mu) { return {Sphere{c, r}, mu}; }

TEST(Phantom, SphereChordsForObliqueRays) {
  const Vec3 c{1, -2, 3};
  const double r = 2.5, mu = 0.3;
  const Phantom p({sphere(c, r, mu)});
  for (Vec3 dir : {Vec3{1, 2, 3}, Vec3{-0.3, 0.7, 0.2}, Vec3{0.9, -0.1, -0.4}}) {
    dir = normalized(dir);
    const Vec3 side = normalized(cross(dir, {0.2, 0.3, -1}));
    for (double d : {0.0, 0.7, 1.9, 2.4}) {
      const Vec3 m = c + d * side;
      expect_rel(line_integral(p, m - 50.0 * dir, m + 60.0 * dir), mu * chord(r, d), 1e-10);
    }
    const Vec3 miss = c + 2.6 * side;
    EXPECT_EQ(line_integral(p, miss - 50.0 * dir, miss + 60.0 * dir), 0.0);
    // Only the segment counts: ending at the centre gives half the chord.
    expect_rel(line_integral(p, c - 50.0 * dir, c), mu * r, 1e-10);
  }
  EXPECT_EQ(line_integral(p, c, c), 0.0);
  EXPECT_EQ(line_integral(Phantom(), {0, 0, -9}, {0, 0, 9}), 0.0);
}

TEST(Phantom, RotatedEllipsoidMatchesClosedFormInItsFrame) {
  const Vec3 c{1, -2, 0.5}, axes{3, 1.5, 2};
  const Vec3 a = c + Vec3{-6, -3.5, -1.2}, b = c + Vec3{6, 3, 1.4};
  auto closed_form = [&](double deg) {
    // Into the ellipsoid frame (rotate by -deg, divide by the axes): the unit ball.
    auto to_unit = [&](Vec3 p) {
      const Vec3 q = rot_z(p - c, -deg);
      return Vec3{q.x / axes.x, q.y / axes.y, q.z / axes.z};
    };
    const Vec3 o = to_unit(a), d = to_unit(b) - o;
    const double qa = dot(d, d), qb = 2 * dot(o, d), qc = dot(o, o) - 1;
    const double disc = qb * qb - 4 * qa * qc;
    return disc > 0 ? std::sqrt(disc) / qa * norm(b - a) : 0.0;  // (t1 - t0) |b - a|
  };
  for (double deg : {30.0, -30.0, 0.0, 117.0}) {
    const Phantom p({{Ellipsoid{c, axes, deg}, 0.7}});
    ASSERT_GT(closed_form(deg), 0);
    expect_rel(line_integral(p, a, b), 0.7 * closed_form(deg), 1e-10);
  }
  EXPECT_GT(std::abs(closed_form(30) - closed_form(-30)), 0.1);  // the test does tell the sign

  // Handedness: +45 degrees puts the long axis along (1, 1, 0).
  const Phantom plus({{Ellipsoid{{0, 0, 0}, {3, 1, 1}, 45}, 1.0}});
  const Phantom minus({{Ellipsoid{{0, 0, 0}, {3, 1, 1}, -45}, 1.0}});
  expect_rel(line_integral(plus, {-5, -5, 0}, {5, 5, 0}), 6, 1e-12);
  expect_rel(line_integral(plus, {-5, 5, 0}, {5, -5, 0}), 2, 1e-12);
  expect_rel(line_integral(minus, {-5, -5, 0}, {5, 5, 0}), 2, 1e-12);
  expect_rel(line_integral(minus, {-5, 5, 0}, {5, -5, 0}), 6, 1e-12);
}

TEST(Phantom, BoxSlabLengths) {
  const Phantom p({{Box{{0, 0, 0}, {1, 1, 1}}, 0.2}});
  // Through the corner region near the edge x = 0, y = 1: x enters at t = 1/4, y exits at t = 3/8.
  const Vec3 a{-0.5, 0.25, 0.1}, b{1.5, 2.25, 0.5};
  const double want = 0.125 * std::sqrt(8.16);
  expect_rel(slab_length({0, 0, 0}, {1, 1, 1}, a, b), want, 1e-14);
  expect_rel(line_integral(p, a, b), 0.2 * want, 1e-12);
  // Boxes are closed: a ray along an edge, or in a face, sees the full length.
  expect_rel(line_integral(p, {-1, 0, 1}, {2, 0, 1}), 0.2, 1e-14);
  expect_rel(line_integral(p, {-1, -0.5, 1}, {2, 1, 1}), 0.2 * std::sqrt(11.25) / 3, 1e-12);
  EXPECT_EQ(line_integral(p, {-1, -0.5, 1 + 1e-9}, {2, 1, 1 + 1e-9}), 0.0);
}

TEST(Phantom, CylinderSideAndCaps) {
  const double mu = 0.4;
  const Phantom p({{Cylinder{1, 2, 2, -1, 3}, mu}});
  // Perpendicular to the axis at offset 0.7.
  const Vec3 dir{std::cos(rad(20)), std::sin(rad(20)), 0}, side{-std::sin(rad(20)), std::cos(rad(20)), 0};
  const Vec3 m = Vec3{1, 2, 1} + 0.7 * side;
  expect_rel(line_integral(p, m - 10.0 * dir, m + 10.0 * dir), mu * chord(2, 0.7), 1e-12);
  // P(s) = (1, 2, 2) + s (0.6, 0.8, 1): radius |s| <= 2, z = 2 + s in [-1, 3] -> s in [-2, 1]:
  // enters through the wall at z = 0, leaves through the top cap; length 3 |(0.6, 0.8, 1)|.
  const Vec3 p0{1, 2, 2}, d1{0.6, 0.8, 1};
  expect_rel(line_integral(p, p0 - 5.0 * d1, p0 + 4.0 * d1), mu * 3 * std::sqrt(2.0), 1e-12);
  // Steep: radius 0.1 |s| stays inside, both caps cut: s in [-2, 2].
  const Vec3 p1{1, 2, 1}, d2{0.06, 0.08, 1};
  expect_rel(line_integral(p, p1 - 5.0 * d2, p1 + 5.0 * d2), mu * 4 * std::sqrt(1.01), 1e-12);
  // Along the axis direction: inside, and on the (closed) wall.
  expect_rel(line_integral(p, {1.5, 2, -5}, {1.5, 2, 5}), mu * 4, 1e-14);
  expect_rel(line_integral(p, {3, 2, -5}, {3, 2, 5}), mu * 4, 1e-14);
  EXPECT_EQ(line_integral(p, {3.1, 2, -5}, {3.1, 2, 5}), 0.0);
}

TEST(Phantom, LaterObjectsReplaceEarlierOnes) {
  const Vec3 lo{-5, -4, -2}, hi{5, 4, 2};
  const Object box{Box{lo, hi}, 0.1, 1}, cyl{Cylinder{0, 0, 1.5, -1, 1}, 0.5, 2},
      void_{Sphere{{0.2, 0, 0}, 0.5}, 0.0, 3};
  // Horizontal ray at z = 0.1, 0.3 from the sphere centre's vertical.
  const Vec3 dir{std::cos(rad(25)), std::sin(rad(25)), 0}, side{-std::sin(rad(25)), std::cos(rad(25)), 0};
  const Vec3 q = Vec3{0.2, 0, 0.1} + 0.3 * side, a = q - 20.0 * dir, b = q + 20.0 * dir;
  const double box_len = slab_length(lo, hi, a, b);
  const double cyl_len = chord(1.5, line_distance({0, 0, 0.1}, a, b));  // perpendicular to the axis
  const double sph_len = chord(0.5, std::sqrt(0.1));                    // distance sqrt(0.3^2 + 0.1^2)
  ASSERT_GT(sph_len, 0);
  ASSERT_LT(sph_len, cyl_len);

  expect_rel(line_integral(Phantom({box, cyl, void_}), a, b),
             0.1 * (box_len - cyl_len) + 0.5 * (cyl_len - sph_len), 1e-12);
  expect_rel(line_integral(Phantom({box, void_, cyl}), a, b), 0.1 * (box_len - cyl_len) + 0.5 * cyl_len, 1e-12);
  expect_rel(line_integral(Phantom({void_, cyl, box}), a, b), 0.1 * box_len, 1e-12);

  const Phantom p({box, cyl, void_});
  EXPECT_EQ(mu_at(p, {0.2, 0, 0.4}), 0.0);  // in the void
  EXPECT_EQ(mu_at(p, {-1, 0, 0}), 0.5);
  EXPECT_EQ(mu_at(p, {0, 0, 1}), 0.5);      // on the cylinder's cap: closed
  EXPECT_EQ(mu_at(p, {3, 3, 1.5}), 0.1);
  EXPECT_EQ(mu_at(p, {3, 3, 2.5}), 0.0);
  EXPECT_EQ(p.objects()[2].label, 3);
}

/// Circular scan by the geometry.hpp convention, built here (no dependency on geometry.cpp).
Geometry circular(double sod, double sdd, int cols, int rows, double pitch, const std::vector<double>& angles) {
  Geometry g{{cols, rows, pitch, pitch}, {}};
  for (double t : angles)
    g.views.push_back({rot_z({0, -sod, 0}, t), rot_z({0, sdd - sod, 0}, t), rot_z({pitch, 0, 0}, t), {0, 0, -pitch}, t});
  return g;
}

/// Pixel point by the geometry.hpp formula.
Vec3 pixel(const Geometry& g, const ViewGeometry& v, double c, double r) {
  return v.detector_center + (c - 0.5 * (g.detector.cols - 1)) * v.u + (r - 0.5 * (g.detector.rows - 1)) * v.v;
}

TEST(Phantom, ProjectCentredSphere) {
  const double r = 1, mu = 0.5;
  const Phantom p({sphere({0, 0, 0}, r, mu)});
  const Geometry g = circular(100, 150, 11, 9, 0.4, {0, 50, 130, 250});
  auto exact = [&](const ViewGeometry& v, double c, double row) {
    return mu * chord(r, line_distance({0, 0, 0}, v.source, pixel(g, v, c, row)));
  };
  const auto out = project(p, g);
  ASSERT_EQ(out.size(), 4u * 9 * 11);
  int hit = 0, missed = 0;
  for (int v = 0; v < 4; ++v)
    for (int row = 0; row < 9; ++row)
      for (int c = 0; c < 11; ++c) {
        const double want = exact(g.views[v], c, row);
        EXPECT_NEAR(out[(v * 9 + row) * 11 + c], want, 1e-6 * want + 1e-7);
        (want > 0 ? hit : missed)++;
      }
  EXPECT_GT(hit, 0);
  EXPECT_GT(missed, 0);

  // One view alone gives the same numbers.
  std::vector<float> view(9 * 11);
  project_view(p, g.detector, g.views[2], 1, view.data());
  EXPECT_EQ(view, std::vector<float>(out.begin() + 2 * 99, out.begin() + 3 * 99));

  // Supersample 3: the mean of the 9 sub-rays at offsets -1/3, 0, 1/3 (pixel on the rim).
  const auto ss = project(p, g, 3);
  const int c = 8, row = 6;
  double mean = 0;
  for (double dv : {-1.0 / 3, 0.0, 1.0 / 3})
    for (double du : {-1.0 / 3, 0.0, 1.0 / 3}) mean += exact(g.views[1], c + du, row + dv) / 9;
  const float got = ss[(1 * 9 + row) * 11 + c];
  EXPECT_NEAR(got, mean, 1e-6 * mean);
  EXPECT_GT(std::abs(mean - exact(g.views[1], c, row)), 1e-3);  // differs from the centre ray
}

TEST(Phantom, VoxelizeSphereVolumeAndBoxFractions) {
  const VolumeGrid grid{16, 16, 16, 0.5, 0.5, 0.5, {0, 0, 0}};
  const Phantom ball({sphere({0.1, -0.2, 0.05}, 3, 0.25)});
  const auto vox = voxelize(ball, grid, 4);
  double sum = 0;
  for (float m : vox) sum += m;
  expect_rel(sum / 0.25 * 0.125, 4.0 / 3 * kPi * 27, 0.01);
  // s = 1: mu at the voxel centres.
  const auto centres = voxelize(ball, grid);
  for (int k = 0; k < 16; k += 3)
    for (int j = 0; j < 16; ++j)
      for (int i = 0; i < 16; ++i)
        EXPECT_EQ(centres[(k * 16 + j) * 16 + i], float(mu_at(ball, grid.voxel_center(i, j, k))));

  // Box faces on voxel faces (x = -1, 0.5; y, z = -1, 1); voxels 1 mm, centres at +-0.5, +-1.5.
  const VolumeGrid unit{4, 4, 4, 1, 1, 1, {0, 0, 0}};
  const auto box = voxelize(Phantom({{Box{{-1, -1, -1}, {0.5, 1, 1}}, 0.8}}), unit, 4);
  const double fx[4] = {0, 1, 0.5, 0}, fyz[4] = {0, 1, 1, 0};
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 4; ++j)
      for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(box[(k * 4 + j) * 4 + i], float(0.8 * fx[i] * fyz[j] * fyz[k]));
}

TEST(Phantom, IndexMatchesBruteForceOnThousandsOfObjects) {
  // Underfill, 2000 bumps on a 20 x 10 x 10 grid, and a void in every 7th bump.
  std::vector<Object> objects{{Box{{-5.5, -3, -3}, {5.5, 3, 3}}, 0.05}};
  std::vector<Object> voids;
  for (int k = 0; k < 10; ++k)
    for (int j = 0; j < 10; ++j)
      for (int i = 0; i < 20; ++i) {
        const Vec3 c{-4.75 + 0.5 * i, -2.25 + 0.5 * j, -2.25 + 0.5 * k};
        objects.push_back(sphere(c, 0.2, 0.6));
        if ((i + j + k) % 7 == 0) voids.push_back(sphere(c + Vec3{0.05, 0, 0}, 0.08, 0));
      }
  objects.insert(objects.end(), voids.begin(), voids.end());
  const Phantom p(objects);
  ASSERT_GT(p.size(), 2200u);

  const Geometry g = circular(100, 200, 48, 40, 0.5, {0, 33, 97, 200});
  const auto out = project(p, g);
  int checked = 0, above_underfill = 0;
  for (std::size_t idx = 0; idx < out.size(); idx += 7) {
    const auto& v = g.views[idx / (48 * 40)];
    const int row = int(idx / 48 % 40), c = int(idx % 48);
    const Vec3 end = detector_point(g.detector, v, c, row);
    const double brute = line_integral_brute_force(p, v.source, end);
    EXPECT_EQ(line_integral(p, v.source, end), brute);
    EXPECT_EQ(out[idx], float(brute));
    above_underfill += brute > 0.05 * 11;
    ++checked;
  }
  EXPECT_GT(checked, 1000);
  EXPECT_GT(above_underfill, 100);  // rays do cross bumps
}

TEST(Phantom, ValidateNamesTheObjectAndField) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<Object, std::string>> bad = {
      {sphere({0, 0, 0}, 0, 1), "radius_mm"},
      {sphere({0, 0, 0}, -1, 1), "radius_mm"},
      {sphere({0, nan, 0}, 1, 1), "center_mm"},
      {{Ellipsoid{{0, 0, 0}, {1, 0, 1}}, 1}, "semi_axes_mm"},
      {{Ellipsoid{{0, 0, 0}, {1, -2, 1}}, 1}, "semi_axes_mm"},
      {{Ellipsoid{{0, 0, 0}, {1, 2, 1}, inf}, 1}, "rotation_z_deg"},
      {{Box{{0, 0, 0}, {1, 0, 1}}, 1}, "max_mm"},
      {{Box{{2, 0, 0}, {1, 1, 1}}, 1}, "max_mm"},
      {{Box{{nan, 0, 0}, {1, 1, 1}}, 1}, "min_mm"},
      {{Cylinder{0, 0, 0, 0, 1}, 1}, "radius_mm"},
      {{Cylinder{0, 0, 1, 1, 1}, 1}, "z1_mm"},
      {{Cylinder{inf, 0, 1, 0, 1}, 1}, "center_x_mm"},
      {sphere({0, 0, 0}, 1, -0.1), "mu"},
      {sphere({0, 0, 0}, 1, nan), "mu"},
  };
  const Object good_sphere = sphere({0, 0, 0}, 1, 0), good_box{Box{{0, 0, 0}, {1, 1, 1}}, 0.1};
  EXPECT_NO_THROW(validate(Phantom({good_sphere, good_box})));
  for (const auto& [object, field] : bad) {
    const Phantom p({good_sphere, good_box, object});
    try {
      validate(p);
      ADD_FAILURE() << "no error for " << field;
    } catch (const InputError& e) {
      EXPECT_EQ(e.field(), "objects[2]." + field);
      EXPECT_NE(std::string(e.what()).find("objects[2]"), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)project(p, circular(10, 20, 2, 2, 1, {0})), InputError);
  }
  EXPECT_THROW((void)project(Phantom({good_sphere}), circular(10, 20, 2, 2, 1, {0}), 0), InputError);
  EXPECT_THROW((void)voxelize(Phantom({good_sphere}), VolumeGrid{2, 2, 2, 1, 1, 1, {}}, 0), InputError);
}

}  // namespace
}  // namespace voidscan
