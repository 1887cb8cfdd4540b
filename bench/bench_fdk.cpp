// FDK benchmarks (Google Benchmark) and the main() of voidscan_bench.
//
// What is measured: one call of reconstruct_fdk() (recon/fdk.hpp) on projections already in
// memory (MemoryProjections), so disk reads and TIFF decoding stay out of the figure; the
// end-to-end timings from files are bench/gpu.sh's (GPU) and bench/rtk_cpu_compare.py's (CPU).
// Not timed: making the projections (exact project() of the analytic scene of bench/scene.hpp,
// once per case, kept until the next case) and allocating the output volume.
//
// Cases (name fdk_<device>/n:<n>/views:<views>/det:<detector>):
//   cpu   128^3 from 180 views, 256^3 from 360 views, 512^3 from 128 views, detector 1.5 n.
//         512^3 uses only 128 views to keep a run on a 2-core machine short; GUPS is per
//         view x voxel, so it compares across view counts.
//   cuda  512^3 from 720 views and 1024^3 from 1440 views, detector n (the same problems as the
//         end-to-end scans bench/gpu.sh writes with --make-scan). Skipped with
//         "no CUDA device: ..." when cuda_device_count() is 0.
//
// Counters, each over all iterations of a case:
//   GUPS_backend     views x voxels / FdkReport.backend_seconds / 1e9 (weighting, ramp filter,
//                    backprojection, and for CUDA the transfers they need)
//   GUPS_total       views x voxels / FdkReport.seconds / 1e9 (the whole reconstruct_fdk call:
//                    planning, backend set-up, batches, slab read-back)
//   backend_s        mean FdkReport.backend_seconds of one reconstruction
//   peak_host_MiB    FdkReport.peak_host_bytes: the process's peak resident memory SO FAR, a
//                    high-water mark; run one case per process (--benchmark_filter) for a figure
//                    that belongs to that case alone
//   peak_device_MiB  FdkReport.peak_device_bytes (CUDA; 0 on the CPU)
//   slabs            z-slabs the volume was computed in
//
// Generator mode (bench/make_scan.hpp): voidscan_bench --make-scan DIR --size N --views V.
// Reading mode: voidscan_bench --read-speed SCAN.json [THREADS...] reads and preprocesses every
// view of a scan on disk with ScanProjections (recon/projections.hpp) in batches of 32, once per
// thread count (default 1 2 4 8), and prints the time and MB/s of TIFF data per count (the
// first pass also warms the page cache and is repeated at the end).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/make_scan.hpp"
#include "bench/scene.hpp"
#include "recon/backend.hpp"
#include "recon/fdk.hpp"
#include "recon/projections.hpp"
#include "recon/scan.hpp"

