// Tests for recon/projections: ScanProjections reading a batch in parallel (a pool of workers,
// each with its own TIFF handle) gives exactly the serial result, for multi-page and
// single-page files and any thread count; an unreadable view is reported by name.
#include "recon/projections.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "recon/error.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace voidscan;
using voidscan::test::TempDir;

namespace {

constexpr int kCols = 40, kRows = 24, kViews = 37;

/// A scan of kViews uint16 count images: views 0..19 as pages of one multi-page file, the rest
/// as one file each, with white level 60000 and a dark level, so preprocessing takes logs.
Scan make_scan(const fs::path& dir) {
  Scan scan;
  scan.geometry.detector = {kCols, kRows, 0.4, 0.4};
  scan.geometry.views.resize(kViews);
  scan.intensity.white_level = 60000;
  scan.intensity.dark_level = 100;
  std::vector<uint16_t> pages(size_t(kCols) * kRows * kViews);
  for (size_t i = 0; i < pages.size(); ++i) pages[i] = uint16_t(200 + (i * 7919) % 59000);
  const size_t image = size_t(kCols) * kRows;
  write_tiff_uint16(dir / "multi.tif", kCols, kRows, 20, pages.data());
  for (int v = 0; v < kViews; ++v) {
    if (v < 20) {
      scan.projections.push_back({dir / "multi.tif", v});
    } else {
      const fs::path f = dir / ("view" + std::to_string(v) + ".tif");
      write_tiff_uint16(f, kCols, kRows, 1, pages.data() + image * v);
      scan.projections.push_back({f, 0});
    }
  }
  return scan;
}

/// All views, read in batches of `batch` with `threads` readers.
std::vector<float> read_all(const Scan& scan, int threads, int batch) {
  ScanProjections p(scan, threads);
  EXPECT_EQ(p.threads(), threads);
  const size_t image = size_t(kCols) * kRows;
  std::vector<float> out(image * kViews, NAN);
  for (int first = 0; first < kViews; first += batch)
    p.read(first, std::min(batch, kViews - first), out.data() + image * first);
  return out;
}

}  // namespace

TEST(ScanProjections, ParallelReadingEqualsSerialReading) {
  TempDir dir;
  const Scan scan = make_scan(dir.path());
  const std::vector<float> serial = read_all(scan, 1, kViews);
  // the serial result is the preprocessing formula applied to the stored counts
  EXPECT_FLOAT_EQ(serial[0], float(-std::log((200.0 - 100) / (60000 - 100))));
  for (float v : serial) ASSERT_TRUE(std::isfinite(v));
  for (int threads : {2, 3, 8})
    for (int batch : {1, 5, 16, kViews}) {
      const std::vector<float> parallel = read_all(scan, threads, batch);
      EXPECT_TRUE(parallel == serial) << threads << " threads, batches of " << batch;
    }
}

TEST(ScanProjections, AnUnreadableViewIsNamed) {
  TempDir dir;
  Scan scan = make_scan(dir.path());
  fs::remove(dir / "view30.tif");
  ScanProjections p(scan, 4);
  std::vector<float> out(size_t(kCols) * kRows * 16);
  p.read(0, 16, out.data());  // views before it still read
  try {
    p.read(21, 16, out.data());
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("view30.tif"), std::string::npos) << e.what();
  }
  p.read(0, 16, out.data());  // and the pool still works afterwards
  EXPECT_THROW(ScanProjections(scan, 65), InputError);
}
