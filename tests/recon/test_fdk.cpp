// FDK against analytic phantoms projected exactly (recon/phantom.hpp: chord lengths, no voxel
// projector). Every test body runs on each backend (TEST_P over "cpu" and "cuda"); the CUDA
// instances skip with the reason when no GPU is present. CpuVsCuda cross-checks the two.
#include <gtest/gtest.h>

#include <numbers>
#include <random>

#include "support/fdk_fixture.hpp"

namespace voidscan {
namespace {

using test::blob_centroid;
using test::correlation;
using test::cube_grid;
using test::flat_region_mean;
using test::package_phantom;
using test::reconstruct_phantom;

bool cuda_present(std::string* why) { return cuda_device_count(why) > 0; }

class Fdk : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override {
    std::string why;
    if (GetParam() == Device::cuda && !cuda_present(&why)) GTEST_SKIP() << "no CUDA device: " << why;
  }

  /// Asserts the accuracy every geometry must reach on the package phantom.
  void expect_accurate(const std::vector<float>& vol, const VolumeGrid& grid, double mean_tol, double min_corr) {
    const Phantom ph = package_phantom();
    for (double mu : {0.02, 0.05}) {
      int n = 0;
      const double mean = flat_region_mean(vol, grid, ph, mu, 2, &n);
      ASSERT_GT(n, 50) << "too few interior voxels for mu " << mu;
      EXPECT_NEAR(mean, mu, mean_tol * mu) << "flat region mu " << mu;
    }
    const std::vector<float> truth = voxelize(ph, grid, 3);
    // inside the phantom's bounding cylinder grown by 1 mm, away from the cone-beam edge slices
    const double corr = correlation(vol, truth, grid, [](Vec3 p) { return std::hypot(p.x, p.y) < 7 && std::abs(p.z) < 5; });
    EXPECT_GE(corr, min_corr);
    RecordProperty("correlation", std::to_string(corr));
  }
};

TEST_P(Fdk, FullScanMatchesPhantom) {
  const VolumeGrid grid = cube_grid(64, 0.25);
  FdkReport report;
  const auto vol = reconstruct_phantom(package_phantom(), test::circular_geometry(180), grid, GetParam(), &report);
  expect_accurate(vol, grid, 0.02, 0.95);
  // the dense sphere's centroid within half a voxel of its true centre
  const Vec3 c = blob_centroid(vol, grid, {3.0, -2.5, 0.5}, 1.6, 0.02 + 0.5 * (0.10 - 0.02));
  EXPECT_LT(norm(c - Vec3{3.0, -2.5, 0.5}), 0.5 * grid.sx);
  EXPECT_EQ(report.slabs, GetParam() == Device::cpu ? 1 : report.slabs);
  EXPECT_GT(report.gups, 0);
}

TEST_P(Fdk, AsymmetricObjectIsNeitherMirroredNorRotated) {
  // Three spheres of different attenuation on +x, +y and +z.
  const Phantom ph({{Sphere{{4, 0, 0}, 1.2}, 0.1}, {Sphere{{0, 4, 0}, 1.2}, 0.2}, {Sphere{{0, 0, 4}, 1.2}, 0.3}});
  const VolumeGrid grid = cube_grid(48, 0.3);
  const auto vol = reconstruct_phantom(ph, test::circular_geometry(120), grid, GetParam());
  using test::value_at;
  EXPECT_NEAR(value_at(vol, grid, {4, 0, 0}), 0.1, 0.01);
  EXPECT_NEAR(value_at(vol, grid, {0, 4, 0}), 0.2, 0.02);
  EXPECT_NEAR(value_at(vol, grid, {0, 0, 4}), 0.3, 0.03);
  for (Vec3 p : {Vec3{-4, 0, 0}, Vec3{0, -4, 0}, Vec3{0, 0, -4}})
    EXPECT_NEAR(value_at(vol, grid, p), 0.0, 0.01) << p.x << " " << p.y << " " << p.z;
}

TEST_P(Fdk, ShortScanWithParkerWeights) {
  // 200 degrees: more than 180 + the fan angle (2 x 5.5 degrees), starting at an odd angle.
  const Geometry g = test::circular_geometry(200, 200.0, 37.0);
  const FdkPlan plan = plan_fdk(g, FilterWindow::ram_lak);
  ASSERT_EQ(plan.redundancy, Redundancy::parker);
  const VolumeGrid grid = cube_grid(64, 0.25);
  expect_accurate(reconstruct_phantom(package_phantom(), g, grid, GetParam()), grid, 0.03, 0.93);
}

TEST_P(Fdk, OffsetDetectorWithDisplacedDetectorWeights) {
  // The detector shifted sideways by 30 % of its width: half-fan acquisition over 360 degrees.
  CircularSpec s = test::circle_spec(240, 1.5);
  s.detector_offset_mm = {0.3 * 64 * 0.4, 0};
  const Geometry g = expand_circular({64, 96, 0.4, 0.4}, s);
  ASSERT_EQ(plan_fdk(g, FilterWindow::ram_lak).redundancy, Redundancy::displaced);
  // a centred detector of 64 columns sees r < 6.3 mm: the phantom (r = 6) needs the offset
  const VolumeGrid grid = cube_grid(64, 0.25);
  expect_accurate(reconstruct_phantom(package_phantom(), g, grid, GetParam()), grid, 0.03, 0.95);
}

TEST_P(Fdk, NonUniformAndDuplicatedAngles) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> step(1.0, 3.0);
  CircularSpec s = test::circle_spec(0, 0);
  for (double a = 0; a < 360.0; a += step(rng)) s.angles_deg.push_back(a);
  s.angles_deg.push_back(360.0);               // the 0 degree view repeated at the end
  s.angles_deg.push_back(s.angles_deg[40]);    // and one view acquired twice
  const Geometry g = expand_circular({96, 96, 0.4, 0.4}, s);
  // the weights still sum to a full turn
  double total = 0;
  std::vector<double> angles;
  for (const auto& v : g.views) angles.push_back(source_angle(v));
  for (double w : angular_weights(angles, true)) total += w;
  EXPECT_NEAR(total, 2 * std::numbers::pi, 1e-9);
  const VolumeGrid grid = cube_grid(64, 0.25);
  expect_accurate(reconstruct_phantom(package_phantom(), g, grid, GetParam()), grid, 0.02, 0.95);
}

