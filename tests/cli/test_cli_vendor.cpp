// The voidscan program on vendor scans: `convert` (Nikon, Bruker, ZEISS -> scan.json, atomic),
// `reconstruct` and `info` taking vendor inputs directly, and exit code 2 with the file and
// field named for malformed vendor files (nothing written).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "recon/volume_io.hpp"
#include "support/scan_files.hpp"
#include "support/temp_dir.hpp"
#include "support/vendor_writers.hpp"
#include "support/run_cli.hpp"

namespace voidscan {
namespace {

namespace fs = std::filesystem;

using test::Outcome;

class CliVendor : public ::testing::Test {
 protected:
  Outcome voidscan(const std::string& args) { return test::run_voidscan(args, dir_.path()); }
  Phantom phantom_{{{Cylinder{0, 0, 3.5, -2.0, 2.0}, 0.02}, {Sphere{{1.0, -0.5, 0}, 1.2}, 0.06}}};
  test::TempDir dir_;
};

double max_abs_diff(const Volume& a, const Volume& b) {
  double m = 0;
  for (size_t i = 0; i < a.data.size(); ++i) m = std::max(m, std::abs(double(a.data[i]) - b.data[i]));
  return m;
}

TEST_F(CliVendor, ConvertThenReconstructEqualsDirectReconstruction) {
  test::NikonSpec spec;
  spec.projections = 60;
  spec.step_deg = 6;
  const auto v = test::write_nikon(dir_ / "scan", phantom_, spec);
  const fs::path json = dir_ / "converted.json";
  Outcome r = voidscan("convert " + v.vendor.string() + " -o " + json.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("fields ignored"), std::string::npos) << r.err;
  // the manifest names per-view vectors and the Nikon TIFFs relative to itself
  const auto doc = nlohmann::json::parse(test::read_text(json));
  EXPECT_EQ(doc["projections"].size(), 60u);
  EXPECT_EQ(doc["projections"][0]["file"], "scan/nikon/proj/part_0001.tif");
  EXPECT_EQ(doc["source"], "part.xtekct");
  const std::string grid = " --grid 24 24 16 --voxel 0.3 --center 0 0 0 --device cpu -q";
  r = voidscan("reconstruct " + v.vendor.string() + " -o " + (dir_ / "direct.mha").string() + grid);
  ASSERT_EQ(r.code, 0) << r.err;
  r = voidscan("reconstruct " + json.string() + " -o " + (dir_ / "converted.mha").string() + grid);
  ASSERT_EQ(r.code, 0) << r.err;
  r = voidscan("reconstruct " + v.manifest.string() + " -o " + (dir_ / "ref.mha").string() + grid);
  ASSERT_EQ(r.code, 0) << r.err;
  const Volume direct = read_volume(dir_ / "direct.mha"), converted = read_volume(dir_ / "converted.mha"),
               ref = read_volume(dir_ / "ref.mha");
  EXPECT_EQ(max_abs_diff(direct, converted), 0.0);
  EXPECT_LT(max_abs_diff(direct, ref), 1e-5);  // 1/mm; mu up to 0.06
}

TEST_F(CliVendor, InfoOnBrukerFolderAndTxrm) {
  test::BrukerSpec spec;
  spec.files = 12;
  spec.step_deg = 30;
  test::write_bruker(dir_ / "sky", phantom_, spec);
  Outcome r = voidscan("info " + (dir_ / "sky").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("format          Bruker SkyScan .log"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("projections     12 (cone beam)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Source Voltage (kV)"), std::string::npos) << r.out;  // listed as ignored
  const fs::path txrm = fs::path(VOIDSCAN_SHARED_DATA) / "xradia" / "txrm_test_chip_tomo.txrm";
  if (!fs::exists(txrm)) GTEST_SKIP() << "shared data not found at " << txrm;
  r = voidscan("info " + txrm.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("images          7 of 256 x 256 (uint16)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pixel size      0.155789 um"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("projections     7 (parallel beam)"), std::string::npos) << r.out;
  // and converts: the views keep the .txrm as their file, one page per image
  r = voidscan("convert " + txrm.string() + " -o " + (dir_ / "chip.json").string());
  ASSERT_EQ(r.code, 0) << r.err;
  const auto doc = nlohmann::json::parse(test::read_text(dir_ / "chip.json"));
  EXPECT_EQ(doc["projections"][6]["page"], 6);
  EXPECT_TRUE(doc["projections"][6].contains("ray_mm"));
  EXPECT_NEAR(doc["detector"]["pixel_size_mm"][0].get<double>(), 0.15578948e-3, 1e-9);
}

TEST_F(CliVendor, MalformedVendorFilesExitTwoNamingFileAndField) {
  test::NikonSpec spec;
  spec.projections = 5;
  const auto v = test::write_nikon(dir_ / "n", phantom_, spec);
  std::string text = test::read_text(v.vendor);
  text.replace(text.find("SrcToObject="), 12, "SrcToObjekt=");
  test::write_text(v.vendor, text);
  fs::create_directories(dir_ / "out");
  Outcome r = voidscan("convert " + v.vendor.string() + " -o " + (dir_ / "out" / "s.json").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("part.xtekct: field 'SrcToObject': missing"), std::string::npos) << r.err;
  r = voidscan("reconstruct " + v.vendor.string() + " -o " + (dir_ / "out" / "v.mha").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("SrcToObject"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(dir_ / "out"));  // no scan.json, no volume, no temporary

  test::BrukerSpec b;
  b.files = 4;
  const auto bv = test::write_bruker(dir_ / "b", phantom_, b);
  fs::remove(dir_ / "b" / "sample_00000003.tif");
  r = voidscan("convert " + bv.vendor.string() + " -o " + (dir_ / "out" / "s.json").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("field 'Number of Files'"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(dir_ / "out"));
  r = voidscan("convert " + bv.vendor.string() + " -o " + (dir_ / "out" / "s.txt").string());
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace voidscan
