#include "recon/ramp_filter.hpp"

#include <cmath>
#include <numbers>

#include "recon/error.hpp"

namespace voidscan {
namespace {

constexpr double kPi = std::numbers::pi;

/// Spatial ramp kernel h[n] (Kak & Slaney eq. 3.61) for pitch tau.
double ramp_kernel(long n, double tau) {
  if (n == 0) return 1.0 / (4 * tau * tau);
  if (n % 2 == 0) return 0.0;
  return -1.0 / (kPi * kPi * double(n) * double(n) * tau * tau);
}

/// Smallest 2^a 3^b 5^c >= n (FFT-friendly for both FFTW and cuFFT).
int fft_size(int n) {
  for (int m = std::max(n, 2);; ++m) {
    int r = m;
    for (int p : {2, 3, 5})
      while (r % p == 0) r /= p;
    if (r == 1) return m;
  }
}

double window_gain(FilterWindow w, double x) {  // x = f / f_nyquist in [0, 1]
  switch (w) {
    case FilterWindow::ram_lak: return 1.0;
    case FilterWindow::shepp_logan: return x == 0 ? 1.0 : std::sin(0.5 * kPi * x) / (0.5 * kPi * x);
    case FilterWindow::cosine: return std::cos(0.5 * kPi * x);
    case FilterWindow::hamming: return 0.54 + 0.46 * std::cos(kPi * x);
    case FilterWindow::hann: return 0.5 + 0.5 * std::cos(kPi * x);
  }
  return 1.0;
}

}  // namespace

FilterWindow parse_filter_window(std::string_view name) {
  if (name == "ram-lak" || name == "ramlak" || name == "ramp") return FilterWindow::ram_lak;
  if (name == "shepp-logan") return FilterWindow::shepp_logan;
  if (name == "cosine") return FilterWindow::cosine;
  if (name == "hamming") return FilterWindow::hamming;
  if (name == "hann" || name == "hanning") return FilterWindow::hann;
  throw InputError("", "--filter", "unknown filter '" + std::string(name) +
                                       "' (expected ram-lak, shepp-logan, cosine, hamming or hann)");
}

std::string to_string(FilterWindow w) {
  switch (w) {
    case FilterWindow::ram_lak: return "ram-lak";
    case FilterWindow::shepp_logan: return "shepp-logan";
    case FilterWindow::cosine: return "cosine";
    case FilterWindow::hamming: return "hamming";
    case FilterWindow::hann: return "hann";
  }
  return "?";
}

RampFilter make_ramp_filter(int cols, double pixel_mm, FilterWindow window) {
  RampFilter f;
  f.cols = cols;
  f.padded = fft_size(2 * cols);
  const int n = f.padded;
  f.response.resize(n / 2 + 1);
  // H[k] = tau * sum_n h[n] e^{-2 pi i k n / N} over the circularly wrapped kernel, |n| < N/2
  // (h is even, so H is real), times the window, times 1/N for the unnormalised inverse FFT.
  for (int k = 0; k <= n / 2; ++k) {
    double sum = ramp_kernel(0, pixel_mm);
    for (int m = 1; m < (n + 1) / 2; ++m) {
      const double h = ramp_kernel(m, pixel_mm);
      if (h != 0) sum += 2 * h * std::cos(2 * kPi * double(k) * m / n);
    }
    if (n % 2 == 0) sum += ramp_kernel(n / 2, pixel_mm) * std::cos(kPi * k);
    f.response[k] = float(pixel_mm * sum * window_gain(window, double(k) / (n / 2)) / n);
  }
  return f;
}

std::vector<double> ramp_filter_direct(const std::vector<double>& row, double pixel_mm) {
  const long n = long(row.size());
  std::vector<double> out(row.size(), 0.0);
  for (long i = 0; i < n; ++i) {
    double s = 0;
    for (long j = 0; j < n; ++j) s += row[j] * ramp_kernel(i - j, pixel_mm);
    out[i] = pixel_mm * s;
  }
  return out;
}

}  // namespace voidscan
