// The flat projector scene (sim/flat_scene.hpp), run on the host: the exact code the CUDA kernel
// runs per pixel, checked against the CPU projector it must reproduce.
//  - random overlapping solids of all four shapes, random rays: flat::line_integral equals
//    line_integral_brute_force() (recon/phantom.hpp) to 1e-12 relative (list-order overlaps),
//    and to 1e-10 with a bound of 8 hits, which forces the window splitting on most rays;
//  - the three presets, every pixel of three views (0, 45, 90 degrees): equal to
//    line_integral() to 1e-12; and an 8 x 8-die flip-chip whose rays meet more objects than the
//    GPU's per-thread bound kGpuMaxHits (so its windows split): equal to 1e-10;
//  - a whole view (sub-pixels, focal spot) equals sim::transmission_view to one float rounding;
//  - separate objects beyond the bound are resolved by splitting; more than the bound
//    overlapping at one point is reported with the count (never a silent truncation).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>
#include <random>

#include "recon/error.hpp"
#include "sim/flat_scene_host.hpp"
#include "sim/presets.hpp"
#include "sim/simulate.hpp"

namespace voidscan::sim {
namespace {

/// flat::line_integral with a large bound; fails the test on an error.
double flat_integral(const flat::Scene& s, Vec3 a, Vec3 b, std::vector<flat::Hit>& hits, std::vector<flat::Span>& spans,
                     int* met = nullptr) {
  const double pa[3] = {a.x, a.y, a.z}, pb[3] = {b.x, b.y, b.z};
  int error = 0;
  const double v = flat::line_integral(s, pa, pb, hits.data(), spans.data(), int(hits.size()), &error);
  EXPECT_EQ(error, 0);
  if (met) {
    (void)flat::line_integral(s, pa, pb, hits.data(), spans.data(), 0, &error);  // cap 0: the count
    *met = error;
  }
  return v;
}

double rel(double a, double b) { return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1e-12}); }

/// n random solids of all four shapes (cycling) with half-sizes in [size0, size1) about
/// centres in [-1, 1]^3; every eighth a mu = 0 void.
Phantom random_cloud(int n, double size0, double size1, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1), pos(size0, size1), mu(0.1, 3), ang(-180, 180);
  std::vector<Object> objects;
  for (int i = 0; i < n; ++i) {
    const Vec3 c{u(rng), u(rng), u(rng)};
    const double m = i % 8 == 3 ? 0.0 : mu(rng);
    switch (i % 4) {
      case 0: objects.push_back({Sphere{c, pos(rng)}, m}); break;
      case 1: objects.push_back({Ellipsoid{c, {pos(rng), pos(rng), pos(rng)}, ang(rng)}, m}); break;
      case 2: {
        const Vec3 h{pos(rng), pos(rng), pos(rng)};
        objects.push_back({Box{c - h, c + h}, m});
        break;
      }
      default: {
        const double h = pos(rng);
        objects.push_back({Cylinder{c.x, c.y, pos(rng), c.z - h, c.z + h}, m});
      }
    }
  }
  return Phantom(objects);
}

/// Random rays: half of them cross the whole cloud, every fifth runs along z.
std::pair<Vec3, Vec3> random_ray(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  Vec3 a{u(rng), u(rng), u(rng)}, b{u(rng), u(rng), u(rng)};
  if (u(rng) > 0) a = 4.0 * a, b = -4.0 * b;
  if (u(rng) > 0.6) b = {a.x, a.y, b.z};  // dir.x = dir.y = 0
  return {a, b};
}

TEST(FlatScene, RandomOverlappingSolidsMatchBruteForce) {
  const Phantom ph = random_cloud(200, 0.05, 0.6, 7);  // dense: many objects overlap
  const flat::HostScene scene = flat::make_scene(ph);
  std::vector<flat::Hit> hits(4096);
  std::vector<flat::Span> spans(4096);
  std::mt19937_64 rng(11);
  double worst = 0;
  int max_met = 0;
  for (int k = 0; k < 3000; ++k) {
    const auto [a, b] = random_ray(rng);
    int met = 0;
    worst = std::max(worst, rel(flat_integral(scene.view(), a, b, hits, spans, &met), line_integral_brute_force(ph, a, b)));
    max_met = std::max(max_met, met);
  }
  EXPECT_LT(worst, 1e-12);
  EXPECT_GT(max_met, 20) << "the rays must cross many overlapping objects";
}

TEST(FlatScene, WindowSplittingBeyondTheBoundMatchesBruteForce) {
  const Phantom ph = random_cloud(3000, 0.02, 0.1, 8);  // sparse: many on a ray, few at a point
  const flat::HostScene scene = flat::make_scene(ph);
  std::vector<flat::Hit> hits(8);
  std::vector<flat::Span> spans(8);
  std::mt19937_64 rng(12);
  double worst = 0;
  int split = 0;
  for (int k = 0; k < 3000; ++k) {
    const auto [a, b] = random_ray(rng);
    int met = 0;
    worst = std::max(worst, rel(flat_integral(scene.view(), a, b, hits, spans, &met), line_integral_brute_force(ph, a, b)));
    split += met > 8;
  }
  EXPECT_LT(worst, 1e-10);
  EXPECT_GT(split, 300) << "a bound of 8 must force window splitting on many rays";
}

