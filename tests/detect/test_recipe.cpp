// recipe.yaml reader: every key read into the right field, defaults kept from model.hpp,
// unknown keys and impossible values refused with the file and the key path, the JSON echo.
#include <gtest/gtest.h>

#include <fstream>

#include "detect/recipe.hpp"
#include "recon/error.hpp"
#include "support/temp_dir.hpp"

namespace voidscan::detect {
namespace {

/// The InputError message of parsing `yaml` (fails the test when it parses).
std::string error_of(const std::string& yaml, std::string* field = nullptr) {
  try {
    (void)parse_recipe(yaml, "lot7/recipe.yaml");
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "lot7/recipe.yaml");
    if (field) *field = e.field();
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return {};
}

TEST(Recipe, EmptyTextGivesTheModelDefaults) {
  const Recipe r = parse_recipe("", "empty.yaml");
  const Recipe d;
  EXPECT_EQ(r.kind, SampleKind::automatic);
  EXPECT_FALSE(r.expected_layers);
  EXPECT_FALSE(r.layout);
  EXPECT_EQ(r.detect.min_void_diameter_voxels, d.detect.min_void_diameter_voxels);
  EXPECT_FALSE(r.detect.void_threshold);
  EXPECT_EQ(r.criteria.max_void_area_fraction, d.criteria.max_void_area_fraction);
  EXPECT_EQ(r.criteria.max_void_diameter_mm, d.criteria.max_void_diameter_mm);
  EXPECT_EQ(r.source, "empty.yaml");
  // comments only is empty too
  EXPECT_EQ(parse_recipe("# nothing\n", "c.yaml").criteria.max_bump_void_fraction, d.criteria.max_bump_void_fraction);
}

TEST(Recipe, ReadsEveryKey) {
  const Recipe r = parse_recipe(R"(
schema: voidscan.recipe/1
kind: stack
expected_layers: 4
layout:
  pitch_mm: [1.25, 1.5]
  origin_mm: [-0.625, 0.75]
  count: [2, 3]
  die_size_mm: [1.0, 1.2]
detect:
  min_void_diameter_voxels: 2.5
  void_threshold: 0.0125
  min_gap_width_voxels: 6
  min_gap_thickness_voxels: 0.4
  bump_void_depth_fraction: 0.2
criteria:
  max_void_area_fraction: 0.1
  max_void_diameter_mm: 0.02
  max_bump_void_fraction: 0.3
  max_gap_thickness_mm: 0.0005
  max_gap_area_mm2: 0.001
)",
                                "r.yaml");
  EXPECT_EQ(r.kind, SampleKind::stack);
  ASSERT_TRUE(r.expected_layers);
  EXPECT_EQ(*r.expected_layers, 4);
  ASSERT_TRUE(r.layout);
  EXPECT_EQ(r.layout->pitch_mm, (std::array<double, 2>{1.25, 1.5}));
  EXPECT_EQ(r.layout->origin_mm, (std::array<double, 2>{-0.625, 0.75}));
  EXPECT_EQ(r.layout->count, (std::array<int, 2>{2, 3}));
  EXPECT_EQ(r.layout->die_size_mm, (std::array<double, 2>{1.0, 1.2}));
  EXPECT_EQ(r.detect.min_void_diameter_voxels, 2.5);
  ASSERT_TRUE(r.detect.void_threshold);
  EXPECT_EQ(*r.detect.void_threshold, 0.0125);
  EXPECT_EQ(r.detect.min_gap_width_voxels, 6);
  EXPECT_EQ(r.detect.min_gap_thickness_voxels, 0.4);
  EXPECT_EQ(r.detect.bump_void_depth_fraction, 0.2);
  EXPECT_EQ(r.criteria.max_void_area_fraction, 0.1);
  EXPECT_EQ(r.criteria.max_void_diameter_mm, 0.02);
  EXPECT_EQ(r.criteria.max_bump_void_fraction, 0.3);
  EXPECT_EQ(r.criteria.max_gap_thickness_mm, 0.0005);
  EXPECT_EQ(r.criteria.max_gap_area_mm2, 0.001);
}

TEST(Recipe, PartialSectionsKeepTheOtherDefaults) {
  const Recipe r = parse_recipe("criteria:\n  max_void_diameter_mm: 0.03\nkind: flip-chip\n", "p.yaml");
  const Criteria d;
  EXPECT_EQ(r.kind, SampleKind::flip_chip);
  EXPECT_EQ(r.criteria.max_void_diameter_mm, 0.03);
  EXPECT_EQ(r.criteria.max_void_area_fraction, d.max_void_area_fraction);
  EXPECT_EQ(r.criteria.max_bump_void_fraction, d.max_bump_void_fraction);
  EXPECT_EQ(r.criteria.max_gap_thickness_mm, d.max_gap_thickness_mm);
}

TEST(Recipe, UnknownKeysAreNamedWithTheirPath) {
  std::string field;
  std::string msg = error_of("criteria:\n  max_void_diamter_mm: 0.02\n", &field);
  EXPECT_EQ(field, "criteria.max_void_diamter_mm");
  EXPECT_NE(msg.find("unknown key"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'criteria.max_void_diameter_mm'"), std::string::npos) << msg;

  msg = error_of("kind: generic\ncolour: red\n", &field);
  EXPECT_EQ(field, "colour");
  msg = error_of("layout:\n  die_size_mm: [1, 1]\n  pitch: [2, 2]\n", &field);
  EXPECT_EQ(field, "layout.pitch");
  EXPECT_NE(msg.find("did you mean 'layout.pitch_mm'"), std::string::npos) << msg;
}

TEST(Recipe, WrongTypesAreRefused) {
  std::string field;
  error_of("criteria:\n  max_void_area_fraction: lots\n", &field);
  EXPECT_EQ(field, "criteria.max_void_area_fraction");
  error_of("criteria:\n  max_void_area_fraction: \"0.05\"\n", &field);  // a string, not a number
  EXPECT_EQ(field, "criteria.max_void_area_fraction");
  error_of("criteria:\n  max_void_area_fraction: [0.05]\n", &field);
  EXPECT_EQ(field, "criteria.max_void_area_fraction");
  error_of("expected_layers: 2.5\n", &field);
  EXPECT_EQ(field, "expected_layers");
  error_of("layout:\n  die_size_mm: [1, 1]\n  count: [2]\n", &field);
  EXPECT_EQ(field, "layout.count");
  error_of("layout:\n  die_size_mm: [1, one]\n", &field);
  EXPECT_EQ(field, "layout.die_size_mm[1]");
  error_of("criteria: 0.05\n", &field);
  EXPECT_EQ(field, "criteria");
  error_of("kind: wafer\n", &field);
  EXPECT_EQ(field, "kind");
  error_of("schema: voidscan.recipe/9\n", &field);
  EXPECT_EQ(field, "schema");
  error_of("- a\n- b\n", &field);  // not a mapping at the top
  EXPECT_EQ(field, "");
  const std::string msg = error_of("criteria: {max_void_area_fraction: 0.1\n");  // YAML syntax
  EXPECT_NE(msg.find("not valid YAML"), std::string::npos) << msg;
}

TEST(Recipe, ImpossibleValuesAreRefused) {
  struct Case {
    const char* yaml;
    const char* field;
  };
  const Case cases[] = {
      {"criteria:\n  max_void_area_fraction: 1.5\n", "criteria.max_void_area_fraction"},
      {"criteria:\n  max_void_area_fraction: -0.01\n", "criteria.max_void_area_fraction"},
      {"criteria:\n  max_bump_void_fraction: 1.01\n", "criteria.max_bump_void_fraction"},
      {"criteria:\n  max_void_diameter_mm: 0\n", "criteria.max_void_diameter_mm"},
      {"criteria:\n  max_void_diameter_mm: -0.01\n", "criteria.max_void_diameter_mm"},
      {"criteria:\n  max_gap_thickness_mm: -1e-4\n", "criteria.max_gap_thickness_mm"},
      {"criteria:\n  max_gap_area_mm2: -1\n", "criteria.max_gap_area_mm2"},
      {"criteria:\n  max_void_diameter_mm: .nan\n", "criteria.max_void_diameter_mm"},
      {"detect:\n  min_void_diameter_voxels: 0\n", "detect.min_void_diameter_voxels"},
      {"detect:\n  void_threshold: -0.01\n", "detect.void_threshold"},
      {"detect:\n  min_gap_width_voxels: -8\n", "detect.min_gap_width_voxels"},
      {"detect:\n  min_gap_thickness_voxels: .inf\n", "detect.min_gap_thickness_voxels"},
      {"detect:\n  bump_void_depth_fraction: 0\n", "detect.bump_void_depth_fraction"},
      {"detect:\n  bump_void_depth_fraction: 1.5\n", "detect.bump_void_depth_fraction"},
      {"expected_layers: 0\n", "expected_layers"},
      {"layout:\n  die_size_mm: [0, 1]\n", "layout.die_size_mm[0]"},
      {"layout:\n  die_size_mm: [1, 1]\n  count: [2, 0]\n  pitch_mm: [1.5, 1.5]\n", "layout.count[1]"},
      {"layout:\n  die_size_mm: [1, 1]\n  count: [2, 1]\n  pitch_mm: [0.5, 0]\n", "layout.pitch_mm[0]"},
      {"layout:\n  count: [2, 2]\n", "layout.die_size_mm"},
  };
  for (const Case& c : cases) {
    std::string field;
    const std::string msg = error_of(c.yaml, &field);
    EXPECT_EQ(field, c.field) << c.yaml << " -> " << msg;
  }
  // the limits themselves are fine
  EXPECT_NO_THROW((void)parse_recipe("criteria:\n  max_void_area_fraction: 1\n  max_bump_void_fraction: 0\n", "x"));
  EXPECT_NO_THROW((void)parse_recipe("layout:\n  die_size_mm: [1, 1]\n  count: [2, 2]\n  pitch_mm: [1, 1]\n", "x"));
}

TEST(Recipe, LoadNamesTheFile) {
  test::TempDir dir;
  const auto missing = dir / "nope.yaml";
  try {
    (void)load_recipe(missing);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), missing.string());
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos);
  }
  const auto file = dir / "recipe.yaml";
  std::ofstream(file) << "kind: hybrid-bond\ncriteria:\n  max_gap_area_mm2: 0.5\n";
  const Recipe r = load_recipe(file);
  EXPECT_EQ(r.kind, SampleKind::hybrid_bond);
  EXPECT_EQ(r.criteria.max_gap_area_mm2, 0.5);
  EXPECT_EQ(r.source, file.string());
  std::ofstream(file) << "criteria:\n  max_gap_area_mm: 0.5\n";
  try {
    (void)load_recipe(file);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), file.string());
    EXPECT_EQ(e.field(), "criteria.max_gap_area_mm");
  }
}

