// Ramp filter design, shared by both backends. The frequency response is computed once on the
// host; the CPU backend applies it with FFTW, the CUDA backend with cuFFT, both as
// rfft(zero-padded row) * response -> irfft.
//
// Kernel: the band-limited discrete ramp of Kak & Slaney (Principles of Computerized
// Tomographic Imaging, eq. 3.61): h[0] = 1/(4 tau^2), h[n odd] = -1/(pi^2 n^2 tau^2),
// h[n even] = 0, tau = pixel pitch (mm). Designing it in the spatial domain avoids the DC
// offset of a sampled |f|. Padding: rows are zero-padded to at least 2*cols so the circular
// convolution never wraps. Test: tests/recon/test_ramp_filter.cpp.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace voidscan {

enum class FilterWindow { ram_lak, shepp_logan, cosine, hamming, hann };

/// Parses "ram-lak", "shepp-logan", "cosine", "hamming", "hann"; throws InputError otherwise.
[[nodiscard]] FilterWindow parse_filter_window(std::string_view name);
[[nodiscard]] std::string to_string(FilterWindow w);

struct RampFilter {
  int cols = 0;                 ///< unpadded row length
  int padded = 0;               ///< FFT length N (>= 2 cols, a 2^a 3^b 5^c number)
  std::vector<float> response;  ///< N/2 + 1 real gains, including tau and the 1/N of the inverse FFT
};

[[nodiscard]] RampFilter make_ramp_filter(int cols, double pixel_mm, FilterWindow window);

/// Reference implementation (direct convolution in double with the spatial kernel, no window);
/// used by tests to check the FFT path.
[[nodiscard]] std::vector<double> ramp_filter_direct(const std::vector<double>& row, double pixel_mm);

}  // namespace voidscan
