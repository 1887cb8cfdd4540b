// recipe.yaml reader. See recipe.hpp; keys and ranges in docs/detection.md.
// Test: tests/detect/test_recipe.cpp.
#include "detect/recipe.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "recon/error.hpp"

namespace voidscan::detect {
namespace {

constexpr const char* kSchema = "voidscan.recipe/1";

/// Levenshtein distance, for "did you mean" hints on misspelt keys.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string where(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.line >= 0 ? " (line " + std::to_string(m.line + 1) + ")" : std::string();
}

/// Walks the YAML tree; every error names the recipe file and the key path.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw InputError(source_, path, what);
  }

  /// `node` must be a mapping whose keys are all in `known`; returns its entries by key.
  std::map<std::string, YAML::Node> mapping(const YAML::Node& node, const std::string& path,
                                            const std::vector<std::string>& known) const {
    if (!node.IsMap()) fail(path, "expected a mapping of keys" + where(node));
    std::map<std::string, YAML::Node> out;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) fail(path, "keys must be plain names" + where(kv.first));
      const std::string key = kv.first.Scalar();
      const std::string full = join_path(path, key);
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string hint;
        size_t best = 4;  // suggest only close matches (at most 3 edits)
        for (const auto& k : known)
          if (const size_t d = edit_distance(key, k); d < best) best = d, hint = k;
        std::string known_list;
        for (const auto& k : known) known_list += (known_list.empty() ? "" : ", ") + k;
        fail(full, "unknown key" + where(kv.first) +
                       (hint.empty() ? "" : "; did you mean '" + join_path(path, hint) + "'?") + " (known here: " +
                       known_list + ")");
      }
      if (out.count(key)) fail(full, "given twice" + where(kv.first));
      out[key] = kv.second;
    }
    return out;
  }

  const std::string& scalar(const YAML::Node& n, const std::string& path, const char* expected) const {
    if (!n.IsScalar()) fail(path, std::string("expected ") + expected + where(n));
    return n.Scalar();
  }

  double number(const YAML::Node& n, const std::string& path) const {
    const std::string& s = scalar(n, path, "a number");
    // A quoted scalar ("0.05") is a string in YAML: refuse it rather than guess.
    double v = 0;
    const char* b = s.data();
    const char* e = b + s.size();
    if (!s.empty() && *b == '+') ++b;
    const auto r = std::from_chars(b, e, v);
    if (n.Tag() == "!" || s.empty() || r.ec != std::errc() || r.ptr != e)
      fail(path, "expected a number, found '" + s + "'" + where(n));
    if (!std::isfinite(v)) fail(path, "must be a finite number, found '" + s + "'" + where(n));
    return v;
  }

  int integer(const YAML::Node& n, const std::string& path) const {
    const std::string& s = scalar(n, path, "an integer");
    long long v = 0;
    const char* b = s.data();
    const char* e = b + s.size();
    if (!s.empty() && *b == '+') ++b;
    const auto r = std::from_chars(b, e, v);
    if (n.Tag() == "!" || s.empty() || r.ec != std::errc() || r.ptr != e || v < -1000000000LL || v > 1000000000LL)
      fail(path, "expected an integer, found '" + s + "'" + where(n));
    return int(v);
  }

  std::string string(const YAML::Node& n, const std::string& path) const { return scalar(n, path, "a name"); }

  template <class T, class Convert>
  std::array<T, 2> pair(const YAML::Node& n, const std::string& path, Convert convert) const {
    if (!n.IsSequence() || n.size() != 2) fail(path, "expected a list of two values [x, y]" + where(n));
    return {convert(n[0], path + "[0]"), convert(n[1], path + "[1]")};
  }
  std::array<double, 2> number_pair(const YAML::Node& n, const std::string& path) const {
    return pair<double>(n, path, [this](const YAML::Node& v, const std::string& p) { return number(v, p); });
  }
  std::array<int, 2> integer_pair(const YAML::Node& n, const std::string& path) const {
    return pair<int>(n, path, [this](const YAML::Node& v, const std::string& p) { return integer(v, p); });
  }

  Recipe read(const YAML::Node& root) const {
    Recipe r;
    r.source = source_;
    if (root.IsNull()) return r;  // an empty file: every default
    const auto top = mapping(root, "", {"schema", "kind", "expected_layers", "layout", "detect", "criteria"});
    for (const auto& [key, n] : top) {
      if (key == "schema") {
        if (const std::string s = string(n, key); s != kSchema)
          fail(key, "expected '" + std::string(kSchema) + "', found '" + s + "'" + where(n));
      } else if (key == "kind") {
        const std::string s = string(n, key);
        try {
          r.kind = parse_sample_kind(s);
        } catch (const std::invalid_argument& e) {
          fail(key, e.what() + where(n));
        }
      } else if (key == "expected_layers") {
        if (!n.IsNull()) r.expected_layers = integer(n, key);
      } else if (key == "layout") {
        if (!n.IsNull()) r.layout = read_layout(n, key);
      } else if (key == "detect") {
        read_detect(n, key, r.detect);
      } else if (key == "criteria") {
        read_criteria(n, key, r.criteria);
      }
    }
    return r;
  }

 private:
  Layout read_layout(const YAML::Node& node, const std::string& path) const {
    Layout l;
    const auto m = mapping(node, path, {"pitch_mm", "origin_mm", "count", "die_size_mm"});
    if (!m.count("die_size_mm")) fail(path + ".die_size_mm", "missing: a layout needs the size of one die" + where(node));
    for (const auto& [key, n] : m) {
      const std::string p = join_path(path, key);
      if (key == "pitch_mm") l.pitch_mm = number_pair(n, p);
      else if (key == "origin_mm") l.origin_mm = number_pair(n, p);
      else if (key == "count") l.count = integer_pair(n, p);
      else if (key == "die_size_mm") l.die_size_mm = number_pair(n, p);
    }
    return l;
  }

  void read_detect(const YAML::Node& node, const std::string& path, DetectParams& d) const {
    if (node.IsNull()) return;
    const auto m = mapping(node, path,
                           {"min_void_diameter_voxels", "void_threshold", "min_gap_width_voxels", "min_gap_thickness_voxels",
                            "bump_void_depth_fraction"});
    for (const auto& [key, n] : m) {
      const std::string p = join_path(path, key);
      if (key == "min_void_diameter_voxels") d.min_void_diameter_voxels = number(n, p);
      else if (key == "void_threshold") d.void_threshold = n.IsNull() ? std::nullopt : std::optional(number(n, p));
      else if (key == "min_gap_width_voxels") d.min_gap_width_voxels = number(n, p);
      else if (key == "min_gap_thickness_voxels") d.min_gap_thickness_voxels = number(n, p);
      else if (key == "bump_void_depth_fraction") d.bump_void_depth_fraction = number(n, p);
    }
  }

  void read_criteria(const YAML::Node& node, const std::string& path, Criteria& c) const {
    if (node.IsNull()) return;
    const auto m = mapping(node, path,
                           {"max_void_area_fraction", "max_void_diameter_mm", "max_bump_void_fraction",
                            "max_gap_thickness_mm", "max_gap_area_mm2"});
    for (const auto& [key, n] : m) {
      const std::string p = join_path(path, key);
      if (key == "max_void_area_fraction") c.max_void_area_fraction = number(n, p);
      else if (key == "max_void_diameter_mm") c.max_void_diameter_mm = number(n, p);
      else if (key == "max_bump_void_fraction") c.max_bump_void_fraction = number(n, p);
      else if (key == "max_gap_thickness_mm") c.max_gap_thickness_mm = number(n, p);
      else if (key == "max_gap_area_mm2") c.max_gap_area_mm2 = number(n, p);
    }
  }

  std::string source_;
};

