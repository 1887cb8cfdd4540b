// Accuracy of detect::analyze() against the simulator's truth (issue 4), through detect/match.*.
// Data path (tests/support/sim_samples.hpp, docs/accuracy.md): sim preset with a seed ->
// simulate (Poisson noise) -> FDK on the CPU -> analyze -> match against truth.json; and, as a
// second path, the same phantom voxelised with partial volume plus Gaussian noise. Seeds 11 and
// 12 were never used while tuning (tuning used seeds 1 and 2: DISABLED_Tune below).
// Targets (issue 4): voids of equivalent diameter >= 3 voxels recall and precision >= 0.95,
// median volume error <= 20 %; bond gaps >= 0.5 voxel thick and >= 8 voxels wide recall >= 0.9,
// median thickness error <= 0.3 voxel, median area error <= 20 %; every matched defect on the
// right die. Where a target is not met the test asserts the achieved bound and says so.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>

#include "detect/analyze.hpp"
#include "detect/match.hpp"
#include "detect/recipe.hpp"
#include "support/sim_samples.hpp"

namespace voidscan::detect {
namespace {

// Achieved bounds where the targets are not met, just below the figures measured on seeds 11
// and 12 (docs/accuracy.md; simulated with n-rooks sub-ray rows since the fourth session of
// 2026-11-28): FDK flip chip recall 4/13 = 0.31, precision 4/420 = 0.0095; FDK HBM stack
// recall 3/6 = 0.5.
constexpr double kFdkFlipChipRecall = 0.3, kFdkFlipChipPrecision = 0.009, kFdkHbmRecall = 0.45;

/// Analyses `vol`, matches against `truth`, prints one row. With `structure`, expects the kind
/// and the die ids of the truth; `structure_ok` (optional) says whether they were found.
MatchResult check(const Volume& vol, const Truth& truth, SampleKind kind, const std::string& name,
                  bool structure = true, bool* structure_ok = nullptr, SampleKind* found_kind = nullptr,
                  int* streak_notes = nullptr, const Recipe& recipe = Recipe{}) {
  const Analysis a = analyze(vol, recipe);
  if (streak_notes)
    for (const std::string& n : a.notes) *streak_notes += n.find("streaks from the bumps") != std::string::npos;
  if (found_kind) *found_kind = a.kind;
  std::vector<std::string> ids, want;
  for (const Die& d : a.dies) ids.push_back(d.id);
  for (const TruthDie& d : truth.dies) want.push_back(d.id);
  std::sort(ids.begin(), ids.end());
  std::sort(want.begin(), want.end());
  if (structure) {
    EXPECT_EQ(a.kind, kind) << name;
    EXPECT_EQ(ids, want) << name;
  }
  if (structure_ok) *structure_ok = a.kind == kind && ids == want;
  if (a.kind != kind || ids != want)
    std::printf("%s seed %d: kind %s, %zu dies (truth: %zu)\n", name.c_str(), truth.seed, to_string(a.kind), ids.size(),
                want.size());
  MatchParams mp;
  mp.voxel_mm = truth.voxel_mm;
  const MatchResult r = match_defects(truth.defects, a.defects, mp);
  std::printf("%s seed %d: voids %d/%d found, %d/%d correct (recall %.3f precision %.3f), median volume error %.3f; "
              "gaps %d/%d, median thickness error %.2f vox, area error %.3f; wrong die %d\n",
              name.c_str(), truth.seed, r.voids_matched, r.voids_true, r.voids_found_correct, r.voids_found,
              r.void_recall, r.void_precision, r.median_volume_error, r.gaps_matched, r.gaps_true,
              r.median_gap_thickness_error_voxels, r.median_gap_area_error, r.wrong_die);
  for (int t : r.missed) {
    const TruthDefect& d = truth.defects[std::size_t(t)];
    std::printf("  missed %s %s %s at (%.1f %.1f %.1f) um, d %.2f um, area %.1f um2, t %.2f um\n", d.id.c_str(),
                to_string(d.type), d.die.c_str(), d.centroid_mm.x * 1e3, d.centroid_mm.y * 1e3, d.centroid_mm.z * 1e3,
                d.equivalent_diameter_mm * 1e3, d.area_mm2 * 1e6, d.thickness_mm.value_or(0) * 1e3);
  }
  for (int f : r.false_positives) {
    const Defect& d = a.defects[std::size_t(f)];
    std::printf("  false %d %s %s at (%.1f %.1f %.1f) um, d %.2f um, cnr %.1f\n", d.id, to_string(d.type), d.die.c_str(),
                d.centroid_mm.x * 1e3, d.centroid_mm.y * 1e3, d.centroid_mm.z * 1e3, d.equivalent_diameter_mm * 1e3, d.cnr);
  }
  if (std::getenv("VOIDSCAN_ACCURACY_VERBOSE") && std::string(std::getenv("VOIDSCAN_ACCURACY_VERBOSE")) == "2") {
    for (const TruthDefect& t : truth.defects)
      std::printf("  truth %s %s %s box (%.1f %.1f)-(%.1f %.1f) t %.2f\n", t.id.c_str(), to_string(t.type), t.die.c_str(),
                  t.bbox_mm.min.x * 1e3, t.bbox_mm.min.y * 1e3, t.bbox_mm.max.x * 1e3, t.bbox_mm.max.y * 1e3,
                  t.thickness_mm.value_or(0) * 1e3);
    for (const Defect& t : a.defects)
      std::printf("  found %d %s %s box (%.1f %.1f)-(%.1f %.1f) c (%.1f %.1f) t %.2f area %.1f\n", t.id, to_string(t.type),
                  t.die.c_str(), t.bbox_mm.min.x * 1e3, t.bbox_mm.min.y * 1e3, t.bbox_mm.max.x * 1e3,
                  t.bbox_mm.max.y * 1e3, t.centroid_mm.x * 1e3, t.centroid_mm.y * 1e3, t.thickness_mm.value_or(0) * 1e3,
                  t.area_mm2 * 1e6);
  }
  if (std::getenv("VOIDSCAN_ACCURACY_VERBOSE"))
    for (const MatchPair& p : r.pairs) {
      const TruthDefect& t = truth.defects[std::size_t(p.truth)];
      const Defect& f = a.defects[std::size_t(p.found)];
      std::printf("  pair %s %s: cnr %.1f V %.3g/%.3g um3, area %.1f/%.1f um2, t %.2f/%.2f um\n", t.id.c_str(),
                  to_string(t.type), f.cnr, f.volume_mm3 * 1e9, t.volume_mm3 * 1e9, f.area_mm2 * 1e6, t.area_mm2 * 1e6,
                  f.thickness_mm.value_or(0) * 1e3, t.thickness_mm.value_or(0) * 1e3);
    }
  return r;
}

SampleKind kind_of(const std::string& preset) {
  return preset == "flip-chip" ? SampleKind::flip_chip : preset == "hybrid-bond" ? SampleKind::hybrid_bond
                                                                                 : SampleKind::stack;
}

// The test packages: the presets with a few parameters overridden so that a seed plants enough
// defects to measure and a simulation stays short (docs/accuracy.md). Everything else is the
// simulator's default: 720 views, 1 um voxels, i0 20000 x 10 frames, 2 x 2 sub-rays (n-rooks rows).
std::map<std::string, double> test_params(const std::string& preset) {
  if (preset == "flip-chip") return {{"die_cols", 2}, {"die_rows", 1}, {"underfill_voids_max", 6}, {"bump_voids_max", 4}};
  if (preset == "hybrid-bond") return {{"gaps_max", 6}};
  return {{"layers", 2}, {"underfill_voids_max", 4}, {"bump_voids_max", 3}};
}

constexpr double kVoxelisedNoise = 0.015;  // 1/mm: the FDK volumes' noise in flat regions (docs/accuracy.md)

struct Pooled {
  MatchResult fdk, vox;
  std::optional<MatchResult> fdk_mc;  ///< flip chip, stack: the FDK volume after the metal streak subtraction
  bool fdk_structure_ok = true;  ///< kind and die ids found in every FDK volume
  int fdk_streak_notes = 0, vox_streak_notes = 0;  ///< dies the analysis warned of metal streaks
};

/// Held-out seeds 11 and 12 of `preset`: both data paths, one row per seed and path, pooled.
Pooled run_preset(const std::string& preset) {
  std::vector<MatchResult> fdk, vox, fdk_mc;
  bool fdk_ok = true;
  int fdk_notes = 0, vox_notes = 0;
  for (uint64_t seed : {11u, 12u}) {
    test::SimCase c;
    c.preset = preset;
    c.params = test_params(preset);
    c.seed = seed;
    c.metal_correction = preset != "hybrid-bond";  // as `voidscan run --metal-correction` (flip chips, stacks)
    const test::SimSample s = test::simulate_and_reconstruct(c);
    std::printf("%s seed %d: simulate %.1f s, reconstruct %.1f s\n", preset.c_str(), int(seed), s.simulate_s,
                s.reconstruct_s);
    bool ok = false;
    SampleKind fdk_kind = SampleKind::automatic;
    fdk.push_back(check(s.fdk, s.truth, kind_of(preset), preset + " fdk", true, &ok, &fdk_kind, &fdk_notes));
    fdk_ok = fdk_ok && ok;
    if (c.metal_correction) fdk_mc.push_back(check(s.fdk_mc, s.truth, kind_of(preset), preset + " fdk+mc"));
    vox.push_back(check(test::voxelised(s.phantom, s.fdk.grid, kVoxelisedNoise, unsigned(seed) + 100), s.truth,
                        kind_of(preset), preset + " vox", true, nullptr, nullptr, &vox_notes));
  }
  Pooled p{pool(fdk), pool(vox), std::nullopt, fdk_ok, fdk_notes, vox_notes};
  if (!fdk_mc.empty()) p.fdk_mc = pool(fdk_mc);
  std::vector<std::pair<const char*, const MatchResult*>> rows = {{"fdk", &p.fdk}, {"vox", &p.vox}};
  if (p.fdk_mc) rows.emplace_back("fdk+mc", &*p.fdk_mc);
  for (const auto& [name, r] : rows)
    std::printf("%s %s pooled: voids %d/%d, precision %d/%d, median volume error %.3f; gaps %d/%d (found %d, %d "
                "unmatched), median thickness error %.2f vox, median area error %.3f; wrong die %d\n",
                preset.c_str(), name, r->voids_matched, r->voids_true, r->voids_found_correct, r->voids_found,
                r->median_volume_error, r->gaps_matched, r->gaps_true, r->gaps_found, r->gaps_found_unmatched,
                r->median_gap_thickness_error_voxels, r->median_gap_area_error, r->wrong_die);
  return p;
}

void expect_void_targets(const MatchResult& r) {
  EXPECT_GE(r.void_recall, 0.95);
  EXPECT_GE(r.void_precision, 0.95);
  EXPECT_LE(r.median_volume_error, 0.20);
  EXPECT_EQ(r.wrong_die, 0);
}

// Flip chip. Voxelised phantom: the targets. FDK: solder (27.7 /mm, 200 x the
// underfill) streaks the underfill between the bumps (also noise-free and with 1440 views:
// a reconstruction artefact, not noise or angular sampling), so dark streak segments read as
// voids and the voids among them are fragmented: the targets are NOT met there; the bounds below
// are what is achieved (docs/accuracy.md), so that a regression fails. With the streaks
// subtracted (run --metal-correction) the targets are met.
TEST(DetectAccuracy, FlipChip) {
  const Pooled p = run_preset("flip-chip");
  EXPECT_GE(p.vox.voids_true, 6);
  expect_void_targets(p.vox);
  EXPECT_GE(p.fdk.void_recall, kFdkFlipChipRecall);
  EXPECT_GE(p.fdk.void_precision, kFdkFlipChipPrecision);
  EXPECT_EQ(p.fdk.wrong_die, 0);
  EXPECT_TRUE(p.fdk_structure_ok);
  // The report says so: every FDK die (2 per seed) carries the metal-streak note, no voxelised one.
  EXPECT_EQ(p.fdk_streak_notes, 4);
  EXPECT_EQ(p.vox_streak_notes, 0);
  // FDK with the metal streaks subtracted (run --metal-correction): recall 13/13, precision 13/13
  // on seeds 11 and 12 (docs/accuracy.md; 11/13 before small voids were measured against their
  // symmetric images, 12/13 before a bump at the edge of that measure's ball was left out: the
  // seventh and eighth sessions of 2026-11-28). These two seeds have been diagnosed since; on
  // seeds 31-40, made before the last change was frozen: 57/58, 60/61.
  ASSERT_TRUE(p.fdk_mc.has_value());
  expect_void_targets(*p.fdk_mc);
}

/// One seed of `preset` with `params`, FDK + metal correction, matched against its truth
/// (one row printed as `name`); expects at least `voids_true` voids in scope, recall >= `recall`,
/// precision >= 0.95, median volume error <= 0.20, every pair on its die.
void expect_one_seed_mc(const std::string& preset, const std::map<std::string, double>& params, uint64_t seed,
                        const std::string& name, int voids_true, double recall) {
  test::SimCase c;
  c.preset = preset;
  c.params = params;
  c.seed = seed;
  c.metal_correction = true;
  const test::SimSample s = test::simulate_and_reconstruct(c);
  const MatchResult r = check(s.fdk_mc, s.truth, kind_of(preset), name);
  EXPECT_GE(r.voids_true, voids_true);
  EXPECT_GE(r.void_recall, recall);
  EXPECT_GE(r.void_precision, 0.95);
  EXPECT_LE(r.median_volume_error, 0.20);
  EXPECT_EQ(r.wrong_die, 0);
}

// The flip-chip preset's own layout, 2 x 2 dies (twice the bumps on a ray: the nonlinear loss
// at the solder's bottom face is larger, and its plane came out of the deblurring at 74 % of
// the solder level, outside the level snap; the end-face rule takes it whole), held-out seed 12,
// FDK + metal correction only: recall 7/8, precision 8/8, median volume error 3.9 % (measured
// 2026-11-28, fourth session; plain FDK finds 2 of the 8). Precision and volume meet the targets.
TEST(DetectAccuracy, FlipChipDefaultLayoutWithMetalCorrection) {
  expect_one_seed_mc("flip-chip", {{"underfill_voids_max", 6}, {"bump_voids_max", 4}}, 12, "flip-chip 2x2 fdk+mc", 8,
                     0.85);
}

// Hybrid bond (bond gaps): the targets on both paths. FDK on seeds 11 and 12: 12/12 gaps,
// median thickness error 0.12 voxel, area 5.7 %. (With the simulator's former square 2 x 2
// sub-ray grid a gap's projected thickness came in whole voxels and this error was 0.31; its
// rows are n-rooks now: FlatScene.ThinSlabAlongTheRaysProjectsItsThicknessToTheRowsQuantum.)
TEST(DetectAccuracy, HybridBond) {
  const Pooled p = run_preset("hybrid-bond");
  for (const MatchResult* r : {&p.vox, &p.fdk}) {
    EXPECT_GE(r->gaps_true, 8);
    EXPECT_GE(r->gap_recall, 0.9);
    EXPECT_LE(r->median_gap_area_error, 0.20);
    EXPECT_EQ(r->wrong_die, 0);
    EXPECT_EQ(r->voids_found, 0);  // nothing in the bond reads as a void
  }
  EXPECT_LE(p.vox.median_gap_thickness_error_voxels, 0.3);
  EXPECT_LE(p.fdk.median_gap_thickness_error_voxels, 0.3);
  EXPECT_TRUE(p.fdk_structure_ok);
  EXPECT_EQ(p.fdk_streak_notes + p.vox_streak_notes, 0);  // no bumps, no metal-streak note
}

// Hybrid bond, fresh seed 47 (FDK): three gaps 0.62-0.73 voxel thick that the one-pass map missed
// (5/8): its references, medians over every column of a class gaps included, put the intact bond
// at -0.09 voxel, and the noise taken from the map's negative side with that offset set the
// threshold at 4 x 0.14 voxel. With the references taken again without the gapped columns
// (detect/analyze.cpp, step 6): 8/8. Asserts every in-scope gap found, none unmatched, the
// issue's thickness and area targets, every gap on its die.
TEST(DetectAccuracy, HybridBondThinGapsSeed47) {
  test::SimCase c;
  c.preset = "hybrid-bond";
  c.params = test_params(c.preset);
  c.seed = 47;
  const test::SimSample s = test::simulate_and_reconstruct(c);
  const MatchResult r = check(s.fdk, s.truth, kind_of(c.preset), "hybrid-bond seed 47 fdk");
  EXPECT_EQ(r.gaps_true, 8);
  EXPECT_EQ(r.gaps_matched, r.gaps_true);
  EXPECT_EQ(r.gaps_found_unmatched, 0);
  EXPECT_LE(r.median_gap_thickness_error_voxels, 0.3);
  EXPECT_LE(r.median_gap_area_error, 0.20);
  EXPECT_EQ(r.wrong_die, 0);
}

// HBM stack. Voxelised phantom: the targets. Plain FDK: the structure is found (kind,
// dies, layers: the streaked NCF tiers are not taken for dies), and the bump voids by their dip
// below the enclosing solder; but the bumps and TSVs streak the NCF (spread ~0.09 /mm against a
// fill contrast of 0.15) so that its streak minima read as underfill voids: the void targets
// are NOT met there (bounds at what is achieved), and every plain FDK die carries the streak
// note. FDK with the metal streaks subtracted (run --metal-correction; bump-and-TSV columns, a
// disc radius per part): the targets, 6/6, 7/7, median volume error 2.5 % on seeds 11
// and 12 (docs/accuracy.md), the structure found in the corrected volumes too (check()). Seeds 3
// and 4 first read 2/5, 2/12 and 0/1, 0/7; the faults found on them (a z kernel that varies
// with height and distance from the axis, a bump void filling most of its bump, an artefact's
// negative histogram peak taken for air) are fixed and HbmStackSeed3 guards them.
TEST(DetectAccuracy, HbmStack) {
  const Pooled p = run_preset("hbm-stack");
  EXPECT_GE(p.vox.voids_true, 6);
  expect_void_targets(p.vox);
  EXPECT_TRUE(p.fdk_structure_ok);
  EXPECT_GE(p.fdk.void_recall, kFdkHbmRecall);
  EXPECT_EQ(p.fdk.wrong_die, 0);
  EXPECT_EQ(p.fdk.gaps_found, 0);  // no tier read as a hybrid interface (52 false gaps before)
  EXPECT_EQ(p.fdk_streak_notes, 4);
  EXPECT_EQ(p.vox_streak_notes, 0);
  ASSERT_TRUE(p.fdk_mc.has_value());
  EXPECT_GE(p.fdk_mc->voids_true, 6);
  expect_void_targets(*p.fdk_mc);
  EXPECT_EQ(p.fdk_mc->gaps_found, 0);
}

// HBM stack seed 3, FDK + metal correction: the seed the fifth session of 2026-11-28 diagnosed
// (so not held out): a 4.8 um void in a 7 um bump, layer-1 bumps 23 um above the central plane
// (z kernel 0.77-0.91 at the centre tap there, 0.99 near the central plane), over-subtracted
// voxels at -0.6 /mm that made a histogram peak of their own. It read 2/5, 2/12; now 4/5, 4/4
// (the miss: a 3.1 um underfill void in layer 1), bump void 63.7 um3 for 58.3.
TEST(DetectAccuracy, HbmStackSeed3) {
  expect_one_seed_mc("hbm-stack", test_params("hbm-stack"), 3, "hbm-stack fdk+mc", 5, 0.8);
}

// Flip chip with its planes on the detector rows' centres (die 26 um: the package's centre moves
// half a voxel; the preset's own grid puts them on the rows' boundaries, z response 0.25/0.5/
// 0.25, here 0.03/0.95/0.02), tuning seed 2, FDK + metal correction: a thin disc the deblurring
// left under each bump's bottom face (mu 0.9) leaked in the model's nonlinear projection and the
// subtraction left false voids under the outer bumps (8/22 correct). Now 8/8, 8/8.
TEST(DetectAccuracy, FlipChipPlanesOnTheDetectorRows) {
  std::map<std::string, double> params = test_params("flip-chip");
  params["die_thickness_um"] = 26;
  expect_one_seed_mc("flip-chip", params, 2, "flip-chip die 26 um fdk+mc", 8, 0.95);
}

/// The recipe of the tuning runs: the defaults, or VOIDSCAN_ACCURACY_RECIPE=FILE to try other
/// detection parameters.
Recipe tuning_recipe() {
  const char* s = std::getenv("VOIDSCAN_ACCURACY_RECIPE");
  return s ? load_recipe(s) : Recipe{};
}

// Tuning runs (seeds 1 and 2 by default), every preset, both data paths; prints the rows. Run
// with --gtest_also_run_disabled_tests. Environment: VOIDSCAN_ACCURACY_SEEDS="1 2",
// VOIDSCAN_ACCURACY_PRESET (one preset), VOIDSCAN_ACCURACY_VIEWS, VOIDSCAN_ACCURACY_SS
// (sub-rays), VOIDSCAN_ACCURACY_I0 (0: noise-free), VOIDSCAN_ACCURACY_WINDOW (the FDK's ramp
// window, e.g. shepp-logan; default hann), VOIDSCAN_ACCURACY_PARAMS="name=value,..."
// (more overrides), VOIDSCAN_ACCURACY_RECIPE=FILE (a recipe for the analysis),
// VOIDSCAN_ACCURACY_MC=1 (also the FDK volume after the metal streak subtraction; VOIDSCAN_ACCURACY_MC_MAX=X
// its content-error bound, default kMaxMetalContentError), VOIDSCAN_ACCURACY_SAVE=DIR (keep scans and volumes for DISABLED_Replay),
// VOIDSCAN_ACCURACY_VERBOSE=1|2 (matched pairs | every truth and found defect).
TEST(DetectAccuracy, DISABLED_Tune) {
  std::vector<uint64_t> seeds = {1, 2};
  if (const char* s = std::getenv("VOIDSCAN_ACCURACY_SEEDS")) {
    seeds.clear();
    for (const char* p = s; *p;) {
      char* e;
      const unsigned long v = std::strtoul(p, &e, 10);
      if (e == p) break;
      seeds.push_back(v);
      p = e;
    }
  }
  int views = 720;
  if (const char* s = std::getenv("VOIDSCAN_ACCURACY_VIEWS")) views = std::atoi(s);
  const Recipe recipe = tuning_recipe();
  std::vector<std::string> presets = {"flip-chip", "hybrid-bond", "hbm-stack"};
  if (const char* s = std::getenv("VOIDSCAN_ACCURACY_PRESET")) presets = {s};
  for (const std::string& preset : presets)
    for (uint64_t seed : seeds) {
      test::SimCase c;
      c.preset = preset;
      c.seed = seed;
      c.views = views;
      if (const char* ss = std::getenv("VOIDSCAN_ACCURACY_SS")) c.supersample = std::atoi(ss);
      if (const char* w = std::getenv("VOIDSCAN_ACCURACY_WINDOW")) c.window = parse_filter_window(w);
      if (const char* i0 = std::getenv("VOIDSCAN_ACCURACY_I0")) c.i0 = std::atof(i0);
      c.metal_correction = std::getenv("VOIDSCAN_ACCURACY_MC") != nullptr;
      c.params = test_params(preset);
      std::string tag;
      if (const char* p = std::getenv("VOIDSCAN_ACCURACY_PARAMS")) {  // NAME=VALUE,NAME=VALUE
        std::string all = p;
        tag = "-" + all;
        for (std::size_t a = 0; a < all.size();) {
          std::size_t b = all.find(',', a);
          if (b == std::string::npos) b = all.size();
          const std::string item = all.substr(a, b - a);
          const std::size_t eq = item.find('=');
          if (eq != std::string::npos) c.params[item.substr(0, eq)] = std::stod(item.substr(eq + 1));
          a = b + 1;
        }
      }
      std::filesystem::path keep;
      if (const char* d = std::getenv("VOIDSCAN_ACCURACY_SAVE"))
        keep = std::filesystem::path(d) / (preset + "-" + std::to_string(seed) + "-" + std::to_string(views) + tag +
                                           (c.supersample != 2 ? "-ss" + std::to_string(c.supersample) : "") +
                                           (c.i0 == 0 ? "-nonoise" : ""));
      const test::SimSample s = test::simulate_and_reconstruct(c, keep);
      std::printf("%s seed %d: simulate %.1f s, reconstruct %.1f s\n", preset.c_str(), int(seed), s.simulate_s,
                  s.reconstruct_s);
      (void)check(s.fdk, s.truth, kind_of(preset), preset + " fdk", false, nullptr, nullptr, nullptr, recipe);
      if (c.metal_correction)
        (void)check(s.fdk_mc, s.truth, kind_of(preset), preset + " fdk+mc", false, nullptr, nullptr, nullptr, recipe);
      (void)check(test::voxelised(s.phantom, s.fdk.grid, kVoxelisedNoise, unsigned(seed) + 100), s.truth,
                  kind_of(preset), preset + " vox", true, nullptr, nullptr, nullptr, recipe);
    }
}

// Re-analyses volumes saved by DISABLED_Tune (VOIDSCAN_ACCURACY_SAVE=DIR): every DIR/*/fdk.mha,
// and DIR/*/fdk_mc.mha (the metal-corrected volume) where saved, against DIR/*/scan/truth.json,
// plus the voxelised phantom (DIR/*/scan/phantom.json); VOIDSCAN_ACCURACY_RECIPE as for Tune.
TEST(DetectAccuracy, DISABLED_Replay) {
  const char* d = std::getenv("VOIDSCAN_ACCURACY_SAVE");
  if (!d) GTEST_SKIP() << "VOIDSCAN_ACCURACY_SAVE not set";
  std::vector<std::filesystem::path> dirs;
  for (const auto& e : std::filesystem::directory_iterator(d))
    if (std::filesystem::exists(e.path() / "fdk.mha")) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  const Recipe recipe = tuning_recipe();
  const char* only = std::getenv("VOIDSCAN_ACCURACY_PRESET");
  for (const auto& p : dirs) {
    const Truth t = read_truth(p / "scan" / "truth.json");
    std::string preset = t.kind;
    if (only && preset != only) continue;
    if (const char* sub = std::getenv("VOIDSCAN_ACCURACY_ONLY"))
      if (p.filename().string().find(sub) == std::string::npos) continue;
    const Volume v = read_volume(p / "fdk.mha");
    if (!std::getenv("VOIDSCAN_ACCURACY_NOFDK"))
      (void)check(v, t, kind_of(preset), p.filename().string() + " fdk", false, nullptr, nullptr, nullptr, recipe);
    if (std::filesystem::exists(p / "fdk_mc.mha"))
      (void)check(read_volume(p / "fdk_mc.mha"), t, kind_of(preset), p.filename().string() + " fdk+mc", false, nullptr,
                  nullptr, nullptr, recipe);
    if (!std::getenv("VOIDSCAN_ACCURACY_NOVOX"))
      (void)check(test::voxelised(sim::load_phantom(p / "scan" / "phantom.json"), v.grid, kVoxelisedNoise,
                                  unsigned(t.seed) + 100),
                  t, kind_of(preset), p.filename().string() + " vox", true, nullptr, nullptr, nullptr, recipe);
  }
}

}  // namespace
}  // namespace voidscan::detect
