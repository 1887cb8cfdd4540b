// The one place where the FDK backend is chosen. VOIDSCAN_HAVE_CUDA is defined for this file
// only, by CMake, when the CUDA backend is built.
#include "recon/backend.hpp"

#include <tbb/info.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "recon/error.hpp"
#ifdef VOIDSCAN_HAVE_CUDA
#include "cuda/cuda_backend.hpp"
#endif

namespace voidscan {

Device parse_device(const std::string& name) {
  if (name == "auto") return Device::automatic;
  if (name == "cpu") return Device::cpu;
  if (name == "cuda" || name == "gpu") return Device::cuda;
  throw InputError("", "--device", "unknown device '" + name + "' (expected auto, cpu or cuda)");
}

Precision parse_precision(const std::string& name) {
  if (name == "fp32" || name == "float32") return Precision::fp32;
  if (name == "fp16" || name == "half") return Precision::fp16;
  throw InputError("", "--precision", "unknown precision '" + name + "' (expected fp32 or fp16)");
}

size_t effective_host_memory_limit(const BackendOptions& options) {
  if (options.host_memory_limit_bytes != 0) return options.host_memory_limit_bytes;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return size_t(4) << 30;  // unknown: assume a small machine
  return size_t(pages) / 4 * 3 * size_t(page);
}

size_t host_batch_bytes(const FdkPlan& plan, const BackendOptions& options) {
  const size_t views = std::clamp<size_t>(size_t(std::max(options.batch_views, 1)), 1, std::max<size_t>(plan.views.size(), 1));
  const size_t image = size_t(plan.detector.cols) * size_t(plan.detector.rows) * sizeof(float);
  const size_t filtered = size_t(plan.filtered_cols + 2) * size_t(plan.detector.rows + 2) * sizeof(float);
  const size_t fft_rows = size_t(tbb::info::default_concurrency()) * size_t(plan.filter.padded + 2) * sizeof(float) * 2;
  return 2 * views * image + views * filtered + fft_rows;
}

int host_slab_slices(const FdkPlan& plan, const BackendOptions& options, const VolumeGrid& grid) {
  const size_t limit = effective_host_memory_limit(options);
  const size_t fixed = host_batch_bytes(plan, options);
  const size_t slice = size_t(grid.nx) * size_t(grid.ny) * sizeof(float);
  const size_t slices = limit > fixed ? (limit - fixed) / slice : 0;
  if (slices < 1) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "host memory limit of %.1f MiB is too small: one z slice of %d x %d voxels needs %.1f MiB next to "
                  "%.1f MiB of projection buffers",
                  double(limit) / (1 << 20), grid.nx, grid.ny, double(slice) / (1 << 20), double(fixed) / (1 << 20));
    throw InputError("", "--memory-limit", std::string(text) + "; raise it or lower --batch");
  }
  return int(std::min(slices, size_t(std::max(grid.nz, 1))));
}

int cuda_device_count(std::string* why) {
#ifdef VOIDSCAN_HAVE_CUDA
  return cuda::device_count(why);
#else
  if (why) *why = "this voidscan was built without the CUDA backend";
  return 0;
#endif
}

std::unique_ptr<FdkBackend> make_backend(Device device, const FdkPlan& plan, const BackendOptions& options) {
  if (device == Device::cpu) return make_cpu_backend(plan, options);
  std::string why;
  const bool have_gpu = cuda_device_count(&why) > 0;
  if (device == Device::automatic && !have_gpu) return make_cpu_backend(plan, options);
  if (!have_gpu) throw RuntimeFailure("no CUDA device available: " + why, "use --device cpu or --device auto");
#ifdef VOIDSCAN_HAVE_CUDA
  return cuda::make_backend(plan, options);
#else
  throw RuntimeFailure("built without CUDA");
#endif
}

}  // namespace voidscan
