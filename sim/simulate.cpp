#include "sim/simulate.hpp"

#include <tbb/parallel_for.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include "recon/error.hpp"
#include "recon/output_dir.hpp"
#include "recon/tiff_io.hpp"
#include "recon/volume_io.hpp"
#include "sim/flat_scene_host.hpp"
#include "sim/projector.hpp"
#include "sim/truth.hpp"

namespace voidscan::sim {
namespace fs = std::filesystem;

void validate(const SimulateParams& p) {
  const auto bad = [](const char* field, const std::string& what) { throw InputError("", field, what); };
  if (p.views < 1) bad("views", "must be >= 1");
  if (!(p.pixel_mm > 0) || !std::isfinite(p.pixel_mm)) bad("pixel_mm", "must be > 0");
  if (!(p.voxel_mm > 0) || !(p.voxel_mm <= p.pixel_mm)) bad("voxel", "must be > 0 and at most the pixel pitch (magnification >= 1)");
  if (!(p.sdd_mm > 0) || !std::isfinite(p.sdd_mm)) bad("sdd_mm", "must be > 0");
  if (!(p.i0 == 0 || (p.i0 >= 1 && p.i0 <= 60000))) bad("i0", "must be 0 (noise-free) or in [1, 60000] counts");
  if (!(p.blur_px >= 0) || !std::isfinite(p.blur_px)) bad("blur-px", "must be >= 0");
  if (!(p.focal_spot_mm >= 0) || !std::isfinite(p.focal_spot_mm)) bad("focal-spot-mm", "must be >= 0");
  if (p.supersample < 1 || p.supersample > 8) bad("supersample", "must be in 1..8");
  if (p.grid_margin_voxels < 0) bad("grid_margin_voxels", "must be >= 0");
}

LabGeometry lab_geometry(const Aabb& s, const SimulateParams& p) {
  validate(p);
  double r = 0;
  for (double x : {s.min_mm.x, s.max_mm.x})
    for (double y : {s.min_mm.y, s.max_mm.y}) r = std::max(r, std::hypot(x, y));
  const double zmax = std::max(std::abs(s.min_mm.z), std::abs(s.max_mm.z));
  const double m = p.pixel_mm / p.voxel_mm;
  CircularSpec spec;
  spec.sdd_mm = p.sdd_mm;
  spec.sod_mm = p.sdd_mm / m;
  if (spec.sod_mm < 1.05 * r)
    throw InputError("", "voxel", "magnification " + std::to_string(m) + " puts the source " + std::to_string(spec.sod_mm) +
                                      " mm from the axis, inside the sample (radius " + std::to_string(r) +
                                      " mm): use a larger voxel or a longer source-detector distance");
  const double m_near = spec.sdd_mm / (spec.sod_mm - r);  // magnification of the sample's nearest point
  Detector det;
  det.du_mm = det.dv_mm = p.pixel_mm;
  det.cols = 2 * int(std::ceil(r * m_near / p.pixel_mm + 2));
  det.rows = 2 * int(std::ceil(zmax * m_near / p.pixel_mm + 2));
  for (int i = 0; i < p.views; ++i) spec.angles_deg.push_back(360.0 * i / p.views);
  LabGeometry out;
  out.geometry = expand_circular(det, spec);
  const Vec3 ext = s.max_mm - s.min_mm;
  auto& g = out.grid;
  g.sx = g.sy = g.sz = p.voxel_mm;
  g.nx = int(std::ceil(ext.x / p.voxel_mm - 1e-9)) + 2 * p.grid_margin_voxels;
  g.ny = int(std::ceil(ext.y / p.voxel_mm - 1e-9)) + 2 * p.grid_margin_voxels;
  g.nz = int(std::ceil(ext.z / p.voxel_mm - 1e-9)) + 2 * p.grid_margin_voxels;
  g.center = 0.5 * (s.min_mm + s.max_mm);
  return out;
}

void transmission_view(const Phantom& phantom, const Detector& det, const ViewGeometry& view, const SimulateParams& p,
                       float* out) {
  // Source points: the view's source, or a 3 x 3 Gauss-Hermite rule for the Gaussian spot
  // (sim/flat_scene_host.hpp make_view_rays: the CUDA projector uses the same points).
  const flat::ViewRays rays = flat::make_view_rays(det, view, p.supersample, p.focal_spot_mm);
  std::vector<SourcePoint> sources;
  for (int k = 0; k < rays.sources; ++k)
    sources.push_back({{rays.source[k][0], rays.source[k][1], rays.source[k][2]}, rays.weight[k]});
  mean_transmission_view(phantom, det, view, p.supersample, sources, out);
}

namespace {

/// Separable Gaussian of sigma `sigma` pixels, borders reflected.
void gaussian_blur(std::vector<float>& img, int cols, int rows, double sigma) {
  if (sigma <= 0) return;
  const int rad = std::max(1, int(std::ceil(3 * sigma)));
  std::vector<double> k(2 * rad + 1);
  double sum = 0;
  for (int i = -rad; i <= rad; ++i) sum += k[i + rad] = std::exp(-0.5 * i * i / (sigma * sigma));
  for (auto& v : k) v /= sum;
  const auto reflect = [](int i, int n) {
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
    return i;
  };
  std::vector<float> tmp(img.size());
  tbb::parallel_for(0, rows, [&](int r) {
    for (int c = 0; c < cols; ++c) {
      double a = 0;
      for (int i = -rad; i <= rad; ++i) a += k[i + rad] * img[size_t(r) * cols + reflect(c + i, cols)];
      tmp[size_t(r) * cols + c] = float(a);
    }
  });
  tbb::parallel_for(0, rows, [&](int r) {
    for (int c = 0; c < cols; ++c) {
      double a = 0;
      for (int i = -rad; i <= rad; ++i) a += k[i + rad] * tmp[size_t(reflect(r + i, rows)) * cols + c];
      img[size_t(r) * cols + c] = float(a);
    }
  });
}

/// SplitMix64: decorrelates the per-view seeds derived from (seed, view).
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text << "\n";
  if (!out) throw RuntimeFailure("cannot write " + file.string(), "check free disk space");
}

}  // namespace