namespace voidscan::bench {
namespace {

struct Case {
  int n = 0;           ///< grid n^3
  int views = 0;       ///< full-circle views
  int detector = 0;    ///< detector pixels a side
  int iterations = 1;  ///< reconstructions timed
  bool operator==(const Case&) const = default;
};

constexpr Case kCpuCases[] = {{128, 180, 192, 5}, {256, 360, 384, 2}, {512, 128, 768, 1}};
constexpr Case kCudaCases[] = {{512, 720, 512, 3}, {1024, 1440, 1024, 2}};

/// A case's geometry and exact line integrals (views x rows x cols).
struct Projected {
  Case c;
  Geometry geometry;
  std::vector<float> line_integrals;
};

/// The projections of `c`, made on first use. Only the last case's are kept, so memory does not
/// grow from case to case.
const Projected& projected(const Case& c) {
  static std::unique_ptr<Projected> cache;
  if (!cache || cache->c != c) {
    cache.reset();
    auto p = std::make_unique<Projected>();
    p->c = c;
    p->geometry = scene_geometry(c.n, c.views, c.detector);
    p->line_integrals = project(scene_phantom(), p->geometry, 1);
    cache = std::move(p);
  }
  return *cache;
}

void bm_fdk(benchmark::State& state, Device device, Case c) {
  if (device == Device::cuda) {
    std::string why;
    if (cuda_device_count(&why) == 0) {
      state.SkipWithError(("no CUDA device: " + why).c_str());
      return;
    }
  }
  const Projected& p = projected(c);
  const VolumeGrid grid = scene_grid(c.n);
  std::vector<float> volume(grid.voxel_count());
  FdkParams params;
  params.device = device;
  FdkReport report;
  double backend_seconds = 0, seconds = 0;
  for (auto _ : state) {
    MemoryProjections provider(p.line_integrals.data(), c.detector, c.detector);
    reconstruct_fdk(p.geometry, provider, grid, params, volume.data(), &report);
    backend_seconds += report.backend_seconds;
    seconds += report.seconds;
    benchmark::DoNotOptimize(volume.data());
  }
  const double updates = double(c.views) * double(grid.voxel_count()) * double(state.iterations());
  const double mib = 1 << 20;
  state.counters["GUPS_backend"] = updates / backend_seconds / 1e9;
  state.counters["GUPS_total"] = updates / seconds / 1e9;
  state.counters["backend_s"] = backend_seconds / double(state.iterations());
  state.counters["peak_host_MiB"] = double(report.peak_host_bytes) / mib;
  state.counters["peak_device_MiB"] = double(report.peak_device_bytes) / mib;
  state.counters["slabs"] = report.slabs;
  state.SetLabel(report.backend);
}

void register_cases(const char* prefix, Device device, const auto& cases) {
  for (const Case& c : cases) {
    const std::string name = std::string(prefix) + "/n:" + std::to_string(c.n) + "/views:" + std::to_string(c.views) +
                             "/det:" + std::to_string(c.detector);
    benchmark::RegisterBenchmark(name.c_str(), bm_fdk, device, c)
        ->Unit(benchmark::kSecond)
        ->Iterations(c.iterations)
        ->UseRealTime()
        ->MeasureProcessCPUTime();
  }
}

/// --read-speed SCAN.json [THREADS...]
int read_speed_main(int argc, char** argv) {
  try {
    const Scan scan = load_scan(argv[2]);
    std::vector<int> counts;
    for (int i = 3; i < argc; ++i) counts.push_back(std::atoi(argv[i]));
    if (counts.empty()) counts = {1, 2, 4, 8};
    counts.insert(counts.begin(), counts.front());  // a first pass warms the page cache
    const auto& d = scan.geometry.detector;
    const int views = int(scan.geometry.views.size()), batch = 32;
    const double mb = double(d.cols) * d.rows * views * 2 / 1e6;  // uint16 data
    std::vector<float> out(size_t(d.cols) * d.rows * batch);
    for (size_t c = 0; c < counts.size(); ++c) {
      ScanProjections p(scan, counts[c]);
      const auto t0 = std::chrono::steady_clock::now();
      for (int first = 0; first < views; first += batch) p.read(first, std::min(batch, views - first), out.data());
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("%s%d thread(s): %d views of %d x %d in %.3f s, %.0f MB/s of uint16 TIFF data\n",
                  c == 0 ? "(warm-up) " : "", p.threads(), views, d.cols, d.rows, s, mb / s);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "read-speed failed: %s\n", e.what());
    return 1;
  }
}

}  // namespace
}  // namespace voidscan::bench

int main(int argc, char** argv) {
  using namespace voidscan;
  if (bench::is_make_scan(argc, argv)) return bench::make_scan_main(argc, argv);
  if (argc > 2 && std::string(argv[1]) == "--read-speed") return bench::read_speed_main(argc, argv);
  std::string why;
  const int gpus = cuda_device_count(&why);
  benchmark::AddCustomContext("cuda_devices", gpus > 0 ? std::to_string(gpus) : "0 (" + why + ")");
  bench::register_cases("fdk_cpu", Device::cpu, bench::kCpuCases);
  bench::register_cases("fdk_cuda", Device::cuda, bench::kCudaCases);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
