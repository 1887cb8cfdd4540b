// White Gaussian noise for test volumes (the detection tests' stand-in for reconstruction noise).
#pragma once
#include <random>
#include <vector>

namespace voidscan::test {

/// Adds N(0, sigma^2) (1/mm) to every value, from a generator seeded with `seed`; sigma <= 0
/// leaves the values as they are.
inline void add_gaussian_noise(std::vector<float>& values, double sigma, unsigned seed) {
  if (!(sigma > 0)) return;
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, float(sigma));
  for (float& x : values) x += n(rng);
}

}  // namespace voidscan::test
