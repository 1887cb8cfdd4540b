// Real data: the HTC2022 training scans (../shared/data/htc2022/, fan-beam, one detector row,
// acrylic discs 70 mm across with holes). Each disc must reconstruct to a disc 70 +- 1 mm
// across with as many holes as the organisers' reference segmentation; the solid disc has none.
// Skips with a message when the shared data is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <numbers>

#include "recon/fdk.hpp"
#include "recon/scan.hpp"
#include "recon/tiff_io.hpp"

namespace voidscan {
namespace {

namespace fs = std::filesystem;

const fs::path kData = fs::path(VOIDSCAN_SHARED_DATA) / "htc2022";

/// Otsu's threshold of the values (256 bins between min and max).
float otsu(const std::vector<float>& v) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  const double a = *lo, b = *hi;
  std::vector<double> hist(256, 0);
  for (float x : v) hist[std::min(255, int((x - a) / (b - a) * 255))] += 1;
  double total = 0, sum = 0;
  for (int i = 0; i < 256; ++i) total += hist[i], sum += i * hist[i];
  double w0 = 0, s0 = 0, best = -1;
  int arg = 0;
  for (int i = 0; i < 256; ++i) {
    w0 += hist[i];
    s0 += i * hist[i];
    if (w0 == 0 || w0 == total) continue;
    const double m0 = s0 / w0, m1 = (sum - s0) / (total - w0);
    const double between = w0 * (total - w0) * (m0 - m1) * (m0 - m1);
    if (between > best) best = between, arg = i;
  }
  return float(a + (arg + 1) * (b - a) / 255);
}

/// Connected components (8-connected) of pixels where mask == value; returns sizes and, per
/// component, whether it touches the image border.
struct Components {
  std::vector<int> label;  // -1 where mask != value
  std::vector<int> size;
  std::vector<bool> border;
};
Components components(const std::vector<uint8_t>& mask, int w, int h, uint8_t value) {
  Components c;
  c.label.assign(mask.size(), -1);
  std::vector<int> stack;
  for (int start = 0; start < w * h; ++start) {
    if (mask[start] != value || c.label[start] >= 0) continue;
    const int id = int(c.size.size());
    c.size.push_back(0);
    c.border.push_back(false);
    stack.push_back(start);
    c.label[start] = id;
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      ++c.size[id];
      const int x = p % w, y = p / w;
      if (x == 0 || y == 0 || x == w - 1 || y == h - 1) c.border[id] = true;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const int q = ny * w + nx;
          if (mask[q] == value && c.label[q] < 0) {
            c.label[q] = id;
            stack.push_back(q);
          }
        }
    }
  }
  return c;
}

struct DiscMeasure {
  double diameter_mm = 0;
  int holes = 0;
  double hole_area_mm2 = 0;
};

/// The largest object (1 pixels) with its holes filled gives the diameter; holes are the
/// enclosed 0 components of at least `min_pixels`.
DiscMeasure measure(const std::vector<uint8_t>& mask, int w, int h, double pixel_mm, int min_pixels) {
  const Components obj = components(mask, w, h, 1);
  const int largest = int(std::max_element(obj.size.begin(), obj.size.end()) - obj.size.begin());
  std::vector<uint8_t> disc(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) disc[i] = obj.label[i] == largest;
  const Components bg = components(disc, w, h, 0);
  DiscMeasure m;
  double filled = obj.size[largest];
  for (size_t i = 0; i < bg.size.size(); ++i) {
    if (bg.border[i]) continue;
    filled += bg.size[i];
    if (bg.size[i] >= min_pixels) {
      ++m.holes;
      m.hole_area_mm2 += bg.size[i] * pixel_mm * pixel_mm;
    }
  }
  m.diameter_mm = 2 * std::sqrt(filled * pixel_mm * pixel_mm / std::numbers::pi);
  return m;
}

class Htc2022 : public ::testing::TestWithParam<std::string> {};

TEST_P(Htc2022, DiscSizeAndHoleCountMatchTheReference) {
  const fs::path dir = kData / GetParam();
  if (!fs::exists(dir / "scan.json")) GTEST_SKIP() << "shared data not found at " << dir;
  const Scan scan = load_scan(dir / "scan.json");
  const VolumeGrid grid = scan_grid(scan);
  ASSERT_EQ(grid.nz, 1);
  FdkParams params;
  params.device = Device::cpu;
  params.window = FilterWindow::hann;  // real, noisy data
  const Volume vol = reconstruct_scan(scan, grid, params);
  const float t = otsu(vol.data);
  std::vector<uint8_t> mask(vol.data.size());
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = vol.data[i] > t;
  constexpr int kMinHolePixels = 10;  // ~0.2 mm^2: below the smallest cut hole, above noise
  const DiscMeasure ours = measure(mask, grid.nx, grid.ny, grid.sx, kMinHolePixels);

  const TiffInfo ti = tiff_info(dir / "reference_seg.tif");
  std::vector<float> ref(size_t(ti.cols) * ti.rows);
  TiffReader().read(dir / "reference_seg.tif", 0, ti.cols, ti.rows, ref.data());
  std::vector<uint8_t> ref_mask(ref.size());
  for (size_t i = 0; i < ref.size(); ++i) ref_mask[i] = ref[i] > 0.5f;
  const DiscMeasure truth = measure(ref_mask, ti.cols, ti.rows, 0.14832, kMinHolePixels);

  EXPECT_NEAR(ours.diameter_mm, 70.0, 1.0);
  EXPECT_EQ(ours.holes, truth.holes);
  EXPECT_NEAR(ours.hole_area_mm2, truth.hole_area_mm2, 0.05 * truth.hole_area_mm2);
  if (GetParam() == "solid_disc") EXPECT_EQ(ours.holes, 0);
  RecordProperty("diameter_mm", std::to_string(ours.diameter_mm));
  RecordProperty("holes", ours.holes);
  RecordProperty("hole_area_mm2", std::to_string(ours.hole_area_mm2));
  RecordProperty("reference_hole_area_mm2", std::to_string(truth.hole_area_mm2));
  std::printf("%s: diameter %.2f mm, %d holes (reference %d), hole area %.1f mm2 (reference %.1f)\n",
              GetParam().c_str(), ours.diameter_mm, ours.holes, truth.holes, ours.hole_area_mm2,
              truth.hole_area_mm2);
}

INSTANTIATE_TEST_SUITE_P(Discs, Htc2022, ::testing::Values("solid_disc", "ta", "tb", "tc", "td"));

}  // namespace
}  // namespace voidscan
