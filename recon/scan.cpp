#include "recon/scan.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "recon/error.hpp"
#include "recon/json_reader.hpp"
#include "recon/volume_io.hpp"

namespace voidscan {
namespace fs = std::filesystem;
using nlohmann::json;

using detail::nan_tokens_to_null;
using detail::Reader;

namespace {

constexpr const char* kSchema = "voidscan.scan/1";

std::vector<fs::path> path_list(const Reader& r, const json& v, const std::string& field, const fs::path& base) {
  std::vector<fs::path> out;
  if (v.is_string()) {
    out.push_back(base / r.string(v, field));
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) out.push_back(base / r.string(v[i], field + "[" + std::to_string(i) + "]"));
  } else {
    r.fail(field, "expected a file name or a list of file names");
  }
  for (size_t i = 0; i < out.size(); ++i)
    if (!fs::exists(out[i])) r.fail(field, "file not found: " + out[i].string());
  return out;
}

CircularSpec read_circular(const Reader& r, const json& c) {
  r.check_keys(c, "circular", {"sod_mm", "sdd_mm", "angles_deg", "start_deg", "step_deg", "count",
                               "detector_offset_mm", "cor_offset_mm", "detector_tilt_deg"});
  CircularSpec s;
  s.sod_mm = r.number(r.require(c, "circular", "sod_mm"), "circular.sod_mm");
  s.sdd_mm = r.number(r.require(c, "circular", "sdd_mm"), "circular.sdd_mm");
  if (s.sod_mm <= 0) r.fail("circular.sod_mm", "must be positive");
  if (s.sdd_mm <= s.sod_mm) r.fail("circular.sdd_mm", "must be larger than sod_mm");
  if (c.contains("angles_deg")) {
    s.angles_deg = r.numbers(c["angles_deg"], "circular.angles_deg");
  } else {
    const double start = c.contains("start_deg") ? r.number(c["start_deg"], "circular.start_deg") : 0.0;
    const double step = r.number(r.require(c, "circular", "step_deg"), "circular.step_deg");
    const int count = r.integer(r.require(c, "circular", "count"), "circular.count");
    if (count < 1) r.fail("circular.count", "must be at least 1");
    for (int i = 0; i < count; ++i) s.angles_deg.push_back(start + i * step);
  }
  if (c.contains("detector_offset_mm")) {
    const auto o = r.numbers(c["detector_offset_mm"], "circular.detector_offset_mm", 2);
    s.detector_offset_mm = {o[0], o[1]};
  }
  if (c.contains("cor_offset_mm")) s.cor_offset_mm = r.number(c["cor_offset_mm"], "circular.cor_offset_mm");
  if (c.contains("detector_tilt_deg")) s.detector_tilt_deg = r.number(c["detector_tilt_deg"], "circular.detector_tilt_deg");
  return s;
}

}  // namespace

