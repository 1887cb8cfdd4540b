// The scan manifest: reading, round trip, circular shorthand, and every kind of bad input
// giving an InputError that names the file and the field.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "recon/error.hpp"
#include "recon/scan.hpp"
#include "support/fdk_fixture.hpp"
#include "support/scan_files.hpp"
#include "support/temp_dir.hpp"

namespace voidscan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class ScanManifest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Phantom ph({{Sphere{{0, 0, 0}, 2.0}, 0.05}});
    manifest_ = test::write_phantom_scan(dir_.path(), ph, test::circular_geometry(8, 360, 0, 16, 12));
    doc_ = json::parse(test::read_text(manifest_));
  }
  /// Writes the (modified) document and expects load_scan to fail naming `field`.
  void expect_error(const std::string& field, const std::string& words = {}) {
    test::write_text(manifest_, doc_.dump(1));
    try {
      (void)load_scan(manifest_);
      FAIL() << "accepted a manifest with a bad " << field;
    } catch (const InputError& e) {
      EXPECT_EQ(e.field(), field) << e.what();
      EXPECT_EQ(e.file(), manifest_.string());
      if (!words.empty()) EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  }
  test::TempDir dir_;
  fs::path manifest_;
  json doc_;
};

TEST_F(ScanManifest, RoundTripKeepsGeometryExactly) {
  const Scan s = load_scan(manifest_);
  const Geometry g = test::circular_geometry(8, 360, 0, 16, 12);
  ASSERT_EQ(s.geometry.views.size(), 8u);
  EXPECT_EQ(s.geometry.detector.cols, 16);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_DOUBLE_EQ(s.geometry.views[i].source.x, g.views[i].source.x);
    EXPECT_DOUBLE_EQ(s.geometry.views[i].u.y, g.views[i].u.y);
    EXPECT_EQ(s.projections[i].page, int(i));
    EXPECT_EQ(fs::canonical(s.projections[i].file), fs::canonical(dir_.path() / "proj.tif"));
  }
  EXPECT_TRUE(s.intensity.already_log);
  EXPECT_TRUE(s.warnings.empty());
}

TEST_F(ScanManifest, CircularShorthandExpandsToTheSameVectors) {
  json c = doc_;
  c.erase("projections");
  c["circular"] = {{"sod_mm", 100}, {"sdd_mm", 200}, {"start_deg", 0}, {"step_deg", 45}, {"count", 8}};
  c["projection_stack"] = "proj.tif";
  test::write_text(manifest_, c.dump());
  const Scan s = load_scan(manifest_);
  const Geometry g = test::circular_geometry(8, 360, 0, 16, 12);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_NEAR(norm(s.geometry.views[i].source - g.views[i].source), 0, 1e-12);
    EXPECT_NEAR(norm(s.geometry.views[i].detector_center - g.views[i].detector_center), 0, 1e-12);
    EXPECT_EQ(s.projections[i].page, int(i));
  }
}

TEST_F(ScanManifest, UnknownKeyIsAWarningNamingIt) {
  doc_["projections"][3]["exposure_ms"] = 500;
  test::write_text(manifest_, doc_.dump());
  const Scan s = load_scan(manifest_);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("projections[3].exposure_ms"), std::string::npos);
}

TEST_F(ScanManifest, UnknownSchema) {
  doc_["schema"] = "voidscan.scan/9";
  expect_error("schema", "unknown schema");
}

TEST_F(ScanManifest, NaNInAVector) {
  test::write_text(manifest_, [&] {
    std::string t = doc_.dump(1);
    const std::string key = "\"source_mm\": [\n";
    const size_t at = t.find(key, t.find("\"page\": 5")) + key.size();
    const size_t end = t.find(',', at);
    return t.replace(at, end - at, "NaN");
  }());
  try {
    (void)load_scan(manifest_);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "projections[5].source_mm[0]") << e.what();
  }
}

TEST_F(ScanManifest, ZeroLengthVector) {
  doc_["projections"][2]["v_mm"] = {0, 0, 0};
  expect_error("projections[2].v_mm", "zero-length");
}

TEST_F(ScanManifest, VectorLengthDisagreesWithPixelSize) {
  doc_["projections"][1]["u_mm"] = {0.5, 0, 0};
  expect_error("projections[1].u_mm", "disagrees");
}

TEST_F(ScanManifest, MissingProjectionFile) {
  doc_["projections"][4]["file"] = "nowhere.tif";
  expect_error("projections[4].file", "not found");
}

TEST_F(ScanManifest, ZeroProjections) {
  doc_["projections"] = json::array();
  expect_error("projections", "no projections");
}

TEST_F(ScanManifest, MissingDetector) {
  doc_.erase("detector");
  expect_error("detector", "missing");
}

TEST_F(ScanManifest, WrongTypes) {
  doc_["detector"]["cols"] = "sixteen";
  expect_error("detector.cols", "integer");
}

TEST_F(ScanManifest, NoIntensityNormalisation) {
  doc_["intensity"] = json::object();
  expect_error("intensity", "normalise");
}

TEST_F(ScanManifest, NotJson) {
  test::write_text(manifest_, "{\"schema\": ");
  try {
    (void)load_scan(manifest_);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos);
    EXPECT_EQ(e.file(), manifest_.string());
  }
}

TEST_F(ScanManifest, MissingManifest) { EXPECT_THROW((void)load_scan(dir_.path() / "none.json"), InputError); }

}  // namespace
}  // namespace voidscan
