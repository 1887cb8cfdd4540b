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

struct BackendOptions {
  /// Upper bound on device memory the CUDA backend may use, bytes. 0 = 90 % of what is free.
  /// Lower it to force z-slabbing (tests do). Ignored by the CPU backend.
  size_t gpu_memory_limit_bytes = 0;
  /// Number of views processed per batch. Range 1..1024, default 32.
  int batch_views = 32;
};

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
