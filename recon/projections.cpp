#include "recon/projections.hpp"

#include <algorithm>

namespace voidscan {

ScanProjections::ScanProjections(const Scan& scan)
    : scan_(scan), pre_(scan.intensity, scan.geometry.detector.cols, scan.geometry.detector.rows) {}

void ScanProjections::read(int first, int count, float* out) {
  const auto& det = scan_.geometry.detector;
  const size_t image = size_t(det.cols) * det.rows;
  for (int i = 0; i < count; ++i) {
    const ProjectionSource& src = scan_.projections[first + i];
    float* dst = out + image * i;
    reader_.read(src.file, src.page, det.cols, det.rows, dst);
    pre_.apply(dst);
  }
}

void MemoryProjections::read(int first, int count, float* out) {
  std::copy(data_ + image_ * first, data_ + image_ * (first + count), out);
}

}  // namespace voidscan
