#include "sim/truth.hpp"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "recon/error.hpp"
#include "recon/json_reader.hpp"

namespace voidscan::sim {
namespace {
using nlohmann::json;

json vec(Vec3 v) { return json::array({v.x, v.y, v.z}); }

bool overlaps(const Aabb& a, const Aabb& b) {
  return a.min_mm.x <= b.max_mm.x && b.min_mm.x <= a.max_mm.x && a.min_mm.y <= b.max_mm.y &&
         b.min_mm.y <= a.max_mm.y && a.min_mm.z <= b.max_mm.z && b.min_mm.z <= a.max_mm.z;
}
}  // namespace

std::vector<TruthDefect> truth_defects(const PackagePhantom& p, std::vector<std::string>* warnings) {
  std::vector<TruthDefect> out;
  for (size_t i = 0; i < p.objects.size(); ++i) {
    const auto& o = p.objects[i];
    if (!o.defect) continue;
    TruthDefect t;
    t.id = "T" + std::to_string(out.size() + 1);
    t.object = i;
    t.type = o.defect->type;
    t.die = o.defect->die;
    t.bump = o.defect->bump;
    t.bbox_mm = voidscan::bounding_box(o.shape);
    t.centroid_mm = 0.5 * (t.bbox_mm.min_mm + t.bbox_mm.max_mm);  // every shape is symmetric
    std::visit(
        [&](const auto& s) {
          using T = std::decay_t<decltype(s)>;
          if constexpr (std::is_same_v<T, Box>) {
            const Vec3 d = s.max_mm - s.min_mm;
            t.volume_mm3 = d.x * d.y * d.z;
            t.area_mm2 = d.x * d.y;
          } else if constexpr (std::is_same_v<T, Sphere>) {
            t.volume_mm3 = 4.0 / 3.0 * M_PI * std::pow(s.radius_mm, 3);
            t.area_mm2 = M_PI * s.radius_mm * s.radius_mm;
          } else if constexpr (std::is_same_v<T, Ellipsoid>) {
            const Vec3 a = s.semi_axes_mm;
            t.volume_mm3 = 4.0 / 3.0 * M_PI * a.x * a.y * a.z;
            t.area_mm2 = M_PI * a.x * a.y;  // rotation about z keeps the x-y ellipse's area
          } else {
            t.volume_mm3 = M_PI * s.radius_mm * s.radius_mm * (s.z1_mm - s.z0_mm);
            t.area_mm2 = M_PI * s.radius_mm * s.radius_mm;
          }
        },
        o.shape);
    t.equivalent_diameter_mm = std::cbrt(6 * t.volume_mm3 / M_PI);
    if (t.type == DefectType::bond_gap) t.thickness_mm = t.bbox_mm.max_mm.z - t.bbox_mm.min_mm.z;
    if (warnings)
      for (size_t j = i + 1; j < p.objects.size(); ++j)
        if (overlaps(t.bbox_mm, voidscan::bounding_box(p.objects[j].shape))) {
          warnings->push_back("defect " + t.id + " (objects[" + std::to_string(i) + "]) is overlapped by objects[" +
                              std::to_string(j) + "]: its truth measures are those of the whole shape");
          break;
        }
    out.push_back(std::move(t));
  }
  return out;
}

std::string truth_json(const PackagePhantom& p, const VolumeGrid& grid) {
  json doc;
  doc["schema"] = "voidscan.truth/1";
  doc["kind"] = p.kind;
  if (p.seed) doc["seed"] = *p.seed;
  json mats = json::object();
  for (const auto& o : p.objects) mats[o.material] = p.materials.at(o.material);
  doc["materials"] = mats;
  doc["grid"] = {{"size", {grid.nx, grid.ny, grid.nz}},
                 {"voxel_mm", {grid.sx, grid.sy, grid.sz}},
                 {"center_mm", vec(grid.center)}};
  json dies = json::array();
  for (const auto& d : p.dies)
    dies.push_back({{"id", d.id},
                    {"index", d.index},
                    {"bbox_mm", {vec(d.bbox_mm.min_mm), vec(d.bbox_mm.max_mm)}},
                    {"interface_z_mm", d.interface_z_mm}});
  doc["dies"] = dies;
  json defects = json::array();
  for (const auto& t : truth_defects(p)) {
    json j = {{"id", t.id},
              {"type", to_string(t.type)},
              {"die", t.die},
              {"centroid_mm", vec(t.centroid_mm)},
              {"bbox_mm", {vec(t.bbox_mm.min_mm), vec(t.bbox_mm.max_mm)}},
              {"volume_mm3", t.volume_mm3},
              {"equivalent_diameter_mm", t.equivalent_diameter_mm},
              {"area_mm2", t.area_mm2}};
    if (t.thickness_mm) j["thickness_mm"] = *t.thickness_mm;
    if (t.bump) j["bump"] = *t.bump;
    defects.push_back(j);
  }
  doc["defects"] = defects;
  return doc.dump(1);
}

std::vector<TruthDefect> load_truth_defects(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file.string(), "", "cannot open the truth file");
  std::stringstream ss;
  ss << in.rdbuf();
  const detail::Reader r(file.string(), nullptr);
  json doc;
  try {
    doc = json::parse(ss.str());
  } catch (const json::parse_error& e) {
    throw InputError(file.string(), "", std::string("not valid JSON: ") + e.what());
  }
  std::vector<TruthDefect> out;
  const json& defects = r.require(doc, "", "defects");
  for (size_t i = 0; i < defects.size(); ++i) {
    const std::string path = "defects[" + std::to_string(i) + "]";
    const json& d = defects[i];
    TruthDefect t;
    t.id = r.string(r.require(d, path, "id"), path + ".id");
    t.type = parse_defect_type(r.string(r.require(d, path, "type"), path + ".type"));
    t.die = r.string(r.require(d, path, "die"), path + ".die");
    t.centroid_mm = r.vec3(r.require(d, path, "centroid_mm"), path + ".centroid_mm");
    const json& b = r.require(d, path, "bbox_mm");
    t.bbox_mm = {r.vec3(b.at(0), path + ".bbox_mm[0]"), r.vec3(b.at(1), path + ".bbox_mm[1]")};
    t.volume_mm3 = r.number(r.require(d, path, "volume_mm3"), path + ".volume_mm3");
    t.equivalent_diameter_mm = r.number(r.require(d, path, "equivalent_diameter_mm"), path + ".equivalent_diameter_mm");
    t.area_mm2 = r.number(r.require(d, path, "area_mm2"), path + ".area_mm2");
    if (d.contains("thickness_mm")) t.thickness_mm = r.number(d["thickness_mm"], path + ".thickness_mm");
    if (d.contains("bump")) t.bump = r.string(d["bump"], path + ".bump");
    out.push_back(std::move(t));
  }
  return out;
}

