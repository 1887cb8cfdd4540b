// CPU backend of FDK: the reference implementation of recon/fdk_math.hpp's formula.
// Steps per batch of views:
//  1. pre-weight each row (preweight(): cosine and redundancy weights) into a zero-padded buffer,
//     at column offset plan.col_shift (non-zero only for an extended displaced detector);
//  2. ramp-filter it with FFTW (r2c, multiply by the plan's real response, c2r), rows in parallel,
//     keeping plan.filtered_cols columns;
//  3. backproject voxel-driven: for each row of voxels (j, k) and each view, homogeneous detector
//     coordinates of voxel (0, j, k) in double, then P's first column times sx per voxel
//     (backproject_row(), vectorised),
//     bilinear sampling with zero outside (sample_bilinear_bordered(): filtered images are kept
//     with a one-pixel zero border), weight bp_scale / w^2.
// Slabs: max_slab_slices() fits the slab into the host memory limit (host_slab_slices(),
// recon/backend.hpp), so the pipeline slabs in z exactly as it does for the CUDA backend.
// Precision::fp16 (recon/backend.hpp states the function): filtered pixels rounded to half in
// step 2; in step 3 each voxel row sums a pass of kHalfPassViews views in float from zero and
// adds it to the slab rounded to half, the CUDA backend's rounding points (its values stay
// float32 here: only the rounding is the same).
// Threads: TBB over (view, row) for filtering and over voxel rows for backprojection.
// Test: tests/recon/test_fdk.cpp (every test body runs on this backend).
#include <fftw3.h>
#include <tbb/blocked_range2d.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <complex>
#include <cstring>
#include <mutex>

#include "recon/backend.hpp"
#include "recon/error.hpp"

namespace voidscan {
namespace {

/// IEEE binary16 rounding (round to nearest even; overflow to infinity), back in float.
inline float round_to_half(float x) { return float(static_cast<_Float16>(x)); }

/// FFTW's planner is not thread-safe; plans are made under this lock, executed without it.
std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};
template <class T>
using FftwPtr = std::unique_ptr<T[], FftwFree>;

/// One thread's padded row and its spectrum, aligned as FFTW planned them.
struct RowWork {
  explicit RowWork(int n)
      : real(static_cast<float*>(fftwf_malloc(sizeof(float) * n))),
        spec(static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * (n / 2 + 1)))) {
    if (!real || !spec) throw RuntimeFailure("out of host memory for the FFT buffers");
  }
  FftwPtr<float> real;
  FftwPtr<fftwf_complex> spec;
};

/// Adds one view's contribution to one row of voxels (i = 0 .. nx-1). (cw, rw, w) are the
/// homogeneous detector coordinates of voxel 0 of the row, (dc, dr, dw) their step per voxel.
/// Coordinates are computed from i, not accumulated, so iterations are independent and the
/// loop vectorises (AVX2 gathers where the processor has them; target_clones picks at load time).
__attribute__((target_clones("avx2", "default"))) void backproject_row(float* __restrict__ row, int nx,
                                                                      const float* __restrict__ img, int pitch,
                                                                      int cols, int rows, float cw, float rw,
                                                                      float w, float dc, float dr, float dw,
                                                                      float scale) {
  for (int i = 0; i < nx; ++i) {
    const float fi = float(i);
    const float inv = 1.f / (w + fi * dw);
    row[i] += scale * inv * inv * sample_bilinear_bordered(img, pitch, cols, rows, (cw + fi * dc) * inv, (rw + fi * dr) * inv);
  }
}

class CpuBackend final : public FdkBackend {
 public:
  CpuBackend(const FdkPlan& plan, const BackendOptions& options)
      : plan_(plan), options_(options), work_([n = plan.filter.padded] { return RowWork(n); }) {
    const int n = plan_.filter.padded;
    RowWork probe(n);
    std::lock_guard lock(fftw_planner_mutex());
    forward_ = fftwf_plan_dft_r2c_1d(n, probe.real.get(), probe.spec.get(), FFTW_ESTIMATE);
    inverse_ = fftwf_plan_dft_c2r_1d(n, probe.spec.get(), probe.real.get(), FFTW_ESTIMATE);
    if (!forward_ || !inverse_) throw RuntimeFailure("FFTW could not plan a transform of length " + std::to_string(n));
  }
  ~CpuBackend() override {
    std::lock_guard lock(fftw_planner_mutex());
    fftwf_destroy_plan(forward_);
    fftwf_destroy_plan(inverse_);
  }
  CpuBackend(const CpuBackend&) = delete;
  CpuBackend& operator=(const CpuBackend&) = delete;

  std::string name() const override { return "cpu"; }
  int max_slab_slices(const VolumeGrid& grid) const override { return host_slab_slices(plan_, options_, grid); }

  void begin_slab(const VolumeGrid& grid, int z0, int z1, float* out) override {
    grid_ = grid;
    z0_ = z0;
    z1_ = z1;
    out_ = out;
    std::fill(out_, out_ + size_t(grid.nx) * grid.ny * (z1 - z0), 0.f);
  }

