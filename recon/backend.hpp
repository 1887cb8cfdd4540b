// The compute backend of FDK: weighting, ramp filtering and backprojection of batches of
// views into a z-slab of the volume. Two implementations compute the same function:
// CpuBackend (recon/backend_cpu.cpp: TBB + FFTW) and the CUDA backend (cuda/). The choice
// is made in exactly one place, make_backend() (recon/backend.cpp).
#pragma once
#include <cstddef>
#include <memory>
#include <string>

#include "recon/fdk_plan.hpp"
#include "recon/geometry.hpp"

namespace voidscan {

enum class Device { automatic, cpu, cuda };
[[nodiscard]] Device parse_device(const std::string& name);  ///< "auto" | "cpu" | "cuda"

/// How the backends store intermediate results. Both backends compute the same function in
/// either mode; fp16 rounds (IEEE binary16, round to nearest even) at exactly these points:
///  1. each filtered projection pixel, after the ramp filter, before backprojection samples it
///     (bilinear interpolation then runs in float32 on the rounded values);
///  2. each slab voxel, after each pass: a pass is up to kHalfPassViews consecutive views of one
///     add_views() call (views [first, first + 64), [first + 64, first + 128), ...), whose
///     contributions are summed in float32 from zero and then added to the voxel, the sum
///     rounded to half: voxel = half(voxel + sum over the pass).
/// The CUDA backend stores both as half (a half-float layered texture, a half slab), which halves
/// that memory; the CPU backend keeps the rounded values in float32 (its buffers are the caller's
/// volume and one batch, so half storage would save little there).
enum class Precision {
  fp32,  ///< everything in float32 (default)
  fp16,  ///< filtered projections and slab rounded to IEEE half, as above
};
/// Views per fp16 rounding pass (the CUDA backend's views per backprojection launch).
inline constexpr int kHalfPassViews = 64;
[[nodiscard]] Precision parse_precision(const std::string& name);  ///< "fp32" | "fp16"

struct BackendOptions {
  /// Upper bound on device memory the CUDA backend may use, bytes. 0 = 90 % of what is free.
  /// Lower it to force z-slabbing (tests do). Ignored by the CPU backend.
  size_t gpu_memory_limit_bytes = 0;
  /// Upper bound on host memory for the z-slab and the batch buffers, bytes: the CPU backend
  /// slabs in z to stay under it, and reconstruct_to_file() sizes its host slab by it (for
  /// either backend). 0 = three quarters of the machine's physical memory. Lower it to force
  /// z-slabbing (tests do) or to leave memory to other programs.
  size_t host_memory_limit_bytes = 0;
  /// Number of views processed per batch. Range 1..1024, default 32.
  int batch_views = 32;
  /// Storage precision of filtered projections and of the slab. Default fp32.
  Precision precision = Precision::fp32;
};

/// The host memory limit in effect: options.host_memory_limit_bytes, or 3/4 of physical memory.
[[nodiscard]] size_t effective_host_memory_limit(const BackendOptions& options);

/// Host bytes the pipeline and the CPU backend hold besides the slab, for a plan and options:
/// the two projection batches the pipeline double-buffers, the CPU backend's filtered batch
/// (with its one-pixel border) and per-thread FFT rows. Used to size slabs under the limit.
[[nodiscard]] size_t host_batch_bytes(const FdkPlan& plan, const BackendOptions& options);

/// Largest number of z slices of `grid` whose float32 slab fits in the host memory limit next to
/// host_batch_bytes(). Throws RuntimeFailure when not even one slice fits.
[[nodiscard]] int host_slab_slices(const FdkPlan& plan, const BackendOptions& options, const VolumeGrid& grid);

struct DeviceMemoryStats {
  size_t peak_bytes = 0;  ///< highest device memory held by this backend at once
};

class FdkBackend {
 public:
  virtual ~FdkBackend() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// Largest number of z slices of `grid` one slab may have (grid.nz when it all fits).
  [[nodiscard]] virtual int max_slab_slices(const VolumeGrid& grid) const = 0;
  /// Starts accumulating slices [z0, z1) of `grid`, zeroed, whose result end_slab() leaves in
  /// `out` (host memory of nx * ny * (z1 - z0) floats, x fastest, that the caller keeps alive
  /// until end_slab returns). The CPU backend accumulates in `out` directly; the CUDA backend
  /// accumulates on the device and copies into `out` at end_slab.
  virtual void begin_slab(const VolumeGrid& grid, int z0, int z1, float* out) = 0;
  /// Weights, filters and backprojects views [first, first + count) into the slab.
  /// `log_projections`: count x rows x cols floats on the host, line integrals (-log I/I0).
  virtual void add_views(const float* log_projections, int first, int count) = 0;
  /// Finishes the slab: when it returns, `out` given to begin_slab holds the result.
  virtual void end_slab() = 0;
  [[nodiscard]] virtual DeviceMemoryStats device_memory() const { return {}; }
  /// Time spent in backprojection alone so far, seconds: the "kernel time" of the benchmarks.
  /// CUDA: the backprojection kernels' own time (CUDA events around each batch's launches,
  /// read at end_slab); CPU: wall time of the backprojection loops.
  [[nodiscard]] virtual double backprojection_seconds() const { return 0; }
};

/// Number of usable CUDA devices; 0 (and `why` set) when built without CUDA or none is present.
[[nodiscard]] int cuda_device_count(std::string* why = nullptr);

/// The one place a backend is chosen. Device::automatic takes CUDA when a device is present.
/// Throws RuntimeFailure when CUDA is asked for and unavailable.
[[nodiscard]] std::unique_ptr<FdkBackend> make_backend(Device device, const FdkPlan& plan,
                                                       const BackendOptions& options);

/// The CPU backend, also usable directly.
[[nodiscard]] std::unique_ptr<FdkBackend> make_cpu_backend(const FdkPlan& plan, const BackendOptions& options);

}  // namespace voidscan
