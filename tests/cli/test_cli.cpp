// The voidscan program end to end: exit codes (0 ok, 2 bad input, 3 runtime failure), error
// messages naming the file and field, no output left behind after a failure, info output.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "recon/volume_io.hpp"
#include "support/fdk_fixture.hpp"
#include "support/scan_files.hpp"
#include "support/temp_dir.hpp"
#include "support/run_cli.hpp"

namespace voidscan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using test::Outcome;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    phantom_ = Phantom({{Cylinder{0, 0, 3.0, -2.0, 2.0}, 0.02}, {Sphere{{0.5, -0.5, 0}, 1.2}, 0.06}});
    grid_ = test::cube_grid(32, 0.25);
    geometry_ = test::circular_geometry(90, 360, 0, 48, 40);
  }
  Outcome voidscan(const std::string& args) { return test::run_voidscan(args, dir_.path()); }
  fs::path scan(double white_level = 0) {
    const fs::path d = dir_.path() / "scan";
    fs::create_directories(d);
    return test::write_phantom_scan(d, phantom_, geometry_, white_level, &grid_);
  }
  /// A scan whose manifest `edit` has changed.
  template <class Edit>
  fs::path scan_with(Edit edit) {
    const fs::path manifest = scan();
    json doc = json::parse(test::read_text(manifest));
    edit(doc);
    test::write_text(manifest, doc.dump());
    return manifest;
  }
  /// No volume and no temporary file in the output folder.
  void expect_no_output(const fs::path& folder) {
    for (const auto& e : fs::directory_iterator(folder)) {
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(name.find(".mha") == std::string::npos && name.find(".part") == std::string::npos)
          << "left behind: " << name;
    }
  }
  /// Runs a failing reconstruction and checks code, that the message names `words`, and that
  /// nothing was written.
  void expect_failure(const fs::path& manifest, int code, const std::vector<std::string>& words,
                      const std::string& extra = {}) {
    const fs::path out_dir = dir_.path() / "out";
    fs::create_directories(out_dir);
    const Outcome r = voidscan("reconstruct " + manifest.string() + " -o " + (out_dir / "vol.mha").string() + extra);
    EXPECT_EQ(r.code, code) << r.err;
    for (const auto& w : words) EXPECT_NE(r.err.find(w), std::string::npos) << "'" << w << "' not in: " << r.err;
    expect_no_output(out_dir);
  }
  test::TempDir dir_;
  Phantom phantom_;
  VolumeGrid grid_;
  Geometry geometry_;
};

TEST_F(Cli, ReconstructsRawCountsFromDisk) {
  const fs::path manifest = scan(60000);
  const fs::path out = dir_.path() / "vol.mha";
  const Outcome r = voidscan("reconstruct " + manifest.string() + " -o " + out.string() + " --device cpu");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "progress bar drawn on a pipe";
  const Volume v = read_volume(out);
  EXPECT_EQ(v.grid.nx, 32);
  EXPECT_NEAR(v.grid.sx, 0.25, 1e-12);
  EXPECT_NEAR(v.grid.origin().x, -3.875, 1e-9);
  // attenuation of the sphere and of the cylinder from uint16 counts
  EXPECT_NEAR(test::flat_region_mean(v.data, v.grid, phantom_, 0.06, 1), 0.06, 0.03 * 0.06);
  EXPECT_NEAR(test::flat_region_mean(v.data, v.grid, phantom_, 0.02, 1), 0.02, 0.03 * 0.02);
}

// The disk pipeline (TIFFs -> preprocessing -> FDK -> file) against FDK on the same projections
// in memory, on the same backend: the CPU always, CUDA where a GPU is present (the reference
// names its device, so with a GPU present `auto` does not compare CUDA against the CPU).
TEST_F(Cli, DiskPipelineEqualsInMemoryReconstruction) {
  const fs::path manifest = scan();
  // the same projections (write_phantom_scan projects without supersampling), from memory
  const std::vector<float> proj = project(phantom_, geometry_, 1);
  std::vector<std::pair<std::string, Device>> devices = {{"cpu", Device::cpu}};
  if (cuda_device_count() > 0) devices.emplace_back("cuda", Device::cuda);
  for (const auto& [name, device] : devices) {
    SCOPED_TRACE(name);
    const fs::path out = dir_.path() / ("vol_" + name + ".nrrd");
    ASSERT_EQ(voidscan("reconstruct " + manifest.string() + " -o " + out.string() + " --device " + name + " --batch 7").code,
              0);
    const Volume disk = read_volume(out);
    MemoryProjections provider(proj.data(), geometry_.detector.rows, geometry_.detector.cols);
    std::vector<float> ref(grid_.voxel_count());
    FdkParams params;
    params.device = device;
    reconstruct_fdk(geometry_, provider, grid_, params, ref.data());
    double num = 0, den = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      num += double(disk.data[i] - ref[i]) * (disk.data[i] - ref[i]);
      den += double(ref[i]) * ref[i];
    }
    EXPECT_LT(std::sqrt(num / den), 1e-6);
  }
}

