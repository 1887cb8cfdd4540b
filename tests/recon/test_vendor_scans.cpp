// Vendor scan readers (recon/nikon, recon/bruker, recon/txrm load_txrm_scan, recon/scan_input):
// round trips through layouts written by tests/support/vendor_writers.hpp from simulated scans
// (the reconstruction from the vendor layout equals the one from the reference scan.json to a
// relative L2 difference < 1e-5), the conventions pinned on their own (centre of rotation top /
// bottom, angle files), and hand-made malformed files (InputError naming file and field).
#include <gtest/gtest.h>

#include <fstream>

#include "recon/bruker.hpp"
#include "recon/error.hpp"
#include "recon/fdk.hpp"
#include "recon/nikon.hpp"
#include "recon/scan_input.hpp"
#include "recon/txrm.hpp"
#include "support/fdk_fixture.hpp"
#include "support/scan_files.hpp"
#include "support/temp_dir.hpp"
#include "support/vendor_writers.hpp"

namespace voidscan {
namespace {

namespace fs = std::filesystem;

Phantom small_phantom() {
  return Phantom({{Cylinder{0.2, -0.1, 4.0, -3.0, 3.0}, 0.02},
                  {Box{{-2.5, -1.0, -1.0}, {1.0, 2.5, 1.5}}, 0.05},
                  {Sphere{{2.0, -1.5, 0.5}, 0.8}, 0.10}});
}

std::vector<float> recon_cpu(const Scan& scan, const VolumeGrid& grid) {
  FdkParams p;
  p.device = Device::cpu;
  return reconstruct_scan(scan, grid, p).data;
}

std::string sci(double d) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", d);
  return b;
}

double relative_l2(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

/// Reads both, reconstructs both on the same grid, returns the relative L2 difference.
double round_trip(const test::VendorScan& v, const VolumeGrid& grid, Scan* vendor = nullptr) {
  const Scan a = load_any_scan(v.vendor);
  const Scan b = load_any_scan(v.manifest);
  EXPECT_EQ(a.geometry.views.size(), b.geometry.views.size());
  const double d = relative_l2(recon_cpu(a, grid), recon_cpu(b, grid));
  if (vendor) *vendor = a;
  return d;
}

template <class F>
void expect_input_error(F&& f, const std::string& file_part, const std::string& field_part) {
  try {
    f();
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(e.file().find(file_part), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(field_part), std::string::npos) << e.what();
  }
}

/// Replaces the line starting with `key` by `replacement` (removes it when that is empty).
void edit_key(const fs::path& file, const std::string& key, const std::string& replacement) {
  std::ifstream in(file);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      if (!replacement.empty()) out += replacement + "\n";
      continue;
    }
    out += line + "\n";
  }
  in.close();
  test::write_text(file, out);
}

/// One malformed header: the edits (key -> replacement line, "" removes the line) applied to
/// the original, and what the InputError must name.
struct HeaderEdit {
  std::vector<std::pair<std::string, std::string>> edits;
  std::string file_part, field_part;
};

/// Each case alone, on the original header: loading the scan throws InputError naming its file
/// and field. The header is restored after each.
void expect_each_edit_fails(const fs::path& header, const std::vector<HeaderEdit>& cases) {
  const std::string original = test::read_text(header);
  for (const HeaderEdit& c : cases) {
    for (const auto& [key, line] : c.edits) edit_key(header, key, line);
    SCOPED_TRACE(c.edits.front().first + " -> '" + c.edits.front().second + "'");
    expect_input_error([&] { (void)load_any_scan(header); }, c.file_part, c.field_part);
    test::write_text(header, original);
  }
}

// ---- Nikon ----------------------------------------------------------------------------------

TEST(Nikon, RoundTripObjectOffset) {
  test::TempDir dir;
  const auto v = test::write_nikon(dir.path(), small_phantom(), {});
  Scan s;
  const double d = round_trip(v, test::cube_grid(40, 0.25), &s);
  EXPECT_LT(d, 1e-5);
  RecordProperty("relative_l2", sci(d));
  EXPECT_EQ(s.format, "Nikon .xtekct");
  // the same sources and detector centres as the simulation; u mirrored (columns run towards -x)
  const Scan ref = load_scan(v.manifest);
  for (size_t i = 0; i < s.geometry.views.size(); ++i) {
    EXPECT_LT(norm(s.geometry.views[i].source - ref.geometry.views[i].source), 1e-9);
    EXPECT_LT(norm(s.geometry.views[i].detector_center - ref.geometry.views[i].detector_center), 1e-9);
    EXPECT_LT(norm(s.geometry.views[i].u + ref.geometry.views[i].u), 1e-12);
  }
  // the header's grid; fields used and ignored are reported
  ASSERT_TRUE(s.volume.has_value());
  EXPECT_EQ(s.volume->nz, 24);
  auto has = [](const std::vector<std::string>& v, const std::string& k) { return std::find(v.begin(), v.end(), k) != v.end(); };
  EXPECT_TRUE(has(s.fields_used, "ObjectOffsetX"));
  EXPECT_TRUE(has(s.fields_used, "WhiteLevel"));
  EXPECT_TRUE(has(s.fields_ignored, "XTekCT/XraykV"));
  EXPECT_TRUE(has(s.fields_ignored, "XTekCT/MaskRadius"));
}