Scan load_scan(const fs::path& manifest) {
  const std::string file = manifest.string();
  if (!fs::exists(manifest)) throw InputError(file, "", "file not found");
  std::ifstream in(manifest);
  if (!in) throw InputError(file, "", "cannot be opened for reading");
  std::stringstream ss;
  ss << in.rdbuf();
  json doc;
  try {
    doc = json::parse(nan_tokens_to_null(ss.str()));
  } catch (const json::parse_error& e) {
    throw InputError(file, "", std::string("not valid JSON: ") + e.what());
  }
  Scan scan;
  scan.manifest = manifest;
  Reader r(file, &scan.warnings);
  if (!doc.is_object()) r.fail("", "expected a JSON object at the top level");
  const std::string schema = r.string(r.require(doc, "", "schema"), "schema");
  if (schema != kSchema) r.fail("schema", "unknown schema '" + schema + "' (expected '" + kSchema + "')");
  r.check_keys(doc, "", {"schema", "name", "source", "description", "detector", "projections", "projection_stack",
                         "circular", "intensity", "volume"});
  if (doc.contains("name")) scan.name = r.string(doc["name"], "name");
  if (doc.contains("source")) scan.source = r.string(doc["source"], "source");
  scan.format = "voidscan scan.json";
  const fs::path base = manifest.parent_path();

  // detector
  const json& det = r.require(doc, "", "detector");
  r.check_keys(det, "detector", {"cols", "rows", "pixel_size_mm"});
  Detector& d = scan.geometry.detector;
  d.cols = r.integer(r.require(det, "detector", "cols"), "detector.cols");
  d.rows = r.integer(r.require(det, "detector", "rows"), "detector.rows");
  if (d.cols < 1) r.fail("detector.cols", "must be at least 1");
  if (d.rows < 1) r.fail("detector.rows", "must be at least 1");
  const auto px = r.numbers(r.require(det, "detector", "pixel_size_mm"), "detector.pixel_size_mm", 2);
  d.du_mm = px[0];
  d.dv_mm = px[1];
  if (d.du_mm <= 0 || d.dv_mm <= 0) r.fail("detector.pixel_size_mm", "must be positive");

  // views: either per-view vectors or the circular shorthand
  const bool circular = doc.contains("circular");
  std::vector<ViewGeometry>& views = scan.geometry.views;
  if (circular) views = expand_circular(d, read_circular(r, doc["circular"])).views;
  if (doc.contains("projection_stack")) {
    if (!circular) r.fail("projection_stack", "only allowed with 'circular' (per-view vectors need 'projections')");
    const fs::path f = base / r.string(doc["projection_stack"], "projection_stack");
    for (size_t i = 0; i < views.size(); ++i) scan.projections.push_back({f, int(i)});
  } else {
    const json& list = r.require(doc, "", "projections");
    if (!list.is_array()) r.fail("projections", "expected a list");
    if (list.empty()) r.fail("projections", "the scan has no projections");
    if (circular && list.size() != views.size())
      r.fail("projections", std::to_string(list.size()) + " entries but 'circular' gives " +
                                std::to_string(views.size()) + " angles");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string at = "projections[" + std::to_string(i) + "]";
      const json& p = list[i];
      if (!p.is_object()) r.fail(at, "expected an object");
      r.check_keys(p, at, {"file", "page", "angle_deg", "source_mm", "ray_mm", "detector_center_mm", "u_mm", "v_mm"});
      ProjectionSource src{base / r.string(r.require(p, at, "file"), at + ".file"), 0};
      if (p.contains("page")) src.page = r.integer(p["page"], at + ".page");
      if (src.page < 0) r.fail(at + ".page", "must be >= 0");
      scan.projections.push_back(src);
      if (circular) continue;
      ViewGeometry v;
      if (p.contains("ray_mm")) {
        if (p.contains("source_mm")) r.fail(at + ".ray_mm", "give either source_mm (cone beam) or ray_mm (parallel beam)");
        v.parallel = true;
        v.ray = r.vec3(p["ray_mm"], at + ".ray_mm");
      } else {
        v.source = r.vec3(r.require(p, at, "source_mm"), at + ".source_mm");
      }
      v.detector_center = r.vec3(r.require(p, at, "detector_center_mm"), at + ".detector_center_mm");
      v.u = r.vec3(r.require(p, at, "u_mm"), at + ".u_mm");
      v.v = r.vec3(r.require(p, at, "v_mm"), at + ".v_mm");
      if (p.contains("angle_deg")) v.angle_deg = r.number(p["angle_deg"], at + ".angle_deg");
      views.push_back(v);
    }
  }
  validate(scan.geometry, file);
  for (size_t i = 0; i < scan.projections.size(); ++i)
    if (!fs::exists(scan.projections[i].file))
      r.fail("projections[" + std::to_string(i) + "].file", "file not found: " + scan.projections[i].file.string());

  // intensity
  const json& inten = r.require(doc, "", "intensity");
  r.check_keys(inten, "intensity", {"already_log", "white_level", "dark_level", "dark", "flat"});
  IntensitySpec& is = scan.intensity;
  if (inten.contains("already_log")) {
    if (!inten["already_log"].is_boolean()) r.fail("intensity.already_log", "expected true or false");
    is.already_log = inten["already_log"].get<bool>();
  }
  if (inten.contains("white_level")) is.white_level = r.number(inten["white_level"], "intensity.white_level");
  if (inten.contains("dark_level")) is.dark_level = r.number(inten["dark_level"], "intensity.dark_level");
  if (inten.contains("dark")) is.dark_files = path_list(r, inten["dark"], "intensity.dark", base);
  if (inten.contains("flat")) is.flat_files = path_list(r, inten["flat"], "intensity.flat", base);
  if (!is.already_log && !is.white_level && is.flat_files.empty())
    r.fail("intensity", "say how to normalise: already_log: true, a white_level, or flat images");
  if (is.white_level && *is.white_level <= is.dark_level)
    r.fail("intensity.white_level", "must be larger than dark_level");

  // default grid
  if (doc.contains("volume")) {
    const json& vol = doc["volume"];
    r.check_keys(vol, "volume", {"size", "voxel_mm", "center_mm"});
    VolumeGrid g;
    const json& size = r.require(vol, "volume", "size");
    if (!size.is_array() || size.size() != 3) r.fail("volume.size", "expected 3 integers");
    g.nx = r.integer(size[0], "volume.size[0]");
    g.ny = r.integer(size[1], "volume.size[1]");
    g.nz = r.integer(size[2], "volume.size[2]");
    if (g.nx < 1 || g.ny < 1 || g.nz < 1) r.fail("volume.size", "every size must be at least 1");
    const Vec3 vox = r.vec3(r.require(vol, "volume", "voxel_mm"), "volume.voxel_mm");
    if (vox.x <= 0 || vox.y <= 0 || vox.z <= 0) r.fail("volume.voxel_mm", "must be positive");
    g.sx = vox.x;
    g.sy = vox.y;
    g.sz = vox.z;
    if (vol.contains("center_mm")) g.center = r.vec3(vol["center_mm"], "volume.center_mm");
    scan.volume = g;
  }
  return scan;
}

