// fdk_math.hpp: the branch-free bordered sampler the CPU backprojection uses computes exactly
// sample_bilinear() (the reference semantics, which the CUDA texture reproduces), inside, on
// the edges and outside the detector, including a one-row detector.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "recon/fdk_math.hpp"

namespace voidscan {
namespace {

TEST(FdkMath, BorderedSamplerEqualsReferenceBilinear) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> value(-1.f, 1.f);
  for (auto [cols, rows] : {std::pair{7, 5}, std::pair{16, 1}}) {
    std::vector<float> img(size_t(cols) * rows);
    for (auto& v : img) v = value(rng);
    const int pitch = cols + 2;
    std::vector<float> padded(size_t(pitch) * (rows + 2), 0.f);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) padded[size_t(r + 1) * pitch + c + 1] = img[size_t(r) * cols + c];
    std::uniform_real_distribution<float> cc(-2.f, float(cols) + 1.f), rr(-2.f, float(rows) + 1.f);
    std::vector<std::pair<float, float>> points = {{0.f, 0.f}, {float(cols - 1), float(rows - 1)}, {-0.5f, 0.f},
                                                   {float(cols) - 0.25f, 0.f}, {-1.f, 0.f}, {float(cols), 0.f}};
    for (int i = 0; i < 2000; ++i) points.emplace_back(cc(rng), rr(rng));
    for (auto [c, r] : points)
      EXPECT_NEAR(sample_bilinear_bordered(padded.data(), pitch, cols, rows, c, r),
                  sample_bilinear(img.data(), cols, rows, c, r), 1e-6f)
          << cols << " x " << rows << " at (" << c << ", " << r << ")";
  }
}

}  // namespace
}  // namespace voidscan