TEST(Nikon, RoundTripCentreOfRotationAndAngleFile) {
  test::TempDir dir;
  test::NikonSpec spec;
  spec.as_centre_of_rotation = true;
  spec.object_offset_mm = -0.45;
  spec.det_offset_x_mm = 0.8;
  spec.subfolder = false;
  for (int i = 0; i < 80; ++i) spec.ang_file_deg.push_back(3.0 + i * 4.5 + 0.7 * std::sin(i));  // irregular
  const auto v = test::write_nikon(dir.path(), small_phantom(), spec);
  Scan s;
  const double d = round_trip(v, test::cube_grid(40, 0.25), &s);
  EXPECT_LT(d, 1e-5);
  RecordProperty("relative_l2", sci(d));
  for (size_t i = 0; i < spec.ang_file_deg.size(); ++i) EXPECT_DOUBLE_EQ(s.geometry.views[i].angle_deg, spec.ang_file_deg[i]);
}

TEST(Nikon, CentreOfRotationTopAndBottomAreDetectorMillimetresTowardsLargerColumns) {
  // CentreOfRotationTop/Bottom: where the rotation axis appears on the detector's top and bottom
  // rows, mm from the centre column, positive towards larger column indices.
  test::TempDir dir;
  test::NikonSpec spec;
  spec.as_centre_of_rotation = true;
  spec.det_offset_y_mm = 0;
  spec.projections = 4;
  const auto v = test::write_nikon(dir.path(), small_phantom(), spec);
  edit_key(v.vendor, "CentreOfRotationTop", "CentreOfRotationTop=1.2");
  edit_key(v.vendor, "CentreOfRotationBottom", "CentreOfRotationBottom=-0.4");
  const Scan s = load_nikon(v.vendor);
  const Detector& det = s.geometry.detector;
  for (const auto& view : s.geometry.views) {
    const ProjectionMatrix p = projection_matrix(det, view);
    auto project_pt = [&](Vec3 x) {
      const double w = p.m[8] * x.x + p.m[9] * x.y + p.m[10] * x.z + p.m[11];
      return std::pair{(p.m[0] * x.x + p.m[1] * x.y + p.m[2] * x.z + p.m[3]) / w,
                       (p.m[4] * x.x + p.m[5] * x.y + p.m[6] * x.z + p.m[7]) / w};
    };
    // two points on the rotation axis (z axis): the column where the axis crosses rows 0 and rows-1
    const auto [c0, r0] = project_pt({0, 0, -10});
    const auto [c1, r1] = project_pt({0, 0, 10});
    auto column_at = [&](double row) { return c0 + (c1 - c0) * (row - r0) / (r1 - r0); };
    const double cc = 0.5 * (det.cols - 1);
    // "top" and "bottom" are the detector's edges: half a pixel beyond the first and last rows
    EXPECT_NEAR((column_at(-0.5) - cc) * det.du_mm, 1.2, 1e-9);
    EXPECT_NEAR((column_at(det.rows - 0.5) - cc) * det.du_mm, -0.4, 1e-9);
  }
}

TEST(Nikon, MalformedHeadersNameFileAndField) {
  test::TempDir dir;
  test::NikonSpec spec;
  spec.projections = 6;
  const auto v = test::write_nikon(dir.path(), small_phantom(), spec);
  expect_each_edit_fails(v.vendor, {
      {{{"SrcToObject", ""}}, "part.xtekct", "SrcToObject"},                        // missing key
      {{{"DetectorPixelSizeX", ""}}, "part.xtekct", "DetectorPixelSizeX"},
      {{{"SrcToDetector", "SrcToDetector=far"}}, "part.xtekct", "SrcToDetector"},   // not a number
      {{{"SrcToDetector", "SrcToDetector=50"}}, "part.xtekct", "SrcToDetector"},    // inconsistent sizes
      {{{"Projections", "Projections=7"}}, "part.xtekct", "Projections"},           // wrong count of projections
      {{{"[XTekCT]", "[Other]"}}, "part.xtekct", "[XTekCT]"},                       // not an XTekCT header
  });
  // an angle file with the wrong count
  test::write_text(v.vendor.parent_path() / "part.ang", "Projection\tAngle(deg)\n1\t0\n2\t10\n");
  expect_input_error([&] { (void)load_any_scan(v.vendor); }, "part.ang", "angles");
  fs::remove(v.vendor.parent_path() / "part.ang");
  // a truncated projection: found when the images are read
  const fs::path tif = v.vendor.parent_path() / "proj" / "part_0003.tif";
  fs::resize_file(tif, fs::file_size(tif) / 2);
  const Scan s = load_any_scan(v.vendor);
  expect_input_error([&] { (void)recon_cpu(s, test::cube_grid(8, 1.0)); }, "part_0003.tif", "");
}

