#include "sim/package.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "recon/error.hpp"
#include "recon/json_reader.hpp"
#include "recon/volume_io.hpp"

namespace voidscan::sim {
namespace fs = std::filesystem;
using detail::json;
using detail::Reader;

namespace {
constexpr const char* kSchema = "voidscan.phantom/1";

json vec(Vec3 v) { return json::array({v.x, v.y, v.z}); }
json box_json(const Aabb& b) { return json::array({vec(b.min_mm), vec(b.max_mm)}); }

Aabb read_box(const Reader& r, const json& v, const std::string& field) {
  if (!v.is_array() || v.size() != 2) r.fail(field, "expected [[x0, y0, z0], [x1, y1, z1]]");
  const Aabb b{r.vec3(v[0], field + "[0]"), r.vec3(v[1], field + "[1]")};
  if (!(b.min_mm.x < b.max_mm.x && b.min_mm.y < b.max_mm.y && b.min_mm.z < b.max_mm.z))
    r.fail(field, "min must be below max on every axis");
  return b;
}

double positive(const Reader& r, const json& obj, const std::string& path, const char* key) {
  const double d = r.number(r.require(obj, path, key), Reader::join(path, key));
  if (!(d > 0)) r.fail(Reader::join(path, key), "must be > 0, got " + std::to_string(d));
  return d;
}
}  // namespace

const std::map<std::string, double>& default_materials() {
  // mu = (mu/rho at 30 keV, cm2/g) x (density, g/cm3) / 10, in 1/mm.
  static const std::map<std::string, double> table = {
      {"air", 0.0},
      {"underfill", 0.14},   // silica-filled epoxy, ~0.82 cm2/g x 1.7
      {"mold", 0.20},        // ~85 wt% silica, ~1.03 cm2/g x 1.95
      {"substrate", 0.15},   // glass-epoxy laminate, ~0.79 cm2/g x 1.9
      {"oxide", 0.26},       // SiO2, 1.18 cm2/g x 2.2
      {"si", 0.335},         // 1.436 cm2/g x 2.33
      {"cu", 9.8},           // 10.93 cm2/g x 8.96
      {"solder", 27.7},      // SnAg, ~38 cm2/g x 7.3 (above the Sn K edge)
  };
  return table;
}

const char* to_string(DefectType t) {
  switch (t) {
    case DefectType::underfill_void: return "underfill_void";
    case DefectType::bump_void: return "bump_void";
    case DefectType::bond_gap: return "bond_gap";
  }
  return "?";
}

DefectType parse_defect_type(const std::string& s) {
  for (DefectType t : {DefectType::underfill_void, DefectType::bump_void, DefectType::bond_gap})
    if (s == to_string(t)) return t;
  throw std::invalid_argument("unknown defect type '" + s + "' (underfill_void, bump_void, bond_gap)");
}

Phantom to_phantom(const PackagePhantom& p) {
  std::vector<Object> objects;
  objects.reserve(p.objects.size());
  for (size_t i = 0; i < p.objects.size(); ++i) {
    const auto& o = p.objects[i];
    const auto it = p.materials.find(o.material);
    if (it == p.materials.end())
      throw InputError("", "objects[" + std::to_string(i) + "].material", "unknown material '" + o.material + "'");
    objects.push_back({o.shape, it->second, o.defect ? int(i) : -1});
  }
  return Phantom(std::move(objects));
}

Aabb bounding_box(const PackagePhantom& p) {
  Aabb b{{1e300, 1e300, 1e300}, {-1e300, -1e300, -1e300}};
  for (const auto& o : p.objects) {
    const Aabb a = voidscan::bounding_box(o.shape);
    b.min_mm = {std::min(b.min_mm.x, a.min_mm.x), std::min(b.min_mm.y, a.min_mm.y), std::min(b.min_mm.z, a.min_mm.z)};
    b.max_mm = {std::max(b.max_mm.x, a.max_mm.x), std::max(b.max_mm.y, a.max_mm.y), std::max(b.max_mm.z, a.max_mm.z)};
  }
  return b;
}

PackagePhantom parse_phantom(const std::string& text, const std::string& file) {
  const Reader r(file);  // unknown keys are errors
  json doc;
  try {
    doc = json::parse(detail::nan_tokens_to_null(text));
  } catch (const json::parse_error& e) {
    throw InputError(file, "", std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) r.fail("", "expected a JSON object");
  r.check_keys(doc, "", {"schema", "name", "kind", "seed", "materials", "dies", "objects"});
  const std::string schema = r.string(r.require(doc, "", "schema"), "schema");
  if (schema != kSchema) r.fail("schema", "expected '" + std::string(kSchema) + "', got '" + schema + "'");

  PackagePhantom p;
  if (doc.contains("name")) p.name = r.string(doc["name"], "name");
  if (doc.contains("kind")) p.kind = r.string(doc["kind"], "kind");
  if (doc.contains("seed")) {
    if (!doc["seed"].is_number_unsigned()) r.fail("seed", "expected a non-negative integer");
    p.seed = doc["seed"].get<uint64_t>();
  }
  p.materials = default_materials();
  if (doc.contains("materials")) {
    const json& m = doc["materials"];
    if (!m.is_object()) r.fail("materials", "expected an object: name -> mu_per_mm");
    for (const auto& [name, value] : m.items()) {
      const std::string field = "materials." + name;
      double mu = 0;
      if (value.is_object()) {
        r.check_keys(value, field, {"mu_per_mm"});
        mu = r.number(r.require(value, field, "mu_per_mm"), field + ".mu_per_mm");
      } else {
        mu = r.number(value, field);
      }
      if (mu < 0) r.fail(field, "attenuation must be >= 0, got " + std::to_string(mu));
      p.materials[name] = mu;
    }
  }

  if (doc.contains("dies")) {
    const json& dies = doc["dies"];
    if (!dies.is_array()) r.fail("dies", "expected a list");
    for (size_t i = 0; i < dies.size(); ++i) {
      const std::string path = "dies[" + std::to_string(i) + "]";
      const json& d = dies[i];
      if (!d.is_object()) r.fail(path, "expected an object");
      r.check_keys(d, path, {"id", "index", "bbox_mm", "interface_z_mm"});
      Die die;
      die.id = r.string(r.require(d, path, "id"), path + ".id");
      const json& idx = r.require(d, path, "index");
      if (!idx.is_array() || idx.size() != 3) r.fail(path + ".index", "expected [col, row, layer]");
      for (int k = 0; k < 3; ++k) {
        die.index[k] = r.integer(idx[k], path + ".index[" + std::to_string(k) + "]");
        if (die.index[k] < 0) r.fail(path + ".index", "indices are zero-based, >= 0");
      }
      die.bbox_mm = read_box(r, r.require(d, path, "bbox_mm"), path + ".bbox_mm");
      if (d.contains("interface_z_mm")) {
        const auto z = r.numbers(d["interface_z_mm"], path + ".interface_z_mm", 2);
        die.interface_z_mm = {z[0], z[1]};
      }
      for (const auto& other : p.dies)
        if (other.id == die.id) r.fail(path + ".id", "duplicate die id '" + die.id + "'");
      p.dies.push_back(die);
    }
  }

  const json& objects = r.require(doc, "", "objects");
  if (!objects.is_array()) r.fail("objects", "expected a list");
  for (size_t i = 0; i < objects.size(); ++i) {
    const std::string path = "objects[" + std::to_string(i) + "]";
    const json& o = objects[i];
    if (!o.is_object()) r.fail(path, "expected an object");
    const std::string shape = r.string(r.require(o, path, "shape"), path + ".shape");
    const auto f = [&](const char* key) { return Reader::join(path, key); };
    PackageObject obj;
    if (shape == "box") {
      r.check_keys(o, path, {"shape", "material", "defect", "name", "min_mm", "max_mm"});
      const Box b{r.vec3(r.require(o, path, "min_mm"), f("min_mm")), r.vec3(r.require(o, path, "max_mm"), f("max_mm"))};
      if (!(b.min_mm.x < b.max_mm.x && b.min_mm.y < b.max_mm.y && b.min_mm.z < b.max_mm.z))
        r.fail(f("max_mm"), "must exceed min_mm on every axis");
      obj.shape = b;
    } else if (shape == "sphere") {
      r.check_keys(o, path, {"shape", "material", "defect", "name", "center_mm", "radius_mm"});
      obj.shape = Sphere{r.vec3(r.require(o, path, "center_mm"), f("center_mm")), positive(r, o, path, "radius_mm")};
    } else if (shape == "ellipsoid") {
      r.check_keys(o, path, {"shape", "material", "defect", "name", "center_mm", "semi_axes_mm", "rotation_z_deg"});
      Ellipsoid e;
      e.center_mm = r.vec3(r.require(o, path, "center_mm"), f("center_mm"));
      e.semi_axes_mm = r.vec3(r.require(o, path, "semi_axes_mm"), f("semi_axes_mm"));
      if (!(e.semi_axes_mm.x > 0 && e.semi_axes_mm.y > 0 && e.semi_axes_mm.z > 0))
        r.fail(f("semi_axes_mm"), "every semi-axis must be > 0");
      if (o.contains("rotation_z_deg")) e.rotation_z_deg = r.number(o["rotation_z_deg"], f("rotation_z_deg"));
      obj.shape = e;
    } else if (shape == "cylinder") {
      r.check_keys(o, path, {"shape", "material", "defect", "name", "center_mm", "radius_mm", "z_mm"});
      const auto c = r.numbers(r.require(o, path, "center_mm"), f("center_mm"), 2);
      const auto z = r.numbers(r.require(o, path, "z_mm"), f("z_mm"), 2);
      if (!(z[0] < z[1])) r.fail(f("z_mm"), "expected [z0, z1] with z0 < z1");
      obj.shape = Cylinder{c[0], c[1], positive(r, o, path, "radius_mm"), z[0], z[1]};
    } else {
      r.fail(f("shape"), "unknown shape '" + shape + "' (box, cylinder, ellipsoid, sphere)");
    }
    obj.material = r.string(r.require(o, path, "material"), f("material"));
    if (!p.materials.count(obj.material)) r.fail(f("material"), "unknown material '" + obj.material + "'");
    if (o.contains("name")) obj.name = r.string(o["name"], f("name"));
    if (o.contains("defect")) {
      const json& d = o["defect"];
      const std::string dp = f("defect");
      if (!d.is_object()) r.fail(dp, "expected {\"type\": ..., \"die\": ...}");
      r.check_keys(d, dp, {"type", "die", "bump"});
      DefectTag tag;
      try {
        tag.type = parse_defect_type(r.string(r.require(d, dp, "type"), dp + ".type"));
      } catch (const std::invalid_argument& e) {
        r.fail(dp + ".type", e.what());
      }
      tag.die = r.string(r.require(d, dp, "die"), dp + ".die");
      bool known = false;
      for (const auto& die : p.dies) known = known || die.id == tag.die;
      if (!known) r.fail(dp + ".die", "no die with id '" + tag.die + "' in 'dies'");
      if (d.contains("bump")) tag.bump = r.string(d["bump"], dp + ".bump");
      obj.defect = tag;
    }
    p.objects.push_back(std::move(obj));
  }
  if (p.objects.empty()) r.fail("objects", "the phantom has no objects");
  return p;
}

PackagePhantom load_phantom(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file.string(), "", "cannot open the phantom file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_phantom(ss.str(), file.string());
}

std::string phantom_json(const PackagePhantom& p) {
  json doc;
  doc["schema"] = kSchema;
  if (!p.name.empty()) doc["name"] = p.name;
  if (!p.kind.empty()) doc["kind"] = p.kind;
  if (p.seed) doc["seed"] = *p.seed;
  json mats = json::object();
  for (const auto& o : p.objects) mats[o.material] = p.materials.at(o.material);
  doc["materials"] = mats;
  json dies = json::array();
  for (const auto& d : p.dies)
    dies.push_back({{"id", d.id},
                    {"index", d.index},
                    {"bbox_mm", box_json(d.bbox_mm)},
                    {"interface_z_mm", d.interface_z_mm}});
  doc["dies"] = dies;
  json objects = json::array();
  for (const auto& o : p.objects) {
    json j;
    std::visit(
        [&](const auto& s) {
          using T = std::decay_t<decltype(s)>;
          if constexpr (std::is_same_v<T, Box>) {
            j = {{"shape", "box"}, {"min_mm", vec(s.min_mm)}, {"max_mm", vec(s.max_mm)}};
          } else if constexpr (std::is_same_v<T, Sphere>) {
            j = {{"shape", "sphere"}, {"center_mm", vec(s.center_mm)}, {"radius_mm", s.radius_mm}};
          } else if constexpr (std::is_same_v<T, Ellipsoid>) {
            j = {{"shape", "ellipsoid"}, {"center_mm", vec(s.center_mm)}, {"semi_axes_mm", vec(s.semi_axes_mm)}};
            if (s.rotation_z_deg != 0) j["rotation_z_deg"] = s.rotation_z_deg;
          } else {
            j = {{"shape", "cylinder"},
                 {"center_mm", {s.center_x_mm, s.center_y_mm}},
                 {"radius_mm", s.radius_mm},
                 {"z_mm", {s.z0_mm, s.z1_mm}}};
          }
        },
        o.shape);
    j["material"] = o.material;
    if (!o.name.empty()) j["name"] = o.name;
    if (o.defect) {
      j["defect"] = {{"type", to_string(o.defect->type)}, {"die", o.defect->die}};
      if (o.defect->bump) j["defect"]["bump"] = *o.defect->bump;
    }
    objects.push_back(j);
  }
  doc["objects"] = objects;
  return doc.dump(1);
}

void save_phantom(const PackagePhantom& p, const fs::path& file) {
  const std::string text = phantom_json(p);
  write_atomically(file, [&](const fs::path& tmp) {
    std::ofstream out(tmp);
    out << text << "\n";
    if (!out) throw RuntimeFailure("cannot write " + tmp.string());
  });
}

}  // namespace voidscan::sim
