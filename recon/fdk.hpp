// FDK reconstruction, end to end: projections in batches -> backend (weight, filter,
// backproject) -> volume, slab by slab when the backend cannot hold the whole volume.
//
// Steps:
//  1. plan_fdk(): matrices, angular and redundancy weights, ramp filter (recon/fdk_plan.hpp);
//  2. make_backend(): CPU or CUDA, chosen in one place (recon/backend.hpp);
//  3. for each z-slab the backend can hold: stream every batch of views from the provider
//     (the next batch is read on a second thread while the backend works on this one) into
//     the backend, then finish the slab into the output volume;
//  4. reconstruct_fdk_slabs() / reconstruct_scan_to_file() instead hold one slab on the host
//     (sized by the host memory limit as well as by the backend) and hand each finished slab to
//     a sink, e.g. a VolumeWriter (recon/volume_writer.hpp) appending it to the output file, so
//     the whole volume is never in memory.
// Reference: L. A. Feldkamp, L. C. Davis, J. W. Kress, "Practical cone-beam algorithm",
// J. Opt. Soc. Am. A 1(6), 612-619 (1984). Tests: tests/recon/test_fdk.cpp,
// tests/recon/test_fdk_slabs.cpp (slabbing, reconstruction to a file, fp16).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
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
  /// Batch size, memory limits, precision (recon/backend.hpp states their ranges and defaults).
  BackendOptions backend;
  /// Threads that read and preprocess TIFF projections for reconstruct_scan*() (ScanProjections,
  /// recon/projections.hpp). Range 0..64; 0 (default) = one per hardware thread, at most 8.
  int read_threads = 0;
};

/// What a reconstruction did, for the log and the benchmarks.
struct FdkReport {
  std::string backend;           ///< "cpu" or "cuda"
  int slabs = 0;                 ///< z-slabs the volume was computed in
  double seconds = 0;            ///< wall time of the whole reconstruction
  double backend_seconds = 0;    ///< time spent inside the backend (filter + backprojection)
  double output_seconds = 0;     ///< time spent handing finished slabs to the sink (file writes)
  double backprojection_seconds = 0;  ///< backprojection alone (FdkBackend::backprojection_seconds)
  double gups = 0;               ///< views x voxels / backend_seconds / 1e9
  double backprojection_gups = 0;  ///< views x voxels / backprojection_seconds / 1e9
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

/// Receives each finished slab, in order of z: slices [z0, z1) of the grid, nx * ny * (z1 - z0)
/// floats, x fastest, valid only during the call.
using SlabSink = std::function<void(int z0, int z1, const float* slab)>;

/// Like reconstruct_fdk(), but holds only one slab on the host: its size is the smaller of what
/// the backend can hold and what fits in params.backend's host memory limit
/// (host_slab_slices(), recon/backend.hpp). Each finished slab goes to `sink`.
void reconstruct_fdk_slabs(const Geometry& geometry, ProjectionProvider& projections, const VolumeGrid& grid,
                           const FdkParams& params, const SlabSink& sink, FdkReport* report = nullptr,
                           const Progress& progress = {});

/// Where and how reconstruct_scan_to_file() writes the volume.
struct VolumeFileOptions {
  std::filesystem::path file;                ///< .mha, .nrrd or .tif/.tiff
  VolumeDtype dtype = VolumeDtype::float32;  ///< float32 (default) or uint16
  /// uint16 only: the attenuation range [lo, hi] (1/mm) mapped onto 0..65535; values outside
  /// are clamped. Unset (default): the data's own finite range, found by spooling float32 slabs
  /// to a temporary file beside the output first (recon/volume_writer.hpp).
  std::optional<std::pair<double, double>> uint16_range;
};

/// A scan on disk onto `grid`, straight into a volume file, slab by slab (never the whole volume
/// in memory; written under a temporary name and renamed at the end, removed on failure).
void reconstruct_scan_to_file(const Scan& scan, const VolumeGrid& grid, const FdkParams& params,
                              const VolumeFileOptions& output, FdkReport* report = nullptr,
                              const Progress& progress = {});

/// Convenience: a scan on disk onto `grid`.
[[nodiscard]] Volume reconstruct_scan(const Scan& scan, const VolumeGrid& grid, const FdkParams& params,
                                      FdkReport* report = nullptr, const Progress& progress = {});

/// Peak resident memory of this process so far, bytes.
[[nodiscard]] size_t peak_host_memory();

}  // namespace voidscan
