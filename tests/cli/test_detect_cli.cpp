// `voidscan detect` and `voidscan run` end to end: exit codes (0 every die passes, 1 a die
// fails, 2 bad input), the outputs and their agreement with a phantom of known holes, the
// output-folder rules (no overwrite without --force, nothing left after a failure).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "detect/maps.hpp"
#include "recon/phantom.hpp"
#include "recon/tiff_io.hpp"
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

// An acrylic-like disc (0.03 /mm) with two spherical holes of 0.8 and 0.6 mm diameter, on a
// 40^3 grid of 0.1 mm voxels, partial volume at the edges (supersampled voxelisation).
constexpr double kMu = 0.03;
const Sphere kHoleA{{0.6, 0.0, 0.0}, 0.4};
const Sphere kHoleB{{-0.7, 0.4, 0.1}, 0.3};

class DetectCli : public ::testing::Test {
 protected:
  Outcome voidscan(const std::string& args) { return test::run_voidscan(args, dir_.path()); }
  fs::path disc_volume(const std::string& name = "disc.mha") {
    const Phantom p({{Cylinder{0, 0, 1.6, -1.2, 1.2}, kMu}, {kHoleA, 0.0}, {kHoleB, 0.0}});
    Volume v;
    v.grid = test::cube_grid(40, 0.1);
    v.data = voxelize(p, v.grid, 3);
    const fs::path f = dir_ / name;
    write_volume(f, v, VolumeDtype::float32);
    return f;
  }
  fs::path recipe(const std::string& text) {
    const fs::path f = dir_ / "recipe.yaml";
    test::write_text(f, text);
    return f;
  }
  /// Only the given names in the test folder: no OUTDIR, no staging folder left behind.
  void expect_only(const std::set<std::string>& names) {
    for (const auto& e : fs::directory_iterator(dir_.path()))
      EXPECT_TRUE(names.count(e.path().filename().string())) << "left behind: " << e.path().filename();
  }
  void expect_failure(const std::string& args, const std::vector<std::string>& words,
                      const std::set<std::string>& keep) {
    const Outcome r = voidscan(args);
    EXPECT_EQ(r.code, 2) << r.err;
    for (const auto& w : words) EXPECT_NE(r.err.find(w), std::string::npos) << "'" << w << "' not in: " << r.err;
    EXPECT_EQ(r.out.find("verdict"), std::string::npos) << r.out;
    expect_only(keep);
  }
  test::TempDir dir_;
};

