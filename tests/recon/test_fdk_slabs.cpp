// Tests for z-slabbing on the CPU backend (host memory limit), reconstruction straight to a
// file slab by slab, and fp16 storage:
//  - slabbed == unslabbed within 1e-6 relative for 1, 3 and an uneven number of slabs, both
//    into a whole volume and through the slab sink;
//  - a scan on disk reconstructed to a file under a small memory limit gives the bytes of the
//    in-memory reconstruction written in one go (float32, every format; uint16 via the spool),
//    and a failure half-way leaves no file;
//  - fp16: the CPU computes the fp16 function (every stored voxel is a half value), its distance
//    to the float32 result is bounded, and it meets the float32 accuracy against the phantom.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "recon/error.hpp"
#include "recon/volume_writer.hpp"
#include "support/fdk_fixture.hpp"
#include "support/scan_files.hpp"
#include "support/temp_dir.hpp"

namespace voidscan {
namespace {

namespace fs = std::filesystem;
using test::cube_grid;
using test::package_phantom;

double relative_l2(const std::vector<float>& a, const std::vector<float>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num += double(a[i] - ref[i]) * (a[i] - ref[i]);
    den += double(ref[i]) * ref[i];
  }
  return std::sqrt(num / den);
}

std::string file_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The host memory limit that gives slabs of exactly `slices` slices of `grid`.
size_t limit_for_slices(const Geometry& g, const BackendOptions& options, const VolumeGrid& grid, int slices) {
  const FdkPlan plan = plan_fdk(g, FilterWindow::ram_lak);
  return host_batch_bytes(plan, options) + size_t(slices) * size_t(grid.nx) * grid.ny * sizeof(float) + 100;
}

TEST(FdkSlabs, CpuSlabbedEqualsUnslabbed) {
  const Geometry g = test::circular_geometry(60);
  VolumeGrid grid = cube_grid(40, 0.3);
  grid.nz = 36;
  const std::vector<float> proj = project(package_phantom(), g, 1);
  auto run = [&](size_t limit, FdkReport* report) {
    MemoryProjections provider(proj.data(), g.detector.rows, g.detector.cols);
    FdkParams params;
    params.device = Device::cpu;
    params.backend.host_memory_limit_bytes = limit;
    std::vector<float> vol(grid.voxel_count());
    reconstruct_fdk(g, provider, grid, params, vol.data(), report);
    return vol;
  };
  FdkReport whole;
  const std::vector<float> ref = run(0, &whole);
  ASSERT_EQ(whole.slabs, 1);
  EXPECT_GT(whole.backprojection_seconds, 0);
  EXPECT_LE(whole.backprojection_seconds, whole.backend_seconds);
  // 36 slices: 1 slab, 3 slabs of 12, 6 slabs of 7 (the last of 1)
  for (auto [slices, slabs] : {std::pair{36, 1}, std::pair{12, 3}, std::pair{7, 6}}) {
    FdkReport report;
    const std::vector<float> vol = run(limit_for_slices(g, {}, grid, slices), &report);
    EXPECT_EQ(report.slabs, slabs) << slices << " slices a slab";
    const double rel = relative_l2(vol, ref);
    EXPECT_LT(rel, 1e-6) << slabs << " slabs";
    RecordProperty("relative_l2_" + std::to_string(slabs) + "_slabs", std::to_string(rel));

    // the same through the slab sink, which holds one slab only
    MemoryProjections provider(proj.data(), g.detector.rows, g.detector.cols);
    FdkParams params;
    params.device = Device::cpu;
    params.backend.host_memory_limit_bytes = limit_for_slices(g, {}, grid, slices);
    std::vector<float> sunk(grid.voxel_count(), NAN);
    int next_z = 0, calls = 0;
    reconstruct_fdk_slabs(g, provider, grid, params, [&](int z0, int z1, const float* slab) {
      EXPECT_EQ(z0, next_z);
      EXPECT_LE(z1 - z0, slices);
      std::copy(slab, slab + size_t(z1 - z0) * grid.nx * grid.ny, sunk.begin() + size_t(z0) * grid.nx * grid.ny);
      next_z = z1;
      ++calls;
    });
    EXPECT_EQ(next_z, grid.nz);
    EXPECT_EQ(calls, slabs);
    EXPECT_LT(relative_l2(sunk, ref), 1e-6);
  }
  // not even one slice fits: a clear error naming the option
  try {
    run(1 << 10, nullptr);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "--memory-limit");
  }
}