/// Every pixel centre of views 0, 1, 2 (0, 45, 90 degrees of 8) of the preset at 2 um voxels:
/// worst relative difference to line_integral() with the GPU's bound, and the most objects met.
struct PresetCheck {
  double worst = 0;
  int max_met = 0, hit_rays = 0, pixels = 0;
};
PresetCheck check_preset(const std::string& preset, const std::map<std::string, double>& over) {
  const PackagePhantom pkg = make_preset(preset, 1, over);
  const Phantom ph = to_phantom(pkg);
  const flat::HostScene scene = flat::make_scene(ph);
  SimulateParams p;
  p.views = 8;
  p.voxel_mm = 0.002;
  const LabGeometry lab = lab_geometry(bounding_box(pkg), p);
  const Detector& det = lab.geometry.detector;
  std::vector<flat::Hit> hits(flat::kGpuMaxHits);
  std::vector<flat::Span> spans(flat::kGpuMaxHits);
  PresetCheck out;
  for (int v : {0, 1, 2})
    for (int r = 0; r < det.rows; ++r)
      for (int c = 0; c < det.cols; ++c) {
        const ViewGeometry& view = lab.geometry.views[v];
        const Vec3 q = detector_point(det, view, c, r);
        int met = 0;
        const double got = flat_integral(scene.view(), view.source, q, hits, spans, &met);
        const double want = line_integral(ph, view.source, q);
        out.worst = std::max(out.worst, rel(got, want));
        out.max_met = std::max(out.max_met, met);
        out.hit_rays += want > 0;
        ++out.pixels;
      }
  std::printf("%s: %zu objects, %d pixels, at most %d objects on one ray, largest relative difference %.3g\n",
              preset.c_str(), ph.size(), out.pixels, out.max_met, out.worst);
  return out;
}

TEST(FlatScene, PresetRaysMatchCpu) {
  for (const std::string preset : {"flip-chip", "hybrid-bond", "hbm-stack"}) {
    const PresetCheck r = check_preset(preset, {});
    EXPECT_LT(r.worst, 1e-12) << preset;
    EXPECT_GT(r.hit_rays, 1000) << preset;
    RecordProperty(preset + "_max_objects_per_ray", std::to_string(r.max_met));
  }
}

TEST(FlatScene, LargePackageBeyondTheGpuBoundMatchesCpu) {
  const PresetCheck r = check_preset("flip-chip", {{"die_cols", 8}, {"die_rows", 8}, {"die_size_um", 200}});
  EXPECT_GT(r.max_met, flat::kGpuMaxHits) << "some rays must exceed the per-thread bound (window splitting)";
  EXPECT_LT(r.worst, 1e-10);
}

TEST(FlatScene, WholeViewEqualsTransmissionView) {
  const PackagePhantom pkg = make_preset("flip-chip", 1, {{"die_cols", 2}, {"die_rows", 1}});
  const Phantom ph = to_phantom(pkg);
  SimulateParams p;
  p.views = 8;
  p.voxel_mm = 0.002;
  p.supersample = 2;
  p.focal_spot_mm = 0.01;
  const LabGeometry lab = lab_geometry(bounding_box(pkg), p);
  const Detector& det = lab.geometry.detector;
  const ViewGeometry& view = lab.geometry.views[1];
  std::vector<float> want(size_t(det.cols) * det.rows), got(want.size());
  transmission_view(ph, det, view, p, want.data());
  const flat::ViewRays rays = flat::make_view_rays(det, view, p.supersample, p.focal_spot_mm);
  ASSERT_EQ(rays.sources, 9);
  flat::transmissions_host(flat::make_scene(ph), rays, flat::kGpuMaxHits, got.data());
  double worst = 0;
  int dark = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    worst = std::max(worst, rel(want[i], got[i]));
    dark += want[i] < 0.9f;
  }
  EXPECT_LT(worst, 1.2e-7) << "at most one float rounding apart";
  EXPECT_GT(dark, 50) << "the package must darken a good part of the detector (T < 0.9)";
}