TEST_F(DetectCli, FindsTheHolesAndPassesWithinTheCriteria) {
  const fs::path vol = disc_volume();
  const fs::path r = recipe("kind: generic\ncriteria:\n  max_void_diameter_mm: 1.0\n  max_void_area_fraction: 1\n");
  const fs::path out = dir_ / "out";
  const Outcome o = voidscan("detect " + vol.string() + " --recipe " + r.string() + " -o " + out.string());
  ASSERT_EQ(o.code, 0) << o.err << o.out;
  EXPECT_EQ(o.err.find('\r'), std::string::npos) << "progress bar drawn on a pipe";
  EXPECT_NE(o.out.find("verdict: PASS"), std::string::npos) << o.out;
  for (const char* f : {"report.json", "defects.csv", "labels.mha", "maps/die_P0.png", "maps/overview.png"})
    EXPECT_TRUE(fs::is_regular_file(out / f)) << f;
  expect_only({"disc.mha", "recipe.yaml", "out"});

  const json j = json::parse(test::read_text(out / "report.json"));
  EXPECT_EQ(j["schema"], "voidscan.report/1");
  EXPECT_EQ(j["sample"]["kind"], "generic");
  EXPECT_EQ(j["volume"]["size"], json({40, 40, 40}));
  EXPECT_EQ(j["summary"]["verdict"], "pass");
  ASSERT_EQ(j["dies"].size(), 1u);
  EXPECT_EQ(j["dies"][0]["id"], "P0");
  ASSERT_EQ(j["defects"].size(), 2u) << j["defects"].dump(1);
  // each hole found once, as a void of about its size, at its place
  for (const Sphere& hole : {kHoleA, kHoleB}) {
    int found = 0;
    for (const auto& d : j["defects"]) {
      const Vec3 c{d["centroid_mm"][0], d["centroid_mm"][1], d["centroid_mm"][2]};
      if (norm(c - hole.center_mm) > 0.15) continue;
      ++found;
      EXPECT_EQ(d["type"], "void");
      EXPECT_EQ(d["die"], "P0");
      EXPECT_NEAR(d["equivalent_diameter_mm"].get<double>(), 2 * hole.radius_mm, 0.2 * 2 * hole.radius_mm);
    }
    EXPECT_EQ(found, 1) << "hole at " << hole.center_mm.x << ", " << hole.center_mm.y;
  }
  // labels aligned with the input, the ids of the report
  const Volume labels = read_volume(out / "labels.mha");
  const VolumeHeader h = read_volume_header(out / "labels.mha");
  EXPECT_EQ(h.dtype, "uint16");
  EXPECT_EQ(labels.grid.nx, 40);
  EXPECT_NEAR(labels.grid.origin().x, test::cube_grid(40, 0.1).origin().x, 1e-9);
  std::set<int> ids;
  for (float v : labels.data)
    if (v != 0) ids.insert(int(v));
  EXPECT_EQ(ids, (std::set<int>{j["defects"][0]["id"], j["defects"][1]["id"]}));
  const auto png = detect::read_png(out / "maps" / "die_P0.png");
  EXPECT_EQ(png.width, detect::kDieMapWidth);
}

