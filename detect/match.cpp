// Truth matching and accuracy figures; the rule is in match.hpp. Test: tests/detect/test_match.cpp.
#include "detect/match.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "recon/error.hpp"

namespace voidscan::detect {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

bool is_gap(DefectType t) { return t == DefectType::bond_gap; }

}  // namespace

Truth read_truth(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file.string(), "", "cannot open");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    throw InputError(file.string(), "", std::string("not valid JSON: ") + e.what());
  }
  const std::string f = file.string();
  auto need = [&](const nlohmann::json& o, const char* key, const std::string& path) -> const nlohmann::json& {
    if (!o.is_object() || !o.contains(key)) throw InputError(f, path + key, "missing");
    return o.at(key);
  };
  auto vec3 = [&](const nlohmann::json& a, const std::string& path) {
    if (!a.is_array() || a.size() != 3) throw InputError(f, path, "expected [x, y, z]");
    return Vec3{a[0].get<double>(), a[1].get<double>(), a[2].get<double>()};
  };
  auto box = [&](const nlohmann::json& a, const std::string& path) {
    if (!a.is_array() || a.size() != 2) throw InputError(f, path, "expected [[x0,y0,z0],[x1,y1,z1]]");
    return BoxMm{vec3(a[0], path + "[0]"), vec3(a[1], path + "[1]")};
  };
  try {
    if (need(j, "schema", "").get<std::string>() != "voidscan.truth/1")
      throw InputError(f, "schema", "expected voidscan.truth/1");
    Truth t;
    t.kind = need(j, "kind", "").get<std::string>();
    t.seed = j.value("seed", 0);
    const auto& grid = need(j, "grid", "");
    t.voxel_mm = need(grid, "voxel_mm", "grid.").at(0).get<double>();
    for (std::size_t i = 0; i < need(j, "dies", "").size(); ++i) {
      const auto& d = j["dies"][i];
      const std::string p = "dies[" + std::to_string(i) + "].";
      TruthDie td;
      td.id = need(d, "id", p).get<std::string>();
      const auto& ix = need(d, "index", p);
      td.index = {ix.at(0).get<int>(), ix.at(1).get<int>(), ix.at(2).get<int>()};
      td.bbox_mm = box(need(d, "bbox_mm", p), p + "bbox_mm");
      if (d.contains("interface_z_mm"))
        td.interface_z_mm = {d["interface_z_mm"].at(0).get<double>(), d["interface_z_mm"].at(1).get<double>()};
      t.dies.push_back(td);
    }
    for (std::size_t i = 0; i < need(j, "defects", "").size(); ++i) {
      const auto& d = j["defects"][i];
      const std::string p = "defects[" + std::to_string(i) + "].";
      TruthDefect td;
      td.id = need(d, "id", p).get<std::string>();
      const std::string type = need(d, "type", p).get<std::string>();
      bool ok = false;
      for (DefectType k : {DefectType::underfill_void, DefectType::bump_void, DefectType::bond_gap, DefectType::void_})
        if (type == to_string(k)) td.type = k, ok = true;
      if (!ok) throw InputError(f, p + "type", "unknown defect type '" + type + "'");
      td.die = need(d, "die", p).get<std::string>();
      td.centroid_mm = vec3(need(d, "centroid_mm", p), p + "centroid_mm");
      td.bbox_mm = box(need(d, "bbox_mm", p), p + "bbox_mm");
      td.volume_mm3 = need(d, "volume_mm3", p).get<double>();
      td.equivalent_diameter_mm = need(d, "equivalent_diameter_mm", p).get<double>();
      td.area_mm2 = d.value("area_mm2", 0.0);
      if (d.contains("thickness_mm") && !d["thickness_mm"].is_null()) td.thickness_mm = d["thickness_mm"].get<double>();
      if (d.contains("bump") && !d["bump"].is_null()) td.bump = d["bump"].get<std::string>();
      t.defects.push_back(td);
    }
    return t;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(f, "", std::string("unexpected value: ") + e.what());
  }
}

