// Verdicts against hand-built analyses with known numbers (void area fraction exact, each
// criterion just above / just below its limit flips the verdict), report.json and
// defects.csv contents, the terminal summary, and labels.mha written with exact integers.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "detect/recipe.hpp"
#include "detect/report.hpp"
#include "recon/volume_io.hpp"
#include "support/temp_dir.hpp"

namespace voidscan::detect {
namespace {

namespace fs = std::filesystem;

Defect make_defect(int id, DefectType type, const std::string& die, Vec3 c, double area, double eqd) {
  Defect f;
  f.id = id;
  f.type = type;
  f.die = die;
  f.centroid_mm = c;
  const double r = std::sqrt(area / 3.14159265358979);
  f.bbox_mm = {{c.x - r, c.y - r, c.z - 0.002}, {c.x + r, c.y + r, c.z + 0.002}};
  f.area_mm2 = area;
  f.equivalent_diameter_mm = eqd;
  f.volume_mm3 = 3.14159265358979 / 6 * eqd * eqd * eqd;
  f.sphericity = 0.9;
  f.cnr = 7.5;
  return f;
}

/// Two dies side by side, 1 mm^2 of interface each.
/// c0r0l0: two underfill voids of areas 1/32 and 1/64 mm^2 (fraction exactly 3/64 = 0.046875),
///         equivalent diameters 8 and 6 um.
/// c1r0l0: a bump void (area 1/2 mm^2, bump void fraction 0.3) and a bond gap 0.4 um thick,
///         1/128 mm^2.
Analysis sample_analysis() {
  Analysis a;
  a.kind = SampleKind::flip_chip;
  a.grid = {20, 10, 6, 0.1, 0.1, 0.02, {0, 0, 0.05}};
  for (int col = 0; col < 2; ++col) {
    Die d;
    d.id = "c" + std::to_string(col) + "r0l0";
    d.index = {col, 0, 0};
    d.bbox_mm = {{-1.0 + col, -0.5, 0.0}, {0.0 + col, 0.5, 0.1}};
    d.interface_area_mm2 = 1.0;
    d.features_mm = {{-0.5 + col, 0.0, 0.05}};
    a.dies.push_back(d);
  }
  a.defects.push_back(make_defect(1, DefectType::underfill_void, "c0r0l0", {-0.7, 0.2, 0.05}, 1.0 / 32, 0.008));
  a.defects.push_back(make_defect(2, DefectType::underfill_void, "c0r0l0", {-0.3, -0.2, 0.05}, 1.0 / 64, 0.006));
  Defect bump = make_defect(3, DefectType::bump_void, "c1r0l0", {0.5, 0.0, 0.05}, 0.5, 0.02);
  bump.bump = "c1r0l0/b0";
  bump.bump_void_fraction = 0.3;
  a.defects.push_back(bump);
  Defect gap = make_defect(4, DefectType::bond_gap, "c1r0l0", {0.3, 0.3, 0.1}, 1.0 / 128, 0.001);
  gap.thickness_mm = 0.0004;
  a.defects.push_back(gap);
  a.labels.assign(a.grid.voxel_count(), 0);
  a.labels[5] = 1;
  a.labels[6] = 1;
  a.labels[100] = 2;
  a.labels[a.grid.voxel_count() - 1] = 4;
  a.labels[300] = 3;
  return a;
}

/// Criteria that pass everything in sample_analysis() except what a test changes.
Criteria lenient() {
  Criteria c;
  c.max_void_area_fraction = 0.05;
  c.max_void_diameter_mm = 0.010;
  c.max_bump_void_fraction = 0.35;
  c.max_gap_thickness_mm = 0.0005;
  c.max_gap_area_mm2 = 0;
  return c;
}

TEST(Verdicts, AreaFractionCountsAndLargestAreExact) {
  Analysis a = sample_analysis();
  apply_verdicts(a, lenient());
  const Die& d0 = a.dies[0];
  EXPECT_EQ(d0.void_area_fraction, 3.0 / 64);  // (1/32 + 1/64) / 1, exact in binary
  EXPECT_EQ(d0.largest_defect, 1);
  EXPECT_EQ(d0.count_per_type, (std::array<int, 4>{2, 0, 0, 0}));
  EXPECT_TRUE(d0.pass) << (d0.failed_criteria.empty() ? "" : d0.failed_criteria[0]);
  const Die& d1 = a.dies[1];
  EXPECT_EQ(d1.void_area_fraction, 1.0 / 128);  // the gap counts, the bump void does not
  EXPECT_EQ(d1.largest_defect, 3);
  EXPECT_EQ(d1.count_per_type, (std::array<int, 4>{0, 1, 1, 0}));
  EXPECT_TRUE(d1.pass) << (d1.failed_criteria.empty() ? "" : d1.failed_criteria[0]);
  EXPECT_TRUE(all_pass(a));
}

TEST(Verdicts, EachCriterionFlipsJustAboveAndBelowItsLimit) {
  struct Case {
    const char* name;
    void (*set)(Criteria&, bool just_below);  ///< limit just below the value (fail) or at it (pass)
    int die;
    const char* words;
  };
  const Case cases[] = {
      {"area fraction", [](Criteria& c, bool b) { c.max_void_area_fraction = b ? 0.0468 : 3.0 / 64; }, 0,
       "void area fraction 4.688 % > 4.68 %"},
      {"void diameter", [](Criteria& c, bool b) { c.max_void_diameter_mm = b ? 0.00799 : 0.008; }, 0,
       "1 void above 7.99 um diameter (largest: defect 1, 8 um)"},
      {"bump void fraction", [](Criteria& c, bool b) { c.max_bump_void_fraction = b ? 0.299 : 0.3; }, 1,
       "1 bump above 29.9 % void fraction (worst: c1r0l0/b0, 30 %)"},
      {"gap thickness", [](Criteria& c, bool b) { c.max_gap_thickness_mm = b ? 0.00039 : 0.0004; }, 1,
       "1 bond gap thicker than 0.39 um"},
      {"gap area", [](Criteria& c, bool b) {
         c.max_gap_thickness_mm = 0;
         c.max_gap_area_mm2 = b ? 1.0 / 128 - 1e-6 : 1.0 / 128;
       }, 1, "1 bond gap thicker than 0 um and larger than"},
  };
  for (const Case& k : cases) {
    for (bool below : {false, true}) {
      Analysis a = sample_analysis();
      Criteria c = lenient();
      k.set(c, below);
      apply_verdicts(a, c);
      const Die& d = a.dies[size_t(k.die)];
      const Die& other = a.dies[size_t(1 - k.die)];
      EXPECT_TRUE(other.pass) << k.name;
      EXPECT_EQ(d.pass, !below) << k.name << (below ? " just below" : " at the value");
      EXPECT_EQ(all_pass(a), !below) << k.name;
      if (below) {
        ASSERT_EQ(d.failed_criteria.size(), 1u) << k.name;
        EXPECT_NE(d.failed_criteria[0].find(k.words), std::string::npos)
            << k.name << ": '" << d.failed_criteria[0] << "' lacks '" << k.words << "'";
      } else {
        EXPECT_TRUE(d.failed_criteria.empty()) << k.name << ": " << d.failed_criteria[0];
      }
    }
  }
}

TEST(Verdicts, DefaultCriteriaFailAnyBondGap) {
  Analysis a = sample_analysis();
  apply_verdicts(a, Criteria{});  // defaults: any gap fails, bump voids > 25 % fail
  EXPECT_TRUE(a.dies[0].pass);
  EXPECT_FALSE(a.dies[1].pass);
  ASSERT_EQ(a.dies[1].failed_criteria.size(), 2u);
  EXPECT_NE(a.dies[1].failed_criteria[0].find("bump"), std::string::npos);
  EXPECT_NE(a.dies[1].failed_criteria[1].find("bond gap"), std::string::npos);
  // a gap without a thickness estimate counts as thicker than any limit
  a = sample_analysis();
  a.defects[3].thickness_mm.reset();
  Criteria c = lenient();
  c.max_gap_thickness_mm = 1.0;
  apply_verdicts(a, c);
  EXPECT_FALSE(a.dies[1].pass);
}

TEST(Verdicts, NoInterfaceAreaLeavesTheFractionUnjudged) {
  Analysis a = sample_analysis();
  a.dies[0].interface_area_mm2 = 0;
  Criteria c = lenient();
  c.max_void_area_fraction = 0;
  apply_verdicts(a, c);
  EXPECT_TRUE(a.dies[0].pass);
  EXPECT_EQ(a.dies[0].void_area_fraction, 0);
  EXPECT_TRUE(report_json(a, Recipe{}, {})["dies"][0]["void_area_fraction"].is_null());
  EXPECT_FALSE(a.dies[1].pass);  // 1/128 > 0
}

TEST(Verdicts, InconsistentAnalysesAreRefused) {
  Analysis a = sample_analysis();
  a.defects[0].die = "c9r9l9";
  EXPECT_THROW(apply_verdicts(a, Criteria{}), std::logic_error);
  a = sample_analysis();
  a.defects[1].id = 1;
  EXPECT_THROW(apply_verdicts(a, Criteria{}), std::logic_error);
  a = sample_analysis();
  a.dies.clear();
  EXPECT_THROW(apply_verdicts(a, Criteria{}), std::logic_error);
}

TEST(Report, JsonHoldsEverySectionAndField) {
  Analysis a = sample_analysis();
  a.notes = {"two dies found"};
  Recipe r;
  r.kind = SampleKind::flip_chip;
  r.source = "recipe.yaml";
  apply_verdicts(a, r.criteria);
  const nlohmann::json j = report_json(a, r, {"scan/vol.mha", "scan/vol.mha"});
  EXPECT_EQ(j["schema"], "voidscan.report/1");
  EXPECT_EQ(j["software"]["version"], VOIDSCAN_VERSION);
  EXPECT_EQ(j["sample"]["input"], "scan/vol.mha");
  EXPECT_EQ(j["sample"]["kind"], "flip-chip");
  EXPECT_EQ(j["sample"]["kind_from"], "recipe");
  EXPECT_EQ(j["sample"]["notes"][0], "two dies found");
  EXPECT_TRUE(j["sample"]["metal_correction"].is_null());
  MetalStreakReport mc;
  mc.columns = 32, mc.voids = 2, mc.max_change = 14.9, mc.content_error = 0.012, mc.seconds = 13.5, mc.applied = true;
  const nlohmann::json jc = report_json(a, r, {"scan.json", "out/volume.mha", mc});
  EXPECT_EQ(jc["sample"]["metal_correction"]["applied"], true);
  EXPECT_EQ(jc["sample"]["metal_correction"]["columns"], 32);
  EXPECT_EQ(jc["sample"]["metal_correction"]["voids"], 2);
  EXPECT_DOUBLE_EQ(jc["sample"]["metal_correction"]["largest_correction_per_mm"].get<double>(), 14.9);
  EXPECT_DOUBLE_EQ(jc["sample"]["metal_correction"]["model_content_error"].get<double>(), 0.012);
  EXPECT_DOUBLE_EQ(jc["sample"]["metal_correction"]["seconds"].get<double>(), 13.5);
  EXPECT_EQ(j["volume"]["size"], nlohmann::json({20, 10, 6}));
  EXPECT_EQ(j["volume"]["voxel_mm"], nlohmann::json({0.1, 0.1, 0.02}));
  // origin = centre of voxel 0 = centre - (n - 1) / 2 * spacing
  EXPECT_NEAR(j["volume"]["origin_mm"][0].get<double>(), -0.95, 1e-12);
  EXPECT_NEAR(j["volume"]["origin_mm"][1].get<double>(), -0.45, 1e-12);
  EXPECT_NEAR(j["volume"]["origin_mm"][2].get<double>(), 0.0, 1e-12);

  ASSERT_EQ(j["dies"].size(), 2u);
  const auto& d0 = j["dies"][0];
  EXPECT_TRUE(d0["id"].is_string());
  EXPECT_EQ(d0["id"], "c0r0l0");
  EXPECT_EQ(d0["index"], nlohmann::json({0, 0, 0}));
  EXPECT_EQ(d0["bbox_mm"]["min"], nlohmann::json({-1.0, -0.5, 0.0}));
  EXPECT_EQ(d0["void_area_fraction"], 3.0 / 64);
  EXPECT_EQ(d0["largest_defect"], 1);
  EXPECT_EQ(d0["count_per_type"]["underfill_void"], 2);
  EXPECT_EQ(d0["verdict"], "pass");
  EXPECT_EQ(j["dies"][1]["verdict"], "fail");
  EXPECT_EQ(j["dies"][1]["failed_criteria"].size(), 2u);

  ASSERT_EQ(j["defects"].size(), 4u);
  for (const auto& f : j["defects"])
    for (const char* key : {"id", "type", "die", "centroid_mm", "bbox_mm", "volume_mm3", "equivalent_diameter_mm",
                            "area_mm2", "thickness_mm", "sphericity", "cnr"})
      EXPECT_TRUE(f.contains(key)) << key;
  EXPECT_EQ(j["defects"][0]["type"], "underfill_void");
  EXPECT_EQ(j["defects"][0]["area_mm2"], 1.0 / 32);
  EXPECT_EQ(j["defects"][0]["centroid_mm"], nlohmann::json({-0.7, 0.2, 0.05}));
  EXPECT_TRUE(j["defects"][0]["thickness_mm"].is_null());
  EXPECT_FALSE(j["defects"][0].contains("bump"));
  EXPECT_EQ(j["defects"][2]["bump"], "c1r0l0/b0");
  EXPECT_EQ(j["defects"][2]["bump_void_fraction"], 0.3);
  EXPECT_EQ(j["defects"][3]["thickness_mm"], 0.0004);

  EXPECT_EQ(j["summary"]["dies"], 2);
  EXPECT_EQ(j["summary"]["dies_failed"], 1);
  EXPECT_EQ(j["summary"]["failed_dies"], nlohmann::json({"c1r0l0"}));
  EXPECT_EQ(j["summary"]["defects"], 4);
  EXPECT_EQ(j["summary"]["count_per_type"],
            nlohmann::json({{"underfill_void", 2}, {"bump_void", 1}, {"bond_gap", 1}, {"void", 0}}));
  EXPECT_EQ(j["summary"]["verdict"], "fail");
  EXPECT_EQ(j["recipe"]["source"], "recipe.yaml");
  EXPECT_EQ(j["recipe"]["criteria"]["max_void_area_fraction"], r.criteria.max_void_area_fraction);
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream ls(line);
    while (std::getline(ls, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  return rows;
}

TEST(Report, CsvHasOneRowPerDefectWithExactNumbers) {
  Analysis a = sample_analysis();
  apply_verdicts(a, Criteria{});
  const auto rows = parse_csv(defects_csv(a));
  ASSERT_EQ(rows.size(), 5u);
  const auto& h = rows[0];
  ASSERT_EQ(h.size(), 20u);
  auto col = [&](const std::string& name) { return size_t(std::find(h.begin(), h.end(), name) - h.begin()); };
  for (const auto& r : rows) EXPECT_EQ(r.size(), 20u);
  EXPECT_EQ(rows[1][col("id")], "1");
  EXPECT_EQ(rows[1][col("type")], "underfill_void");
  EXPECT_EQ(rows[1][col("die")], "c0r0l0");
  EXPECT_EQ(std::stod(rows[1][col("area_mm2")]), 1.0 / 32);
  EXPECT_EQ(std::stod(rows[1][col("centroid_x_mm")]), -0.7);
  EXPECT_EQ(std::stod(rows[1][col("volume_mm3")]), a.defects[0].volume_mm3);  // round-trip exact
  EXPECT_EQ(rows[1][col("thickness_mm")], "");
  EXPECT_EQ(rows[3][col("bump")], "c1r0l0/b0");
  EXPECT_EQ(std::stod(rows[3][col("bump_void_fraction")]), 0.3);
  EXPECT_EQ(std::stod(rows[4][col("thickness_mm")]), 0.0004);
  EXPECT_EQ(rows[4][col("bump")], "");
}

TEST(Report, TerminalSummaryFitsOneScreen) {
  Analysis a = sample_analysis();
  apply_verdicts(a, Criteria{});
  const std::string s = terminal_summary(a, {"vol.mha", "vol.mha"});
  EXPECT_NE(s.find("c0r0l0"), std::string::npos) << s;
  EXPECT_NE(s.find("FAIL: 1 bump above 25 % void fraction"), std::string::npos) << s;
  EXPECT_NE(s.find("verdict: FAIL (1 of 2 dies fail)"), std::string::npos) << s;
  EXPECT_NE(s.find("8.0"), std::string::npos) << s;  // largest defect of c0r0l0: 8 um
  // failing die listed first
  EXPECT_LT(s.find("c1r0l0"), s.find("c0r0l0"));

  // 100 dies still fit one screen
  Analysis many;
  many.grid = a.grid;
  for (int i = 0; i < 100; ++i) {
    Die d;
    d.id = "c" + std::to_string(i) + "r0l0";
    d.interface_area_mm2 = 1;
    many.dies.push_back(d);
  }
  many.defects.push_back(make_defect(1, DefectType::underfill_void, "c57r0l0", {0, 0, 0}, 0.1, 0.05));
  apply_verdicts(many, Criteria{});
  const std::string m = terminal_summary(many, {"big.mha", "big.mha"});
  EXPECT_LE(std::count(m.begin(), m.end(), '\n'), 24) << m;
  EXPECT_NE(m.find("c57r0l0"), std::string::npos) << m;  // the failing die is shown
  EXPECT_NE(m.find("84 more dies (0 of them fail)"), std::string::npos) << m;
  EXPECT_NE(m.find("verdict: FAIL (1 of 100 dies fail)"), std::string::npos) << m;
}

/// Reads an MHA header (text up to ElementDataFile) and returns the remaining bytes.
std::string mha_header_and_data(const fs::path& file, std::string& data) {
  std::ifstream in(file, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string end = "ElementDataFile = LOCAL\n";
  const size_t pos = all.find(end);
  EXPECT_NE(pos, std::string::npos);
  data = all.substr(pos + end.size());
  return all.substr(0, pos + end.size());
}

TEST(Labels, WrittenAsExactUint16AlignedWithTheInput) {
  test::TempDir dir;
  const Analysis a = sample_analysis();
  write_labels_mha(dir / "labels.mha", a);
  std::string data;
  const std::string header = mha_header_and_data(dir / "labels.mha", data);
  EXPECT_NE(header.find("ElementType = MET_USHORT"), std::string::npos) << header;
  EXPECT_EQ(header.find("Voidscan"), std::string::npos) << header;  // no scale/offset
  ASSERT_EQ(data.size(), a.grid.voxel_count() * 2);
  const Volume v = read_volume(dir / "labels.mha");
  EXPECT_EQ(v.grid.nx, 20);
  EXPECT_EQ(v.grid.nz, 6);
  EXPECT_EQ(v.grid.sz, 0.02);
  EXPECT_NEAR(v.grid.center.x, a.grid.center.x, 1e-12);
  EXPECT_NEAR(v.grid.center.z, a.grid.center.z, 1e-12);
  for (size_t i = 0; i < a.labels.size(); ++i) ASSERT_EQ(v.data[i], float(a.labels[i])) << i;
  for (const auto& e : fs::directory_iterator(dir.path())) EXPECT_EQ(e.path().filename(), "labels.mha");
}

TEST(Labels, IdsAbove65535UseUint32) {
  test::TempDir dir;
  Analysis a = sample_analysis();
  a.defects[3].id = 70001;
  a.labels.back() = 70001;
  write_labels_mha(dir / "labels.mha", a);
  std::string data;
  const std::string header = mha_header_and_data(dir / "labels.mha", data);
  EXPECT_NE(header.find("ElementType = MET_UINT\n"), std::string::npos) << header;
  ASSERT_EQ(data.size(), a.grid.voxel_count() * 4);
  std::vector<uint32_t> v(a.grid.voxel_count());
  std::memcpy(v.data(), data.data(), data.size());
  for (size_t i = 0; i < a.labels.size(); ++i) ASSERT_EQ(v[i], uint32_t(a.labels[i])) << i;
  EXPECT_EQ(v.back(), 70001u);
}

TEST(Labels, InconsistentLabelsAreRefusedAndLeaveNoFile) {
  test::TempDir dir;
  Analysis a = sample_analysis();
  a.labels[7] = 9;  // no defect 9
  EXPECT_THROW(write_labels_mha(dir / "labels.mha", a), std::logic_error);
  a = sample_analysis();
  a.labels.pop_back();
  EXPECT_THROW(write_labels_mha(dir / "labels.mha", a), std::logic_error);
  a.labels.clear();  // defects but no labels
  EXPECT_THROW(write_labels_mha(dir / "labels.mha", a), std::logic_error);
  EXPECT_TRUE(fs::is_empty(dir.path()));
  a.defects.clear();  // nothing found: an all-zero label volume
  write_labels_mha(dir / "labels.mha", a);
  const Volume v = read_volume(dir / "labels.mha");
  EXPECT_EQ(v.data, std::vector<float>(a.grid.voxel_count(), 0.f));
}

TEST(Report, WritesEveryFile) {
  test::TempDir dir;
  Analysis a = sample_analysis();
  Recipe r;
  apply_verdicts(a, r.criteria);
  write_report_files(dir.path(), a, r, {"v.mha", "v.mha"});
  for (const char* f : {"report.json", "defects.csv", "labels.mha", "maps/die_c0r0l0.png", "maps/die_c1r0l0.png",
                        "maps/overview.png"})
    EXPECT_TRUE(fs::is_regular_file(dir / f)) << f;
  std::ifstream in(dir / "report.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j, report_json(a, r, {"v.mha", "v.mha"}));
}

}  // namespace
}  // namespace voidscan::detect