std::string show(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

void validate(const Recipe& r) {
  auto fail = [&](const std::string& field, const std::string& what) { throw InputError(r.source, field, what); };
  auto finite = [&](double v, const std::string& field) {
    if (!std::isfinite(v)) fail(field, "must be a finite number");
  };
  auto positive = [&](double v, const std::string& field) {
    finite(v, field);
    if (!(v > 0)) fail(field, "must be greater than 0, found " + show(v));
  };
  auto non_negative = [&](double v, const std::string& field) {
    finite(v, field);
    if (v < 0) fail(field, "must not be negative, found " + show(v));
  };
  auto fraction = [&](double v, const std::string& field) {
    finite(v, field);
    if (v < 0 || v > 1) fail(field, "is a fraction: must lie in [0, 1], found " + show(v));
  };

  if (r.expected_layers && *r.expected_layers < 1)
    fail("expected_layers", "must be at least 1, found " + std::to_string(*r.expected_layers));
  if (r.layout) {
    const Layout& l = *r.layout;
    const char* axis[] = {"[0]", "[1]"};
    for (int a = 0; a < 2; ++a) {
      positive(l.die_size_mm[a], std::string("layout.die_size_mm") + axis[a]);
      finite(l.origin_mm[a], std::string("layout.origin_mm") + axis[a]);
      non_negative(l.pitch_mm[a], std::string("layout.pitch_mm") + axis[a]);
      if (l.count[a] < 1 || l.count[a] > 10000)
        fail(std::string("layout.count") + axis[a], "must lie in [1, 10000], found " + std::to_string(l.count[a]));
      if (l.count[a] > 1 && l.pitch_mm[a] < l.die_size_mm[a])
        fail(std::string("layout.pitch_mm") + axis[a],
             "is " + show(l.pitch_mm[a]) + " mm, smaller than the die size " + show(l.die_size_mm[a]) +
                 " mm: the dies of the grid would overlap");
    }
  }
  positive(r.detect.min_void_diameter_voxels, "detect.min_void_diameter_voxels");
  if (r.detect.void_threshold) positive(*r.detect.void_threshold, "detect.void_threshold");
  positive(r.detect.min_gap_width_voxels, "detect.min_gap_width_voxels");
  positive(r.detect.min_gap_thickness_voxels, "detect.min_gap_thickness_voxels");
  positive(r.detect.bump_void_depth_fraction, "detect.bump_void_depth_fraction");
  fraction(r.detect.bump_void_depth_fraction, "detect.bump_void_depth_fraction");
  fraction(r.criteria.max_void_area_fraction, "criteria.max_void_area_fraction");
  positive(r.criteria.max_void_diameter_mm, "criteria.max_void_diameter_mm");
  fraction(r.criteria.max_bump_void_fraction, "criteria.max_bump_void_fraction");
  non_negative(r.criteria.max_gap_thickness_mm, "criteria.max_gap_thickness_mm");
  non_negative(r.criteria.max_gap_area_mm2, "criteria.max_gap_area_mm2");
}

Recipe parse_recipe(const std::string& yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw InputError(source, "", "not valid YAML: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ", column " +
                                     std::to_string(e.mark.column + 1) + ")");
  }
  Recipe r = Reader(source).read(root);
  validate(r);
  return r;
}