TEST_F(DetectCli, ExitsOneWhenADieFails) {
  const fs::path vol = disc_volume();
  const fs::path r = recipe("kind: generic\ncriteria:\n  max_void_diameter_mm: 0.7\n  max_void_area_fraction: 1\n");
  const Outcome o = voidscan("detect " + vol.string() + " --recipe " + r.string() + " -o " + (dir_ / "out").string());
  EXPECT_EQ(o.code, 1) << o.err << o.out;
  EXPECT_NE(o.out.find("verdict: FAIL"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("1 void above 700 um diameter"), std::string::npos) << o.out;
  const json j = json::parse(test::read_text(dir_ / "out" / "report.json"));
  EXPECT_EQ(j["summary"]["verdict"], "fail");
  EXPECT_EQ(j["recipe"]["criteria"]["max_void_diameter_mm"], 0.7);
}

TEST_F(DetectCli, ExistingOutputNeedsForceAndIsReplacedWhole) {
  const fs::path vol = disc_volume();
  const fs::path r = recipe("kind: generic\ncriteria:\n  max_void_diameter_mm: 1.0\n  max_void_area_fraction: 1\n");
  fs::create_directories(dir_ / "out" / "old");
  test::write_text(dir_ / "out" / "report.json", "last night");
  const std::string args = "detect " + vol.string() + " --recipe " + r.string() + " -o " + (dir_ / "out").string();
  expect_failure(args, {"out", "--force"}, {"disc.mha", "recipe.yaml", "out"});
  EXPECT_EQ(test::read_text(dir_ / "out" / "report.json"), "last night");
  const Outcome o = voidscan(args + " --force -q");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_FALSE(fs::exists(dir_ / "out" / "old"));
  EXPECT_EQ(json::parse(test::read_text(dir_ / "out" / "report.json"))["schema"], "voidscan.report/1");
  expect_only({"disc.mha", "recipe.yaml", "out"});
  // --force never deletes the input
  fs::rename(vol, dir_ / "out" / "disc.mha");
  expect_failure("detect " + (dir_ / "out" / "disc.mha").string() + " -o " + (dir_ / "out").string() + " --force",
                 {"disc.mha", "inside the output folder"}, {"recipe.yaml", "out"});
  EXPECT_TRUE(fs::exists(dir_ / "out" / "disc.mha"));
}

TEST_F(DetectCli, BadInputIsExitTwoAndWritesNothing) {
  const fs::path vol = disc_volume();
  const std::string out = " -o " + (dir_ / "out").string();
  const std::set<std::string> keep = {"disc.mha", "recipe.yaml", "bare.mha", "empty.mha"};
  expect_failure("detect " + (dir_ / "absent.mha").string() + out, {"absent.mha", "not found"}, keep);
  expect_failure("detect " + vol.string() + " --recipe " + (dir_ / "nope.yaml").string() + out,
                 {"nope.yaml", "not found"}, keep);
  recipe("criteria:\n  max_void_diamter_mm: 0.02\n");
  expect_failure("detect " + vol.string() + " --recipe " + (dir_ / "recipe.yaml").string() + out,
                 {"recipe.yaml", "criteria.max_void_diamter_mm", "unknown key"}, keep);
  recipe("criteria:\n  max_void_area_fraction: 1.5\n");
  expect_failure("detect " + vol.string() + " --recipe " + (dir_ / "recipe.yaml").string() + out,
                 {"recipe.yaml", "criteria.max_void_area_fraction", "[0, 1]"}, keep);
  // a kind the volume does not show (an acrylic disc has no dies)
  recipe("kind: flip-chip\n");
  expect_failure("detect " + vol.string() + " --recipe " + (dir_ / "recipe.yaml").string() + out,
                 {"recipe.yaml", "kind", "flip-chip"}, keep);
  // a volume whose header gives no spacing
  std::ofstream(dir_ / "bare.mha", std::ios::binary)
      << "ObjectType = Image\nNDims = 3\nDimSize = 4 4 4\nElementType = MET_FLOAT\nElementDataFile = LOCAL\n"
      << std::string(4 * 64, '\0');
  expect_failure("detect " + (dir_ / "bare.mha").string() + out, {"bare.mha", "spacing"}, keep);
  // an empty volume (nothing in it)
  Volume empty;
  empty.grid = test::cube_grid(16, 0.1);
  empty.data.assign(empty.grid.voxel_count(), 0.f);
  write_volume(dir_ / "empty.mha", empty, VolumeDtype::float32);
  expect_failure("detect " + (dir_ / "empty.mha").string() + out, {"empty.mha"}, keep);
  // an output folder whose parent does not exist, a file as output folder
  expect_failure("detect " + vol.string() + " -o " + (dir_ / "no" / "out").string(), {"does not exist"}, keep);
  expect_failure("detect " + vol.string() + " -o " + vol.string(), {"not a folder"}, keep);
  EXPECT_EQ(voidscan("detect " + vol.string()).code, 2);  // -o is required
}

TEST_F(DetectCli, RunReconstructsKeepsTheVolumeAndDetects) {
  // a cylinder with a 2 mm hole, scanned (90 views) and reconstructed on 32^3 voxels of 0.25 mm
  const Phantom phantom({{Cylinder{0, 0, 3.0, -2.0, 2.0}, 0.02}, {Sphere{{0.5, -0.5, 0}, 1.0}, 0.0}});
  VolumeGrid grid = test::cube_grid(32, 0.25);
  const Geometry geometry = test::circular_geometry(90, 360, 0, 48, 40);
  fs::create_directories(dir_ / "scan");
  const fs::path manifest = test::write_phantom_scan(dir_ / "scan", phantom, geometry, 0, &grid);
  const fs::path r = recipe("kind: generic\ncriteria:\n  max_void_diameter_mm: 5\n  max_void_area_fraction: 1\n");
  const fs::path out = dir_ / "out";
  const Outcome o = voidscan("run " + manifest.string() + " --recipe " + r.string() + " -o " + out.string() +
                             " --device cpu --filter hann");
  ASSERT_TRUE(o.code == 0 || o.code == 1) << o.err;
  const Volume v = read_volume(out / "volume.mha");
  EXPECT_EQ(v.grid.nx, 32);
  EXPECT_NEAR(v.grid.sx, 0.25, 1e-12);
  const json j = json::parse(test::read_text(out / "report.json"));
  EXPECT_EQ(o.code, j["summary"]["verdict"] == "pass" ? 0 : 1);
  EXPECT_EQ(j["sample"]["input"], manifest.string());
  EXPECT_EQ(j["sample"]["volume_file"], (out / "volume.mha").string());
  int found = 0;
  for (const auto& d : j["defects"]) {
    const Vec3 c{d["centroid_mm"][0], d["centroid_mm"][1], d["centroid_mm"][2]};
    if (norm(c - Vec3{0.5, -0.5, 0}) < 0.3) {
      ++found;
      EXPECT_NEAR(d["equivalent_diameter_mm"].get<double>(), 2.0, 0.4);
    }
  }
  EXPECT_EQ(found, 1) << j["defects"].dump(1);
  expect_only({"scan", "recipe.yaml", "out"});
}

// The metal correction: by default applied to a flip chip (the simulator's preset, one die,
// 180 views: the log names the modelled columns and the streak note is gone from its die;
// with --no-metal-correction the note is there and names the option) and, asked for, to a
// stack (the HBM preset, two tiers: 16 bump-and-TSV columns, read as a stack of two dies);
// any other kind is left as it is, quietly by default and with a warning when it was asked
// for (a generic cylinder: the same hole found either way).
TEST_F(DetectCli, RunMetalCorrectionOnFlipChipsAndStacksOnly) {
  const fs::path scan = dir_ / "fc";
  const test::Outcome sim = test::run_voidscan(
      "simulate --preset flip-chip --param die_cols=1 --param die_rows=1 --seed 4 --views 180 --device cpu -o " +
          scan.string(),
      dir_.path());
  ASSERT_EQ(sim.code, 0) << sim.err;
  const Outcome plain = voidscan("run " + (scan / "scan.json").string() + " -o " + (dir_ / "plain").string() +
                                 " --device cpu --no-metal-correction");
  ASSERT_TRUE(plain.code == 0 || plain.code == 1) << plain.err;
  EXPECT_NE(plain.out.find("streaks from the bumps"), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("--metal-correction"), std::string::npos) << "the note names the option: " << plain.out;
  const Outcome corrected = voidscan("run " + (scan / "scan.json").string() + " -o " + (dir_ / "mc").string() +
                                     " --device cpu --log-level info");
  ASSERT_TRUE(corrected.code == 0 || corrected.code == 1) << corrected.err;
  EXPECT_NE(corrected.err.find("metal columns modelled"), std::string::npos) << corrected.err;
  EXPECT_EQ(corrected.out.find("streaks from the bumps"), std::string::npos) << corrected.out;
  const json j = json::parse(test::read_text(dir_ / "mc" / "report.json"));
  EXPECT_EQ(j["sample"]["kind"], "flip-chip");
  // the report says what was done to the volume: 16 bumps of one die modelled
  ASSERT_TRUE(j["sample"]["metal_correction"].is_object()) << j["sample"].dump(1);
  EXPECT_EQ(j["sample"]["metal_correction"]["applied"], true);
  EXPECT_EQ(j["sample"]["metal_correction"]["columns"], 16);
  EXPECT_GE(j["sample"]["metal_correction"]["voids"].get<int>(), 0);
  EXPECT_TRUE(json::parse(test::read_text(dir_ / "plain" / "report.json"))["sample"]["metal_correction"].is_null());

  // a stack
  const fs::path hbm = dir_ / "hbm";
  const test::Outcome sim2 = test::run_voidscan(
      "simulate --preset hbm-stack --param layers=2 --seed 4 --views 180 --device cpu -o " + hbm.string(), dir_.path());
  ASSERT_EQ(sim2.code, 0) << sim2.err;
  const Outcome stack = voidscan("run " + (hbm / "scan.json").string() + " -o " + (dir_ / "hbm_mc").string() +
                                 " --device cpu --metal-correction --log-level info");
  ASSERT_TRUE(stack.code == 0 || stack.code == 1) << stack.err;
  EXPECT_NE(stack.err.find("metal columns modelled"), std::string::npos) << stack.err;
  const json js = json::parse(test::read_text(dir_ / "hbm_mc" / "report.json"));
  EXPECT_EQ(js["sample"]["kind"], "stack");
  EXPECT_EQ(js["dies"].size(), 2u) << js["dies"].dump(1);
  ASSERT_TRUE(js["sample"]["metal_correction"].is_object()) << js["sample"].dump(1);
  EXPECT_EQ(js["sample"]["metal_correction"]["applied"], true);
  EXPECT_EQ(js["sample"]["metal_correction"]["columns"], 16);  // 4 x 4 bumps, each tier's on one TSV column

  // a generic sample: not corrected, warned only when the correction was asked for, the hole
  // found as ever
  const Phantom phantom({{Cylinder{0, 0, 3.0, -2.0, 2.0}, 0.02}, {Sphere{{0.5, -0.5, 0}, 1.0}, 0.0}});
  VolumeGrid grid = test::cube_grid(32, 0.25);
  fs::create_directories(dir_ / "cyl");
  const fs::path manifest =
      test::write_phantom_scan(dir_ / "cyl", phantom, test::circular_geometry(90, 360, 0, 48, 40), 0, &grid);
  // (its kind from a recipe: read without one, this noise-free reconstruction's edge texture
  // makes dozens of histogram classes and a flip chip: a known limit, docs/detection.md)
  const Outcome g = voidscan("run " + manifest.string() + " -o " + (dir_ / "g").string() + " --recipe " +
                             recipe("kind: generic\n").string() + " --device cpu --metal-correction");
  ASSERT_TRUE(g.code == 0 || g.code == 1) << g.err;
  EXPECT_NE(g.err.find("--metal-correction: not applied"), std::string::npos) << g.err;
  EXPECT_NE(g.err.find("'generic'"), std::string::npos) << g.err;
  const json jg = json::parse(test::read_text(dir_ / "g" / "report.json"));
  EXPECT_TRUE(jg["sample"]["metal_correction"].is_null());
  ASSERT_EQ(jg["defects"].size(), 1u) << jg["defects"].dump(1);
  EXPECT_NEAR(jg["defects"][0]["equivalent_diameter_mm"].get<double>(), 2.0, 0.4);
  const Outcome quiet = voidscan("run " + manifest.string() + " -o " + (dir_ / "g2").string() + " --recipe " +
                                 recipe("kind: generic\n").string() + " --device cpu");
  ASSERT_TRUE(quiet.code == 0 || quiet.code == 1) << quiet.err;
  EXPECT_EQ(quiet.err.find("metal"), std::string::npos) << quiet.err;
  const json jq = json::parse(test::read_text(dir_ / "g2" / "report.json"));
  EXPECT_TRUE(jq["sample"]["metal_correction"].is_null());
  EXPECT_EQ(jq["defects"], jg["defects"]);
}

TEST_F(DetectCli, RunWithABadScanWritesNothing) {
  const fs::path r = recipe("kind: generic\n");
  expect_failure("run " + (dir_ / "absent.json").string() + " -o " + (dir_ / "out").string(), {"absent.json"},
                 {"recipe.yaml"});
}

// A volume that states no voxel size: a headerless raw file (its layout and voxel size on the
// command line) and a folder of untagged TIFF slices. Without --voxel: exit 2 naming the
// option; with it: the same two holes as from the .mha.
TEST_F(DetectCli, RawFileAndUntaggedSlicesTakeTheGivenVoxelSize) {
  const fs::path mha = disc_volume();
  const Volume v = read_volume(mha);
  {  // raw: 16 header bytes, big-endian float32
    std::ofstream out(dir_ / "disc.raw", std::ios::binary);
    out << std::string(16, 'H');
    for (float x : v.data) {
      unsigned char b[4];
      std::memcpy(b, &x, 4);
      std::reverse(b, b + 4);
      out.write(reinterpret_cast<const char*>(b), 4);
    }
  }
  fs::create_directories(dir_ / "slices");
  const size_t slice = size_t(v.grid.nx) * v.grid.ny;
  for (int z = 0; z < v.grid.nz; ++z)
    write_tiff_float(dir_ / "slices" / ("z" + std::to_string(1000 + z) + ".tif"), v.grid.nx, v.grid.ny, 1,
                     v.data.data() + size_t(z) * slice);
  const fs::path r = recipe("kind: generic\ncriteria:\n  max_void_diameter_mm: 1.0\n  max_void_area_fraction: 1\n");
  const std::set<std::string> inputs{"disc.mha", "disc.raw", "slices", "recipe.yaml"};
  const std::string raw = "detect " + (dir_ / "disc.raw").string() +
                          " --raw-size 40 40 40 --raw-dtype float32 --raw-header-bytes 16 --raw-big-endian";
  expect_failure(raw + " --recipe " + r.string() + " -o " + (dir_ / "out").string(), {"disc.raw", "--voxel"}, inputs);
  expect_failure("detect " + (dir_ / "slices").string() + " --recipe " + r.string() + " -o " + (dir_ / "out").string(),
                 {"slices", "spacing", "--voxel"}, inputs);
  // info reads them the same way
  const Outcome info_raw = voidscan("info " + (dir_ / "disc.raw").string() +
                                    " --raw-size 40 40 40 --raw-dtype float32 --raw-header-bytes 16 --raw-big-endian "
                                    "--voxel 0.1");
  EXPECT_EQ(info_raw.code, 0) << info_raw.err;
  EXPECT_NE(info_raw.out.find("40 x 40 x 40 voxels (float32)"), std::string::npos) << info_raw.out;
  EXPECT_NE(info_raw.out.find("100.0000 x 100.0000 x 100.0000 um"), std::string::npos) << info_raw.out;
  const Outcome info_slices = voidscan("info " + (dir_ / "slices").string());
  EXPECT_EQ(info_slices.code, 0) << info_slices.err;
  EXPECT_NE(info_slices.out.find("not stated in the file"), std::string::npos) << info_slices.out;
  const Outcome info_cut = voidscan("info " + (dir_ / "disc.raw").string() + " --raw-size 40 40 41 --raw-dtype float32 --voxel 0.1");
  EXPECT_EQ(info_cut.code, 2);
  EXPECT_NE(info_cut.err.find("disc.raw"), std::string::npos) << info_cut.err;
  for (const std::string& args : {raw + " --voxel 0.1", "detect " + (dir_ / "slices").string() + " --voxel 0.1"}) {
    const fs::path out = dir_ / "out";
    const Outcome o = voidscan(args + " --recipe " + r.string() + " -o " + out.string() + " --force");
    ASSERT_EQ(o.code, 0) << args << "\n" << o.err << o.out;
    const json j = json::parse(test::read_text(out / "report.json"));
    EXPECT_DOUBLE_EQ(j["volume"]["voxel_mm"][0].get<double>(), 0.1) << args;
    ASSERT_EQ(j["defects"].size(), 2u) << args << j["defects"].dump(1);
    std::vector<double> d;
    for (const auto& x : j["defects"]) d.push_back(x["equivalent_diameter_mm"]);
    std::sort(d.begin(), d.end());
    EXPECT_NEAR(d[0], 2 * kHoleB.radius_mm, 0.2 * 2 * kHoleB.radius_mm) << args;
    EXPECT_NEAR(d[1], 2 * kHoleA.radius_mm, 0.2 * 2 * kHoleA.radius_mm) << args;
  }
}

}  // namespace
}  // namespace voidscan
