// The simulator's projector against closed-form chord lengths (issue 3): a sphere, a box and a
// z-cylinder alone, seen by perpendicular and oblique rays (a tilted, off-centre detector and a
// source off the mid-plane), and the painter's overlap rule (a void inside a bump inside
// underfill). Noise-free (i0 = 0), one ray per pixel: -log T must equal mu x chord to 1e-5.
// Every case runs on each projector (TEST_P over cpu and cuda, through make_projector); the
// CUDA instances skip with the reason when no GPU is present. CpuVsCuda compares a preset view.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "recon/error.hpp"
#include "sim/presets.hpp"
#include "sim/projector.hpp"
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

/// One view through the projector of `device` (make_projector: the code simulate() runs).
void project(Device device, const Phantom& ph, const Detector& det, const ViewGeometry& view, const SimulateParams& p,
             float* out) {
  const auto projector = make_projector(device, ph, det, p);
  ASSERT_EQ(projector->name(), device == Device::cpu ? "cpu" : "cuda");
  projector->view(view, out);
}

class Projector : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override {
    std::string why;
    if (GetParam() == Device::cuda && cuda_device_count(&why) <= 0) GTEST_SKIP() << "no CUDA device: " << why;
  }
};

template <class Chord>
void expect_chords(Device device, const Phantom& ph, double mu, const ViewGeometry& view, Chord chord) {
  const Detector det{96, 80, norm(view.u), norm(view.v)};
  SimulateParams p;
  p.supersample = 1;
  std::vector<float> t(size_t(det.cols) * det.rows);
  project(device, ph, det, view, p, t.data());
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

TEST_P(Projector, SphereChords) {
  const Vec3 c{0.1, -0.05, 0.08};
  const Phantom ph({{Sphere{c, 0.6}, 1.3}});
  for (const auto& view : {straight_view(), oblique_view()})
    expect_chords(GetParam(), ph, 1.3, view, [&](Vec3 a, Vec3 b) { return sphere_chord(a, b, c, 0.6); });
}

TEST_P(Projector, BoxChords) {
  const Vec3 lo{-0.5, -0.3, -0.4}, hi{0.45, 0.35, 0.3};
  const Phantom ph({{Box{lo, hi}, 0.9}});
  for (const auto& view : {straight_view(), oblique_view()})
    expect_chords(GetParam(), ph, 0.9, view, [&](Vec3 a, Vec3 b) { return box_chord(a, b, lo, hi); });
}

TEST_P(Projector, CylinderChords) {
  const Phantom ph({{Cylinder{0, 0, 0.5, -0.35, 0.4}, 2.0}});
  for (const auto& view : {straight_view(), oblique_view()})
    expect_chords(GetParam(), ph, 2.0, view, [&](Vec3 a, Vec3 b) { return cylinder_chord(a, b, 0.5, -0.35, 0.4); });
}

TEST_P(Projector, VoidInBumpInUnderfillByHand) {
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
  project(GetParam(), ph, det, view, p, &t);
  const double expect = 1.2 * uf + 0.5 * solder;
  EXPECT_NEAR(-std::log(double(t)), expect, 1e-5 * expect);
}

TEST_P(Projector, FocalSpotAndSupersamplingAverageTransmissions) {
  // A uniform slab seen along its normal: every sub-ray and every source point sees the same
  // chord, so averaging must reproduce it exactly; with a sphere the edge pixels change.
  const Phantom slab({{Box{{-5, -0.25, -5}, {5, 0.25, 5}}, 1.0}});
  const ViewGeometry view = straight_view();
  const Detector det{4, 4, 0.02, 0.02};
  SimulateParams p;
  p.supersample = 3;
  p.focal_spot_mm = 0.05;
  std::vector<float> t(16);
  project(GetParam(), slab, det, view, p, t.data());
  // the slab is 0.5 mm thick along y; oblique rays are slightly longer: chord 0.5 / cos(angle)
  for (float x : t) EXPECT_NEAR(-std::log(double(x)), 0.5, 2e-5);
}


TEST_P(Projector, EllipsoidMatchesTransformedSphere) {
  // A rotated ellipsoid is a sphere under a linear map: along the central ray (+y) of the
  // straight view, the chord through semi-axes (a, b, c) rotated by t about z is
  // 2 / sqrt(sin^2 t / a^2 + cos^2 t / b^2) (the ray runs along y through the centre).
  const double a = 0.5, b = 0.25, c = 0.3, deg = 30, t = deg * std::numbers::pi / 180;
  const Phantom ph({{Ellipsoid{{0, 0, 0}, {a, b, c}, deg}, 1.7}});
  const Detector det{1, 1, 0.02, 0.02};
  SimulateParams p;
  p.supersample = 1;
  float got = 0;
  project(GetParam(), ph, det, straight_view(), p, &got);
  const double chord = 2 / std::sqrt(std::sin(t) * std::sin(t) / (a * a) + std::cos(t) * std::cos(t) / (b * b));
  EXPECT_NEAR(-std::log(double(got)), 1.7 * chord, 1e-5 * 1.7 * chord);
}

TEST(ProjectorChoice, CudaWithoutGpuIsAClearError) {
  // Device::cuda must never fall back silently: without a GPU (or a CUDA build) it throws, and
  // automatic takes the CPU.
  std::string why;
  if (cuda_device_count(&why) > 0) GTEST_SKIP() << "a CUDA device is present";
  const Phantom ph({{Sphere{{0, 0, 0}, 0.5}, 1.0}});
  EXPECT_THROW((void)make_projector(Device::cuda, ph, Detector{4, 4, 0.02, 0.02}, SimulateParams{}), RuntimeFailure);
  EXPECT_EQ(make_projector(Device::automatic, ph, Detector{4, 4, 0.02, 0.02}, SimulateParams{})->name(), "cpu");
}

INSTANTIATE_TEST_SUITE_P(Devices, Projector, ::testing::Values(Device::cpu, Device::cuda),
                         [](const auto& info) { return info.param == Device::cpu ? "cpu" : "cuda"; });

/// Projects `view` on both projectors into a (CPU) and b (CUDA): the largest relative
/// difference, |a - b| / (max(a, b) + 1e-30), and the CPU's pixels below T 0.9.
std::pair<double, int> project_both(TransmissionProjector& cpu, TransmissionProjector& gpu, const ViewGeometry& view,
                                   std::vector<float>& a, std::vector<float>& b) {
  cpu.view(view, a.data());
  gpu.view(view, b.data());
  double worst = 0;
  int dark = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double m = std::max(double(a[i]), double(b[i]));
    worst = std::max(worst, std::abs(double(a[i]) - double(b[i])) / (m + 1e-30));
    dark += a[i] < 0.9f;
  }
  return {worst, dark};
}

