// Shared by the FDK tests and the benchmark: analytic phantoms, exact projection, and the
// measures the tests assert (flat-region means, correlation with the voxelised truth,
// centroid of a blob).
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "recon/fdk.hpp"
#include "recon/phantom.hpp"

namespace voidscan::test {

/// A test phantom: a large low-attenuation cylinder (the "underfill"), a denser box (a "die"),
/// a dense small sphere (a "bump") and an air sphere (a "void") inside the cylinder.
inline Phantom package_phantom() {
  std::vector<Object> o;
  o.push_back({Cylinder{0, 0, 6.0, -4.0, 4.0}, 0.02});
  o.push_back({Box{{-4.0, -2.0, -1.5}, {1.0, 3.0, 1.5}}, 0.05});
  o.push_back({Sphere{{3.0, -2.5, 0.5}, 1.0}, 0.10});
  o.push_back({Sphere{{-1.5, 0.5, 0.0}, 0.8}, 0.0});
  return Phantom(o);
}

/// The tests' circular scan: source-axis 100 mm, source-detector 200 mm (magnification 2),
/// `views` angles from start_deg in steps of step_deg.
inline CircularSpec circle_spec(int views, double step_deg, double start_deg = 0.0) {
  CircularSpec s;
  s.sod_mm = 100;
  s.sdd_mm = 200;
  for (int i = 0; i < views; ++i) s.angles_deg.push_back(start_deg + i * step_deg);
  return s;
}

/// circle_spec() over span_deg on a detector of cols x rows pixels of 0.4 mm.
inline Geometry circular_geometry(int views, double span_deg = 360.0, double start_deg = 0.0, int cols = 96,
                                  int rows = 96) {
  return expand_circular({cols, rows, 0.4, 0.4}, circle_spec(views, span_deg / views, start_deg));
}

inline VolumeGrid cube_grid(int n, double voxel_mm) {
  VolumeGrid g;
  g.nx = g.ny = g.nz = n;
  g.sx = g.sy = g.sz = voxel_mm;
  return g;
}

/// Projects `phantom` exactly and reconstructs it on `device`.
inline std::vector<float> reconstruct_phantom(const Phantom& phantom, const Geometry& g, const VolumeGrid& grid,
                                              Device device, FdkReport* report = nullptr,
                                              FilterWindow window = FilterWindow::ram_lak,
                                              size_t gpu_memory_limit = 0) {
  const std::vector<float> proj = project(phantom, g, 2);
  MemoryProjections provider(proj.data(), g.detector.rows, g.detector.cols);
  FdkParams params;
  params.device = device;
  params.window = window;
  params.backend.gpu_memory_limit_bytes = gpu_memory_limit;
  std::vector<float> vol(grid.voxel_count());
  reconstruct_fdk(g, provider, grid, params, vol.data(), report);
  return vol;
}

/// Mean of the reconstruction over voxels at least `margin` voxels inside a region of
/// constant attenuation `mu` (all 26 neighbours at that distance have the same mu).
inline double flat_region_mean(const std::vector<float>& vol, const VolumeGrid& grid, const Phantom& phantom,
                               double mu, int margin, int* count = nullptr) {
  double sum = 0;
  int n = 0;
  for (int k = 0; k < grid.nz; ++k)
    for (int j = 0; j < grid.ny; ++j)
      for (int i = 0; i < grid.nx; ++i) {
        if (std::abs(mu_at(phantom, grid.voxel_center(i, j, k)) - mu) > 1e-12) continue;
        bool inside = true;
        for (int dz = -1; dz <= 1 && inside; ++dz)
          for (int dy = -1; dy <= 1 && inside; ++dy)
            for (int dx = -1; dx <= 1 && inside; ++dx)
              inside = std::abs(mu_at(phantom, grid.voxel_center(i + margin * dx, j + margin * dy, k + margin * dz)) -
                                mu) < 1e-12;
        if (!inside) continue;
        sum += vol[(size_t(k) * grid.ny + j) * grid.nx + i];
        ++n;
      }
  if (count) *count = n;
  return n ? sum / n : NAN;
}

/// Pearson correlation of two volumes over voxels whose centre satisfies `keep`.
template <class Keep>
double correlation(const std::vector<float>& a, const std::vector<float>& b, const VolumeGrid& grid, Keep keep) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  long n = 0;
  for (int k = 0; k < grid.nz; ++k)
    for (int j = 0; j < grid.ny; ++j)
      for (int i = 0; i < grid.nx; ++i) {
        if (!keep(grid.voxel_center(i, j, k))) continue;
        const size_t idx = (size_t(k) * grid.ny + j) * grid.nx + i;
        sa += a[idx];
        sb += b[idx];
        saa += double(a[idx]) * a[idx];
        sbb += double(b[idx]) * b[idx];
        sab += double(a[idx]) * b[idx];
        ++n;
      }
  const double cov = sab / n - sa / n * sb / n;
  return cov / std::sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
}

/// Centroid (mm) of (v - background)+ within `radius` mm of `guess`.
inline Vec3 blob_centroid(const std::vector<float>& vol, const VolumeGrid& grid, Vec3 guess, double radius,
                          double background) {
  double w = 0;
  Vec3 c;
  for (int k = 0; k < grid.nz; ++k)
    for (int j = 0; j < grid.ny; ++j)
      for (int i = 0; i < grid.nx; ++i) {
        const Vec3 p = grid.voxel_center(i, j, k);
        if (norm(p - guess) > radius) continue;
        const double v = vol[(size_t(k) * grid.ny + j) * grid.nx + i] - background;
        if (v <= 0) continue;
        w += v;
        c = c + v * p;
      }
  return (1.0 / w) * c;
}

/// Value of the volume at the voxel nearest to p.
inline float value_at(const std::vector<float>& vol, const VolumeGrid& grid, Vec3 p) {
  const int i = int(std::lround((p.x - grid.center.x) / grid.sx + 0.5 * (grid.nx - 1)));
  const int j = int(std::lround((p.y - grid.center.y) / grid.sy + 0.5 * (grid.ny - 1)));
  const int k = int(std::lround((p.z - grid.center.z) / grid.sz + 0.5 * (grid.nz - 1)));
  return vol[(size_t(k) * grid.ny + j) * grid.nx + i];
}

}  // namespace voidscan::test
