// The lab-CT simulator (issue 3): a package phantom -> a scan folder a lab could have written.
//
// Steps (simulate()):
//  1. geometry: a circular cone-beam scan whose magnification gives the asked voxel size and
//     whose detector just covers the sample (lab_geometry()), or the views of an existing scan;
//  2. per view and pixel, the mean transmission over s x s sub-pixel rays (s^2 distinct rows:
//     recon/phantom.hpp mean_transmission_view) and, with a focal
//     spot, over a 3 x 3 Gauss-Hermite quadrature of the Gaussian spot:
//     T = sum_k w_k exp(-integral of mu along ray k) (recon/phantom.hpp: exact line integrals,
//     a BVH skips the objects a ray cannot meet). On the CPU (transmission_view) or the GPU
//     (cuda/sim_projector.cu, the same function in double precision), chosen by
//     params.device in make_projector() (sim/projector.hpp), the one place that chooses;
//  3. (on the CPU whatever the device: cheap, and seed-deterministic) optional detector blur: separable Gaussian on T, reflecting borders;
//  4. counts: Poisson(frames i0 T) / frames (or, with i0 = 0, noise-free float line integrals), uint16 with
//     white level i0, from a generator seeded per view by (seed, view): the same files for a
//     given seed whatever the thread count;
//  5. files, written into a temporary folder renamed into place at the end (recon/output_dir.hpp):
//     scan.json, proj/NNNN.tif, phantom.json (the exact phantom, so a preset run can be
//     replayed), truth.json (sim/truth.hpp) and, optionally, truth volumes.
// Test: tests/sim/test_simulate.cpp (and tests/cli/test_cli.cpp for the command).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "recon/backend.hpp"
#include "recon/geometry.hpp"
#include "recon/scan.hpp"
#include "sim/package.hpp"

namespace voidscan::sim {

/// Options of a simulation. Every default is stated here and only here.
struct SimulateParams {
  /// Number of views over a full circle, equally spaced from 0 degrees. Range >= 1; default 720.
  int views = 720;
  /// Reconstruction voxel size the magnification is chosen for, mm: M = pixel_mm / voxel_mm.
  /// Range (0, pixel_mm]; default 0.001 (1 um).
  double voxel_mm = 0.001;
  /// Detector pixel pitch, mm. Range > 0; default 0.1 (a binned flat panel).
  double pixel_mm = 0.1;
  /// Source-to-detector distance, mm. Range > 0; default 500.
  double sdd_mm = 500;
  /// Unattenuated counts per pixel (the white level). 0 = noise-free: float32 line integrals.
  /// Range 0 or [1, 60000] (uint16 headroom); default 20000.
  double i0 = 20000;
  /// Exposures averaged per view, as lab CT does at high magnification: the counts are
  /// Poisson(frames x i0 x T) / frames, stored rounded (white level i0). Range 1..1000; default 10.
  int frames = 10;
  /// Seed of the noise generator. Default 1.
  uint64_t seed = 1;
  /// Detector blur: Gaussian sigma in pixels. Range >= 0; default 0 (none).
  double blur_px = 0;
  /// Focal spot size (FWHM of a Gaussian spot, as vendors quote it) in mm at the source.
  /// Range >= 0; default 0 (a point source).
  double focal_spot_mm = 0;
  /// Sub-pixel rays per pixel along each axis (pixel area integration). Range 1..8; default 2.
  int supersample = 2;
  /// Margin of the default grid around the sample, voxels. Range >= 0; default 2.
  int grid_margin_voxels = 2;
  /// Also write truth_mu.mha (partial-volume phantom, 3^3 sub-samples per voxel) and
  /// truth_labels.mha (planted-defect ids) on the scan's grid. Default false.
  bool truth_volume = false;
  /// Replace an existing non-empty output folder. Default false: refuse it.
  bool force = false;
  /// Where the projections (step 2) are computed: automatic = the CUDA projector when this
  /// build has CUDA and a GPU is present, else the CPU; cpu; cuda (an error without CUDA or
  /// GPU). Both compute the same transmissions (to ~1e-7 relative, float rounding); blur and
  /// noise always run on the CPU. Default automatic.
  Device device = Device::automatic;
};

/// Throws InputError naming the option for a value out of range.
void validate(const SimulateParams& params);

/// A circular scan of `views` views that sees all of `sample` (a box about the origin's z axis)
/// at magnification pixel_mm / voxel_mm, with the detector just large enough, and a default
/// grid covering the sample at voxel_mm (plus the margin).
struct LabGeometry {
  Geometry geometry;
  VolumeGrid grid;
};
[[nodiscard]] LabGeometry lab_geometry(const Aabb& sample, const SimulateParams& params);

/// Transmissions of one view into `out` (rows x cols, row-major), before blur and noise, on the
/// CPU (the reference; make_projector() in sim/projector.hpp may pick the CUDA one instead).
void transmission_view(const Phantom& phantom, const Detector& det, const ViewGeometry& view,
                       const SimulateParams& params, float* out);

/// What simulate() wrote.
struct SimulateResult {
  std::filesystem::path scan_json;
  int views = 0, cols = 0, rows = 0;
  VolumeGrid grid;
  size_t defects = 0;
  double seconds = 0;
  double seconds_per_view = 0;
  std::string projector;  ///< "cpu" or "cuda": where the projections were computed
};

/// Simulates `phantom` into the folder `out` (created; an existing non-empty folder is an error
/// unless params.force). With `existing` (a loaded scan.json), its views, detector and grid are
/// used instead of lab_geometry(). Progress: fraction done.
SimulateResult simulate(const PackagePhantom& phantom, const SimulateParams& params, const std::filesystem::path& out,
                        const std::optional<Scan>& existing = std::nullopt,
                        const std::function<void(double)>& progress = {});

}  // namespace voidscan::sim
