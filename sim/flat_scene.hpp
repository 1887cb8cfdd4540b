// The simulator's exact projector as plain data and host/device functions, for the CUDA
// projector (cuda/sim_projector.cu) and for checking that code on the CPU.
//
// It computes, per pixel, exactly what sim::transmission_view() computes with
// voidscan::line_integral() (recon/phantom.hpp), with the same formulas in the same order:
//  1. ray a -> b: dir = d / |d|, t in [0, |d|];
//  2. culling: the phantom's own BVH (flat_index(), recon/phantom.hpp), traversed with a
//     fixed stack; node and leaf boxes tested by the same slab clip as the CPU;
//  3. per object a closed-form parameter interval (unit-ball quadric for spheres, ellipsoids
//     and the cylinder's disc, slab method for boxes and the cylinder's z range), clipped to
//     the segment; len = 2 * half-chord while no clipping moved an end;
//  4. overlap resolution in list order: hits kept sorted by descending object index, each adds
//     mu times the part of its interval not covered by a later object (sorted, disjoint spans);
//  5. per pixel: s x s sub-pixel points (s columns, s^2 distinct rows), each seen from every focal-spot source point k,
//     T = sum w_k exp(-integral) / s^2, summed in double in the CPU's order.
// Differences to the CPU: none in the arithmetic on the host (tests/sim/test_flat_scene.cpp
// checks equality to 1e-12); on the GPU, nvcc contracts a * b + c into FMAs and its exp() may
// differ by an ulp: a few 1e-16 relative in each integral.
// Bounded storage: per-thread arrays of `cap` hits and spans. A ray meeting more objects is
// split into windows along its length, each resolved alone (the overlap rule is local along
// the ray); only a window that cannot be split further (more than `cap` objects overlapping at
// one point) sets the error to the number of objects it met, and a traversal stack deeper than
// kStackDepth sets it to -1: the caller must fail loudly, the integral is then meaningless.
// This header is compiled by g++ (C++20) and nvcc (C++17): plain C++17, no library types.
// Tests: tests/sim/test_flat_scene.cpp (host), tests/sim/test_projector.cpp (CPU vs CUDA).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define VS_SIM_HD __host__ __device__
#else
#define VS_SIM_HD
#endif

