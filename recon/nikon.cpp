#include "recon/nikon.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include "recon/error.hpp"
#include "recon/text.hpp"
#include "recon/vendor_text.hpp"

namespace voidscan {
namespace fs = std::filesystem;
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;


/// 3x3 matrix, row-major.
struct Mat3 {
  std::array<double, 9> m{1, 0, 0, 0, 1, 0, 0, 0, 1};
  Vec3 operator*(Vec3 p) const {
    return {m[0] * p.x + m[1] * p.y + m[2] * p.z, m[3] * p.x + m[4] * p.y + m[5] * p.z,
            m[6] * p.x + m[7] * p.y + m[8] * p.z};
  }
  Mat3 operator*(const Mat3& b) const {
    Mat3 r;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        double s = 0;
        for (int k = 0; k < 3; ++k) s += m[3 * i + k] * b.m[3 * k + j];
        r.m[3 * i + j] = s;
      }
    return r;
  }
  Mat3 transposed() const { return {{m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]}}; }
};

Mat3 rot_x(double a) { return {{1, 0, 0, 0, std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a)}}; }
Mat3 rot_y(double a) { return {{std::cos(a), 0, std::sin(a), 0, 1, 0, -std::sin(a), 0, std::cos(a)}}; }
Mat3 rot_z(double a) { return {{std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a), 0, 0, 0, 1}}; }

/// Angles (degrees, column 2) from a table whose data lines start with a projection number.
/// Lines that do not parse as "integer number ..." (headers) are skipped.
std::vector<double> read_angle_table(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file.string(), "", "cannot be opened for reading");
  std::vector<double> out;
  std::string line;
  while (std::getline(in, line)) {
    for (char& c : line)
      if (c == ',' || c == '\t' || c == '\r') c = ' ';
    std::istringstream ss(line);
    std::string a, b;
    if (!(ss >> a >> b)) continue;
    const auto ia = parse_number(a), ib = parse_number(b);
    if (!ia || !ib || *ia != std::floor(*ia)) continue;
    out.push_back(*ib);
  }
  return out;
}

/// The first existing angle file: <name>_ctdata.txt, *_ctdata.txt, <name>.ang, *.ang.
fs::path find_angle_file(const fs::path& dir, const std::string& name) {
  std::vector<fs::path> ctdata, ang;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string f = ascii_lower(e.path().filename().string());
    if (f.size() >= 11 && f.compare(f.size() - 11, 11, "_ctdata.txt") == 0) ctdata.push_back(e.path());
    else if (e.path().extension() == ".ang") ang.push_back(e.path());
  }
  std::sort(ctdata.begin(), ctdata.end());
  std::sort(ang.begin(), ang.end());
  for (const auto& p : ctdata)
    if (ascii_lower(p.filename().string()) == ascii_lower(name + "_ctdata.txt")) return p;
  if (!ctdata.empty()) return ctdata.front();
  for (const auto& p : ang)
    if (ascii_lower(p.filename().string()) == ascii_lower(name + ".ang")) return p;
  if (!ang.empty()) return ang.front();
  return {};
}

}  // namespace

fs::path find_xtekct(const fs::path& folder) {
  return only_file_in(
      folder, [](const fs::path& p) { return ascii_lower(p.extension().string()) == ".xtekct"; }, ".xtekct file");
}

