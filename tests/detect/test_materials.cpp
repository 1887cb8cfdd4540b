// detect/materials.*: classes from the histogram.
#include "detect/materials.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace voidscan::detect {
namespace {

// Air (0), fill (0.14 /mm), Si (0.335 /mm) with noise 0.014 /mm, plus 0.05 % of voxels at
// -0.6 /mm: what a metal correction that over-subtracts at a few column centres leaves (HBM
// seed 3: 163 voxels of 760 k made a peak of their own in the asinh histogram, which took the
// air role, mu_air -0.61, and every void's partial volume was measured against it). No material
// attenuates less than air: with a peak at 0, a peak below -4 sigma is not a class. Asserts:
// air at 0 within 0.01, the fill and Si roles at their levels within 0.02.
TEST(Materials, NegativeArtefactPeakIsNotAir) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 0.014);
  std::vector<float> v;
  auto add = [&](double level, int n) {
    for (int i = 0; i < n; ++i) v.push_back(float(level + noise(rng)));
  };
  add(0.0, 200'000);
  add(0.14, 100'000);
  add(0.335, 400'000);
  add(-0.6, 350);
  const Materials m = classify_materials(v.data(), v.size());
  ASSERT_GE(m.air, 0);
  ASSERT_GE(m.fill, 0);
  ASSERT_GE(m.si, 0);
  EXPECT_NEAR(m.mu_air(), 0.0, 0.01);
  EXPECT_NEAR(m.level(m.fill), 0.14, 0.02);
  EXPECT_NEAR(m.level(m.si), 0.335, 0.02);
  EXPECT_GT(m.t_air, 0.02);  // between air and fill, not below the artefact
}

}  // namespace
}  // namespace voidscan::detect
