// A one-line progress bar on stderr, drawn only when stderr is a terminal and not --quiet.
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace voidscan::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, bool enabled) : label_(std::move(label)), enabled_(enabled && isatty(STDERR_FILENO)) {}
  ~ProgressBar() { finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(double fraction) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (fraction < 1.0 && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
    constexpr int width = 30;
    const int filled = int(fraction * width + 0.5);
    std::fprintf(stderr, "\r%s [%s%s] %3d%%  %.0f s elapsed, %.0f s left ", label_.c_str(),
                 std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(), int(fraction * 100 + 0.5),
                 elapsed, eta);
    std::fflush(stderr);
    drawn_ = true;
  }
  void finish() {
    if (drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
  }

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

}  // namespace voidscan::cli
