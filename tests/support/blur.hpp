// Gaussian blur of test volumes: a reconstruction's resolution loss without its artefacts.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace voidscan::test {

/// Separable Gaussian of per-axis sigma (voxels; <= 0 leaves that axis) over a volume of
/// n[0] x n[1] x n[2] values, x fastest, borders clamped.
template <class T>
void gaussian_blur(std::vector<T>& v, const int n[3], const double sigma[3]) {
  const std::size_t stride[3] = {1, std::size_t(n[0]), std::size_t(n[0]) * std::size_t(n[1])};
  std::vector<T> out(v.size());
  for (int axis = 0; axis < 3; ++axis) {
    if (!(sigma[axis] > 0)) continue;
    const int r = int(std::ceil(3 * sigma[axis]));
    std::vector<double> k(std::size_t(2 * r + 1));
    double ks = 0;
    for (int i = -r; i <= r; ++i) ks += k[std::size_t(i + r)] = std::exp(-0.5 * i * i / (sigma[axis] * sigma[axis]));
    for (double& x : k) x /= ks;
    for (std::size_t q = 0; q < v.size(); ++q) {
      const int c = int((q / stride[axis]) % std::size_t(n[axis]));
      double s = 0;
      for (int i = -r; i <= r; ++i) {
        const int cc = std::clamp(c + i, 0, n[axis] - 1);
        s += k[std::size_t(i + r)] * double(v[q - std::size_t(c) * stride[axis] + std::size_t(cc) * stride[axis]]);
      }
      out[q] = T(s);
    }
    v.swap(out);
  }
}

}  // namespace voidscan::test