TEST_P(Fdk, TiltedDetectorGivenByVectors) {
  CircularSpec s = test::circle_spec(180, 2.0);
  s.detector_tilt_deg = 2.0;
  s.cor_offset_mm = 0.35;
  const Geometry g = expand_circular({96, 96, 0.4, 0.4}, s);
  const VolumeGrid grid = cube_grid(64, 0.25);
  expect_accurate(reconstruct_phantom(package_phantom(), g, grid, GetParam()), grid, 0.02, 0.95);
}

INSTANTIATE_TEST_SUITE_P(Backends, Fdk, ::testing::Values(Device::cpu, Device::cuda),
                         [](const auto& info) { return info.param == Device::cpu ? "cpu" : "cuda"; });

TEST(FdkCrossCheck, CpuVsCuda) {
  std::string why;
  if (!cuda_present(&why)) GTEST_SKIP() << "no CUDA device: " << why;
  const Geometry g = test::circular_geometry(180);
  const VolumeGrid grid = cube_grid(64, 0.25);
  const auto cpu = reconstruct_phantom(package_phantom(), g, grid, Device::cpu);
  FdkReport report;
  // a memory cap that forces several z-slabs on the GPU
  const auto gpu = reconstruct_phantom(package_phantom(), g, grid, Device::cuda, &report, FilterWindow::ram_lak, 24u << 20);
  double num = 0, den = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    num += double(gpu[i] - cpu[i]) * (gpu[i] - cpu[i]);
    den += double(cpu[i]) * cpu[i];
  }
  EXPECT_LT(std::sqrt(num / den), 1e-3);
  RecordProperty("relative_l2", std::to_string(std::sqrt(num / den)));
  RecordProperty("slabs", report.slabs);
}

}  // namespace
}  // namespace voidscan