// ---- Bruker ---------------------------------------------------------------------------------

TEST(Bruker, RoundTripTiff) {
  test::TempDir dir;
  const auto v = test::write_bruker(dir.path(), small_phantom(), {});
  Scan s;
  const double d = round_trip(v, test::cube_grid(40, 0.25), &s);
  EXPECT_LT(d, 1e-5);
  RecordProperty("relative_l2", sci(d));
  EXPECT_EQ(s.format, "Bruker SkyScan .log");
  EXPECT_DOUBLE_EQ(*s.intensity.white_level, 65535.0);
  // the folder is recognised as well as the file
  EXPECT_EQ(scan_input_kind(dir.path()), ScanInputKind::bruker);
  EXPECT_EQ(load_any_scan(dir.path()).geometry.views.size(), 91u);
}

TEST(Bruker, RoundTripBmpAndReferences) {
  {
    test::TempDir dir;
    test::BrukerSpec spec;
    spec.bmp = true;
    spec.optical_axis_row = 20.5;
    const auto v = test::write_bruker(dir.path(), small_phantom(), spec);
    const double d = round_trip(v, test::cube_grid(40, 0.25));
    EXPECT_LT(d, 1e-5);
    RecordProperty("relative_l2_bmp", sci(d));
  }
  {
    test::TempDir dir;
    test::BrukerSpec spec;
    spec.references = true;
    const auto v = test::write_bruker(dir.path(), small_phantom(), spec);
    Scan s;
    const double d = round_trip(v, test::cube_grid(40, 0.25), &s);
    EXPECT_LT(d, 1e-5);
    EXPECT_EQ(s.intensity.flat_files.size(), 1u);
    EXPECT_EQ(s.intensity.dark_files.size(), 1u);
    RecordProperty("relative_l2_references", sci(d));
  }
}

TEST(Bruker, MalformedLogsNameFileAndField) {
  test::TempDir dir;
  test::BrukerSpec spec;
  spec.files = 5;
  const auto v = test::write_bruker(dir.path(), small_phantom(), spec);
  expect_each_edit_fails(v.vendor, {
      {{{"Camera Pixel Size", ""}}, "sample_.log", "Camera Pixel Size (um)"},
      {{{"Object to Source", ""}, {"Image Pixel Size", ""}}, "sample_.log", "Object to Source (mm)"},
      {{{"Image Pixel Size", "Image Pixel Size (um)=150"}}, "sample_.log", "Image Pixel Size (um)"},
      {{{"Number of Files", "Number of Files=6"}}, "sample_.log", "Number of Files"},
      {{{"Number of Rows", "Number of Rows=40"}}, "sample_00000000.tif", "Number of Rows"},
      {{{"Rotation Step", ""}}, "sample_.log", "Rotation Step (deg)"},
      {{{"[Acquisition]", "[Other]"}}, "sample_.log", "[Acquisition]"},  // not a SkyScan header
  });
  // a truncated BMP
  test::TempDir d2;
  spec.bmp = true;
  const auto b = test::write_bruker(d2.path(), small_phantom(), spec);
  const fs::path bmp = d2 / "sample_00000002.bmp";
  fs::resize_file(bmp, fs::file_size(bmp) - 500);
  const Scan s = load_any_scan(b.vendor);
  expect_input_error([&] { (void)recon_cpu(s, test::cube_grid(8, 1.0)); }, "sample_00000002.bmp", "truncated");
}

