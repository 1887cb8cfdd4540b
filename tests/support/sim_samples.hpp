// The accuracy tests' data path (docs/accuracy.md), as a user would run it: a simulator preset
// (sim::make_preset, seeded planted defects) -> sim::simulate (lab cone beam, exact line
// integrals, Poisson noise; scan folder with truth.json) -> FDK on the CPU (reconstruct_scan on
// the scan's own grid) -> detect::analyze -> detect::match_defects against truth.json read by
// detect::read_truth. The second path skips the projection: the phantom voxelised with
// partial volume on the same grid (sim's truth volume, 3^3 sub-samples per voxel) plus Gaussian
// noise, to separate what the detector does from what the reconstruction does.
#pragma once
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "detect/match.hpp"
#include "detect/metal_model.hpp"
#include "recon/fdk.hpp"
#include "recon/metal_streaks.hpp"
#include "recon/phantom.hpp"
#include "recon/scan.hpp"
#include "recon/volume_io.hpp"
#include "sim/presets.hpp"
#include "sim/simulate.hpp"
#include "support/noise.hpp"
#include "support/temp_dir.hpp"

namespace voidscan::test {

/// One simulated sample: preset, parameter overrides, preset seed, and the scan's settings.
struct SimCase {
  std::string preset;
  std::map<std::string, double> params;
  uint64_t seed = 1;
  int views = 720;                               ///< over 360 degrees
  double i0 = 20000;                             ///< white level (sim default); 0 = noise-free
  FilterWindow window = FilterWindow::hann;      ///< FDK ramp window
  int supersample = 2;                           ///< sub-pixel rays per axis (sim default 2)
  bool metal_correction = false;                 ///< also the FDK volume with its metal streaks subtracted
};

struct SimSample {
  detect::Truth truth;       ///< read back from the simulator's truth.json
  sim::PackagePhantom phantom;
  Volume fdk;                ///< the FDK reconstruction on the scan's grid
  Volume fdk_mc;             ///< with SimCase::metal_correction: fdk after subtract_metal_streaks (as run --metal-correction)
  double simulate_s = 0, reconstruct_s = 0;
};

/// Simulates `c` into a temporary folder (or into `keep`/scan, kept, with the reconstruction
/// as `keep`/fdk.mha) and reconstructs it with FDK on the CPU.
inline SimSample simulate_and_reconstruct(const SimCase& c, const std::filesystem::path& keep = {}) {
  using clock = std::chrono::steady_clock;
  SimSample s;
  s.phantom = sim::make_preset(c.preset, c.seed, c.params);
  TempDir tmp("voidscan-accuracy");
  const std::filesystem::path dir = keep.empty() ? tmp.path() : keep;
  sim::SimulateParams sp;
  sp.views = c.views;
  sp.i0 = c.i0;
  sp.supersample = c.supersample;
  sp.seed = 1000 + c.seed;  // noise seed, distinct from the preset seed
  sp.device = Device::cpu;  // the reference projector: the same figures on every machine
  const auto t0 = clock::now();
  sp.force = true;
  const sim::SimulateResult r = sim::simulate(s.phantom, sp, dir / "scan");
  const auto t1 = clock::now();
  const Scan scan = load_scan(r.scan_json);
  FdkParams fp;
  fp.device = Device::cpu;
  fp.window = c.window;
  s.fdk = reconstruct_scan(scan, scan_grid(scan), fp);
  if (c.metal_correction) {
    s.fdk_mc = s.fdk;
    // VOIDSCAN_ACCURACY_MC_MAX: the content-error bound, for tuning (default kMaxMetalContentError)
    const char* bound = std::getenv("VOIDSCAN_ACCURACY_MC_MAX");
    const MetalStreakReport mr = subtract_metal_streaks(scan.geometry, fp, detect::fit_metal_model(s.fdk_mc).columns, s.fdk_mc,
                                                        sp.supersample, bound ? std::atof(bound) : kMaxMetalContentError);
    std::printf("metal correction: %d columns, %d voids, content error %.3f, %s\n", mr.columns, mr.voids,
                mr.content_error, mr.applied ? "applied" : "NOT applied");
  }
  s.truth = detect::read_truth(dir / "scan" / "truth.json");
  if (!keep.empty()) write_volume(keep / "fdk.mha", s.fdk, VolumeDtype::float32);
  if (!keep.empty() && c.metal_correction) write_volume(keep / "fdk_mc.mha", s.fdk_mc, VolumeDtype::float32);
  s.simulate_s = std::chrono::duration<double>(t1 - t0).count();
  s.reconstruct_s = std::chrono::duration<double>(clock::now() - t1).count();
  return s;
}

/// The phantom voxelised on `grid` with `supersample`^3 sub-samples per voxel (partial volume,
/// as sim's truth_mu.mha) plus Gaussian noise of `sigma` (1/mm) from `noise_seed`.
inline Volume voxelised(const sim::PackagePhantom& p, const VolumeGrid& grid, double sigma, unsigned noise_seed,
                        int supersample = 3) {
  Volume v{grid, voxelize(sim::to_phantom(p), grid, supersample)};
  add_gaussian_noise(v.data, sigma, noise_seed);
  return v;
}

}  // namespace voidscan::test