// The pixel model's rows: a thin opaque slab lying along the rays (a bond gap seen edge-on),
// centred on a row boundary, must project its thickness to within half the rows' quantum,
// 1/s^2 pixel: s x s rays at s^2 distinct heights ("n-rooks"; recon/phantom.hpp). A square
// s x s grid samples s heights, and at s = 2 read 0.55 px as 1.0 and 1.36 px as 1.0 (errors up
// to 0.5 px: the bond gaps' thickness came in whole voxels, docs/accuracy.md). Both pixel
// models, the CPU's mean_transmission_view and the GPU's flat::pixel_transmission on the host.
TEST(FlatScene, ThinSlabAlongTheRaysProjectsItsThicknessToTheRowsQuantum) {
  const double pitch = 0.01;  // mm at the object: magnification 2, 0.02 mm pixels
  Detector det{3, 8, 2 * pitch, 2 * pitch};
  ViewGeometry view;
  view.source = {-1000, 0, 0};
  view.detector_center = {1000, 0, 0};  // 8 rows: z = 0 is the boundary between rows 3 and 4
  view.u = {0, 2 * pitch, 0};
  view.v = {0, 0, -2 * pitch};
  for (int s : {2, 4}) {
    const double quantum = 1.0 / (s * s);  // pixel, per face
    double worst_cpu = 0, worst_flat = 0;
    for (double t : {0.3, 0.55, 0.9, 1.36, 1.84, 2.3, 2.7}) {  // slab thickness, pixels
      const double h = 0.5 * t * pitch;
      const Phantom ph({Object{Box{{-0.5, -1, -h}, {0.5, 1, h}}, 100.0, -1}});  // exp(-100): opaque
      std::vector<float> cpu(std::size_t(det.cols) * det.rows), flat(cpu.size());
      mean_transmission_view(ph, det, view, s, {{view.source, 1.0}}, cpu.data());
      flat::transmissions_host(flat::make_scene(ph), flat::make_view_rays(det, view, s, 0), flat::kGpuMaxHits,
                               flat.data());
      double seen_cpu = 0, seen_flat = 0;  // opaque rows seen by the middle column, pixels
      for (int r = 0; r < det.rows; ++r) {
        seen_cpu += 1.0 - cpu[std::size_t(r) * det.cols + 1];
        seen_flat += 1.0 - flat[std::size_t(r) * det.cols + 1];
      }
      worst_cpu = std::max(worst_cpu, std::abs(seen_cpu - t));
      worst_flat = std::max(worst_flat, std::abs(seen_flat - t));
    }
    // Each face is off by at most half a quantum, both faces alike (symmetric slab): <= quantum.
    EXPECT_LE(worst_cpu, quantum + 1e-3) << "s = " << s;
    EXPECT_LE(worst_flat, quantum + 1e-3) << "s = " << s;
    EXPECT_GT(worst_cpu, 0.2 * quantum) << "s = " << s << ": the slabs must not all fall on the samples";
  }
}

TEST(FlatScene, ObjectsBeyondTheBoundSplitTheRayOverlapsBeyondItFail) {
  // ten separate spheres on the ray, a bound of 4: resolved in windows, exact
  std::vector<Object> row;
  for (int i = 0; i < 10; ++i) row.push_back({Sphere{{0, -0.9 + 0.2 * i, 0}, 0.05}, 1.0});
  const flat::HostScene separate = flat::make_scene(Phantom(row));
  std::vector<flat::Hit> hits(4);
  std::vector<flat::Span> spans(4);
  const double a[3] = {0, -5, 0}, b[3] = {0, 5, 0};
  int error = 0;
  EXPECT_NEAR(flat::line_integral(separate.view(), a, b, hits.data(), spans.data(), 4, &error), 10 * 0.1, 1e-12);
  EXPECT_EQ(error, 0);
  (void)flat::line_integral(separate.view(), a, b, hits.data(), spans.data(), 0, &error);
  EXPECT_EQ(error, 10) << "cap 0 counts the objects met";
  // ten nested spheres: all ten overlap at the centre, no window holds them in 4 entries
  std::vector<Object> nested;
  for (int i = 0; i < 10; ++i) nested.push_back({Sphere{{0, 0, 0}, 0.5 - 0.04 * i}, 1.0 + i});
  const flat::HostScene onion = flat::make_scene(Phantom(nested));
  (void)flat::line_integral(onion.view(), a, b, hits.data(), spans.data(), 4, &error);
  EXPECT_GT(error, 4) << "the count of objects met in the smallest window, more than the bound";
  EXPECT_LE(error, 10);
  // with room for all: the innermost wins at the centre (later replaces earlier)
  std::vector<flat::Hit> more(16);
  std::vector<flat::Span> more_spans(16);
  const double v = flat::line_integral(onion.view(), a, b, more.data(), more_spans.data(), 16, &error);
  EXPECT_EQ(error, 0);
  double want = 0;
  for (int i = 0; i < 10; ++i) {
    const double r = 0.5 - 0.04 * i, inner = i < 9 ? 0.5 - 0.04 * (i + 1) : 0;
    want += (1.0 + i) * 2 * (r - inner);
  }
  EXPECT_NEAR(v, want, 1e-12 * want);
  // a whole view with a bound of 4 must throw, naming the count
  ViewGeometry view;
  view.source = {0, -5, 0};
  view.detector_center = {0, 5, 0};
  view.u = {0.01, 0, 0};
  view.v = {0, 0, -0.01};
  float t = 0;
  EXPECT_THROW(flat::transmissions_host(onion, flat::make_view_rays(Detector{1, 1, 0.01, 0.01}, view, 1, 0), 4, &t),
               RuntimeFailure);
}

}  // namespace
}  // namespace voidscan::sim