MatchResult match_defects(const std::vector<TruthDefect>& truth, const std::vector<Defect>& found,
                          const MatchParams& p) {
  MatchResult r;
  const double vox = p.voxel_mm;
  auto in_scope_truth = [&](const TruthDefect& t) {
    if (is_gap(t.type)) {
      const double wx = t.bbox_mm.max.x - t.bbox_mm.min.x, wy = t.bbox_mm.max.y - t.bbox_mm.min.y;
      return t.thickness_mm.value_or(0) >= p.min_gap_thickness_voxels * vox - 1e-12 &&
             std::min(wx, wy) >= p.min_gap_width_voxels * vox - 1e-12;
    }
    return t.equivalent_diameter_mm >= p.min_void_diameter_voxels * vox - 1e-12;
  };
  // Candidate pairs.
  struct Cand {
    double dist;
    int t, f;
  };
  std::vector<Cand> cands;
  for (int ti = 0; ti < int(truth.size()); ++ti)
    for (int fi = 0; fi < int(found.size()); ++fi) {
      const TruthDefect& t = truth[std::size_t(ti)];
      const Defect& f = found[std::size_t(fi)];
      if (t.type != f.type) continue;
      const Vec3 dv = f.centroid_mm - t.centroid_mm;
      const double dist = norm(dv);
      bool ok;
      if (is_gap(t.type)) {
        const double g = 2 * vox;
        const Vec3 c = f.centroid_mm;
        ok = c.x >= t.bbox_mm.min.x - g && c.x <= t.bbox_mm.max.x + g && c.y >= t.bbox_mm.min.y - g &&
             c.y <= t.bbox_mm.max.y + g && c.z >= t.bbox_mm.min.z - g && c.z <= t.bbox_mm.max.z + g;
      } else {
        ok = dist <= std::max(2 * vox, 0.75 * 0.5 * t.equivalent_diameter_mm);
      }
      if (ok) cands.push_back({dist, ti, fi});
    }
  std::sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) { return a.dist < b.dist; });
  std::vector<int> t_to_f(truth.size(), -1), f_to_t(found.size(), -1);
  for (const Cand& c : cands) {
    if (t_to_f[std::size_t(c.t)] >= 0 || f_to_t[std::size_t(c.f)] >= 0) continue;
    t_to_f[std::size_t(c.t)] = c.f;
    f_to_t[std::size_t(c.f)] = c.t;
    r.pairs.push_back({c.t, c.f});
    if (truth[std::size_t(c.t)].die != found[std::size_t(c.f)].die) ++r.wrong_die;
  }
  std::vector<double> vol_err, th_err, area_err;
  for (int ti = 0; ti < int(truth.size()); ++ti) {
    const TruthDefect& t = truth[std::size_t(ti)];
    if (!in_scope_truth(t)) continue;
    const int fi = t_to_f[std::size_t(ti)];
    if (is_gap(t.type)) {
      ++r.gaps_true;
      if (fi < 0) {
        r.missed.push_back(ti);
        continue;
      }
      ++r.gaps_matched;
      const Defect& f = found[std::size_t(fi)];
      th_err.push_back(std::abs(f.thickness_mm.value_or(0) - t.thickness_mm.value_or(0)) / vox);
      if (t.area_mm2 > 0) area_err.push_back(std::abs(f.area_mm2 - t.area_mm2) / t.area_mm2);
    } else {
      ++r.voids_true;
      if (fi < 0) {
        r.missed.push_back(ti);
        continue;
      }
      ++r.voids_matched;
      if (t.volume_mm3 > 0) vol_err.push_back(std::abs(found[std::size_t(fi)].volume_mm3 - t.volume_mm3) / t.volume_mm3);
    }
  }
  for (int fi = 0; fi < int(found.size()); ++fi) {
    const Defect& f = found[std::size_t(fi)];
    if (is_gap(f.type) || f.equivalent_diameter_mm < p.min_void_diameter_voxels * vox) continue;
    ++r.voids_found;
    if (f_to_t[std::size_t(fi)] >= 0) ++r.voids_found_correct;
    else r.false_positives.push_back(fi);
  }
  for (int fi = 0; fi < int(found.size()); ++fi)
    if (is_gap(found[std::size_t(fi)].type)) {
      ++r.gaps_found;
      if (f_to_t[std::size_t(fi)] < 0) ++r.gaps_found_unmatched;
    }
  r.volume_errors = vol_err;
  r.gap_thickness_errors_voxels = th_err;
  r.gap_area_errors = area_err;
  r.void_recall = r.voids_true ? double(r.voids_matched) / r.voids_true : 1.0;
  r.void_precision = r.voids_found ? double(r.voids_found_correct) / r.voids_found : 1.0;
  r.gap_recall = r.gaps_true ? double(r.gaps_matched) / r.gaps_true : 1.0;
  r.median_volume_error = median(vol_err);
  r.median_gap_thickness_error_voxels = median(th_err);
  r.median_gap_area_error = median(area_err);
  return r;
}

MatchResult pool(const std::vector<MatchResult>& results) {
  MatchResult r;
  for (const MatchResult& x : results) {
    r.voids_true += x.voids_true, r.voids_matched += x.voids_matched;
    r.voids_found += x.voids_found, r.voids_found_correct += x.voids_found_correct;
    r.gaps_true += x.gaps_true, r.gaps_matched += x.gaps_matched;
    r.gaps_found += x.gaps_found, r.gaps_found_unmatched += x.gaps_found_unmatched;
    r.wrong_die += x.wrong_die;
    r.volume_errors.insert(r.volume_errors.end(), x.volume_errors.begin(), x.volume_errors.end());
    r.gap_thickness_errors_voxels.insert(r.gap_thickness_errors_voxels.end(), x.gap_thickness_errors_voxels.begin(),
                                         x.gap_thickness_errors_voxels.end());
    r.gap_area_errors.insert(r.gap_area_errors.end(), x.gap_area_errors.begin(), x.gap_area_errors.end());
  }
  r.void_recall = r.voids_true ? double(r.voids_matched) / r.voids_true : 1.0;
  r.void_precision = r.voids_found ? double(r.voids_found_correct) / r.voids_found : 1.0;
  r.gap_recall = r.gaps_true ? double(r.gaps_matched) / r.gaps_true : 1.0;
  r.median_volume_error = median(r.volume_errors);
  r.median_gap_thickness_error_voxels = median(r.gap_thickness_errors_voxels);
  r.median_gap_area_error = median(r.gap_area_errors);
  return r;
}

}  // namespace voidscan::detect
