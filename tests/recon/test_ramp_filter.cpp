// Ramp filter: the FFT response reproduces the direct spatial convolution (no wrap-around).
#include <gtest/gtest.h>

#include <complex>
#include <numbers>
#include <random>

#include "recon/error.hpp"
#include "recon/ramp_filter.hpp"

namespace voidscan {
namespace {

/// rfft -> multiply -> irfft done with a naive DFT, independent of FFTW and cuFFT.
std::vector<double> apply_response(const RampFilter& f, const std::vector<double>& row) {
  const int n = f.padded;
  std::vector<std::complex<double>> spec(n / 2 + 1);
  for (int k = 0; k <= n / 2; ++k) {
    std::complex<double> s = 0;
    for (size_t j = 0; j < row.size(); ++j) s += row[j] * std::polar(1.0, -2 * std::numbers::pi * k * double(j) / n);
    spec[k] = s * double(f.response[k]);
  }
  std::vector<double> out(row.size());
  for (size_t j = 0; j < row.size(); ++j) {
    double s = spec[0].real() + (n % 2 == 0 ? spec[n / 2].real() * std::cos(std::numbers::pi * double(j)) : 0.0);
    for (int k = 1; k < (n + 1) / 2; ++k)
      s += 2 * (spec[k] * std::polar(1.0, 2 * std::numbers::pi * k * double(j) / n)).real();
    out[j] = s;
  }
  return out;
}

TEST(RampFilter, FftResponseEqualsDirectConvolution) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int cols : {37, 64}) {
    std::vector<double> row(cols);
    for (auto& v : row) v = u(rng);
    const RampFilter f = make_ramp_filter(cols, 0.15, FilterWindow::ram_lak);
    EXPECT_GE(f.padded, 2 * cols);
    const auto fft = apply_response(f, row);
    const auto direct = ramp_filter_direct(row, 0.15);
    double err = 0, ref = 0;
    for (int i = 0; i < cols; ++i) {
      err = std::max(err, std::abs(fft[i] - direct[i]));
      ref = std::max(ref, std::abs(direct[i]));
    }
    EXPECT_LT(err / ref, 1e-5) << "cols " << cols;
  }
}

TEST(RampFilter, WindowsAttenuateHighFrequenciesOnly) {
  const RampFilter ram = make_ramp_filter(100, 0.1, FilterWindow::ram_lak);
  for (FilterWindow w : {FilterWindow::shepp_logan, FilterWindow::cosine, FilterWindow::hamming, FilterWindow::hann}) {
    const RampFilter f = make_ramp_filter(100, 0.1, w);
    EXPECT_FLOAT_EQ(f.response[0], ram.response[0]);
    const size_t nyq = f.response.size() - 1;
    EXPECT_LT(f.response[nyq], ram.response[nyq]) << to_string(w);
    EXPECT_EQ(parse_filter_window(to_string(w)), w);
  }
  // Hann and cosine vanish at Nyquist
  EXPECT_NEAR(make_ramp_filter(100, 0.1, FilterWindow::hann).response.back(), 0, 1e-9);
  EXPECT_THROW((void)parse_filter_window("butterworth"), InputError);
}

}  // namespace
}  // namespace voidscan