class FdkToFile : public ::testing::Test {
 protected:
  void SetUp() override {
    geometry_ = test::circular_geometry(48, 360, 0, 48, 40);
    grid_ = cube_grid(32, 0.25);
    grid_.nz = 23;
    manifest_ = test::write_phantom_scan(dir_.path(), Phantom({{Cylinder{0, 0, 3.0, -2.0, 2.0}, 0.02},
                                                               {Sphere{{0.5, -0.5, 0}, 1.2}, 0.06}}),
                                         geometry_, 60000, &grid_);
  }
  test::TempDir dir_;
  Geometry geometry_;
  VolumeGrid grid_;
  fs::path manifest_;
};

TEST_F(FdkToFile, SlabBySlabFileEqualsTheInMemoryVolumeWrittenInOneGo) {
  const Scan scan = load_scan(manifest_);
  FdkParams params;
  params.device = Device::cpu;
  const Volume whole = reconstruct_scan(scan, grid_, params);
  params.backend.host_memory_limit_bytes = limit_for_slices(scan.geometry, params.backend, grid_, 5);  // 5 slabs
  for (const char* ext : {".mha", ".nrrd", ".tif"}) {
    for (VolumeDtype dtype : {VolumeDtype::float32, VolumeDtype::uint16}) {
      const fs::path ref = dir_ / (std::string("ref") + ext), streamed = dir_ / (std::string("slabs") + ext);
      write_volume(ref, whole, dtype);
      FdkReport report;
      reconstruct_scan_to_file(scan, grid_, params, {streamed, dtype, std::nullopt}, &report);
      EXPECT_EQ(report.slabs, 5);
      EXPECT_TRUE(file_bytes(streamed) == file_bytes(ref)) << ext << " dtype " << int(dtype);
    }
  }
}

TEST_F(FdkToFile, AFailureHalfWayLeavesNoFile) {
  // The last view's page is unreadable: the error comes in the first slab's last batch.
  Scan scan = load_scan(manifest_);
  test::write_text(dir_ / "broken.tif", "not a tiff");
  scan.projections.back() = {dir_ / "broken.tif", 0};
  const fs::path out_dir = dir_ / "out";
  fs::create_directories(out_dir);
  FdkParams params;
  params.device = Device::cpu;
  params.backend.host_memory_limit_bytes = limit_for_slices(scan.geometry, params.backend, grid_, 5);
  for (VolumeDtype dtype : {VolumeDtype::float32, VolumeDtype::uint16}) {
    EXPECT_THROW(reconstruct_scan_to_file(scan, grid_, params, {out_dir / "v.mha", dtype, std::nullopt}), InputError);
    EXPECT_TRUE(fs::is_empty(out_dir)) << "dtype " << int(dtype);
  }
}

