// Parallel-beam FBP (the FDK machinery with parallel views: recon/fdk_math.hpp, fdk_plan.cpp)
// against the analytic package phantom projected exactly along parallel rays. Every body runs
// on each backend (TEST_P over cpu and cuda; cuda skips without a GPU).
#include <gtest/gtest.h>

#include "recon/scan.hpp"
#include "support/fdk_fixture.hpp"
#include "support/temp_dir.hpp"

namespace voidscan {
namespace {

using test::correlation;
using test::cube_grid;
using test::flat_region_mean;
using test::package_phantom;
using test::reconstruct_phantom;

class Fbp : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override {
    std::string why;
    if (GetParam() == Device::cuda && cuda_device_count(&why) == 0) GTEST_SKIP() << "no CUDA device: " << why;
  }
  /// 0.25 mm pixels (= the object-plane pitch), `cols` x 64: 72 columns cover the 12 mm phantom.
  static Geometry parallel(int views, double span_deg, double cor_mm = 0, int cols = 72) {
    std::vector<double> a;
    for (int i = 0; i < views; ++i) a.push_back(i * span_deg / views);
    return expand_parallel({cols, 64, 0.25, 0.25}, a, cor_mm);
  }
  void expect_accurate(const std::vector<float>& vol, const VolumeGrid& grid) {
    const Phantom ph = package_phantom();
    for (double mu : {0.02, 0.05}) {
      int n = 0;
      const double mean = flat_region_mean(vol, grid, ph, mu, 2, &n);
      ASSERT_GT(n, 50) << "too few interior voxels for mu " << mu;
      EXPECT_NEAR(mean, mu, 0.02 * mu) << "flat region mu " << mu;
      RecordProperty("mean_" + std::to_string(mu), std::to_string(mean));
    }
    const std::vector<float> truth = voxelize(ph, grid, 3);
    const double corr = correlation(vol, truth, grid, [](Vec3 p) { return std::hypot(p.x, p.y) < 7 && std::abs(p.z) < 5; });
    EXPECT_GE(corr, 0.95);
    RecordProperty("correlation", std::to_string(corr));
  }
};

TEST_P(Fbp, HalfTurnIsComplete) {
  const VolumeGrid grid = cube_grid(56, 0.25);
  FdkReport report;
  const auto vol = reconstruct_phantom(package_phantom(), parallel(180, 180.0), grid, GetParam(), &report);
  expect_accurate(vol, grid);
  for (const auto& w : report.warnings) ADD_FAILURE() << "unexpected warning: " << w;
}

TEST_P(Fbp, FullTurnCountsEveryLineTwiceHalfEach) {
  const VolumeGrid grid = cube_grid(56, 0.25);
  const auto vol = reconstruct_phantom(package_phantom(), parallel(180, 360.0), grid, GetParam());
  expect_accurate(vol, grid);
}

TEST_P(Fbp, OffsetAxisIsHonoured) {
  // the rotation axis 1.5 mm (6 pixels) off the detector centre over 180 degrees
  // (84 columns: the shifted detector still covers the phantom on both sides)
  const VolumeGrid grid = cube_grid(56, 0.25);
  const Geometry g = parallel(180, 180.0, 1.5, 84);
  const auto vol = reconstruct_phantom(package_phantom(), g, grid, GetParam());
  expect_accurate(vol, grid);
}

TEST(FbpPlan, WeightsSumToPi) {
  for (double span : {180.0, 360.0}) {
    std::vector<double> a;
    for (int i = 0; i < 90; ++i) a.push_back(i * span / 90);
    const FdkPlan plan = plan_fdk(expand_parallel({32, 8, 0.5, 0.5}, a), FilterWindow::ram_lak);
    double sum = 0;
    for (const auto& v : plan.views) {
      sum += v.bp_scale;
      EXPECT_EQ(v.parallel, 1);
      EXPECT_FLOAT_EQ(v.P[8], 0.f);
      EXPECT_FLOAT_EQ(v.P[11], 1.f);
    }
    EXPECT_NEAR(sum, 3.14159265358979, 1e-4) << span;
    EXPECT_TRUE(plan.warnings.empty());
  }
}

TEST(FbpPlan, ProjectionMatrixHitsThePixelTheRayHits) {
  // a tilted ray and detector: the matrix must send a point to the pixel its ray crosses
  ViewGeometry v;
  v.parallel = true;
  v.ray = {0.3, 1.0, -0.2};
  v.detector_center = {1.0, 5.0, 0.5};
  v.u = {0.25, -0.05, 0.0};
  v.v = {0.0, 0.02, -0.25};
  const Detector det{40, 30, norm(v.u), norm(v.v)};
  const ProjectionMatrix p = projection_matrix(det, v);
  const Vec3 x{0.7, -1.2, 2.1};
  const double c = p.m[0] * x.x + p.m[1] * x.y + p.m[2] * x.z + p.m[3];
  const double r = p.m[4] * x.x + p.m[5] * x.y + p.m[6] * x.z + p.m[7];
  const Vec3 q = v.detector_center + (c - 0.5 * (det.cols - 1)) * v.u + (r - 0.5 * (det.rows - 1)) * v.v;
  // q - x must be parallel to the ray
  EXPECT_LT(norm(cross(q - x, v.ray)), 1e-9 * norm(q - x));
}

TEST(FbpScan, ManifestRoundTripsRayVectors) {
  test::TempDir dir;
  Scan scan;
  std::vector<double> a = {0, 45, 90};
  scan.geometry = expand_parallel({8, 4, 0.1, 0.1}, a, 0.2);
  scan.intensity.already_log = true;
  std::vector<float> img(8 * 4 * 3, 0.f);
  write_tiff_float(dir / "p.tif", 8, 4, 3, img.data());
  for (int i = 0; i < 3; ++i) scan.projections.push_back({dir / "p.tif", i});
  save_scan(scan, dir / "scan.json");
  const Scan back = load_scan(dir / "scan.json");
  ASSERT_EQ(back.geometry.views.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(back.geometry.views[i].parallel);
    EXPECT_LT(norm(back.geometry.views[i].ray - scan.geometry.views[i].ray), 1e-12);
    EXPECT_LT(norm(back.geometry.views[i].detector_center - scan.geometry.views[i].detector_center), 1e-12);
  }
  EXPECT_DOUBLE_EQ(summarize(back.geometry).magnification, 1.0);
}

INSTANTIATE_TEST_SUITE_P(Backends, Fbp, ::testing::Values(Device::cpu, Device::cuda),
                         [](const auto& info) { return info.param == Device::cpu ? "cpu" : "cuda"; });

}  // namespace
}  // namespace voidscan