TEST(Recipe, JsonEchoHoldsEveryValueInUse) {
  const Recipe r = parse_recipe("kind: flip-chip\ncriteria:\n  max_void_diameter_mm: 0.025\n"
                                "layout:\n  die_size_mm: [2, 3]\n  count: [4, 1]\n  pitch_mm: [2.5, 0]\n",
                                "echo.yaml");
  const nlohmann::json j = recipe_to_json(r);
  EXPECT_EQ(j["schema"], "voidscan.recipe/1");
  EXPECT_EQ(j["source"], "echo.yaml");
  EXPECT_EQ(j["kind"], "flip-chip");
  EXPECT_TRUE(j["expected_layers"].is_null());
  EXPECT_EQ(j["criteria"]["max_void_diameter_mm"], 0.025);
  EXPECT_EQ(j["criteria"]["max_void_area_fraction"], Criteria{}.max_void_area_fraction);
  EXPECT_EQ(j["layout"]["count"], nlohmann::json({4, 1}));
  EXPECT_EQ(j["layout"]["die_size_mm"], nlohmann::json({2.0, 3.0}));
  EXPECT_TRUE(j["detect"]["void_threshold"].is_null());
  EXPECT_EQ(j["detect"]["min_void_diameter_voxels"], DetectParams{}.min_void_diameter_voxels);
  EXPECT_TRUE(recipe_to_json(Recipe{})["layout"].is_null());
  EXPECT_TRUE(recipe_to_json(Recipe{})["source"].is_null());
}

}  // namespace
}  // namespace voidscan::detect