TEST(FdkFp16, CpuFp16CostIsBoundedAndMeetsThePhantomTolerances) {
  const Phantom ph = package_phantom();
  const Geometry g = test::circular_geometry(180);
  const VolumeGrid grid = cube_grid(64, 0.25);
  const std::vector<float> proj = project(ph, g, 2);
  auto run = [&](Precision precision, size_t limit) {
    MemoryProjections provider(proj.data(), g.detector.rows, g.detector.cols);
    FdkParams params;
    params.device = Device::cpu;
    params.backend.precision = precision;
    params.backend.host_memory_limit_bytes = limit;
    std::vector<float> vol(grid.voxel_count());
    reconstruct_fdk(g, provider, grid, params, vol.data());
    return vol;
  };
  const std::vector<float> fp32 = run(Precision::fp32, 0), fp16 = run(Precision::fp16, 0);
  // every voxel was stored as a half value (the slab's last rounding point)
  size_t not_half = 0;
  for (float v : fp16) not_half += float(static_cast<_Float16>(v)) != v;
  EXPECT_EQ(not_half, 0u);
  const double rel = relative_l2(fp16, fp32);
  EXPECT_GT(rel, 1e-5);  // the rounding happened
  EXPECT_LT(rel, 1e-3);
  RecordProperty("fp16_vs_fp32_relative_l2", std::to_string(rel));
  std::printf("fp16 vs fp32: relative L2 %.3e\n", rel);

  // against the phantom: the float32 test's tolerances (tests/recon/test_fdk.cpp)
  const std::vector<float> truth = voxelize(ph, grid, 3);
  auto keep = [](Vec3 p) { return std::hypot(p.x, p.y) < 7 && std::abs(p.z) < 5; };
  for (const auto* vol : {&fp32, &fp16}) {
    for (double mu : {0.02, 0.05}) EXPECT_NEAR(test::flat_region_mean(*vol, grid, ph, mu, 2), mu, 0.02 * mu);
    EXPECT_GE(test::correlation(*vol, truth, grid, keep), 0.95);
  }
  const double c32 = test::correlation(fp32, truth, grid, keep), c16 = test::correlation(fp16, truth, grid, keep);
  std::printf("correlation with the phantom: fp32 %.6f, fp16 %.6f\n", c32, c16);
  EXPECT_NEAR(c16, c32, 1e-3);

  // the fp16 function does not depend on slabbing (rounding points are per voxel)
  const std::vector<float> slabbed = run(Precision::fp16, limit_for_slices(g, {}, grid, 9));
  EXPECT_TRUE(slabbed == fp16);
}

TEST(FdkFp16, CudaFp16MatchesCpuFp16) {
  // The CPU-vs-CUDA cross-check of tests/recon/test_fdk.cpp, in fp16, with a device memory cap
  // that forces several (half) slabs.
  std::string why;
  if (cuda_device_count(&why) == 0) GTEST_SKIP() << "no CUDA device: " << why;
  const Geometry g = test::circular_geometry(180);
  const VolumeGrid grid = cube_grid(64, 0.25);
  const std::vector<float> proj = project(package_phantom(), g, 2);
  auto run = [&](Device device, Precision precision, FdkReport* report) {
    MemoryProjections provider(proj.data(), g.detector.rows, g.detector.cols);
    FdkParams params;
    params.device = device;
    params.backend.precision = precision;
    params.backend.gpu_memory_limit_bytes = 24u << 20;
    std::vector<float> vol(grid.voxel_count());
    reconstruct_fdk(g, provider, grid, params, vol.data(), report);
    return vol;
  };
  FdkReport report;
  const std::vector<float> cpu = run(Device::cpu, Precision::fp16, nullptr);
  const std::vector<float> gpu = run(Device::cuda, Precision::fp16, &report);
  const std::vector<float> gpu32 = run(Device::cuda, Precision::fp32, nullptr);
  const double rel = relative_l2(gpu, cpu);
  EXPECT_LT(rel, 1e-3);
  EXPECT_LT(relative_l2(gpu, gpu32), 2e-3);
  EXPECT_GT(report.backprojection_seconds, 0);
  RecordProperty("cuda_fp16_vs_cpu_fp16_relative_l2", std::to_string(rel));
  RecordProperty("slabs", report.slabs);
  std::printf("CUDA fp16 vs CPU fp16: relative L2 %.3e (%d slabs)\n", rel, report.slabs);
}

}  // namespace
}  // namespace voidscan
