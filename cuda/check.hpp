// Error checking for the CUDA backend: the one macro family through which every CUDA runtime
// call, every cuFFT call and every kernel launch goes.
//
//   VS_CUDA_CHECK(cudaMalloc(...));      runtime call; throws on anything but cudaSuccess
//   VS_CUFFT_CHECK(cufftExecR2C(...));   cuFFT call; throws on anything but CUFFT_SUCCESS
//   kernel<<<g, b, 0, s>>>(...);
//   VS_CUDA_CHECK_LAUNCH();              launch errors (cudaGetLastError right after the launch)
//
// Every failure becomes a voidscan::RuntimeFailure whose message names the failing call, the
// file and line, and CUDA's error string. Out-of-memory (cudaErrorMemoryAllocation,
// CUFFT_ALLOC_FAILED) carries a hint on how to use less GPU memory. The thrower clears the
// runtime's last-error slot so a later launch check does not report a stale error.
// Test: tests/recon/test_fdk.cpp (parameterised over backends; the CUDA cases run where a GPU is).
#pragma once
#include <cuda_runtime.h>
#include <cufft.h>

#include <string>

#include "recon/error.hpp"

namespace voidscan::cuda::detail {

inline constexpr const char* kOutOfGpuMemoryHint =
    "out of GPU memory: lower --gpu-memory-limit / use smaller batches (--batch) / --device cpu";

inline const char* cufft_error_string(cufftResult r) noexcept {
  switch (r) {
    case CUFFT_SUCCESS: return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN: return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED: return "CUFFT_ALLOC_FAILED";
    case CUFFT_INVALID_TYPE: return "CUFFT_INVALID_TYPE";
    case CUFFT_INVALID_VALUE: return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR: return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED: return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED: return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE: return "CUFFT_INVALID_SIZE";
    case CUFFT_UNALIGNED_DATA: return "CUFFT_UNALIGNED_DATA";
    case CUFFT_INVALID_DEVICE: return "CUFFT_INVALID_DEVICE";
    case CUFFT_NO_WORKSPACE: return "CUFFT_NO_WORKSPACE";
    case CUFFT_NOT_IMPLEMENTED: return "CUFFT_NOT_IMPLEMENTED";
    case CUFFT_NOT_SUPPORTED: return "CUFFT_NOT_SUPPORTED";
    default: return "cuFFT error";
  }
}

inline std::string where(const char* expr, const char* file, int line) {
  return std::string(expr) + " at " + file + ":" + std::to_string(line);
}

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line) {
  (void)cudaGetLastError();  // clear the (non-sticky) error so later launch checks start clean
  std::string what = "CUDA error: " + where(expr, file, line) + ": " + cudaGetErrorName(err) + " (" +
                     cudaGetErrorString(err) + ")";
  if (err == cudaErrorMemoryAllocation) throw RuntimeFailure(what, kOutOfGpuMemoryHint);
  throw RuntimeFailure(what, "check the GPU and its driver (nvidia-smi), or use --device cpu");
}

[[noreturn]] inline void throw_cufft_error(cufftResult res, const char* expr, const char* file, int line) {
  (void)cudaGetLastError();
  std::string what = "cuFFT error: " + where(expr, file, line) + ": " + cufft_error_string(res) + " (" +
                     std::to_string(int(res)) + ")";
  if (res == CUFFT_ALLOC_FAILED) throw RuntimeFailure(what, kOutOfGpuMemoryHint);
  throw RuntimeFailure(what, "check the GPU and its driver (nvidia-smi), or use --device cpu");
}

/// Throws RuntimeFailure (with the rebuild hint) when this build has no image of `kernel` the
/// current device can run: the first call a launcher makes, so an architecture mismatch is one
/// clear message rather than a launch error. `kernel` is the __global__ function's address.
inline void check_kernel_image(const void* kernel) {
  cudaFuncAttributes attr{};
  const cudaError_t err = cudaFuncGetAttributes(&attr, kernel);
  if (err == cudaErrorNoKernelImageForDevice || err == cudaErrorInvalidDeviceFunction) {
    (void)cudaGetLastError();
    int device = 0, major = 0, minor = 0;
    (void)cudaGetDevice(&device);
    (void)cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
    (void)cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
    (void)cudaGetLastError();
    throw RuntimeFailure("this voidscan has no CUDA kernels for the GPU's compute capability " +
                             std::to_string(major) + "." + std::to_string(minor),
                         "rebuild with -DCMAKE_CUDA_ARCHITECTURES=" + std::to_string(major * 10 + minor) +
                             " or use --device cpu");
  }
  if (err != cudaSuccess) throw_cuda_error(err, "cudaFuncGetAttributes", __FILE__, __LINE__);
}

/// For destructors: never throws; clears a non-sticky error so it is not reported later.
inline void ignore(cudaError_t err) noexcept {
  if (err != cudaSuccess) (void)cudaGetLastError();
}

}  // namespace voidscan::cuda::detail

#define VS_CUDA_CHECK(expr)                                                                  \
  do {                                                                                       \
    const cudaError_t vs_cuda_err_ = (expr);                                                 \
    if (vs_cuda_err_ != cudaSuccess)                                                         \
      ::voidscan::cuda::detail::throw_cuda_error(vs_cuda_err_, #expr, __FILE__, __LINE__);   \
  } while (0)

#define VS_CUFFT_CHECK(expr)                                                                 \
  do {                                                                                       \
    const cufftResult vs_cufft_res_ = (expr);                                                \
    if (vs_cufft_res_ != CUFFT_SUCCESS)                                                      \
      ::voidscan::cuda::detail::throw_cufft_error(vs_cufft_res_, #expr, __FILE__, __LINE__); \
  } while (0)

/// After every kernel launch: reports invalid launch configurations and the like.
#define VS_CUDA_CHECK_LAUNCH() VS_CUDA_CHECK(cudaGetLastError())