namespace voidscan::sim::flat {

enum ShapeType : int { kSphere = 0, kEllipsoid = 1, kBox = 2, kCylinder = 3 };

/// One object, its parameters pre-digested on the host exactly as the CPU digests them:
///   kSphere:    p = cx, cy, cz, 1/r
///   kEllipsoid: p = cx, cy, cz, cos t, sin t, 1/ax, 1/ay, 1/az   (t = rotation_z_deg in rad)
///   kBox:       p = min x, y, z, max x, y, z
///   kCylinder:  p = cx, cy, 1/r, z0, z1
struct Object {
  int type = kSphere;
  double mu = 0;  ///< 1/mm
  double p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
};

/// A BVH node (FlatIndex::Node): inner when count == 0 (children at index + 1 and right).
struct Node {
  double lo[3], hi[3];
  std::uint32_t first, count, right;
};

/// Pointers to the scene's arrays, on the host or on the device.
struct Scene {
  const Object* objects = nullptr;
  const double* boxes = nullptr;  ///< 6 per object: padded world box min x, y, z, max x, y, z
  const std::uint32_t* order = nullptr;
  const Node* nodes = nullptr;
  std::uint32_t object_count = 0, order_count = 0, node_count = 0;
};

/// The rays of one view: detector vectors, sub-pixel count, focal-spot source points.
inline constexpr int kMaxSources = 9;
struct ViewRays {
  double detector_center[3];
  double u[3], v[3];
  int cols = 0, rows = 0;
  int supersample = 1;
  int sources = 1;  ///< 1 (point source) or 9 (3 x 3 Gauss-Hermite)
  double source[kMaxSources][3];
  double weight[kMaxSources];
};

struct Hit {
  double t0, t1, len;
  std::uint32_t index;
};
struct Span {
  double t0, t1;
};

/// Hits one GPU thread holds at once (cuda/sim_projector.cu: kGpuMaxHits x (32 + 16) bytes of
/// local memory per thread). A ray meeting more objects is resolved in shorter windows (see
/// line_integral); only more than this many objects overlapping at one point fail the view.
inline constexpr int kGpuMaxHits = 64;

/// Traversal stack entries (the CPU uses the same; the depth is ~log2(objects) + 1).
inline constexpr int kStackDepth = 64;

namespace detail {

struct V3 {
  double x, y, z;
};
VS_SIM_HD inline double dot(V3 a, V3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }

struct Interval {
  double t0, t1, len;
};

VS_SIM_HD inline bool clip(Interval& iv, double lo, double hi) {
  bool moved = false;
  if (lo > iv.t0) iv.t0 = lo, moved = true;
  if (hi < iv.t1) iv.t1 = hi, moved = true;
  if (moved) iv.len = iv.t1 - iv.t0;
  return iv.t1 > iv.t0;
}

VS_SIM_HD inline bool clip_slab(Interval& iv, double a, double d, double lo, double hi) {
  if (d == 0) return lo <= a && a <= hi && iv.t1 > iv.t0;
  double ta = (lo - a) / d, tb = (hi - a) / d;
  if (ta > tb) {
    const double t = ta;
    ta = tb;
    tb = t;
  }
  return clip(iv, ta, tb);
}

VS_SIM_HD inline bool clip_box(Interval& iv, V3 a, V3 dir, const double* lo, const double* hi) {
  return clip_slab(iv, a.x, dir.x, lo[0], hi[0]) && clip_slab(iv, a.y, dir.y, lo[1], hi[1]) &&
         clip_slab(iv, a.z, dir.z, lo[2], hi[2]);
}

VS_SIM_HD inline bool clip_unit_ball(Interval& iv, V3 o, V3 d) {
  const double dd = dot(d, d);
  if (dd == 0) return dot(o, o) <= 1 && iv.t1 > iv.t0;
  const double tm = -dot(o, d) / dd;
  const V3 m{o.x + tm * d.x, o.y + tm * d.y, o.z + tm * d.z};
  const double h2 = 1 - dot(m, m);
  if (!(h2 > 0)) return false;
  const double half = sqrt(h2 / dd);
  Interval ball{tm - half, tm + half, 2 * half};
  if (!clip(ball, iv.t0, iv.t1)) return false;
  iv = ball;
  return true;
}

/// The object's interval on the ray, clipped to [0, length]; false when it misses.
VS_SIM_HD inline bool clip_object(Interval& iv, V3 a, V3 dir, const Object& o) {
  const double* p = o.p;
  switch (o.type) {
    case kSphere: {
      const double inv = p[3];
      return clip_unit_ball(iv, V3{inv * (a.x - p[0]), inv * (a.y - p[1]), inv * (a.z - p[2])},
                            V3{inv * dir.x, inv * dir.y, inv * dir.z});
    }
    case kEllipsoid: {
      const double c = p[3], s = p[4];
      const V3 w{a.x - p[0], a.y - p[1], a.z - p[2]};
      const V3 o2{(c * w.x + s * w.y) * p[5], (c * w.y - s * w.x) * p[6], w.z * p[7]};
      const V3 d2{(c * dir.x + s * dir.y) * p[5], (c * dir.y - s * dir.x) * p[6], dir.z * p[7]};
      return clip_unit_ball(iv, o2, d2);
    }
    case kBox: return clip_box(iv, a, dir, p, p + 3);
    case kCylinder: {
      const double inv = p[2];
      const V3 o2{(a.x - p[0]) * inv, (a.y - p[1]) * inv, 0};
      return clip_unit_ball(iv, o2, V3{dir.x * inv, dir.y * inv, 0}) && clip_slab(iv, a.z, dir.z, p[3], p[4]);
    }
    default: return false;
  }
}

VS_SIM_HD inline double min_of(double a, double b) { return b < a ? b : a; }  // std::min
VS_SIM_HD inline double max_of(double a, double b) { return a < b ? b : a; }  // std::max

}  // namespace detail

namespace detail {

/// Gathers the objects whose intervals meet the window [w0, w1] of the ray (clipped to it),
/// sorted by descending index, into hits[0, min(met, cap)); returns met, the number met, or
/// -1 when the traversal stack overflowed.
VS_SIM_HD inline int gather(const Scene& scene, V3 a, V3 dir, double w0, double w1, Hit* hits, int cap) {
  int nh = 0, met = 0;
  std::uint32_t stack[kStackDepth];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const std::uint32_t self = stack[--top];
    const Node& n = scene.nodes[self];
    Interval box{w0, w1, w1 - w0};
    if (!clip_box(box, a, dir, n.lo, n.hi)) continue;
    if (n.count > 0) {
      for (std::uint32_t k = n.first; k < n.first + n.count; ++k) {
        const std::uint32_t i = scene.order[k];
        const double* ob = scene.boxes + 6 * std::size_t(i);
        Interval obox{w0, w1, w1 - w0};
        if (!clip_box(obox, a, dir, ob, ob + 3)) continue;
        Interval iv{w0, w1, w1 - w0};
        if (!clip_object(iv, a, dir, scene.objects[i])) continue;
        ++met;
        if (nh >= cap) continue;  // only counted: the caller splits the window
        int q = nh++;
        for (; q > 0 && hits[q - 1].index < i; --q) hits[q] = hits[q - 1];
        hits[q] = Hit{iv.t0, iv.t1, iv.len, i};
      }
    } else {
      if (top + 2 > kStackDepth) return -1;
      stack[top++] = n.right;
      stack[top++] = self + 1;
    }
  }
  return met;
}

/// Later objects (visited first: hits are sorted by descending index) replace earlier ones:
/// each adds mu times the part of its interval no later object covers. spans[] stays sorted
/// and disjoint (as recon/phantom.cpp's Tracer::resolve, on arrays).
VS_SIM_HD inline double resolve(const Scene& scene, const Hit* hits, int nh, Span* spans) {
  int ns = 0;
  double sum = 0;
  for (int k = 0; k < nh; ++k) {
    const Hit h = hits[k];
    int f = 0;
    while (f < ns && spans[f].t1 <= h.t0) ++f;
    int l = f;
    double overlap = 0;
    for (; l < ns && spans[l].t0 < h.t1; ++l) overlap += min_of(h.t1, spans[l].t1) - max_of(h.t0, spans[l].t0);
    const double free = f == l ? h.len : (h.t1 - h.t0) - overlap;
    if (free > 0) sum += scene.objects[h.index].mu * free;
    if (f != l) {
      const Span merged{min_of(h.t0, spans[f].t0), max_of(h.t1, spans[l - 1].t1)};
      const int removed = l - f - 1;
      for (int q = l; q < ns; ++q) spans[q - removed] = spans[q];
      ns -= removed;
      spans[f] = merged;
    } else {
      for (int q = ns; q > f; --q) spans[q] = spans[q - 1];
      spans[f] = Span{h.t0, h.t1};
      ++ns;
    }
  }
  return sum;
}

}  // namespace detail