Scan load_nikon(const fs::path& path) {
  const fs::path file = vendor_header_path(path, find_xtekct, ".xtekct file");
  Scan scan;
  KeyValueFile kv = open_vendor_header(file, "XTekCT", "Nikon .xtekct", scan);
  const fs::path base = file.parent_path();
  const std::string name = kv.find("Name").value_or("");
  scan.name = name;

  Detector& d = scan.geometry.detector;
  d.cols = kv.integer("DetectorPixelsX");
  d.rows = kv.integer("DetectorPixelsY");
  d.du_mm = kv.number("DetectorPixelSizeX");
  d.dv_mm = kv.number("DetectorPixelSizeY");
  if (d.cols < 1) kv.fail("DetectorPixelsX", "must be at least 1");
  if (d.rows < 1) kv.fail("DetectorPixelsY", "must be at least 1");
  if (d.du_mm <= 0) kv.fail("DetectorPixelSizeX", "must be positive (mm)");
  if (d.dv_mm <= 0) kv.fail("DetectorPixelSizeY", "must be positive (mm)");
  const double sod = kv.number("SrcToObject"), sdd = kv.number("SrcToDetector");
  if (sod <= 0) kv.fail("SrcToObject", "must be positive (mm)");
  if (sdd <= sod) kv.fail("SrcToDetector", "must be larger than SrcToObject");
  const int projections = kv.integer("Projections");
  if (projections < 1) kv.fail("Projections", "must be at least 1");

  // 2. angles
  std::vector<double> stage_deg;
  const fs::path angle_file = find_angle_file(base, name);
  const double initial = kv.optional_number("InitialAngle").value_or(0.0);
  if (!angle_file.empty()) {
    stage_deg = read_angle_table(angle_file);
    if (int(stage_deg.size()) != projections)
      throw InputError(angle_file.string(), "angles",
                       std::to_string(stage_deg.size()) + " angles but Projections = " + std::to_string(projections) +
                           " in " + file.string());
    scan.fields_used.push_back(angle_file.filename().string() + " (per-view angles)");
    if (kv.has("AngularStep")) (void)kv.find("AngularStep");  // superseded by the angle file
  } else {
    const double step = kv.number("AngularStep");
    if (step == 0) kv.fail("AngularStep", "must not be 0");
    for (int i = 0; i < projections; ++i) stage_deg.push_back(initial + i * step);
  }

  // 3. rotation axis
  const double mag = sdd / sod;
  double offset_mm = 0;  // rotation axis from the central ray, at the object, towards larger columns
  const auto object_offset = kv.optional_number("ObjectOffsetX");
  const auto cor_top = kv.optional_number("CentreOfRotationTop");
  const auto cor_bottom = kv.optional_number("CentreOfRotationBottom");
  if (object_offset) offset_mm = *object_offset;
  else if (cor_top || cor_bottom) offset_mm = 0.5 * (cor_top.value_or(0) + cor_bottom.value_or(0)) / mag;
  double roll = 0;
  if (const auto r = kv.optional_number("ObjectRoll")) roll = *r * kDeg;
  else if (cor_top || cor_bottom) roll = -std::atan2(cor_top.value_or(0) - cor_bottom.value_or(0), d.rows * d.dv_mm);
  const double tilt = -kv.optional_number("ObjectTilt").value_or(0.0) * kDeg;
  const Mat3 axis_rotation = rot_x(tilt) * rot_y(roll);  // system frame: axis direction = R (0, 0, 1)
  const double det_off_x = kv.optional_number("DetectorOffsetX").value_or(0.0);
  const double det_off_y = kv.optional_number("DetectorOffsetY").value_or(0.0);

  // 4. per-view vectors. System frame: source at the origin, beam along +y, z up; image columns
  //    increase towards -x, rows downwards; the axis passes through (-offset, SOD, 0).
  const Vec3 axis_point{-offset_mm, sod, 0};
  const Vec3 src_sys{0, 0, 0};
  const Vec3 det_sys{-det_off_x, sdd, det_off_y};
  const Vec3 u_sys{-d.du_mm, 0, 0}, v_sys{0, 0, -d.dv_mm};
  const Mat3 to_axis = axis_rotation.transposed();
  for (double a : stage_deg) {
    const double theta = (a - 180.0) * kDeg;
    const Mat3 m = rot_z(theta) * to_axis;
    ViewGeometry v;
    v.source = m * (src_sys - axis_point);
    v.detector_center = m * (det_sys - axis_point);
    v.u = m * u_sys;
    v.v = m * v_sys;
    v.angle_deg = a;
    scan.geometry.views.push_back(v);
  }
  validate(scan.geometry, file.string());

  // 5. projections
  fs::path folder = base;
  if (const auto in = kv.find("InputFolderName"); in && !in->empty()) {
    fs::path p(*in);
    if (p.is_relative()) p = base / p;
    if (fs::is_directory(p)) folder = p;
  }
  std::vector<fs::path> tiffs;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (!e.is_regular_file()) continue;
    const std::string ext = ascii_lower(e.path().extension().string());
    const std::string fname = e.path().filename().string();
    if ((ext == ".tif" || ext == ".tiff") && ascii_lower(fname).rfind(ascii_lower(name), 0) == 0) tiffs.push_back(e.path());
  }
  std::sort(tiffs.begin(), tiffs.end());
  if (int(tiffs.size()) != projections)
    kv.fail("Projections", std::to_string(projections) + " projections but " + std::to_string(tiffs.size()) +
                               " TIFF files named '" + name + "*.tif' in " + folder.string());
  for (const auto& t : tiffs) scan.projections.push_back({t, 0});

  // 6. intensity and grid
  const double white = kv.number("WhiteLevel");
  if (white <= 0) kv.fail("WhiteLevel", "must be positive");
  scan.intensity.white_level = white;
  const char* grid_keys[] = {"VoxelsX", "VoxelsY", "VoxelsZ", "VoxelSizeX", "VoxelSizeY", "VoxelSizeZ"};
  int present = 0;
  for (const char* k : grid_keys) present += kv.has(k);
  if (present == 6) {
    VolumeGrid g;
    g.nx = kv.integer("VoxelsX");
    g.ny = kv.integer("VoxelsY");
    g.nz = kv.integer("VoxelsZ");
    g.sx = kv.number("VoxelSizeX");
    g.sy = kv.number("VoxelSizeY");
    g.sz = kv.number("VoxelSizeZ");
    if (g.nx >= 1 && g.ny >= 1 && g.nz >= 1 && g.sx > 0 && g.sy > 0 && g.sz > 0) scan.volume = g;
    else scan.warnings.push_back(file.string() + ": VoxelsX/Y/Z or VoxelSizeX/Y/Z not positive: grid ignored");
  }
  record_fields(kv, scan);
  return scan;
}

}  // namespace voidscan
