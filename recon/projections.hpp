// Where line integrals come from: a scan on disk (TIFF pages -> preprocessing) or memory.
// The FDK pipeline asks for batches of views in order; it never holds all of them.
// ScanProjections reads a batch's views in parallel: a pool of worker threads, each with its
// own ImageReader (its own libtiff handle), takes a contiguous run of the batch (so pages of a
// multi-page file are still visited forwards by each handle) and preprocesses what it read.
// The pipeline calls read() on its own prefetch thread, so batch b+1 is read this way while the
// backend works on batch b. Test: tests/recon/test_projections.cpp.
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
/// preprocesses them, `threads` views at a time.
class ScanProjections final : public ProjectionProvider {
 public:
  /// threads: reading threads (the calling thread counts as one). Range 0..64; 0 = one per
  /// hardware thread, at most 8. 1 reads in the calling thread, in order, with one handle.
  explicit ScanProjections(const Scan& scan, int threads = 0);
  ~ScanProjections() override;
  /// Views [first, first + count) into out. Throws the InputError of the lowest-numbered view
  /// that failed (file and page named); the others of the batch may or may not have been read.
  void read(int first, int count, float* out) override;
  [[nodiscard]] uint64_t clamped_pixels() const override { return pre_.clamped_pixels(); }
  [[nodiscard]] int dead_pixels() const override { return pre_.dead_pixels(); }
  [[nodiscard]] int threads() const;

 private:
  struct Pool;
  const Scan& scan_;
  Preprocessor pre_;
  std::unique_ptr<Pool> pool_;
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
