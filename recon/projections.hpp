// Where line integrals come from: a scan on disk (TIFF pages -> preprocessing) or memory.
// The FDK pipeline asks for batches of views in order; it never holds all of them.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "recon/preprocess.hpp"
#include "recon/scan.hpp"
#include "recon/image_io.hpp"

namespace voidscan {

class ProjectionProvider {
 public:
  virtual ~ProjectionProvider() = default;
  /// Writes views [first, first + count) as line integrals into out (count x rows x cols).
  virtual void read(int first, int count, float* out) = 0;
  [[nodiscard]] virtual uint64_t clamped_pixels() const { return 0; }
  [[nodiscard]] virtual int dead_pixels() const { return 0; }
};

/// Reads a scan's images (TIFF pages, BMP files or .txrm images: recon/image_io.hpp) and
/// preprocesses them. Views are read in order with one reader (linear in the page count for
/// multi-page files).
class ScanProjections final : public ProjectionProvider {
 public:
  explicit ScanProjections(const Scan& scan);
  void read(int first, int count, float* out) override;
  [[nodiscard]] uint64_t clamped_pixels() const override { return pre_.clamped_pixels(); }
  [[nodiscard]] int dead_pixels() const override { return pre_.dead_pixels(); }

 private:
  const Scan& scan_;
  Preprocessor pre_;
  ImageReader reader_;
};

/// Projections already in memory (views x rows x cols line integrals), e.g. from a simulator.
class MemoryProjections final : public ProjectionProvider {
 public:
  MemoryProjections(const float* data, int rows, int cols) : data_(data), image_(size_t(rows) * cols) {}
  void read(int first, int count, float* out) override;

 private:
  const float* data_;
  size_t image_;
};

}  // namespace voidscan
