// Simulator benchmark (issue 3): time to compute one view of each preset at the simulator's
// defaults (1 um voxels, 2 x 2 sub-pixel rays, point source), the dominant cost of
// `voidscan simulate` (noise and TIFF writing are a few per cent). Counter: rays_per_s.
// Cases sim_view/<preset> (CPU) and sim_view_cuda/<preset> (the CUDA projector through
// make_projector: kernel, the image's copy back and the error check; the phantom's upload is
// not timed). The CUDA rows skip with the reason when this build has no CUDA or no GPU is
// present. The preset phantoms are built once per case, not timed.
#include <benchmark/benchmark.h>

#include "recon/backend.hpp"
#include "sim/presets.hpp"
#include "sim/projector.hpp"
#include "sim/simulate.hpp"

namespace {

void sim_view_on(benchmark::State& state, const std::string& preset, voidscan::Device device) {
  using namespace voidscan;
  std::string why;
  if (device == Device::cuda && cuda_device_count(&why) <= 0) {
    state.SkipWithError(("no CUDA device: " + why).c_str());
    return;
  }
  const sim::PackagePhantom p = sim::make_preset(preset, 1);
  const Phantom ph = sim::to_phantom(p);
  sim::SimulateParams params;
  params.views = 720;
  const sim::LabGeometry lab = sim::lab_geometry(sim::bounding_box(p), params);
  const Detector& det = lab.geometry.detector;
  const auto projector = sim::make_projector(device, ph, det, params);
  std::vector<float> out(size_t(det.cols) * det.rows);
  int v = 0;
  for (auto _ : state) {
    projector->view(lab.geometry.views[size_t(v) * 37 % 720], out.data());
    benchmark::DoNotOptimize(out.data());
    ++v;
  }
  const double rays = double(det.cols) * det.rows * params.supersample * params.supersample;
  state.counters["rays_per_s"] = benchmark::Counter(rays * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["objects"] = double(p.objects.size());
  state.SetLabel(std::to_string(det.cols) + "x" + std::to_string(det.rows) + " px, " + projector->name());
}

void sim_view(benchmark::State& state, const std::string& preset) { sim_view_on(state, preset, voidscan::Device::cpu); }
void sim_view_cuda(benchmark::State& state, const std::string& preset) {
  sim_view_on(state, preset, voidscan::Device::cuda);
}

BENCHMARK_CAPTURE(sim_view, flip_chip, std::string("flip-chip"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(sim_view, hybrid_bond, std::string("hybrid-bond"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(sim_view, hbm_stack, std::string("hbm-stack"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(sim_view_cuda, flip_chip, std::string("flip-chip"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(sim_view_cuda, hybrid_bond, std::string("hybrid-bond"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(sim_view_cuda, hbm_stack, std::string("hbm-stack"))->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