// A folder given for a scan must hold exactly one header of its kind: none, or two, is an error
// naming the folder (recon/vendor_text.hpp only_file_in / vendor_header_path).
TEST(VendorFolders, OneHeaderPerFolder) {
  test::TempDir n, b, empty;
  const auto nv = test::write_nikon(n.path(), small_phantom(), {});
  test::BrukerSpec spec;
  spec.files = 5;
  const auto bv = test::write_bruker(b.path(), small_phantom(), spec);
  const fs::path nf = nv.vendor.parent_path(), bf = bv.vendor.parent_path();
  EXPECT_EQ(load_nikon(nf).manifest, nv.vendor);
  EXPECT_EQ(load_bruker(bf).manifest, bv.vendor);
  expect_input_error([&] { (void)load_nikon(empty.path()); }, empty.path().string(), "no .xtekct file in this folder");
  expect_input_error([&] { (void)load_bruker(empty.path()); }, empty.path().string(), "no SkyScan .log file");
  fs::copy_file(nv.vendor, nf / "second.xtekct");
  fs::copy_file(bv.vendor, bf / "second.log");
  expect_input_error([&] { (void)load_nikon(nf); }, nf.string(), "more than one .xtekct file");
  expect_input_error([&] { (void)load_bruker(bf); }, bf.string(), "more than one SkyScan .log file");
}

// ---- ZEISS .txrm ------------------------------------------------------------------------------

TEST(TxrmScan, ParallelRoundTrip) {
  test::TempDir dir;
  std::vector<double> angles;
  for (int i = 0; i < 90; ++i) angles.push_back(-90.0 + 2.0 * i);  // 180 degrees, exact in float
  const auto v = test::write_parallel_txrm(dir.path(), small_phantom(), 48, 32, 0.25, angles);
  Scan s;
  const double d = round_trip(v, test::cube_grid(40, 0.25), &s);
  EXPECT_LT(d, 1e-5);
  RecordProperty("relative_l2", sci(d));
  EXPECT_TRUE(is_parallel(s.geometry));
  EXPECT_DOUBLE_EQ(s.geometry.detector.du_mm, 0.25);
}

TEST(TxrmScan, RealFileConvertsToParallelViews) {
  const fs::path file = fs::path(VOIDSCAN_SHARED_DATA) / "xradia" / "txrm_test_chip_tomo.txrm";
  if (!fs::exists(file)) GTEST_SKIP() << "shared data not found: " << file;
  const Scan s = load_any_scan(file);
  ASSERT_EQ(s.geometry.views.size(), 7u);
  EXPECT_TRUE(is_parallel(s.geometry));
  EXPECT_EQ(s.geometry.detector.cols, 256);
  EXPECT_EQ(s.geometry.detector.rows, 256);
  EXPECT_NEAR(s.geometry.detector.du_mm, 0.15578948e-3, 1e-9);
  EXPECT_NEAR(s.geometry.views.front().angle_deg, -45.0180016, 1e-4);
  EXPECT_NEAR(s.geometry.views.back().angle_deg, 44.985878, 1e-4);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(s.projections[i].page, i);
    // rays perpendicular to the detector, at the stored angle
    const auto& v = s.geometry.views[i];
    EXPECT_NEAR(source_angle(v) * 180 / 3.14159265358979, v.angle_deg - 90, 1e-9);
  }
}

TEST(TxrmScan, MalformedFilesNameFileAndStream) {
  test::TempDir dir;
  test::TxrmContent t;
  t.width = 8;
  t.height = 4;
  for (int i = 0; i < 3; ++i) {
    t.angles_deg.push_back(float(i * 60));
    t.images.emplace_back(32, uint16_t(1000 + i));
  }
  t.pixel_size_um = {10.f};
  // missing PixelSize
  auto c = t;
  c.pixel_size_um.clear();
  test::write_txrm(dir / "nopx.txrm", c);
  expect_input_error([&] { (void)load_any_scan(dir / "nopx.txrm"); }, "nopx.txrm", "ImageInfo/PixelSize");
  // missing Angles
  c = t;
  c.angles_deg.clear();
  test::write_txrm(dir / "noang.txrm", c);
  expect_input_error([&] { (void)load_any_scan(dir / "noang.txrm"); }, "noang.txrm", "ImageInfo/Angles");
  // more images declared than stored
  c = t;
  c.declared_images = 4;
  c.angles_deg.push_back(180.f);
  test::write_txrm(dir / "count.txrm", c);
  expect_input_error([&] { (void)load_any_scan(dir / "count.txrm"); }, "count.txrm", "ImageData1/Image4");
  // a truncated image stream
  c = t;
  c.truncate_last_image_to = 20;
  test::write_txrm(dir / "short.txrm", c);
  expect_input_error([&] { (void)load_any_scan(dir / "short.txrm"); }, "short.txrm", "ImageData1/Image3");
}

TEST(ScanInput, UnknownInputSaysWhatIsAccepted) {
  test::TempDir dir;
  test::write_text(dir / "x.dat", "hello");
  expect_input_error([&] { (void)load_any_scan(dir / "x.dat"); }, "x.dat", "Nikon .xtekct");
  expect_input_error([&] { (void)load_any_scan(dir.path()); }, dir.path().string(), "not a scan");
}

}  // namespace
}  // namespace voidscan