Volume truth_labels(const PackagePhantom& p, const VolumeGrid& grid) {
  Volume v{grid, std::vector<float>(grid.voxel_count(), 0.f)};
  std::vector<uint8_t> best(grid.voxel_count(), 0);
  const auto defects = truth_defects(p);
  constexpr int s = 3;
  for (size_t n = 0; n < defects.size(); ++n) {
    const auto& t = defects[n];
    const Shape& shape = p.objects[t.object].shape;
    const auto lo = [&](double x, double c, double sx, int nx) {
      return std::clamp(int(std::floor((x - c) / sx + 0.5 * (nx - 1))), 0, nx - 1);
    };
    const auto hi = [&](double x, double c, double sx, int nx) {
      return std::clamp(int(std::ceil((x - c) / sx + 0.5 * (nx - 1))), 0, nx - 1);
    };
    for (int k = lo(t.bbox_mm.min_mm.z, grid.center.z, grid.sz, grid.nz); k <= hi(t.bbox_mm.max_mm.z, grid.center.z, grid.sz, grid.nz); ++k)
      for (int j = lo(t.bbox_mm.min_mm.y, grid.center.y, grid.sy, grid.ny); j <= hi(t.bbox_mm.max_mm.y, grid.center.y, grid.sy, grid.ny); ++j)
        for (int i = lo(t.bbox_mm.min_mm.x, grid.center.x, grid.sx, grid.nx); i <= hi(t.bbox_mm.max_mm.x, grid.center.x, grid.sx, grid.nx); ++i) {
          int count = 0;
          for (int c = 0; c < s; ++c)
            for (int b = 0; b < s; ++b)
              for (int a = 0; a < s; ++a) {
                const Vec3 q = grid.voxel_center(i + (a + 0.5) / s - 0.5, j + (b + 0.5) / s - 0.5, k + (c + 0.5) / s - 0.5);
                if (!contains(shape, q)) continue;
                bool later = false;  // a later defect owns the point
                for (size_t m = n + 1; m < defects.size() && !later; ++m) later = contains(p.objects[defects[m].object].shape, q);
                count += !later;
              }
          const size_t idx = (size_t(k) * grid.ny + j) * grid.nx + i;
          if (count > best[idx]) {
            best[idx] = uint8_t(count);
            v.data[idx] = float(n + 1);
          }
        }
  }
  return v;
}

}  // namespace voidscan::sim
