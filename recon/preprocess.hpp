// Raw detector counts to line integrals: -log((I - dark) / (flat - dark)).
// Non-positive ratios are clamped (to a tiny positive transmission) and counted; dead pixels
// (flat <= dark) are interpolated from their valid neighbours in the same row (nearest valid
// pixel left and right, linear), or the column above/below when a whole row is dead.
// Test: tests/recon/test_preprocess.cpp.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "recon/scan.hpp"

namespace voidscan {

class Preprocessor {
 public:
  /// Loads and averages dark/flat images named in `spec` (paths already resolved), checking
  /// their size against cols x rows. Throws InputError naming the file.
  Preprocessor(const IntensitySpec& spec, int cols, int rows);
  /// In place: one image of cols x rows raw values -> line integrals. Thread-safe.
  void apply(float* image) const;
  [[nodiscard]] uint64_t clamped_pixels() const { return clamped_.load(); }
  [[nodiscard]] int dead_pixels() const { return int(dead_.size()); }

 private:
  bool already_log_;
  int cols_, rows_;
  std::vector<float> dark_, flat_minus_dark_;  ///< per pixel (empty when levels are scalars)
  float dark_level_ = 0, white_minus_dark_ = 1;
  std::vector<int> dead_;  ///< indices of pixels with flat <= dark
  mutable std::atomic<uint64_t> clamped_{0};
};

}  // namespace voidscan
