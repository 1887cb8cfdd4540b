// The simulator's projector (step 2 of sim/simulate.hpp): transmissions of one view, before blur
// and noise. Two implementations compute the same function:
//   cpu:  sim::transmission_view (TBB over rows, voidscan::line_integral per ray);
//   cuda: cuda/sim_projector.cu (one GPU thread per pixel, sim/flat_scene.hpp in double
//         precision: the same intervals, the same BVH, the same list-order overlap rule).
// make_projector() is the one place that chooses (like make_backend() for FDK); no other code
// tests for CUDA. VOIDSCAN_HAVE_CUDA is defined for projector.cpp only, by CMake.
// Test: tests/sim/test_projector.cpp (parameterised over cpu and cuda; the CUDA cases skip
// without a GPU; CpuVsCuda compares a preset view).
#pragma once
#include <memory>
#include <string>

#include "recon/backend.hpp"
#include "recon/phantom.hpp"
#include "sim/simulate.hpp"

namespace voidscan::sim {

class TransmissionProjector {
 public:
  virtual ~TransmissionProjector() = default;
  /// "cpu" or "cuda".
  [[nodiscard]] virtual std::string name() const = 0;
  /// transmission_view(phantom, det, view, params, out) for the phantom, detector and params
  /// the projector was made with: rows x cols floats into `out` (host memory).
  virtual void view(const ViewGeometry& view, float* out) = 0;
};

/// The one place the projector is chosen. Device::automatic takes CUDA when this build has it
/// and a GPU is present, else the CPU. Device::cuda without either throws RuntimeFailure.
/// Validates the phantom (InputError). The CUDA projector uploads the phantom once, here.
[[nodiscard]] std::unique_ptr<TransmissionProjector> make_projector(Device device, const Phantom& phantom,
                                                                    const Detector& det, const SimulateParams& params);

}  // namespace voidscan::sim