/// Windows of one ray pending at once (binary splitting, depth first).
inline constexpr int kMaxWindows = 64;

/// Integral of mu along a -> b (see the top of this file). `hits` and `spans` hold `cap`
/// entries each. The ray is resolved in windows of its parameter range: first the whole
/// segment (then the arithmetic is exactly the CPU's); a window meeting more than `cap` objects
/// is split in halves, each resolved on its own (the overlap rule is local along the ray, so the
/// sum is the same integral; objects cut by a window edge take their length as t1 - t0).
/// *error: 0 when the result is valid; the number of objects met by a window that cannot be
/// split further (more than `cap` objects overlapping within ~1e-18 of the ray's length, or
/// cap 0), or -1 when the traversal stack overflowed. With cap 0, *error is the number of
/// objects the whole ray meets (0 when none), which is how the tests measure it.
VS_SIM_HD inline double line_integral(const Scene& scene, const double a_in[3], const double b_in[3], Hit* hits,
                                      Span* spans, int cap, int* error) {
  using namespace detail;
  *error = 0;
  const V3 a{a_in[0], a_in[1], a_in[2]};
  const V3 d{b_in[0] - a_in[0], b_in[1] - a_in[1], b_in[2] - a_in[2]};
  const double length = sqrt(dot(d, d));
  if (!(length > 0)) return 0;
  const double inv_length = 1 / length;
  const V3 dir{inv_length * d.x, inv_length * d.y, inv_length * d.z};
  if (scene.node_count == 0) return 0;

  double win0[kMaxWindows], win1[kMaxWindows];
  int nw = 1;
  win0[0] = 0;
  win1[0] = length;
  double total = 0;
  while (nw > 0) {
    --nw;
    const double w0 = win0[nw], w1 = win1[nw];
    const int met = gather(scene, a, dir, w0, w1, hits, cap);
    if (met < 0) {
      *error = -1;
      return 0;
    }
    if (met > cap) {
      const double mid = 0.5 * (w0 + w1);
      if (cap <= 0 || nw + 2 > kMaxWindows || !(mid > w0 && mid < w1)) {
        *error = met;
        return 0;
      }
      win0[nw] = mid, win1[nw] = w1, ++nw;  // the far half after the near one
      win0[nw] = w0, win1[nw] = mid, ++nw;
      continue;
    }
    total += resolve(scene, hits, met, spans);
  }
  return total;
}

/// Mean transmission of pixel (c, r) (sim::transmission_view's value, before rounding to
/// float). *error as line_integral (the first failing ray's).
VS_SIM_HD inline double pixel_transmission(const Scene& scene, const ViewRays& v, int c, int r, Hit* hits, Span* spans,
                                           int cap, int* error) {
  *error = 0;
  const int s = v.supersample;
  const double per_ray = 1.0 / (s * s);
  const double half_cols = 0.5 * (v.cols - 1), half_rows = 0.5 * (v.rows - 1);
  double t = 0;
  for (int j = 0; j < s; ++j)
    for (int i = 0; i < s; ++i) {
      // detector_point(det, view, col, row) of recon/phantom.hpp, same operation order
      // n-rooks rows: ray (i, j) at height (j s + i + 0.5) / s^2, so the s^2 rays sample s^2
      // distinct heights (mean_transmission_view of recon/phantom.cpp, the same points)
      const double col = c + (i + 0.5) / s - 0.5, row = r + (j * s + i + 0.5) / (s * s) - 0.5;
      const double ku = col - half_cols, kv = row - half_rows;
      const double q[3] = {(v.detector_center[0] + ku * v.u[0]) + kv * v.v[0],
                           (v.detector_center[1] + ku * v.u[1]) + kv * v.v[1],
                           (v.detector_center[2] + ku * v.u[2]) + kv * v.v[2]};
      for (int k = 0; k < v.sources; ++k) {
        const double integral = line_integral(scene, v.source[k], q, hits, spans, cap, error);
        if (*error != 0) return 0;
        t += v.weight[k] * exp(-integral);
      }
    }
  return t * per_ray;
}

}  // namespace voidscan::sim::flat
