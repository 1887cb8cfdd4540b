// Small robust statistics shared by the detection steps (detect/analyze.cpp, detect/metal_model.cpp).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace voidscan::detect {

/// The upper median (element n/2 in order); 0 for an empty list.
inline double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  auto m = v.begin() + long(v.size() / 2);
  std::nth_element(v.begin(), m, v.end());
  return *m;
}

/// The element at rank round(q (n - 1)) in order, q in [0, 1]; 0 for an empty list.
inline double quantile_of(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  auto m = v.begin() + long(std::min<std::size_t>(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5)));
  std::nth_element(v.begin(), m, v.end());
  return *m;
}

/// Robust sigma: 1.4826 x the median absolute deviation from the median; 0 below two values.
inline double mad_sigma(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = median_of(v);
  std::vector<double> a(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) a[i] = std::abs(v[i] - m);
  return 1.4826 * median_of(a);
}

}  // namespace voidscan::detect
