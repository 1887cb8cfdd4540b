// The simulator's projector against closed-form chord lengths (issue 3): a sphere, a box and a
// z-cylinder alone, seen by perpendicular and oblique rays (a tilted, off-centre detector and a
// source off the mid-plane), and the painter's overlap rule (a void inside a bump inside
// underfill). Noise-free (i0 = 0), one ray per pixel: -log T must equal mu x chord to 1e-5.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/simulate.hpp"

namespace voidscan::sim {
namespace {

/// Chord of the line a + t (b - a) through a sphere.
double sphere_chord(Vec3 a, Vec3 b, Vec3 c, double r) {
  const Vec3 d = normalized(b - a);
  const Vec3 m = a - c;
  const double bq = dot(m, d), cq = dot(m, m) - r * r, disc = bq * bq - cq;
  return disc > 0 ? 2 * std::sqrt(disc) : 0.0;
}

/// Chord through the box [lo, hi] by the slab method (on the infinite line).
double box_chord(Vec3 a, Vec3 b, Vec3 lo, Vec3 hi) {
  const Vec3 d = normalized(b - a);
  double t0 = -1e300, t1 = 1e300;
  const double ao[3] = {a.x, a.y, a.z}, dd[3] = {d.x, d.y, d.z}, l[3] = {lo.x, lo.y, lo.z}, h[3] = {hi.x, hi.y, hi.z};
  for (int k = 0; k < 3; ++k) {
    if (std::abs(dd[k]) < 1e-15) {
      if (ao[k] < l[k] || ao[k] > h[k]) return 0;
      continue;
    }
    double u0 = (l[k] - ao[k]) / dd[k], u1 = (h[k] - ao[k]) / dd[k];
    if (u0 > u1) std::swap(u0, u1);
    t0 = std::max(t0, u0);
    t1 = std::min(t1, u1);
  }
  return std::max(0.0, t1 - t0);
}

/// Chord through the z-cylinder (x^2 + y^2 <= r^2, z0 <= z <= z1) centred on the z axis.
double cylinder_chord(Vec3 a, Vec3 b, double r, double z0, double z1) {
  const Vec3 d = normalized(b - a);
  const double qa = d.x * d.x + d.y * d.y, qb = a.x * d.x + a.y * d.y, qc = a.x * a.x + a.y * a.y - r * r;
  const double disc = qb * qb - qa * qc;
  if (qa < 1e-15 || disc <= 0) return 0;
  double t0 = (-qb - std::sqrt(disc)) / qa, t1 = (-qb + std::sqrt(disc)) / qa;
  double s0 = (z0 - a.z) / d.z, s1 = (z1 - a.z) / d.z;
  if (s0 > s1) std::swap(s0, s1);
  return std::max(0.0, std::min(t1, s1) - std::max(t0, s0));
}

/// An oblique view: source above the mid-plane, detector rotated and tilted.
ViewGeometry oblique_view() {
  ViewGeometry v;
  v.source = {-0.7, -9.0, 1.1};
  v.detector_center = {0.9, 11.0, -0.8};
  const double t = 0.3;
  v.u = {0.02 * std::cos(t), 0.02 * std::sin(t) * 0.2, 0.02 * std::sin(t)};
  v.v = {-0.02 * std::sin(t) * 0.1, 0.004, -0.02 * std::cos(t)};
  return v;
}

ViewGeometry straight_view() {
  ViewGeometry v;
  v.source = {0, -10, 0};
  v.detector_center = {0, 10, 0};
  v.u = {0.02, 0, 0};
  v.v = {0, 0, -0.02};
  return v;
}

template <class Chord>
void expect_chords(const Phantom& ph, double mu, const ViewGeometry& view, Chord chord) {
  const Detector det{96, 80, norm(view.u), norm(view.v)};
  SimulateParams p;
  p.supersample = 1;
  std::vector<float> t(size_t(det.cols) * det.rows);
  transmission_view(ph, det, view, p, t.data());
  int hit = 0;
  double worst = 0;
  for (int r = 0; r < det.rows; ++r)
    for (int c = 0; c < det.cols; ++c) {
      const double expect = mu * chord(view.source, detector_point(det, view, c, r));
      const double got = -std::log(double(t[size_t(r) * det.cols + c]));
      if (expect > 0.05) {
        ++hit;
        worst = std::max(worst, std::abs(got - expect) / expect);
      } else {
        EXPECT_NEAR(got, expect, 1e-6) << "pixel " << c << ", " << r;
      }
    }
  EXPECT_GT(hit, 200) << "the object must cover a good part of the detector";
  EXPECT_LT(worst, 1e-5) << "largest relative error over " << hit << " rays";
}

TEST(Projector, SphereChords) {
  const Vec3 c{0.1, -0.05, 0.08};
  const Phantom ph({{Sphere{c, 0.6}, 1.3}});
  for (const auto& view : {straight_view(), oblique_view()})
    expect_chords(ph, 1.3, view, [&](Vec3 a, Vec3 b) { return sphere_chord(a, b, c, 0.6); });
}

TEST(Projector, BoxChords) {
  const Vec3 lo{-0.5, -0.3, -0.4}, hi{0.45, 0.35, 0.3};
  const Phantom ph({{Box{lo, hi}, 0.9}});
  for (const auto& view : {straight_view(), oblique_view()})
    expect_chords(ph, 0.9, view, [&](Vec3 a, Vec3 b) { return box_chord(a, b, lo, hi); });
}

TEST(Projector, CylinderChords) {
  const Phantom ph({{Cylinder{0, 0, 0.5, -0.35, 0.4}, 2.0}});
  for (const auto& view : {straight_view(), oblique_view()})
    expect_chords(ph, 2.0, view, [&](Vec3 a, Vec3 b) { return cylinder_chord(a, b, 0.5, -0.35, 0.4); });
}

TEST(Projector, VoidInBumpInUnderfillByHand) {
  // Underfill box, a solder bump (z-cylinder) inside it, a void (sphere) inside the bump; later
  // objects replace earlier ones. The central ray along +y crosses, by hand:
  //   underfill |y| <= 1.0 minus bump |y| <= 0.4: 1.2 mm at 0.14
  //   bump minus void |y| <= 0.15:               0.5 mm at 27.7
  //   void:                                       0.3 mm at 0
  const double uf = 0.14, solder = 27.7;
  const Phantom ph({{Box{{-1, -1, -0.5}, {1, 1, 0.5}}, uf},
                    {Cylinder{0, 0, 0.4, -0.5, 0.5}, solder},
                    {Sphere{{0, 0, 0}, 0.15}, 0.0}});
  const ViewGeometry view = straight_view();
  const Detector det{1, 1, 0.02, 0.02};
  SimulateParams p;
  p.supersample = 1;
  float t = 0;
  transmission_view(ph, det, view, p, &t);
  const double expect = 1.2 * uf + 0.5 * solder;
  EXPECT_NEAR(-std::log(double(t)), expect, 1e-5 * expect);
}

TEST(Projector, FocalSpotAndSupersamplingAverageTransmissions) {
  // A uniform slab seen along its normal: every sub-ray and every source point sees the same
  // chord, so averaging must reproduce it exactly; with a sphere the edge pixels change.
  const Phantom slab({{Box{{-5, -0.25, -5}, {5, 0.25, 5}}, 1.0}});
  const ViewGeometry view = straight_view();
  const Detector det{4, 4, 0.02, 0.02};
  SimulateParams p;
  p.supersample = 3;
  p.focal_spot_mm = 0.05;
  std::vector<float> t(16);
  transmission_view(slab, det, view, p, t.data());
  // the slab is 0.5 mm thick along y; oblique rays are slightly longer: chord 0.5 / cos(angle)
  for (float x : t) EXPECT_NEAR(-std::log(double(x)), 0.5, 2e-5);
}

}  // namespace
}  // namespace voidscan::sim
