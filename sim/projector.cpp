// The one place where the simulator's projector is chosen (see sim/projector.hpp).
// VOIDSCAN_HAVE_CUDA is defined for this file only, by CMake, when the CUDA backend is built.
#include "sim/projector.hpp"

#include "recon/error.hpp"
#ifdef VOIDSCAN_HAVE_CUDA
#include "cuda/sim_projector.hpp"
#include "sim/flat_scene_host.hpp"
#endif

namespace voidscan::sim {
namespace {

class CpuProjector final : public TransmissionProjector {
 public:
  CpuProjector(const Phantom& phantom, const Detector& det, const SimulateParams& params)
      : phantom_(phantom), det_(det), params_(params) {}
  std::string name() const override { return "cpu"; }
  void view(const ViewGeometry& view, float* out) override { transmission_view(phantom_, det_, view, params_, out); }

 private:
  Phantom phantom_;
  Detector det_;
  SimulateParams params_;
};

#ifdef VOIDSCAN_HAVE_CUDA
class CudaProjector final : public TransmissionProjector {
 public:
  CudaProjector(const Phantom& phantom, const Detector& det, const SimulateParams& params)
      : det_(det), params_(params), scene_(flat::make_scene(phantom)), gpu_(scene_.view(), det.cols, det.rows) {}
  std::string name() const override { return "cuda"; }
  void view(const ViewGeometry& view, float* out) override {
    gpu_.transmissions(flat::make_view_rays(det_, view, params_.supersample, params_.focal_spot_mm), out);
  }

 private:
  Detector det_;
  SimulateParams params_;
  flat::HostScene scene_;
  cuda::SimProjector gpu_;
};
#endif

}  // namespace

std::unique_ptr<TransmissionProjector> make_projector(Device device, const Phantom& phantom, const Detector& det,
                                                      const SimulateParams& params) {
  validate(phantom);
  validate(params);
  if (det.cols < 1 || det.rows < 1)
    throw InputError("", "detector.cols/rows", "detector size must be at least 1 x 1, got " + std::to_string(det.cols) +
                                                   " x " + std::to_string(det.rows));
  if (device == Device::cpu) return std::make_unique<CpuProjector>(phantom, det, params);
  std::string why;
  const bool have_gpu = cuda_device_count(&why) > 0;
  if (device == Device::automatic && !have_gpu) return std::make_unique<CpuProjector>(phantom, det, params);
  if (!have_gpu) throw RuntimeFailure("no CUDA device available: " + why, "use --device cpu or --device auto");
#ifdef VOIDSCAN_HAVE_CUDA
  return std::make_unique<CudaProjector>(phantom, det, params);
#else
  throw RuntimeFailure("built without CUDA");
#endif
}

}  // namespace voidscan::sim
