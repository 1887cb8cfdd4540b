// Presets and phantom files (issue 3): every planted defect lies inside the material it is
// planted in (checked point by point against the phantom without the defect), belongs to an
// existing die, and the same seed gives the same phantom; phantom.json round-trips exactly; bad
// phantom files name the object and the field.
#include <gtest/gtest.h>

#include <random>

#include "recon/error.hpp"
#include "sim/presets.hpp"
#include "sim/truth.hpp"

namespace voidscan::sim {
namespace {

class Presets : public ::testing::TestWithParam<std::string> {};

TEST_P(Presets, DefectsSitInsideTheirHostAndDie) {
  size_t total = 0;
  for (uint64_t seed : {1u, 2u, 3u}) {
    const PackagePhantom p = make_preset(GetParam(), seed);
    ASSERT_FALSE(p.dies.empty());
    // the phantom without its defects: what each defect replaces
    PackagePhantom host = p;
    host.objects.clear();
    for (const auto& o : p.objects)
      if (!o.defect) host.objects.push_back(o);
    const Phantom hp = to_phantom(host), full = to_phantom(p);
    std::mt19937 rng(seed);
    for (const auto& t : truth_defects(p)) {
      ++total;
      const auto& o = p.objects[t.object];
      const Die* die = nullptr;
      for (const auto& d : p.dies) die = d.id == t.die ? &d : die;
      ASSERT_NE(die, nullptr) << t.id << " names die " << t.die;
      // centroid within the die's footprint and in its interface band
      EXPECT_GE(t.centroid_mm.x, die->bbox_mm.min_mm.x);
      EXPECT_LE(t.centroid_mm.x, die->bbox_mm.max_mm.x);
      EXPECT_GE(t.centroid_mm.y, die->bbox_mm.min_mm.y);
      EXPECT_LE(t.centroid_mm.y, die->bbox_mm.max_mm.y);
      EXPECT_GE(t.bbox_mm.min_mm.z, die->interface_z_mm[0] - 1e-12) << t.id;
      EXPECT_LE(t.bbox_mm.max_mm.z, die->interface_z_mm[1] + 1e-12) << t.id;
      // every point of the defect replaces a material: never outside the sample, and of the
      // right kind (underfill for underfill voids, solder for bump voids, oxide/cu for gaps)
      std::uniform_real_distribution<double> u(0, 1);
      int inside = 0;
      for (int n = 0; n < 2000 && inside < 200; ++n) {
        const Vec3 q{t.bbox_mm.min_mm.x + u(rng) * (t.bbox_mm.max_mm.x - t.bbox_mm.min_mm.x),
                     t.bbox_mm.min_mm.y + u(rng) * (t.bbox_mm.max_mm.y - t.bbox_mm.min_mm.y),
                     t.bbox_mm.min_mm.z + u(rng) * (t.bbox_mm.max_mm.z - t.bbox_mm.min_mm.z)};
        if (!contains(o.shape, q)) continue;
        ++inside;
        const double before = mu_at(hp, q);
        EXPECT_EQ(mu_at(full, q), 0.0);
        if (t.type == DefectType::underfill_void) EXPECT_EQ(before, p.materials.at("underfill")) << t.id;
        if (t.type == DefectType::bump_void) EXPECT_EQ(before, p.materials.at("solder")) << t.id;
        if (t.type == DefectType::bond_gap)
          EXPECT_TRUE(before == p.materials.at("oxide") || before == p.materials.at("cu")) << t.id;
      }
      EXPECT_GT(inside, 20) << t.id;
    }
    // same seed, same phantom; the file form round-trips exactly
    EXPECT_EQ(phantom_json(make_preset(GetParam(), seed)), phantom_json(p));
    EXPECT_EQ(phantom_json(parse_phantom(phantom_json(p), "x")), phantom_json(p));
  }
  EXPECT_GT(total, 3u) << "three seeds should plant several defects";
  EXPECT_NE(phantom_json(make_preset(GetParam(), 1)), phantom_json(make_preset(GetParam(), 2)));
}

INSTANTIATE_TEST_SUITE_P(All, Presets, ::testing::Values("flip-chip", "hybrid-bond", "hbm-stack"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (auto& c : s) c = c == '-' ? '_' : c;
                           return s;
                         });

TEST(Presets, DieIndicesFollowTheConvention) {
  const PackagePhantom fc = make_preset("flip-chip", 1, {{"die_cols", 3}, {"die_rows", 2}});
  ASSERT_EQ(fc.dies.size(), 6u);
  for (const auto& d : fc.dies) {
    EXPECT_EQ(d.id, "c" + std::to_string(d.index[0]) + "r" + std::to_string(d.index[1]) + "l0");
    for (const auto& e : fc.dies) {  // col grows with x, row with y
      if (e.index[0] > d.index[0]) EXPECT_GT(e.bbox_mm.min_mm.x, d.bbox_mm.max_mm.x);
      if (e.index[1] > d.index[1]) EXPECT_GT(e.bbox_mm.min_mm.y, d.bbox_mm.max_mm.y);
    }
  }
  const PackagePhantom hbm = make_preset("hbm-stack", 1, {{"layers", 6}});
  ASSERT_EQ(hbm.dies.size(), 6u);
  for (size_t l = 1; l < hbm.dies.size(); ++l) {  // layer grows with z, each on the one below
    EXPECT_EQ(hbm.dies[l].index[2], int(l));
    EXPECT_NEAR(hbm.dies[l].interface_z_mm[0], hbm.dies[l - 1].bbox_mm.max_mm.z, 1e-12);
  }
  // centred on the origin
  const Aabb b = bounding_box(hbm);
  EXPECT_NEAR(b.min_mm.z + b.max_mm.z, 0, 1e-12);
}

TEST(Presets, BadParametersNameTheParameter) {
  try {
    (void)make_preset("flip-chip", 1, {{"bump_pich_um", 20}});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bump_pich_um"), std::string::npos);
  }
  EXPECT_THROW((void)make_preset("flip-chip", 1, {{"bump_diameter_um", 30}}), InputError);  // > pitch
  EXPECT_THROW((void)make_preset("flip-chip", 1, {{"die_cols", 0}}), InputError);
  EXPECT_THROW((void)make_preset("wire-bond", 1), InputError);
}

std::string message_of(const std::string& text) {
  try {
    (void)parse_phantom(text, "bad.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PhantomFile, ErrorsNameTheObjectAndField) {
  const std::string head = R"({"schema": "voidscan.phantom/1", "objects": [{"shape": "box", "min_mm": [0,0,0], "max_mm": [1,1,1], "material": "si"}, )";
  EXPECT_NE(message_of(head + R"({"shape": "sphere", "center_mm": [0,0,0], "radius_mm": 1, "material": "unobtainium"}]})")
                .find("objects[1].material"), std::string::npos);
  EXPECT_NE(message_of(head + R"({"shape": "sphere", "center_mm": [0,0,0], "radius_mm": -1, "material": "air"}]})")
                .find("objects[1].radius_mm"), std::string::npos);
  EXPECT_NE(message_of(head + R"({"shape": "torus", "material": "air"}]})").find("objects[1].shape"), std::string::npos);
  EXPECT_NE(message_of(head + R"({"shape": "cylinder", "center_mm": [0,0], "radius_mm": 1, "material": "cu"}]})")
                .find("objects[1].z_mm"), std::string::npos);
  EXPECT_NE(message_of(head + R"({"shape": "sphere", "center_mm": [0,0,NaN], "radius_mm": 1, "material": "cu"}]})")
                .find("objects[1].center_mm[2]"), std::string::npos);
  EXPECT_NE(message_of(head + R"({"shape": "sphere", "center_mm": [0,0,0], "radius_mm": 1, "material": "air", "colour": 1}]})")
                .find("objects[1].colour"), std::string::npos);
  EXPECT_NE(message_of(head + R"({"shape": "sphere", "center_mm": [0,0,0], "radius_mm": 1, "material": "air", "defect": {"type": "bump_void", "die": "c9r9l0"}}]})")
                .find("objects[1].defect.die"), std::string::npos);
  EXPECT_NE(message_of(R"({"schema": "voidscan.phantom/2", "objects": []})").find("schema"), std::string::npos);
  // the file names itself in every message
  EXPECT_NE(message_of(head + R"({"shape": "torus", "material": "air"}]})").find("bad.json"), std::string::npos);
}

}  // namespace
}  // namespace voidscan::sim