TEST_F(Cli, Uint16OutputRecordsScaleAndOffset) {
  const fs::path manifest = scan();
  const fs::path out = dir_.path() / "vol.mha";
  ASSERT_EQ(voidscan("reconstruct " + manifest.string() + " -o " + out.string() + " --dtype uint16 --grid 16 16 8 --voxel 0.5").code, 0);
  const VolumeHeader h = read_volume_header(out);
  EXPECT_EQ(h.dtype, "uint16");
  EXPECT_EQ(h.nx, 16);
  EXPECT_EQ(h.nz, 8);
  EXPECT_NEAR(h.sx, 0.5, 1e-12);
  EXPECT_GT(h.scale, 0);
  EXPECT_NE(test::read_text(out).find("VoidscanScale"), std::string::npos);
}

/// "peak memory: host N MiB" from voidscan's closing log line, or -1.
double logged_host_mib(const std::string& log) {
  const auto at = log.find("peak memory: host ");
  return at == std::string::npos ? -1 : std::atof(log.c_str() + at + 18);
}

TEST_F(Cli, SlabbedRunWritesTheSameFileInFarLessMemory) {
  // 256 x 256 x 64 float32 voxels: a 16 MiB volume. Under --memory-limit 4 it is reconstructed
  // and written in slabs of at most 3 MiB; the file must not change and the peak must drop.
  const fs::path manifest = scan(60000);
  const std::string common = " --device cpu --grid 256 256 64 --log-level info";
  const fs::path whole = dir_.path() / "whole.mha", slabbed = dir_.path() / "slabbed.mha";
  const Outcome a = voidscan("reconstruct " + manifest.string() + " -o " + whole.string() + common);
  const Outcome b = voidscan("reconstruct " + manifest.string() + " -o " + slabbed.string() + common + " --memory-limit 4");
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_NE(a.err.find("(1 slab)"), std::string::npos) << a.err;
  const auto at = b.err.find(" slabs)");
  ASSERT_NE(at, std::string::npos) << b.err;
  EXPECT_GE(std::atoi(b.err.c_str() + b.err.rfind('(', at) + 1), 5) << b.err;  // 16 MiB in slabs of <= 3 MiB
  EXPECT_TRUE(test::read_text(whole) == test::read_text(slabbed));
  const double peak_whole = logged_host_mib(a.err), peak_slabbed = logged_host_mib(b.err);
  ASSERT_GT(peak_whole, 0) << a.err;
  ASSERT_GT(peak_slabbed, 0) << b.err;
  RecordProperty("peak_host_mib_whole", std::to_string(peak_whole));
  RecordProperty("peak_host_mib_slabbed", std::to_string(peak_slabbed));
  // the whole run holds the 16 MiB volume; the slabbed one at most a 3 MiB slab of it
  EXPECT_GT(peak_whole - peak_slabbed, 10.0) << "whole " << peak_whole << " MiB, slabbed " << peak_slabbed << " MiB";
}

TEST_F(Cli, PrecisionMemoryAndRangeOptions) {
  const fs::path manifest = scan(60000);
  const fs::path out = dir_.path() / "half.mha";
  const Outcome r = voidscan("reconstruct " + manifest.string() + " -o " + out.string() + " --device cpu --precision fp16");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(test::flat_region_mean(read_volume(out).data, grid_, phantom_, 0.06, 1), 0.06, 0.03 * 0.06);
  const fs::path ranged = dir_.path() / "ranged.nrrd";
  ASSERT_EQ(voidscan("reconstruct " + manifest.string() + " -o " + ranged.string() +
                     " --device cpu --dtype uint16 --uint16-range -0.01 0.1")
                .code,
            0);
  EXPECT_NEAR(read_volume_header(ranged).scale, 0.11 / 65535, 1e-15);
  expect_failure(manifest, 2, {"--precision", "fp8"}, " --precision fp8");
  expect_failure(manifest, 2, {"--memory-limit"}, " --memory-limit 0.01");
  expect_failure(manifest, 2, {"--uint16-range"}, " --uint16-range 0 1");
  expect_failure(manifest, 2, {"--uint16-range"}, " --dtype uint16 --uint16-range 1 0");
}

