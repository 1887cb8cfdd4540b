// The per-pixel and per-voxel arithmetic of FDK, shared verbatim by the CPU backend and the
// CUDA kernels so that both compute the same function. Plain structs, no STL, no ITK:
// this header is included from .cu files.
//
// Reconstruction formula (Feldkamp, Davis, Kress, JOSA A 1(6) 1984, written for arbitrary
// per-view vectors; Kak & Slaney ch. 3 for the ramp kernel):
//   p~_i(c, r) = cosw_i(c, r) * red_i(c, r) * p_i(c, r)                pre-weighting
//   q_i        = p~_i (*) h_ramp  along detector rows, in detector mm   filtering
//   f(x)       = sum_i bp_scale_i / w_i(x)^2 * q_i(P_i x)                 backprojection
// with cosw = D_i / |q - s| (D_i: source to detector-plane distance, q: pixel centre),
// red = redundancy weight (Parker, displaced detector, or 1), P_i the 3x4 projection
// matrix whose third row gives w_i(x) = (u x v).(s - x) and
//   bp_scale_i = dbeta_i * R_i * D_i * |u x v|^2 * k
// (dbeta_i the view's angular weight, R_i the source distance to the z axis, k = 1/2 for a
// full scan without other redundancy weights, 1 otherwise): R_i D_i / L(x)^2 is FDK's
// distance weight with L(x) = |w_i(x)| / |u x v| the depth of x along the detector normal.
//
// Parallel beam (FBP, Kak & Slaney ch. 3.3) is the same machinery with: no cosine weight
// (FdkView::parallel), an affine P (w = 1, so no distance weight), the ramp filter in detector
// mm (= object mm, no magnification) and bp_scale_i = dtheta_i with sum dtheta = pi: angular
// weights are computed on doubled angles (a ray and its opposite are the same line), so a scan
// over 180 degrees is complete and one over 360 degrees counts every line twice, half each.
#pragma once

#include <math.h>  // sinf, sqrtf, atan2f, floorf: host and device

#if defined(__CUDACC__)
#define VS_HD __host__ __device__ __forceinline__
#else
#define VS_HD inline
#endif