TEST(ProjectorCpuVsCuda, FlipChipPresetViewsAgree) {
  // The whole flip-chip preset (~10^4 bumps, voids, dies, underfill, substrate) at a coarse
  // voxel (small detector), 2 x 2 sub-pixel rays and a 3 x 3 focal-spot quadrature, at a view
  // along the bump rows (many objects per ray) and an oblique one. Both sides compute in double
  // with the same formulas; the GPU contracts into FMAs and has its own exp(), a few 1e-16
  // relative per integral, so the floats may differ by one rounding (6e-8 relative). Bound:
  // |T_cpu - T_cuda| <= 1e-5 max(T) + 1e-30 (the floor: transmissions below 1e-30 are far
  // below one count and the GPU may flush float subnormals).
  std::string why;
  if (cuda_device_count(&why) <= 0) GTEST_SKIP() << "no CUDA device: " << why;
  const PackagePhantom pkg = make_preset("flip-chip", 1);
  const Phantom ph = to_phantom(pkg);
  SimulateParams p;
  p.views = 8;
  p.voxel_mm = 0.002;
  p.supersample = 2;
  p.focal_spot_mm = 0.01;
  const LabGeometry lab = lab_geometry(bounding_box(pkg), p);
  const Detector& det = lab.geometry.detector;
  ASSERT_LE(size_t(det.cols) * det.rows, size_t(200000)) << "keep the CPU side fast";
  const auto cpu = make_projector(Device::cpu, ph, det, p);
  const auto gpu = make_projector(Device::cuda, ph, det, p);
  std::vector<float> a(size_t(det.cols) * det.rows), b(a.size());
  for (int v : {0, 3}) {
    const auto [worst, dark] = project_both(*cpu, *gpu, lab.geometry.views[v], a, b);
    EXPECT_GT(dark, 100) << "view " << v << ": the package must darken a good part of the detector (T < 0.9)";
    EXPECT_LT(worst, 1e-5) << "view " << v << ": largest relative difference over " << a.size() << " pixels";
    RecordProperty("max_rel_diff_view" + std::to_string(v), std::to_string(worst));
    std::vector<float> again(b.size());
    gpu->view(lab.geometry.views[v], again.data());
    EXPECT_EQ(again, b) << "the GPU result must not depend on the run";
  }
}

TEST(ProjectorCpuVsCuda, LargePackageBeyondThePerThreadBoundAgrees) {
  // An 8 x 8-die flip-chip: 13 150 objects, up to ~90 on one ray at 0 and 90 degrees, more
  // than the 64 hits a GPU thread holds, so the kernel resolves those rays in windows
  // (tests/sim/test_flat_scene.cpp checks the same code on the host). One ray per pixel, point
  // source; same bound and floor as above.
  std::string why;
  if (cuda_device_count(&why) <= 0) GTEST_SKIP() << "no CUDA device: " << why;
  const PackagePhantom pkg = make_preset("flip-chip", 1, {{"die_cols", 8}, {"die_rows", 8}, {"die_size_um", 200}});
  const Phantom ph = to_phantom(pkg);
  SimulateParams p;
  p.views = 8;
  p.voxel_mm = 0.002;
  p.supersample = 1;
  const LabGeometry lab = lab_geometry(bounding_box(pkg), p);
  const Detector& det = lab.geometry.detector;
  const auto cpu = make_projector(Device::cpu, ph, det, p);
  const auto gpu = make_projector(Device::cuda, ph, det, p);
  std::vector<float> a(size_t(det.cols) * det.rows), b(a.size());
  for (int v : {0, 1}) {
    const auto [worst, dark] = project_both(*cpu, *gpu, lab.geometry.views[v], a, b);
    EXPECT_GT(dark, 1000) << "view " << v;
    EXPECT_LT(worst, 1e-5) << "view " << v << ": largest relative difference over " << a.size() << " pixels";
  }
}

}  // namespace
}  // namespace voidscan::sim
