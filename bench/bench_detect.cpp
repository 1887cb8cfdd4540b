// Detection benchmark (Google Benchmark): one call of detect::analyze() on a 512 x 512 x 256
// float32 volume (256 MiB) of a 4 x 4 flip-chip package at 1 um voxels (the contract's
// flip-chip geometry tiled: 16 dies, 256 bumps, ~100 planted voids), voxelised once without
// supersampling plus Gaussian noise 0.01/mm; not timed: building the volume.
// Counters: defects found, peak_host_MiB (the process's peak resident memory so far: run this
// case alone, --benchmark_filter=detect, for its own figure), volume_MiB (the input's size),
// peak_over_volume (peak_host_MiB / volume_MiB; the target is < 4, the input included).
// docs/benchmarks.md has the figure.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <random>

#include "detect/analyze.hpp"
#include "recon/phantom.hpp"

namespace {

using namespace voidscan;

Volume make_package_512() {
  constexpr double um = 1e-3;
  std::vector<Object> o;
  auto box = [&](double x0, double y0, double z0, double x1, double y1, double z1, double mu) {
    o.push_back({Box{{x0 * um, y0 * um, z0 * um}, {x1 * um, y1 * um, z1 * um}}, mu});
  };
  box(-256, -256, -30, 256, 256, 0, 0.15);  // substrate
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> U(0, 1);
  std::vector<Object> voids;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      const double cx = -165 + 110 * c, cy = -165 + 110 * r;
      box(cx - 46, cy - 46, 0, cx + 46, cy + 46, 6, 0.14);
      box(cx - 42, cy - 42, 0, cx + 42, cy + 42, 12, 0.14);
      box(cx - 40, cy - 40, 12, cx + 40, cy + 40, 37, 0.335);
      for (int bj = 0; bj < 4; ++bj)
        for (int bi = 0; bi < 4; ++bi) {
          const double bx = cx - 30 + 20 * bi, by = cy - 30 + 20 * bj;
          o.push_back({Cylinder{bx * um, by * um, 5 * um, 0, 9 * um}, 27.7});
          o.push_back({Cylinder{bx * um, by * um, 5 * um, 9 * um, 12 * um}, 9.8});
          if (U(rng) < 0.2) voids.push_back({Sphere{{bx * um, by * um, 4.5 * um}, 2.0 * um}, 0.0});
        }
      for (int n = 0; n < 3; ++n)  // underfill voids in the cell centres between bumps
        voids.push_back({Sphere{{(cx - 20 + 20 * n) * um, (cy + 10) * um, 6 * um}, (1.5 + 1.5 * U(rng)) * um}, 0.0});
    }
  o.insert(o.end(), voids.begin(), voids.end());
  Volume v;
  v.grid.nx = v.grid.ny = 512;
  v.grid.nz = 256;
  v.grid.sx = v.grid.sy = v.grid.sz = um;
  v.grid.center = {0, 0, 98 * um};  // z from -30 to 226 um
  v.data = voxelize(Phantom(o), v.grid, 1);
  std::normal_distribution<float> N(0.0f, 0.01f);
  for (float& x : v.data) x += N(rng);
  return v;
}

void BM_Detect512(benchmark::State& state) {
  static const Volume vol = make_package_512();
  std::size_t defects = 0;
  for (auto _ : state) {
    const detect::Analysis a = detect::analyze(vol, detect::Recipe{});
    defects = a.defects.size();
    benchmark::DoNotOptimize(a.labels.data());
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double peak = double(ru.ru_maxrss) / 1024.0;  // KiB -> MiB
  const double vol_mib = double(vol.data.size()) * 4.0 / (1024.0 * 1024.0);
  state.counters["defects"] = double(defects);
  state.counters["peak_host_MiB"] = peak;
  state.counters["volume_MiB"] = vol_mib;
  state.counters["peak_over_volume"] = peak / vol_mib;
}
BENCHMARK(BM_Detect512)->Name("detect/flip_chip_4x4/512x512x256")->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
