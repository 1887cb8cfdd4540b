// The simulator's CUDA projector (issue 3), called only from sim/projector.cpp (make_projector).
// No CUDA types in this header, so it can be included from plain C++.
// Test: tests/sim/test_projector.cpp (CUDA cases skip without a GPU).
#pragma once
#include <memory>

#include "sim/flat_scene.hpp"

namespace voidscan::cuda {

/// Holds one phantom (sim/flat_scene.hpp arrays) and one detector-sized output on the GPU.
class SimProjector {
 public:
  /// Uploads the scene (host arrays). Throws RuntimeFailure on CUDA errors, also when the build
  /// has no kernel for the GPU.
  SimProjector(const sim::flat::Scene& host_scene, int cols, int rows);
  ~SimProjector();
  SimProjector(const SimProjector&) = delete;
  SimProjector& operator=(const SimProjector&) = delete;

  /// sim::transmission_view's rows x cols floats for `rays` (cols and rows as constructed) into
  /// host memory `out`; synchronous. Throws RuntimeFailure when a ray meets more than
  /// sim::flat::kGpuMaxHits objects (no partial result is used).
  void transmissions(const sim::flat::ViewRays& rays, float* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace voidscan::cuda