TEST_F(Cli, InfoDescribesScanAndVolume) {
  const fs::path manifest = scan();
  Outcome r = voidscan("info " + manifest.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("magnification   2.0000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("projections     90"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("coverage        360.00 deg (full scan)"), std::string::npos) << r.out;
  const fs::path out = dir_.path() / "vol.mha";
  ASSERT_EQ(voidscan("reconstruct " + manifest.string() + " -o " + out.string() + " -q").code, 0);
  r = voidscan("info " + out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("32 x 32 x 32 voxels (float32)"), std::string::npos) << r.out;
}

TEST_F(Cli, InfoReadsTheRealZeissTxrm) {
  const fs::path txrm = fs::path(VOIDSCAN_SHARED_DATA) / "xradia" / "txrm_test_chip_tomo.txrm";
  if (!fs::exists(txrm)) GTEST_SKIP() << "shared data not found at " << txrm;
  const Outcome r = voidscan("info " + txrm.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("images          7 of 256 x 256 (uint16)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("angles          -45.0180 .. 44.9859 deg (7 views)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pixel size      0.155789 um"), std::string::npos) << r.out;
}

TEST_F(Cli, MissingScanFile) { expect_failure(dir_.path() / "absent.json", 2, {"absent.json", "not found"}); }

TEST_F(Cli, TiffOfTheWrongSize) {
  const fs::path manifest = scan();
  std::vector<float> small(10 * 10 * 90, 0.f);
  write_tiff_float(manifest.parent_path() / "proj.tif", 10, 10, 90, small.data());
  expect_failure(manifest, 2, {"proj.tif", "10 x 10", "48 x 40"});
}

TEST_F(Cli, TiffOfTheWrongType) {
  const fs::path manifest = scan();
  // a text file where a TIFF should be
  test::write_text(manifest.parent_path() / "proj.tif", "this is not a TIFF");
  expect_failure(manifest, 2, {"proj.tif"});
}

TEST_F(Cli, TruncatedTiff) {
  const fs::path manifest = scan();
  const fs::path tif = manifest.parent_path() / "proj.tif";
  fs::resize_file(tif, fs::file_size(tif) * 2 / 3);
  expect_failure(manifest, 2, {"proj.tif"});
}

TEST_F(Cli, NaNInAVectorNamesTheField) {
  const fs::path manifest = scan_with([](json& doc) { doc["projections"][7]["detector_center_mm"][1] = nullptr; });
  expect_failure(manifest, 2, {"scan.json", "projections[7].detector_center_mm[1]"});
}

TEST_F(Cli, ZeroLengthVector) {
  const fs::path manifest = scan_with([](json& doc) { doc["projections"][0]["u_mm"] = {0, 0, 0}; });
  expect_failure(manifest, 2, {"projections[0].u_mm", "zero-length"});
}

TEST_F(Cli, UnknownSchema) {
  const fs::path manifest = scan_with([](json& doc) { doc["schema"] = "other/2"; });
  expect_failure(manifest, 2, {"schema", "other/2"});
}

TEST_F(Cli, ZeroProjections) {
  const fs::path manifest = scan_with([](json& doc) { doc["projections"] = json::array(); });
  expect_failure(manifest, 2, {"projections", "no projections"});
}

TEST_F(Cli, UnknownKeyWarnsAndSucceeds) {
  const fs::path manifest = scan_with([](json& doc) { doc["operator"] = "night shift"; });
  const Outcome r = voidscan("reconstruct " + manifest.string() + " -o " + (dir_.path() / "v.mha").string() + " --grid 8 8 8");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("unknown key 'operator'"), std::string::npos) << r.err;
}

TEST_F(Cli, BadOptions) {
  const fs::path manifest = scan();
  expect_failure(manifest, 2, {"--filter", "butterworth"}, " --filter butterworth");
  expect_failure(manifest, 2, {"--dtype"}, " --dtype int8");
  expect_failure(manifest, 2, {}, " --grid 0 4 4");
  EXPECT_EQ(voidscan("reconstruct " + manifest.string() + " -o " + (dir_.path() / "v.xyz").string()).code, 2);
  EXPECT_EQ(voidscan("reconstruct " + manifest.string() + " -o /nonexistent/dir/v.mha").code, 2);
  EXPECT_EQ(voidscan("frobnicate").code, 2);
}

TEST_F(Cli, CudaAskedForWithoutAGpuIsARuntimeFailure) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU is present";
  expect_failure(scan(), 3, {"no CUDA device", "--device cpu"}, " --device cuda");
}

}  // namespace
}  // namespace voidscan