  void add_views(const float* log_projections, int first, int count) override {
    filter(log_projections, first, count);
    const auto t = std::chrono::steady_clock::now();
    backproject(first, count);
    backprojection_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }
  double backprojection_seconds() const override { return backprojection_seconds_; }

  void end_slab() override { out_ = nullptr; }

 private:
  void filter(const float* in, int first, int count) {
    const int cols = plan_.detector.cols, rows = plan_.detector.rows, n = plan_.filter.padded;
    const int out_cols = plan_.filtered_cols, shift = plan_.col_shift;
    const size_t pitch = size_t(out_cols) + 2, image = pitch * (rows + 2);
    filtered_.assign(size_t(count) * image, 0.f);  // the zero border stays zero
    const float* response = plan_.filter.response.data();
    tbb::parallel_for(tbb::blocked_range<int>(0, count * rows), [&](const tbb::blocked_range<int>& range) {
      RowWork& w = work_.local();
      for (int vr = range.begin(); vr != range.end(); ++vr) {
        const int view = vr / rows, r = vr % rows;
        const FdkView& fv = plan_.views[first + view];
        const float* src = in + size_t(vr) * cols;
        std::fill(w.real.get(), w.real.get() + n, 0.f);
        for (int c = 0; c < cols; ++c) w.real[c + shift] = src[c] * preweight(fv, c, r, cols, rows);
        fftwf_execute_dft_r2c(forward_, w.real.get(), w.spec.get());
        for (int k = 0; k <= n / 2; ++k) {
          w.spec[k][0] *= response[k];
          w.spec[k][1] *= response[k];
        }
        fftwf_execute_dft_c2r(inverse_, w.spec.get(), w.real.get());
        float* dst = filtered_.data() + image * view + pitch * (r + 1) + 1;
        std::memcpy(dst, w.real.get(), sizeof(float) * out_cols);
        if (options_.precision == Precision::fp16)
          for (int c = 0; c < out_cols; ++c) dst[c] = round_to_half(dst[c]);
      }
    });
  }

  void backproject(int first, int count) {
    const int cols = plan_.filtered_cols, rows = plan_.detector.rows;
    const int nx = grid_.nx, ny = grid_.ny;
    const int pitch = cols + 2;
    const size_t image = size_t(pitch) * (rows + 2);
    // fp32: one pass over all views, straight into the slab; fp16: passes of kHalfPassViews
    // summed from zero in `sum`, then added to the slab rounded to half.
    const bool half = options_.precision == Precision::fp16;
    const int pass = half ? kHalfPassViews : std::max(count, 1);
    tbb::parallel_for(tbb::blocked_range2d<int>(z0_, z1_, 1, 0, ny, 4), [&](const tbb::blocked_range2d<int>& r) {
      std::vector<float>* sum = half ? &pass_sums_.local() : nullptr;
      for (int k = r.rows().begin(); k != r.rows().end(); ++k) {
        for (int j = r.cols().begin(); j != r.cols().end(); ++j) {
          float* row = out_ + (size_t(k - z0_) * ny + j) * nx;
          const Vec3 x0 = grid_.voxel_center(0, j, k);
          for (int p0 = 0; p0 < count; p0 += pass) {
            float* dst = row;
            if (half) {
              sum->assign(size_t(nx), 0.f);
              dst = sum->data();
            }
            for (int v = p0; v < std::min(count, p0 + pass); ++v) {
              const auto& m = plan_.matrices[first + v].m;
              const float* img = filtered_.data() + image * v;
              const float scale = plan_.views[first + v].bp_scale;
              // homogeneous coordinates of voxel (0, j, k) in double, then float steps along x
              backproject_row(dst, nx, img, pitch, cols, rows, float(m[0] * x0.x + m[1] * x0.y + m[2] * x0.z + m[3]),
                              float(m[4] * x0.x + m[5] * x0.y + m[6] * x0.z + m[7]),
                              float(m[8] * x0.x + m[9] * x0.y + m[10] * x0.z + m[11]), float(m[0] * grid_.sx),
                              float(m[4] * grid_.sx), float(m[8] * grid_.sx), scale);
            }
            if (half)
              for (int i = 0; i < nx; ++i) row[i] = round_to_half(row[i] + dst[i]);
          }
        }
      }
    });
  }

  FdkPlan plan_;
  BackendOptions options_;
  tbb::enumerable_thread_specific<RowWork> work_;
  fftwf_plan forward_ = nullptr, inverse_ = nullptr;
  std::vector<float> filtered_;
  tbb::enumerable_thread_specific<std::vector<float>> pass_sums_;  ///< fp16: one row's pass sum
  VolumeGrid grid_;
  int z0_ = 0, z1_ = 0;
  float* out_ = nullptr;
  double backprojection_seconds_ = 0;
};

}  // namespace

std::unique_ptr<FdkBackend> make_cpu_backend(const FdkPlan& plan, const BackendOptions& options) {
  return std::make_unique<CpuBackend>(plan, options);
}

}  // namespace voidscan