namespace voidscan {

enum class Redundancy : int {
  full_scan = 0,   ///< >= 360 degrees: every ray seen twice, k = 1/2
  parker = 1,      ///< short scan: Parker weights (Parker, Med. Phys. 9(2) 1982), generalised overscan
  displaced = 2,   ///< laterally offset detector over 360 degrees (Wang, Med. Phys. 29(8) 2002)
};

/// Everything the kernels need about one view. Filled on the host by plan_fdk().
struct FdkView {
  float P[12];          ///< projection matrix, row-major: (c w, r w, w) = P (x, y, z, 1)
  float bp_scale;       ///< dbeta * R * D * |u x v|^2 * k   (see above)
  float src[3];         ///< source, mm
  float det[3];         ///< detector centre, mm
  float u[3];           ///< column step, mm
  float v[3];           ///< row step, mm
  float D;              ///< perpendicular distance source -> detector plane, mm
  int redundancy;       ///< a Redundancy value
  float beta;           ///< Parker: source angle from the start of the arc, counter-clockwise, rad
  float delta;          ///< Parker: half the overscan, (coverage - pi) / 2, rad
  float c_axis;         ///< displaced: column where the rotation axis projects
  float overlap_half;   ///< displaced: half-width of the doubly-measured band, pixels (> 0)
  float side;           ///< displaced: +1 when the larger part of the detector lies at larger columns
  int parallel;         ///< 1: parallel beam (no cosine weight; P is affine, w = 1), 0: cone beam
};

VS_HD float vs_sin2(float x) {
  const float s = sinf(x);
  return s * s;
}

/// Parker weight for fan angle gamma (counter-clockwise positive, relative to the ray through
/// the z axis) at arc position beta in [0, pi + 2 delta].
VS_HD float parker_weight(float beta, float gamma, float delta) {
  const float pi = 3.14159265358979f;
  if (beta < 0.f || beta > pi + 2.f * delta) return 0.f;
  if (beta < 2.f * delta - 2.f * gamma) {
    const float den = delta - gamma;
    return den > 0.f ? vs_sin2(0.25f * pi * beta / den) : 1.f;
  }
  if (beta <= pi - 2.f * gamma) return 1.f;
  const float den = delta + gamma;
  return den > 0.f ? vs_sin2(0.25f * pi * (pi + 2.f * delta - beta) / den) : 0.f;
}

/// Pre-weight of pixel (c, r): cosine weight times redundancy weight.
VS_HD float preweight(const FdkView& w, int c, int r, int cols, int rows) {
  const float fc = float(c) - 0.5f * float(cols - 1);
  const float fr = float(r) - 0.5f * float(rows - 1);
  const float qx = w.det[0] + fc * w.u[0] + fr * w.v[0] - w.src[0];
  const float qy = w.det[1] + fc * w.u[1] + fr * w.v[1] - w.src[1];
  const float qz = w.det[2] + fc * w.u[2] + fr * w.v[2] - w.src[2];
  float weight = w.parallel ? 1.f : w.D / sqrtf(qx * qx + qy * qy + qz * qz);
  if (w.redundancy == int(Redundancy::parker)) {
    // fan angle in the xy plane between the ray to the pixel and the ray to the z axis
    const float cx = -w.src[0], cy = -w.src[1];
    const float gamma = atan2f(cx * qy - cy * qx, cx * qx + cy * qy);
    weight *= parker_weight(w.beta, gamma, w.delta);
  } else if (w.redundancy == int(Redundancy::displaced)) {
    const float t = w.side * (float(c) - w.c_axis) / w.overlap_half;
    const float pi = 3.14159265358979f;
    // w(t) + w(-t) = 1 for the two measurements of a ray; k = 1 for this mode.
    weight *= t <= -1.f ? 0.f : (t >= 1.f ? 1.f : vs_sin2(0.25f * pi * (1.f + t)));
  }
  return weight;
}

/// Bilinear interpolation with zero outside the detector: pixel centres at integer (c, r);
/// samples beyond [0, cols-1] x [0, rows-1] count as 0 (what a border-mode texture returns).
VS_HD float sample_bilinear(const float* img, int cols, int rows, float c, float r) {
  if (!(c > -1.f && r > -1.f && c < float(cols) && r < float(rows))) return 0.f;
  const float fc = floorf(c), fr = floorf(r);
  const int c0 = int(fc), r0 = int(fr);
  const float ac = c - fc, ar = r - fr;
  const bool c0in = c0 >= 0, c1in = c0 + 1 < cols, r0in = r0 >= 0, r1in = r0 + 1 < rows;
  const float* row0 = img + (long long)r0 * cols;
  const float* row1 = row0 + cols;
  const float v00 = (c0in && r0in) ? row0[c0] : 0.f;
  const float v01 = (c1in && r0in) ? row0[c0 + 1] : 0.f;
  const float v10 = (c0in && r1in) ? row1[c0] : 0.f;
  const float v11 = (c1in && r1in) ? row1[c0 + 1] : 0.f;
  return (1.f - ar) * ((1.f - ac) * v00 + ac * v01) + ar * ((1.f - ac) * v10 + ac * v11);
}

VS_HD float vs_min(float a, float b) { return a < b ? a : b; }
VS_HD float vs_max(float a, float b) { return a > b ? a : b; }
VS_HD int vs_imin(int a, int b) { return a < b ? a : b; }

/// The same function as sample_bilinear(), on an image stored with a one-pixel zero border
/// (pitch = cols + 2 floats per row, rows + 2 rows, pixel (0, 0) at padded[pitch + 1]).
/// Branch-free (clamped coordinates, four unconditional loads, a 0/1 mask), so a loop over
/// voxels vectorises with gathers on the CPU (with -fno-trapping-math, see CMakeLists.txt).
VS_HD float sample_bilinear_bordered(const float* padded, int pitch, int cols, int rows, float c, float r) {
  const float pc = c + 1.f, pr = r + 1.f;  // coordinates in the padded image
  const float inside = (pc > 0.f ? 1.f : 0.f) * (pr > 0.f ? 1.f : 0.f) * (pc < float(cols + 1) ? 1.f : 0.f) *
                       (pr < float(rows + 1) ? 1.f : 0.f);
  // Clamp so every load stays in the padded image: inside, pc < cols + 1 gives c0 <= cols and
  // c0 + 1 <= cols + 1 (the zero border); the integer clamp only moves points the mask drops.
  const float sc = vs_min(vs_max(pc, 0.f), float(cols + 1)), sr = vs_min(vs_max(pr, 0.f), float(rows + 1));
  const int c0 = vs_imin(int(sc), cols), r0 = vs_imin(int(sr), rows);  // floor for non-negative values
  const float ac = sc - float(c0), ar = sr - float(r0);
  const int at = r0 * pitch + c0;
  const float v = (1.f - ar) * ((1.f - ac) * padded[at] + ac * padded[at + 1]) +
                  ar * ((1.f - ac) * padded[at + pitch] + ac * padded[at + pitch + 1]);
  return inside * v;
}

}  // namespace voidscan
