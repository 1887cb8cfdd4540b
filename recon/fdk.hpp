// FDK reconstruction, end to end: projections in batches -> backend (weight, filter,
// backproject) -> volume, slab by slab when the backend cannot hold the whole volume.
//
// Steps:
//  1. plan_fdk(): matrices, angular and redundancy weights, ramp filter (recon/fdk_plan.hpp);
//  2. make_backend(): CPU or CUDA, chosen in one place (recon/backend.hpp);
//  3. for each z-slab the backend can hold: stream every batch of views from the provider
//     (the next batch is read on a second thread while the backend works on this one) into
//     the backend, then finish the slab into the output volume.
// Reference: L. A. Feldkamp, L. C. Davis, J. W. Kress, "Practical cone-beam algorithm",
// J. Opt. Soc. Am. A 1(6), 612-619 (1984). Test: tests/recon/test_fdk.cpp.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "recon/backend.hpp"
#include "recon/projections.hpp"
#include "recon/ramp_filter.hpp"
#include "recon/volume_io.hpp"

namespace voidscan {

/// Options of a reconstruction. Every default is stated here and only here.
struct FdkParams {
  /// Window of the ramp filter. Default ram-lak (no apodisation): sharpest, noisiest.
  FilterWindow window = FilterWindow::ram_lak;
  /// Where to compute. Default automatic: the GPU when one is present, else the CPU.
  Device device = Device::automatic;
  /// Batch size and GPU memory limit (recon/backend.hpp states their ranges and defaults).
  BackendOptions backend;
};

/// What a reconstruction did, for the log and the benchmarks.
struct FdkReport {
  std::string backend;           ///< "cpu" or "cuda"
  int slabs = 0;                 ///< z-slabs the volume was computed in
  double seconds = 0;            ///< wall time of the whole reconstruction
  double backend_seconds = 0;    ///< time spent inside the backend (filter + backprojection)
  double gups = 0;               ///< views x voxels / seconds / 1e9
  size_t peak_host_bytes = 0;    ///< peak resident memory of the process
  size_t peak_device_bytes = 0;  ///< peak device memory held by the backend
  uint64_t clamped_pixels = 0;   ///< non-positive transmissions clamped in preprocessing
  int dead_pixels = 0;           ///< pixels with flat <= dark, interpolated
  std::vector<std::string> warnings;
};

/// Progress callback: fraction done in [0, 1].
using Progress = std::function<void(double)>;

/// Reconstructs `grid` from the views `geometry` describes, read from `projections`, into
/// `out` (grid.voxel_count() floats, x fastest, 1/mm).
void reconstruct_fdk(const Geometry& geometry, ProjectionProvider& projections, const VolumeGrid& grid,
                     const FdkParams& params, float* out, FdkReport* report = nullptr, const Progress& progress = {});

/// Convenience: a scan on disk onto `grid`.
[[nodiscard]] Volume reconstruct_scan(const Scan& scan, const VolumeGrid& grid, const FdkParams& params,
                                      FdkReport* report = nullptr, const Progress& progress = {});

/// Peak resident memory of this process so far, bytes.
[[nodiscard]] size_t peak_host_memory();

}  // namespace voidscan
