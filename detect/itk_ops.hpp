// The ITK 5.2 filters detection uses, behind plain-C++ signatures: the one translation unit
// that includes ITK headers is detect/itk_ops.cpp (ITK templates compile slowly; nothing of
// ITK leaks into headers). Buffers are x fastest, dims (nx, ny, nz); a 2-D image is nz = 1.
// Tests: through their callers, tests/detect/test_analyze.cpp, test_accuracy.cpp, test_htc2022_detect.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace voidscan::detect::itk_ops {

struct Dims {
  int nx = 0, ny = 0, nz = 0;
  [[nodiscard]] std::size_t count() const { return std::size_t(nx) * std::size_t(ny) * std::size_t(nz); }
};

/// Otsu's thresholds (Otsu 1979; with valley emphasis, Ng 2006) of a histogram of `counts`
/// whose bin b covers [lo + b w, lo + (b+1) w). Returns `n` thresholds in value units,
/// ascending (the upper edge of the last bin of each class).
/// itk::Statistics::OtsuMultipleThresholdsCalculator.
[[nodiscard]] std::vector<double> otsu_thresholds(const std::vector<double>& counts, double lo, double w, int n,
                                                  bool valley_emphasis);

/// Connected components of the set voxels (full = 26-connected in 3-D, 8 in 2-D; else face
/// connectivity) into `labels` (0 = background, 1..n). Returns n.
/// itk::ConnectedComponentImageFilter.
std::uint32_t connected_components(const std::uint8_t* mask, Dims d, bool full, std::uint32_t* labels);

/// Fills the holes of a binary mask in place (set voxels = 1): background not connected to
/// the box's faces becomes 1. itk::BinaryFillholeImageFilter (fully connected foreground).
void fill_holes(std::uint8_t* mask, Dims d);

/// Grayscale hole filling of `v` into `out`: every regional minimum not connected to the
/// box's faces is raised to the lowest level at which it escapes to them (morphological
/// reconstruction by erosion from the faces; fully connected). out - v is the depth of each
/// enclosed dip. itk::GrayscaleFillholeImageFilter.
void grayscale_fill_holes(const float* v, Dims d, float* out);

/// Binary dilation in place by a box of half-widths (rx, ry, rz) voxels.
/// itk::BinaryDilateImageFilter with a flat box structuring element.
void dilate_box(std::uint8_t* mask, Dims d, int rx, int ry, int rz);

/// Surface area (in voxel units, Crofton estimate) of each label 1..n of a label image.
/// itk::LabelImageToShapeLabelMapFilter (ShapeLabelObject::GetPerimeter). Index 0 unused.
[[nodiscard]] std::vector<double> label_perimeters(const std::uint32_t* labels, Dims d, std::uint32_t n);

}  // namespace voidscan::detect::itk_ops