Recipe load_recipe(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) throw InputError(file.string(), "", "recipe file not found");
  if (std::filesystem::is_directory(file, ec)) throw InputError(file.string(), "", "is a folder, not a recipe file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string(), "", "cannot open the recipe file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(file.string(), "", "read error");
  return parse_recipe(text.str(), file.string());
}

nlohmann::json recipe_to_json(const Recipe& r) {
  using nlohmann::json;
  json j;
  j["schema"] = kSchema;
  j["source"] = r.source.empty() ? json(nullptr) : json(r.source);
  j["kind"] = to_string(r.kind);
  j["expected_layers"] = r.expected_layers ? json(*r.expected_layers) : json(nullptr);
  if (r.layout) {
    const Layout& l = *r.layout;
    j["layout"] = {{"pitch_mm", l.pitch_mm}, {"origin_mm", l.origin_mm}, {"count", l.count}, {"die_size_mm", l.die_size_mm}};
  } else {
    j["layout"] = nullptr;
  }
  const DetectParams& d = r.detect;
  j["detect"] = {{"min_void_diameter_voxels", d.min_void_diameter_voxels},
                 {"void_threshold", d.void_threshold ? json(*d.void_threshold) : json(nullptr)},
                 {"min_gap_width_voxels", d.min_gap_width_voxels},
                 {"min_gap_thickness_voxels", d.min_gap_thickness_voxels},
                 {"bump_void_depth_fraction", d.bump_void_depth_fraction}};
  const Criteria& c = r.criteria;
  j["criteria"] = {{"max_void_area_fraction", c.max_void_area_fraction},
                   {"max_void_diameter_mm", c.max_void_diameter_mm},
                   {"max_bump_void_fraction", c.max_bump_void_fraction},
                   {"max_gap_thickness_mm", c.max_gap_thickness_mm},
                   {"max_gap_area_mm2", c.max_gap_area_mm2}};
  return j;
}

}  // namespace voidscan::detect