void save_scan(const Scan& scan, const fs::path& manifest) {
  const fs::path base = fs::absolute(manifest).parent_path();
  auto vec = [](Vec3 v) { return json::array({v.x, v.y, v.z}); };
  json doc;
  doc["schema"] = kSchema;
  if (!scan.name.empty()) doc["name"] = scan.name;
  if (!scan.source.empty()) doc["source"] = scan.source;
  const auto& d = scan.geometry.detector;
  doc["detector"] = {{"cols", d.cols}, {"rows", d.rows}, {"pixel_size_mm", {d.du_mm, d.dv_mm}}};
  json inten;
  const auto& is = scan.intensity;
  if (is.already_log) inten["already_log"] = true;
  if (is.white_level) inten["white_level"] = *is.white_level;
  if (is.dark_level != 0) inten["dark_level"] = is.dark_level;
  auto rel_list = [&](const std::vector<fs::path>& ps) {
    json a = json::array();
    for (const auto& p : ps) a.push_back(fs::relative(fs::absolute(p), base).generic_string());
    return a;
  };
  if (!is.dark_files.empty()) inten["dark"] = rel_list(is.dark_files);
  if (!is.flat_files.empty()) inten["flat"] = rel_list(is.flat_files);
  doc["intensity"] = inten;
  if (scan.volume) {
    const auto& g = *scan.volume;
    doc["volume"] = {{"size", {g.nx, g.ny, g.nz}}, {"voxel_mm", {g.sx, g.sy, g.sz}}, {"center_mm", vec(g.center)}};
  }
  json list = json::array();
  for (size_t i = 0; i < scan.geometry.views.size(); ++i) {
    const auto& v = scan.geometry.views[i];
    const auto& p = scan.projections.at(i);
    json e = {{"file", fs::relative(fs::absolute(p.file), base).generic_string()},
              {"page", p.page},
              {"angle_deg", v.angle_deg},
              {"detector_center_mm", vec(v.detector_center)},
              {"u_mm", vec(v.u)},
              {"v_mm", vec(v.v)}};
    if (v.parallel) e["ray_mm"] = vec(v.ray);
    else e["source_mm"] = vec(v.source);
    list.push_back(e);
  }
  doc["projections"] = list;
  write_atomically(manifest, [&](const fs::path& tmp) {
    std::ofstream out(tmp);
    out << doc.dump(1) << '\n';
    if (!out) throw RuntimeFailure("cannot write " + manifest.string());
  });
}

VolumeGrid scan_grid(const Scan& scan) { return scan.volume ? *scan.volume : default_grid(scan.geometry); }

}  // namespace voidscan
