// The only translation unit with ITK headers (see itk_ops.hpp). Buffers are wrapped as ITK
// images without copying (ImportImageContainer with a foreign pointer); filter outputs are
// copied back into the caller's buffer. Filters run with ITK's default thread count.
// Tests: through their callers (tests/detect/test_analyze.cpp, test_accuracy.cpp).
#include "detect/itk_ops.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <itkBinaryDilateImageFilter.h>
#include <itkBinaryFillholeImageFilter.h>
#include <itkConnectedComponentImageFilter.h>
#include <itkFlatStructuringElement.h>
#include <itkGrayscaleFillholeImageFilter.h>
#include <itkHistogram.h>
#include <itkImage.h>
#include <itkLabelImageToShapeLabelMapFilter.h>
#include <itkOtsuMultipleThresholdsCalculator.h>

namespace voidscan::detect::itk_ops {
namespace {

using MaskImage = itk::Image<std::uint8_t, 3>;
using LabelImage = itk::Image<std::uint32_t, 3>;
using FloatImage = itk::Image<float, 3>;

template <class Image>
typename Image::Pointer wrap(const typename Image::PixelType* data, Dims d) {
  auto img = Image::New();
  typename Image::RegionType region;
  region.SetSize({{itk::SizeValueType(d.nx), itk::SizeValueType(d.ny), itk::SizeValueType(d.nz)}});
  img->SetRegions(region);
  img->GetPixelContainer()->SetImportPointer(const_cast<typename Image::PixelType*>(data), d.count(), false);
  return img;
}

template <class Image>
void copy_out(const Image* img, typename Image::PixelType* out, Dims d) {
  const auto* src = img->GetBufferPointer();
  if (src != out) std::memcpy(out, src, d.count() * sizeof(typename Image::PixelType));
}

void check(Dims d) {
  if (d.nx <= 0 || d.ny <= 0 || d.nz <= 0) throw std::invalid_argument("itk_ops: empty image");
}

}  // namespace

std::vector<double> otsu_thresholds(const std::vector<double>& counts, double lo, double w, int n,
                                    bool valley_emphasis) {
  if (counts.size() < 2 || n < 1 || !(w > 0)) throw std::invalid_argument("otsu_thresholds: bad histogram");
  using Histogram = itk::Statistics::Histogram<double>;
  auto h = Histogram::New();
  h->SetMeasurementVectorSize(1);
  Histogram::SizeType size(1);
  size[0] = counts.size();
  Histogram::MeasurementVectorType lower(1), upper(1);
  lower[0] = lo;
  upper[0] = lo + w * double(counts.size());
  h->Initialize(size, lower, upper);
  for (std::size_t b = 0; b < counts.size(); ++b) h->SetFrequency(b, counts[b]);
  using Calc = itk::OtsuMultipleThresholdsCalculator<Histogram>;
  auto calc = Calc::New();
  calc->SetInputHistogram(h);
  calc->SetNumberOfThresholds(itk::SizeValueType(n));
  calc->SetValleyEmphasis(valley_emphasis);
  calc->Compute();
  const auto& t = calc->GetOutput();
  return {t.begin(), t.end()};
}

std::uint32_t connected_components(const std::uint8_t* mask, Dims d, bool full, std::uint32_t* labels) {
  check(d);
  auto img = wrap<MaskImage>(mask, d);
  using Filter = itk::ConnectedComponentImageFilter<MaskImage, LabelImage>;
  auto f = Filter::New();
  f->SetInput(img);
  f->SetFullyConnected(full);
  f->SetBackgroundValue(0);
  f->Update();
  copy_out(f->GetOutput(), labels, d);
  return std::uint32_t(f->GetObjectCount());
}

void fill_holes(std::uint8_t* mask, Dims d) {
  check(d);
  auto img = wrap<MaskImage>(mask, d);
  using Filter = itk::BinaryFillholeImageFilter<MaskImage>;
  auto f = Filter::New();
  f->SetInput(img);
  f->SetForegroundValue(1);
  f->SetFullyConnected(true);
  f->Update();
  copy_out(f->GetOutput(), mask, d);
}

void grayscale_fill_holes(const float* v, Dims d, float* out) {
  check(d);
  auto img = wrap<FloatImage>(v, d);
  using Filter = itk::GrayscaleFillholeImageFilter<FloatImage, FloatImage>;
  auto f = Filter::New();
  f->SetInput(img);
  f->SetFullyConnected(true);
  f->Update();
  copy_out(f->GetOutput(), out, d);
}

void dilate_box(std::uint8_t* mask, Dims d, int rx, int ry, int rz) {
  check(d);
  if (rx <= 0 && ry <= 0 && rz <= 0) return;
  auto img = wrap<MaskImage>(mask, d);
  using SE = itk::FlatStructuringElement<3>;
  SE::RadiusType r;
  r[0] = itk::SizeValueType(std::max(0, rx));
  r[1] = itk::SizeValueType(std::max(0, ry));
  r[2] = itk::SizeValueType(std::max(0, rz));
  using Filter = itk::BinaryDilateImageFilter<MaskImage, MaskImage, SE>;
  auto f = Filter::New();
  f->SetInput(img);
  f->SetKernel(SE::Box(r));
  f->SetForegroundValue(1);
  f->SetBackgroundValue(0);
  f->Update();
  copy_out(f->GetOutput(), mask, d);
}

std::vector<double> label_perimeters(const std::uint32_t* labels, Dims d, std::uint32_t n) {
  check(d);
  std::vector<double> out(std::size_t(n) + 1, 0.0);
  if (n == 0) return out;
  auto img = wrap<LabelImage>(labels, d);
  using Filter = itk::LabelImageToShapeLabelMapFilter<LabelImage>;
  auto f = Filter::New();
  f->SetInput(img);
  f->SetBackgroundValue(0);
  f->SetComputePerimeter(true);
  f->Update();
  auto* map = f->GetOutput();
  for (std::size_t i = 0; i < map->GetNumberOfLabelObjects(); ++i) {
    const auto* o = map->GetNthLabelObject(i);
    const auto l = o->GetLabel();
    if (l <= n) out[l] = o->GetPerimeter();
  }
  return out;
}

}  // namespace voidscan::detect::itk_ops
