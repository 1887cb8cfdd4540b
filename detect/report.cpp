// Verdicts, report.json, defects.csv, the terminal summary and labels.mha. See report.hpp;
// the rules and formats are in docs/detection.md. Test: tests/detect/test_report.cpp.
#include "detect/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "detect/maps.hpp"
#include "detect/recipe.hpp"
#include "recon/error.hpp"
#include "recon/volume_io.hpp"

namespace voidscan::detect {
namespace fs = std::filesystem;
namespace {

constexpr DefectType kTypes[] = {DefectType::underfill_void, DefectType::bump_void, DefectType::bond_gap,
                                 DefectType::void_};

/// Defect types whose projected area counts in a die's void area fraction. Bump voids are
/// judged per bump (their void fraction) instead: they lie inside the bumps, not in the
/// bond or underfill area the fraction refers to.
bool counts_in_area(DefectType t) { return t != DefectType::bump_void; }
/// Types the single-void diameter criterion applies to.
bool is_void(DefectType t) { return t == DefectType::underfill_void || t == DefectType::void_; }

/// Shortest text that reads back to exactly v.
std::string num(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

/// Four significant digits, never in exponent notation (people read these).
std::string plain(double v) { return std::abs(v) >= 1e4 ? fmt::format("{:.0f}", v) : fmt::format("{:.4g}", v); }
std::string um(double mm) { return plain(1000 * mm) + " um"; }
std::string um2(double mm2) { return plain(1e6 * mm2) + " um^2"; }
std::string percent(double f) { return plain(100 * f) + " %"; }

/// Larger projected area first, then larger volume, then the lower id.
bool larger(const Defect& a, const Defect& b) {
  if (a.area_mm2 != b.area_mm2) return a.area_mm2 > b.area_mm2;
  if (a.volume_mm3 != b.volume_mm3) return a.volume_mm3 > b.volume_mm3;
  return a.id < b.id;
}

nlohmann::json vec(const Vec3& v) { return {v.x, v.y, v.z}; }
nlohmann::json box(const BoxMm& b) { return {{"min", vec(b.min)}, {"max", vec(b.max)}}; }

nlohmann::json counts(const std::array<int, 4>& c) {
  nlohmann::json j = nlohmann::json::object();
  for (DefectType t : kTypes) j[to_string(t)] = c[size_t(t)];
  return j;
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

void apply_verdicts(Analysis& a, const Criteria& c) {
  if (a.dies.empty()) throw std::logic_error("analysis without any die: nothing to judge");
  std::map<std::string, Die*> by_id;
  for (Die& d : a.dies) {
    if (!by_id.emplace(d.id, &d).second) throw std::logic_error("two dies with the id '" + d.id + "'");
    d.void_area_fraction = 0;
    d.largest_defect = 0;
    d.count_per_type = {};
    d.pass = true;
    d.failed_criteria.clear();
  }
  std::set<int> ids;
  std::map<std::string, std::vector<const Defect*>> per_die;
  for (const Defect& f : a.defects) {
    if (f.id < 1 || !ids.insert(f.id).second)
      throw std::logic_error("defect id " + std::to_string(f.id) + " is not positive or not unique");
    if (!by_id.count(f.die))
      throw std::logic_error("defect " + std::to_string(f.id) + " names die '" + f.die + "', which the analysis lacks");
    per_die[f.die].push_back(&f);
  }

  for (Die& d : a.dies) {
    const auto& list = per_die[d.id];
    double area = 0;
    const Defect* largest = nullptr;
    const Defect* widest_void = nullptr;
    int voids_over = 0;
    const Defect* worst_gap = nullptr;
    int gaps_over = 0;
    std::map<std::string, const Defect*> bumps_over;  // bump -> its (first) void, for the fraction
    for (const Defect* f : list) {
      ++d.count_per_type[size_t(f->type)];
      if (counts_in_area(f->type)) area += f->area_mm2;
      if (!largest || larger(*f, *largest)) largest = f;
      if (is_void(f->type) && f->equivalent_diameter_mm > c.max_void_diameter_mm) {
        ++voids_over;
        if (!widest_void || f->equivalent_diameter_mm > widest_void->equivalent_diameter_mm) widest_void = f;
      }
      if (f->type == DefectType::bump_void && f->bump_void_fraction &&
          *f->bump_void_fraction > c.max_bump_void_fraction) {
        const std::string bump = f->bump ? *f->bump : "defect " + std::to_string(f->id);
        if (!bumps_over.count(bump)) bumps_over[bump] = f;
      }
      // A gap without a thickness estimate is taken as thicker than any limit.
      if (f->type == DefectType::bond_gap && (!f->thickness_mm || *f->thickness_mm > c.max_gap_thickness_mm) &&
          f->area_mm2 > c.max_gap_area_mm2) {
        ++gaps_over;
        if (!worst_gap || larger(*f, *worst_gap)) worst_gap = f;
      }
    }
    d.largest_defect = largest ? largest->id : 0;
    if (d.interface_area_mm2 > 0) {
      d.void_area_fraction = area / d.interface_area_mm2;
      if (d.void_area_fraction > c.max_void_area_fraction)
        d.failed_criteria.push_back("void area fraction " + percent(d.void_area_fraction) + " > " +
                                    percent(c.max_void_area_fraction));
    }
    if (voids_over)
      d.failed_criteria.push_back(fmt::format("{} void{} above {} diameter (largest: defect {}, {})", voids_over,
                                              voids_over == 1 ? "" : "s", um(c.max_void_diameter_mm), widest_void->id,
                                              um(widest_void->equivalent_diameter_mm)));
    if (!bumps_over.empty()) {
      const auto worst = std::max_element(bumps_over.begin(), bumps_over.end(), [](const auto& x, const auto& y) {
        return *x.second->bump_void_fraction < *y.second->bump_void_fraction;
      });
      d.failed_criteria.push_back(fmt::format("{} bump{} above {} void fraction (worst: {}, {})", bumps_over.size(),
                                              bumps_over.size() == 1 ? "" : "s", percent(c.max_bump_void_fraction),
                                              worst->first, percent(*worst->second->bump_void_fraction)));
    }
    if (gaps_over)
      d.failed_criteria.push_back(fmt::format(
          "{} bond gap{} thicker than {} and larger than {} (largest: defect {}, {} thick, {})", gaps_over,
          gaps_over == 1 ? "" : "s", um(c.max_gap_thickness_mm), um2(c.max_gap_area_mm2), worst_gap->id,
          worst_gap->thickness_mm ? um(*worst_gap->thickness_mm) : std::string("unknown"), um2(worst_gap->area_mm2)));
    d.pass = d.failed_criteria.empty();
  }
}

bool all_pass(const Analysis& a) {
  return std::all_of(a.dies.begin(), a.dies.end(), [](const Die& d) { return d.pass; });
}

nlohmann::json report_json(const Analysis& a, const Recipe& r, const ReportInfo& info) {
  using nlohmann::json;
  json j;
  j["schema"] = kReportSchema;
  j["software"] = {{"name", "voidscan"}, {"version", VOIDSCAN_VERSION}};
  j["sample"] = {{"input", info.input},
                 {"volume_file", info.volume},
                 {"kind", to_string(a.kind)},
                 {"kind_from", r.kind == SampleKind::automatic ? "volume" : "recipe"},
                 {"fell_back_to_generic", a.fell_back_to_generic},
                 {"class_thresholds_per_mm", a.class_thresholds},
                 {"notes", a.notes}};
  if (const auto& mc = info.metal_correction)
    j["sample"]["metal_correction"] = {{"applied", mc->applied},
                                       {"columns", mc->columns},
                                       {"voids", mc->voids},
                                       {"largest_correction_per_mm", mc->max_change},
                                       {"model_content_error", mc->content_error},
                                       {"seconds", mc->seconds}};
  else
    j["sample"]["metal_correction"] = nullptr;
  const VolumeGrid& g = a.grid;
  j["volume"] = {{"size", {g.nx, g.ny, g.nz}}, {"voxel_mm", {g.sx, g.sy, g.sz}}, {"origin_mm", vec(g.origin())}};

  json dies = json::array();
  std::array<int, 4> total{};
  json failed = json::array();
  for (const Die& d : a.dies) {
    for (size_t t = 0; t < 4; ++t) total[t] += d.count_per_type[t];
    if (!d.pass) failed.push_back(d.id);
    json features = json::array();
    for (const auto& f : d.features_mm) features.push_back(f);
    dies.push_back({{"id", d.id},
                    {"index", d.index},
                    {"bbox_mm", box(d.bbox_mm)},
                    {"interface_area_mm2", d.interface_area_mm2},
                    {"void_area_fraction", d.interface_area_mm2 > 0 ? json(d.void_area_fraction) : json(nullptr)},
                    {"largest_defect", d.largest_defect ? json(d.largest_defect) : json(nullptr)},
                    {"count_per_type", counts(d.count_per_type)},
                    {"verdict", d.pass ? "pass" : "fail"},
                    {"failed_criteria", d.failed_criteria},
                    {"features_mm", features}});
  }
  j["dies"] = dies;

  json defects = json::array();
  for (const Defect& f : a.defects) {
    json o = {{"id", f.id},
              {"type", to_string(f.type)},
              {"die", f.die},
              {"centroid_mm", vec(f.centroid_mm)},
              {"bbox_mm", box(f.bbox_mm)},
              {"volume_mm3", f.volume_mm3},
              {"equivalent_diameter_mm", f.equivalent_diameter_mm},
              {"area_mm2", f.area_mm2},
              {"thickness_mm", f.thickness_mm ? json(*f.thickness_mm) : json(nullptr)},
              {"sphericity", f.sphericity},
              {"cnr", f.cnr}};
    if (f.type == DefectType::bump_void) {
      o["bump"] = f.bump ? json(*f.bump) : json(nullptr);
      o["bump_void_fraction"] = f.bump_void_fraction ? json(*f.bump_void_fraction) : json(nullptr);
    }
    defects.push_back(o);
  }
  j["defects"] = defects;
  j["summary"] = {{"dies", a.dies.size()},
                  {"dies_failed", failed.size()},
                  {"failed_dies", failed},
                  {"defects", a.defects.size()},
                  {"count_per_type", counts(total)},
                  {"verdict", all_pass(a) ? "pass" : "fail"}};
  j["recipe"] = recipe_to_json(r);
  return j;
}

std::string defects_csv(const Analysis& a) {
  std::string s =
      "id,type,die,centroid_x_mm,centroid_y_mm,centroid_z_mm,bbox_min_x_mm,bbox_min_y_mm,bbox_min_z_mm,"
      "bbox_max_x_mm,bbox_max_y_mm,bbox_max_z_mm,volume_mm3,equivalent_diameter_mm,area_mm2,thickness_mm,"
      "sphericity,cnr,bump,bump_void_fraction\n";
  for (const Defect& f : a.defects) {
    const Vec3 c = f.centroid_mm, lo = f.bbox_mm.min, hi = f.bbox_mm.max;
    s += std::to_string(f.id);
    s += ',';
    s += to_string(f.type);
    s += ',';
    s += csv_cell(f.die);
    auto cell = [&s](const std::string& text) {
      s += ',';
      s += text;
    };
    for (double v : {c.x, c.y, c.z, lo.x, lo.y, lo.z, hi.x, hi.y, hi.z, f.volume_mm3, f.equivalent_diameter_mm,
                     f.area_mm2})
      cell(num(v));
    cell(f.thickness_mm ? num(*f.thickness_mm) : std::string());
    cell(num(f.sphericity));
    cell(num(f.cnr));
    cell(f.bump ? csv_cell(*f.bump) : std::string());
    cell(f.bump_void_fraction ? num(*f.bump_void_fraction) : std::string());
    s += "\n";
  }
  return s;
}

std::string terminal_summary(const Analysis& a, const ReportInfo& info, int max_die_rows) {
  std::string s;
  const VolumeGrid& g = a.grid;
  s += fmt::format("{}: {} x {} x {} voxels of {:.3g} um, kind {}{}\n", info.input.empty() ? "volume" : info.input,
                   g.nx, g.ny, g.nz, 1000 * g.sx, to_string(a.kind),
                   a.fell_back_to_generic ? " (no die structure found: analysed as generic)" : "");
  for (const auto& n : a.notes) s += "note: " + n + "\n";
  std::map<int, const Defect*> by_id;
  for (const Defect& f : a.defects) by_id[f.id] = &f;

  std::vector<const Die*> order;
  for (const Die& d : a.dies) order.push_back(&d);
  std::stable_partition(order.begin(), order.end(), [](const Die* d) { return !d->pass; });  // failing first
  s += fmt::format("{:<12} {:>9} {:>5} {:>5} {:>5} {:>8} {:>12}  {}\n", "die", "underfill", "bump", "gap", "void",
                   "area %", "largest um", "verdict");
  const int shown = std::min<int>(int(order.size()), std::max(1, max_die_rows));
  for (int i = 0; i < shown; ++i) {
    const Die& d = *order[size_t(i)];
    const auto& n = d.count_per_type;
    const std::string area = d.interface_area_mm2 > 0 ? fmt::format("{:.2f}", 100 * d.void_area_fraction) : "-";
    std::string largest = "-";
    if (const auto it = by_id.find(d.largest_defect); it != by_id.end())
      largest = fmt::format("{:.1f}", 1000 * it->second->equivalent_diameter_mm);
    std::string verdict = d.pass ? "pass" : "FAIL";
    if (!d.pass) verdict += ": " + d.failed_criteria.front() + (d.failed_criteria.size() > 1 ? fmt::format(" (+{} more)", d.failed_criteria.size() - 1) : "");
    s += fmt::format("{:<12} {:>9} {:>5} {:>5} {:>5} {:>8} {:>12}  {}\n", d.id, n[0], n[1], n[2], n[3], area, largest,
                     verdict);
  }
  if (shown < int(order.size())) {
    const auto rest_fail = std::count_if(order.begin() + shown, order.end(), [](const Die* d) { return !d->pass; });
    s += fmt::format("... {} more dies ({} of them fail): see report.json\n", order.size() - size_t(shown), rest_fail);
  }
  const auto failed = std::count_if(a.dies.begin(), a.dies.end(), [](const Die& d) { return !d.pass; });
  s += fmt::format("{} defect{} in {} die{}; verdict: {}", a.defects.size(), a.defects.size() == 1 ? "" : "s",
                   a.dies.size(), a.dies.size() == 1 ? "" : "s",
                   failed ? fmt::format("FAIL ({} of {} dies fail)", failed, a.dies.size()) : std::string("PASS"));
  return s + "\n";
}

void write_labels_mha(const fs::path& file, const Analysis& a) {
  const VolumeGrid& g = a.grid;
  const size_t n = g.voxel_count();
  if (g.nx < 1 || g.ny < 1 || g.nz < 1) throw std::logic_error("labels: the analysis grid is empty");
  // Empty labels stand for "no defect anywhere" only when there is no defect.
  if ((!a.labels.empty() || !a.defects.empty()) && a.labels.size() != n)
    throw std::logic_error(fmt::format("labels: {} values for a grid of {} voxels", a.labels.size(), n));
  int max_id = 0;
  for (const Defect& f : a.defects) max_id = std::max(max_id, f.id);
  std::set<int> ids;
  for (const Defect& f : a.defects) ids.insert(f.id);
  for (int v : a.labels)
    if (v != 0 && (v < 0 || v > max_id || !ids.count(v)))
      throw std::logic_error("labels: value " + std::to_string(v) + " is no defect id");
  const bool wide = max_id > 65535;
  const Vec3 o = g.origin();
  std::string header = "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
                       "CompressedData = False\nTransformMatrix = 1 0 0 0 1 0 0 0 1\n";
  header += "Offset = " + num(o.x) + " " + num(o.y) + " " + num(o.z) + "\n";
  header += "CenterOfRotation = 0 0 0\nAnatomicalOrientation = RAI\n";
  header += "ElementSpacing = " + num(g.sx) + " " + num(g.sy) + " " + num(g.sz) + "\n";
  header += fmt::format("DimSize = {} {} {}\n", g.nx, g.ny, g.nz);
  header += std::string("ElementType = ") + (wide ? "MET_UINT" : "MET_USHORT") + "\nElementDataFile = LOCAL\n";

  write_atomically(file, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw RuntimeFailure("cannot create " + file.string() + " (" + std::strerror(errno) + ")");
    out.write(header.data(), std::streamsize(header.size()));
    constexpr size_t chunk = size_t(1) << 20;
    std::vector<uint16_t> b16(wide ? 0 : std::min(n, chunk));
    std::vector<uint32_t> b32(wide ? std::min(n, chunk) : 0);
    for (size_t i = 0; i < n && out; i += chunk) {
      const size_t m = std::min(chunk, n - i);
      // little-endian host (static_assert in recon/volume_io.cpp)
      if (wide) {
        for (size_t k = 0; k < m; ++k) b32[k] = a.labels.empty() ? 0u : uint32_t(a.labels[i + k]);
        out.write(reinterpret_cast<const char*>(b32.data()), std::streamsize(m * 4));
      } else {
        for (size_t k = 0; k < m; ++k) b16[k] = a.labels.empty() ? uint16_t(0) : uint16_t(a.labels[i + k]);
        out.write(reinterpret_cast<const char*>(b16.data()), std::streamsize(m * 2));
      }
    }
    out.close();
    if (!out) throw RuntimeFailure("cannot write " + file.string(), "check free disk space and permissions");
  });
}

void write_report_files(const fs::path& folder, const Analysis& a, const Recipe& r, const ReportInfo& info) {
  auto write_text = [](const fs::path& file, const std::string& text) {
    write_atomically(file, [&](const fs::path& tmp) {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw RuntimeFailure("cannot create " + file.string() + " (" + std::strerror(errno) + ")");
      out << text;
      out.close();
      if (!out) throw RuntimeFailure("cannot write " + file.string(), "check free disk space and permissions");
    });
  };
  write_text(folder / "report.json", report_json(a, r, info).dump(2) + "\n");
  write_text(folder / "defects.csv", defects_csv(a));
  write_labels_mha(folder / "labels.mha", a);
  write_maps(folder / "maps", a);
}

}  // namespace voidscan::detect
