// Host-side launcher of the simulator's projection kernel (cuda/sim_projector.cu). It takes
// plain structs (sim/flat_scene.hpp) whose pointers are device memory, enqueues on `stream`,
// checks the launch (check.hpp) and returns without synchronising.
// Test: tests/sim/test_projector.cpp (CUDA cases skip without a GPU).
#pragma once
#include <cuda_runtime.h>

#include "sim/flat_scene.hpp"

namespace voidscan::cuda {

/// Threads per block of the projection kernel (one thread per pixel).
inline constexpr int kSimBlock = 128;

/// out[r * cols + c] = float(pixel_transmission(scene, rays, c, r)) for every pixel.
/// error (2 ints, zeroed by the caller): error[0] = the largest number of objects a ray met when
/// some ray met more than kGpuMaxHits (those pixels are set to 0), error[1] = 1 when a traversal
/// stack overflowed.
void launch_transmissions(const sim::flat::Scene& device_scene, const sim::flat::ViewRays& rays, float* out,
                          int* error, cudaStream_t stream);

/// Throws RuntimeFailure when this build has no kernel image the current device can run.
void check_sim_kernel_loadable();

}  // namespace voidscan::cuda
