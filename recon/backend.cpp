// The one place where the FDK backend is chosen. VOIDSCAN_HAVE_CUDA is defined for this file
// only, by CMake, when the CUDA backend is built.
#include "recon/backend.hpp"

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
