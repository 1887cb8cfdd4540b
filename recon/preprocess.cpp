// Raw counts -> line integrals. See preprocess.hpp.
//
// Conventions worth knowing:
//  * Clamping: when (I - dark) or the ratio (I - dark) / (flat - dark) is not positive, the
//    transmission is clamped to kMinTransmission (1e-6, i.e. a line integral of about 13.8)
//    and the pixel is counted in clamped_pixels().
//  * Non-finite input (NaN or inf in a projection): the line integral is set to 0 (as if the
//    ray saw nothing) and the pixel is counted in clamped_pixels() too. The same holds with
//    already_log, where values otherwise pass through unchanged.
//  * Dead pixels (flat <= dark, or a non-finite flat/dark average) are filled after the log
//    by linear interpolation between the nearest valid pixels left and right in the same
//    row (copying the one side that exists); rows with no valid pixel are filled the same way
//    from the nearest valid rows above and below, column by column.
#include "recon/preprocess.hpp"

#include <cmath>
#include <string>

#include "recon/error.hpp"
#include "recon/image_io.hpp"

namespace voidscan {
namespace {

constexpr float kMinTransmission = 1e-6f;

/// Mean of every page of every file, each checked to be cols x rows (TiffReader names the
/// file and page when not). Accumulates in double so long stacks do not lose precision.
std::vector<float> average_stack(const std::vector<std::filesystem::path>& files, int cols, int rows) {
  const size_t n = size_t(cols) * size_t(rows);
  std::vector<double> sum(n, 0.0);
  std::vector<float> page(n);
  ImageReader reader;  // TIFF, BMP or .txrm images (recon/image_io.hpp)
  size_t count = 0;
  for (const auto& file : files) {
    const int pages = image_info(file).pages;
    for (int p = 0; p < pages; ++p, ++count) {
      reader.read(file, p, cols, rows, page.data());
      for (size_t i = 0; i < n; ++i) sum[i] += page[i];
    }
  }
  std::vector<float> mean(n);
  for (size_t i = 0; i < n; ++i) mean[i] = float(sum[i] / double(count));
  return mean;
}

/// Fills positions first..last of a line of n values (p[k * stride]) by linear interpolation
/// between the valid neighbours first-1 and last+1; copies the one that exists when the run
/// touches an end. The caller guarantees at least one neighbour exists.
void fill_run(float* p, int first, int last, int n, size_t stride) {
  const bool has_lo = first > 0, has_hi = last < n - 1;
  const float lo = has_lo ? p[size_t(first - 1) * stride] : 0.0f;
  const float hi = has_hi ? p[size_t(last + 1) * stride] : 0.0f;
  for (int k = first; k <= last; ++k) {
    float v;
    if (has_lo && has_hi) {
      const float t = float(k - first + 1) / float(last - first + 2);
      v = lo + t * (hi - lo);
    } else {
      v = has_lo ? lo : hi;
    }
    p[size_t(k) * stride] = v;
  }
}

}  // namespace

Preprocessor::Preprocessor(const IntensitySpec& spec, int cols, int rows)
    : already_log_(spec.already_log), cols_(cols), rows_(rows) {
  if (already_log_) return;
  if (spec.white_level && !(*spec.white_level > spec.dark_level))
    throw InputError("", "intensity.white_level",
                     "white_level (" + std::to_string(*spec.white_level) + ") must be greater than dark_level (" +
                         std::to_string(spec.dark_level) + ")");
  if (spec.flat_files.empty() && !spec.white_level)
    throw InputError("", "intensity",
                     "no way to normalise raw counts: give flat_files or white_level, or set already_log");

  dark_level_ = float(spec.dark_level);
  if (spec.dark_files.empty() && spec.flat_files.empty()) {
    white_minus_dark_ = float(*spec.white_level - spec.dark_level);
    return;
  }
  // Per-pixel levels: scalar ones are broadcast so apply() has a single per-pixel path.
  const size_t n = size_t(cols) * size_t(rows);
  dark_ = spec.dark_files.empty() ? std::vector<float>(n, dark_level_) : average_stack(spec.dark_files, cols, rows);
  flat_minus_dark_ = spec.flat_files.empty() ? std::vector<float>(n, float(*spec.white_level))
                                             : average_stack(spec.flat_files, cols, rows);
  for (size_t i = 0; i < n; ++i) {
    flat_minus_dark_[i] -= dark_[i];
    if (!(flat_minus_dark_[i] > 0) || !std::isfinite(flat_minus_dark_[i]) || !std::isfinite(dark_[i]))
      dead_.push_back(int(i));
  }
  if (!dead_.empty() && dead_.size() == n)
    throw InputError(spec.flat_files.empty() ? "" : spec.flat_files.front().string(), "intensity.flat_files",
                     "every pixel has flat <= dark: nothing to normalise with");
}

void Preprocessor::apply(float* image) const {
  const size_t n = size_t(cols_) * size_t(rows_);
  uint64_t clamped = 0;
  if (already_log_) {
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(image[i])) {
        image[i] = 0.0f;
        ++clamped;
      }
    }
    clamped_.fetch_add(clamped, std::memory_order_relaxed);
    return;
  }

  const bool per_pixel = !flat_minus_dark_.empty();
  for (size_t i = 0; i < n; ++i) {
    const float raw = image[i];
    if (!std::isfinite(raw)) {
      image[i] = 0.0f;
      ++clamped;
      continue;
    }
    const float dark = per_pixel ? dark_[i] : dark_level_;
    const float range = per_pixel ? flat_minus_dark_[i] : white_minus_dark_;
    float t = (raw - dark) / range;  // dead pixels (range <= 0) are overwritten below
    if (!(t > 0) && range > 0) {
      t = kMinTransmission;
      ++clamped;
    }
    image[i] = -std::log(t);
  }
  clamped_.fetch_add(clamped, std::memory_order_relaxed);

  // dead_ is sorted: walk maximal runs of consecutive dead pixels within one row.
  std::vector<int> dead_rows;  // rows with no valid pixel, filled vertically afterwards
  for (size_t a = 0; a < dead_.size();) {
    const int row = dead_[a] / cols_;
    size_t b = a;
    while (b + 1 < dead_.size() && dead_[b + 1] == dead_[b] + 1 && dead_[b + 1] / cols_ == row) ++b;
    const int first = dead_[a] % cols_, last = dead_[b] % cols_;
    if (first == 0 && last == cols_ - 1)
      dead_rows.push_back(row);
    else
      fill_run(image + size_t(row) * size_t(cols_), first, last, cols_, 1);
    a = b + 1;
  }
  for (size_t a = 0; a < dead_rows.size();) {
    size_t b = a;
    while (b + 1 < dead_rows.size() && dead_rows[b + 1] == dead_rows[b] + 1) ++b;
    for (int c = 0; c < cols_; ++c) fill_run(image + c, dead_rows[a], dead_rows[b], rows_, size_t(cols_));
    a = b + 1;
  }
}

}  // namespace voidscan