SimulateResult simulate(const PackagePhantom& phantom, const SimulateParams& params, const fs::path& out_dir,
                        const std::optional<Scan>& existing, const std::function<void(double)>& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  validate(params);
  const Phantom ph = to_phantom(phantom);
  validate(ph, "phantom");

  Geometry geometry;
  VolumeGrid grid;
  if (existing) {
    geometry = existing->geometry;
    grid = scan_grid(*existing);
  } else {
    const LabGeometry lab = lab_geometry(bounding_box(phantom), params);
    geometry = lab.geometry;
    grid = lab.grid;
  }
  const Detector& det = geometry.detector;
  const int nviews = int(geometry.views.size());

  // chosen (and a GPU set up) before anything is written: --device cuda without one fails cleanly
  const auto projector = make_projector(params.device, ph, det, params);
  OutputDir out(out_dir, params.force);
  fs::create_directories(out.path() / "proj");
  Scan scan;
  scan.name = phantom.name.empty() ? "simulated" : phantom.name;
  scan.geometry = geometry;
  scan.volume = grid;
  if (params.i0 > 0) scan.intensity.white_level = params.i0;
  else scan.intensity.already_log = true;

  std::vector<float> t(size_t(det.cols) * det.rows);
  std::vector<uint16_t> counts(t.size());
  for (int v = 0; v < nviews; ++v) {
    projector->view(geometry.views[v], t.data());
    gaussian_blur(t, det.cols, det.rows, params.blur_px);
    char name[32];
    std::snprintf(name, sizeof name, "%04d.tif", v);
    const fs::path file = out.path() / "proj" / name;
    if (params.i0 > 0) {
      std::mt19937_64 rng(mix(params.seed ^ mix(uint64_t(v))));
      for (size_t i = 0; i < t.size(); ++i) {
        std::poisson_distribution<long> poisson(params.frames * params.i0 * std::max(0.f, t[i]));
        counts[i] = uint16_t(std::min(65535L, std::lround(double(poisson(rng)) / params.frames)));
      }
      write_tiff_uint16(file, det.cols, det.rows, 1, counts.data(), "voidscan simulate");
    } else {
      for (auto& x : t) x = -std::log(std::max(x, 1e-30f));
      write_tiff_float(file, det.cols, det.rows, 1, t.data(), "voidscan simulate (line integrals)");
    }
    scan.projections.push_back({file, 0});
    if (progress) progress(0.9 * (v + 1) / nviews);
  }
  const double projection_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  save_scan(scan, out.path() / "scan.json");
  save_phantom(phantom, out.path() / "phantom.json");
  write_text(out.path() / "truth.json", truth_json(phantom, grid));
  if (params.truth_volume) {
    write_volume(out.path() / "truth_mu.mha", Volume{grid, voxelize(ph, grid, 3)}, VolumeDtype::float32);
    write_volume(out.path() / "truth_labels.mha", truth_labels(phantom, grid), VolumeDtype::float32);
  }
  out.commit();
  if (progress) progress(1.0);

  SimulateResult r;
  r.scan_json = out.destination() / "scan.json";
  r.views = nviews;
  r.cols = det.cols;
  r.rows = det.rows;
  r.grid = grid;
  r.defects = truth_defects(phantom).size();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.seconds_per_view = projection_seconds / std::max(1, nviews);
  r.projector = projector->name();
  return r;
}

}  // namespace voidscan::sim
