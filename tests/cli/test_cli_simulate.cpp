// `voidscan simulate` end to end: a preset run writes the scan folder (scan.json, proj/,
// phantom.json, truth.json, truth volumes) and `reconstruct` reads it; bad phantom files and
// options exit 2 with a message naming the object and field, and leave nothing behind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "recon/backend.hpp"
#include "recon/tiff_io.hpp"
#include "recon/volume_io.hpp"
#include "support/run_cli.hpp"
#include "support/scan_files.hpp"
#include "support/temp_dir.hpp"

namespace voidscan {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

TEST(CliSimulate, PresetScanFolderReconstructs) {
  test::TempDir dir;
  const fs::path out = dir.path() / "scan";
  auto r = test::run_voidscan("simulate --preset hybrid-bond --seed 3 --param die_cols=1 --param die_rows=1 --views 12 "
                              "--voxel 0.002 --truth-volume -o " + out.string(), dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"scan.json", "phantom.json", "truth.json", "truth_mu.mha", "truth_labels.mha", "proj/0011.tif"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  const json truth = json::parse(test::read_text(out / "truth.json"));
  EXPECT_EQ(truth["schema"], "voidscan.truth/1");
  EXPECT_EQ(truth["dies"].size(), 1u);
  ASSERT_GE(truth["defects"].size(), 1u) << "seed 3 plants a bond gap";
  // the label volume marks as many distinct defects as truth.json lists
  const Volume labels = read_volume(out / "truth_labels.mha");
  const float max_label = *std::max_element(labels.data.begin(), labels.data.end());
  EXPECT_EQ(size_t(max_label), truth["defects"].size());
  r = test::run_voidscan("reconstruct " + (out / "scan.json").string() + " -o " + (dir.path() / "v.mha").string() +
                             " --device cpu -q", dir.path());
  EXPECT_EQ(r.code, 0) << r.err;
  const Volume v = read_volume(dir.path() / "v.mha");
  EXPECT_EQ(v.grid.nx, labels.grid.nx);
  EXPECT_EQ(v.grid.nz, labels.grid.nz);
  // an existing non-empty folder is kept unless --force
  r = test::run_voidscan("simulate --preset hybrid-bond --views 2 --voxel 0.002 -o " + out.string(), dir.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(out / "truth_mu.mha"));
}

class CliSimulateBad : public ::testing::Test {
 protected:
  /// Writes a phantom with one extra object, runs simulate on it, expects exit 2, a message
  /// naming every word of `words`, and no output folder.
  void expect_refused(const std::string& extra_object, std::initializer_list<const char*> words) {
    const fs::path file = dir_.path() / "phantom.json";
    test::write_text(file, R"({"schema": "voidscan.phantom/1", "objects": [
      {"shape": "box", "min_mm": [-0.05, -0.05, -0.01], "max_mm": [0.05, 0.05, 0.01], "material": "underfill"}, )" +
                               extra_object + "]}");
    const auto r = test::run_voidscan("simulate " + file.string() + " --views 4 --voxel 0.002 -o " +
                                          (dir_.path() / "out").string(), dir_.path());
    EXPECT_EQ(r.code, 2) << r.err;
    for (const char* w : words) EXPECT_NE(r.err.find(w), std::string::npos) << "'" << w << "' not in: " << r.err;
    EXPECT_FALSE(fs::exists(dir_.path() / "out"));
    for (const auto& e : fs::directory_iterator(dir_.path()))
      EXPECT_EQ(e.path().filename().string().find(".part"), std::string::npos) << e.path();
  }
  test::TempDir dir_;
};

TEST_F(CliSimulateBad, UnknownMaterial) {
  expect_refused(R"({"shape": "sphere", "center_mm": [0, 0, 0], "radius_mm": 0.005, "material": "gold"})",
                 {"phantom.json", "objects[1].material", "gold"});
}
TEST_F(CliSimulateBad, NegativeRadius) {
  expect_refused(R"({"shape": "sphere", "center_mm": [0, 0, 0], "radius_mm": -0.005, "material": "air"})",
                 {"phantom.json", "objects[1].radius_mm"});
}
TEST_F(CliSimulateBad, UnknownShape) {
  expect_refused(R"({"shape": "cone", "material": "air"})", {"phantom.json", "objects[1].shape", "cone"});
}
TEST_F(CliSimulateBad, MissingField) {
  expect_refused(R"({"shape": "box", "min_mm": [0, 0, 0], "material": "air"})", {"phantom.json", "objects[1].max_mm", "missing"});
}
TEST_F(CliSimulateBad, UnknownPresetParameter) {
  const auto r = test::run_voidscan("simulate --preset flip-chip --param bump_pitch=3 -o " + (dir_.path() / "out").string(),
                                    dir_.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bump_pitch"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "out"));
}

TEST_F(CliSimulateBad, UnknownDevice) {
  const auto r = test::run_voidscan("simulate --preset flip-chip --device tpu -o " + (dir_.path() / "out").string(),
                                    dir_.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--device"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "out"));
}

TEST_F(CliSimulateBad, CudaAskedForWithoutAGpuIsARuntimeFailure) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU is present";
  const auto r = test::run_voidscan("simulate --preset hybrid-bond --param die_cols=1 --param die_rows=1 --views 2 "
                                    "--voxel 0.002 --device cuda -o " + (dir_.path() / "out").string(),
                                    dir_.path());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("no CUDA device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--device cpu"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "out"));
}

std::vector<float> read_page(const fs::path& file) {
  const TiffInfo info = tiff_info(file);
  std::vector<float> v(size_t(info.cols) * info.rows);
  TiffReader().read(file, 0, info.cols, info.rows, v.data());
  return v;
}

TEST(CliSimulate, CpuAndCudaWriteTheSameNoiseFreeProjections) {
  // With a GPU: the same run on both devices (noise-free line integrals) gives the same files
  // to float rounding of -log T (1e-5 absolute on integrals of order 1).
  std::string why;
  if (cuda_device_count(&why) <= 0) GTEST_SKIP() << "no CUDA device: " << why;
  test::TempDir dir;
  for (const char* device : {"cpu", "cuda"}) {
    const auto r = test::run_voidscan(std::string("simulate --preset hybrid-bond --param die_cols=1 --param die_rows=1 "
                                                  "--views 3 --voxel 0.002 --i0 0 --device ") +
                                          device + " -o " + (dir.path() / device).string(),
                                      dir.path());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find(std::string("projector ") + device), std::string::npos) << r.err;
  }
  for (const char* f : {"proj/0000.tif", "proj/0002.tif"}) {
    const auto a = read_page(dir.path() / "cpu" / f), b = read_page(dir.path() / "cuda" / f);
    ASSERT_EQ(a.size(), b.size());
    ASSERT_GT(a.size(), 0u);
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double(std::abs(a[i] - b[i])));
    EXPECT_LT(worst, 1e-5) << f;
  }
}

}  // namespace
}  // namespace voidscan
