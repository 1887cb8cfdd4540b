// Analytic phantoms: see recon/phantom.hpp for the semantics and the algorithm.
#include "recon/phantom.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <numbers>
#include <optional>
#include <utility>

#include "recon/error.hpp"

namespace voidscan {
namespace {

// ---- small vector helpers ------------------------------------------------------------------

Vec3 min3(Vec3 a, Vec3 b) { return {std::min(a.x, b.x), std::min(a.y, b.y), std::min(a.z, b.z)}; }
Vec3 max3(Vec3 a, Vec3 b) { return {std::max(a.x, b.x), std::max(a.y, b.y), std::max(a.z, b.z)}; }

bool overlaps(const Aabb& a, const Aabb& b) {
  return a.min_mm.x <= b.max_mm.x && b.min_mm.x <= a.max_mm.x && a.min_mm.y <= b.max_mm.y &&
         b.min_mm.y <= a.max_mm.y && a.min_mm.z <= b.max_mm.z && b.min_mm.z <= a.max_mm.z;
}

/// Ellipsoid frame: rotates a world vector by -rotation about z and divides by the semi-axes,
/// so that the ellipsoid becomes the unit ball.
struct UnitFrame {
  double c, s;
  Vec3 inv_axes;
  explicit UnitFrame(const Ellipsoid& e) {
    const double t = e.rotation_z_deg * (std::numbers::pi / 180.0);
    c = std::cos(t);
    s = std::sin(t);
    inv_axes = {1 / e.semi_axes_mm.x, 1 / e.semi_axes_mm.y, 1 / e.semi_axes_mm.z};
  }
  [[nodiscard]] Vec3 operator()(Vec3 w) const {
    return {(c * w.x + s * w.y) * inv_axes.x, (c * w.y - s * w.x) * inv_axes.y, w.z * inv_axes.z};
  }
};

// ---- ray / shape intervals -----------------------------------------------------------------

/// A ray a + t dir, |dir| = 1, t in [0, length] (mm).
struct Ray {
  Vec3 a;
  Vec3 dir;
  double length;
};

/// Closed parameter interval [t0, t1] (mm along the ray). `len` is t1 - t0, but taken from the
/// closed form (2 * half-chord) while no clipping moved an end: that avoids the cancellation of
/// t1 - t0 when a small object lies far along the ray.
struct Interval {
  double t0, t1, len;
};

Interval whole(const Ray& r) { return {0, r.length, r.length}; }

/// Intersects `iv` with [lo, hi]; true when a part of positive length is left.
bool clip(Interval& iv, double lo, double hi) {
  bool moved = false;
  if (lo > iv.t0) iv.t0 = lo, moved = true;
  if (hi < iv.t1) iv.t1 = hi, moved = true;
  if (moved) iv.len = iv.t1 - iv.t0;
  return iv.t1 > iv.t0;
}

/// Slab lo <= a + t d <= hi on one axis.
bool clip_slab(Interval& iv, double a, double d, double lo, double hi) {
  if (d == 0) return lo <= a && a <= hi && iv.t1 > iv.t0;
  double ta = (lo - a) / d, tb = (hi - a) / d;
  if (ta > tb) std::swap(ta, tb);
  return clip(iv, ta, tb);
}

bool clip_box(Interval& iv, const Ray& r, Vec3 lo, Vec3 hi) {
  return clip_slab(iv, r.a.x, r.dir.x, lo.x, hi.x) && clip_slab(iv, r.a.y, r.dir.y, lo.y, hi.y) &&
         clip_slab(iv, r.a.z, r.dir.z, lo.z, hi.z);
}

/// |o + t d|^2 <= 1 (the unit ball; the unit disc when o.z = d.z = 0). The half-chord comes from
/// the closest approach m = o + tm d, 1 - |m|^2, which is better conditioned than b^2 - 4ac.
bool clip_unit_ball(Interval& iv, Vec3 o, Vec3 d) {
  const double dd = dot(d, d);
  if (dd == 0) return dot(o, o) <= 1 && iv.t1 > iv.t0;
  const double tm = -dot(o, d) / dd;
  const Vec3 m = o + tm * d;
  const double h2 = 1 - dot(m, m);
  if (!(h2 > 0)) return false;
  const double half = std::sqrt(h2 / dd);
  Interval ball{tm - half, tm + half, 2 * half};
  if (!clip(ball, iv.t0, iv.t1)) return false;
  iv = ball;
  return true;
}

bool clip_shape(Interval& iv, const Ray& r, const Sphere& s) {
  const double inv = 1 / s.radius_mm;
  return clip_unit_ball(iv, inv * (r.a - s.center_mm), inv * r.dir);
}
bool clip_shape(Interval& iv, const Ray& r, const Ellipsoid& e) {
  const UnitFrame f(e);
  return clip_unit_ball(iv, f(r.a - e.center_mm), f(r.dir));
}
bool clip_shape(Interval& iv, const Ray& r, const Box& b) { return clip_box(iv, r, b.min_mm, b.max_mm); }
bool clip_shape(Interval& iv, const Ray& r, const Cylinder& c) {
  const double inv = 1 / c.radius_mm;
  const Vec3 o{(r.a.x - c.center_x_mm) * inv, (r.a.y - c.center_y_mm) * inv, 0};
  return clip_unit_ball(iv, o, {r.dir.x * inv, r.dir.y * inv, 0}) && clip_slab(iv, r.a.z, r.dir.z, c.z0_mm, c.z1_mm);
}

// ---- point containment and bounds ----------------------------------------------------------

bool inside(const Sphere& s, Vec3 p) {
  const Vec3 d = p - s.center_mm;
  return dot(d, d) <= s.radius_mm * s.radius_mm;
}
bool inside(const Ellipsoid& e, Vec3 p) {
  const Vec3 q = UnitFrame(e)(p - e.center_mm);
  return dot(q, q) <= 1;
}
bool inside(const Box& b, Vec3 p) { return overlaps({b.min_mm, b.max_mm}, {p, p}); }
bool inside(const Cylinder& c, Vec3 p) {
  const double dx = p.x - c.center_x_mm, dy = p.y - c.center_y_mm;
  return dx * dx + dy * dy <= c.radius_mm * c.radius_mm && c.z0_mm <= p.z && p.z <= c.z1_mm;
}

Aabb bounds(const Sphere& s) {
  const Vec3 r{s.radius_mm, s.radius_mm, s.radius_mm};
  return {s.center_mm - r, s.center_mm + r};
}
Aabb bounds(const Ellipsoid& e) {
  const double t = e.rotation_z_deg * (std::numbers::pi / 180.0);
  const double c = std::cos(t), s = std::sin(t), ax = e.semi_axes_mm.x, ay = e.semi_axes_mm.y;
  const Vec3 h{std::hypot(ax * c, ay * s), std::hypot(ax * s, ay * c), e.semi_axes_mm.z};
  return {e.center_mm - h, e.center_mm + h};
}
Aabb bounds(const Box& b) { return {b.min_mm, b.max_mm}; }
Aabb bounds(const Cylinder& c) {
  return {{c.center_x_mm - c.radius_mm, c.center_y_mm - c.radius_mm, c.z0_mm},
          {c.center_x_mm + c.radius_mm, c.center_y_mm + c.radius_mm, c.z1_mm}};
}

/// The box grown by 1e-7 of its largest coordinate (+1e-7 mm), so that rounding in the node
/// tests can never cull an object whose exact test would report a hit.
Aabb padded(const Aabb& b) {
  const Vec3 big = max3(max3(b.min_mm, -1.0 * b.min_mm), max3(b.max_mm, -1.0 * b.max_mm));
  const double pad = 1e-7 * (1 + std::max({big.x, big.y, big.z}));
  const Vec3 p{pad, pad, pad};
  return {b.min_mm - p, b.max_mm + p};
}

// ---- validation ----------------------------------------------------------------------------

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

struct Problem {
  std::string field;  ///< within the object, e.g. "radius_mm"
  std::string what;
};

/// Records the first problem found in one object.
class Checker {
 public:
  void finite(const char* field, double v) {
    if (!std::isfinite(v)) fail(field, "is not finite (" + num(v) + ")");
  }
  void finite(const char* field, Vec3 v) {
    if (!(std::isfinite(v.x) && std::isfinite(v.y) && std::isfinite(v.z)))
      fail(field, "contains a non-finite number (NaN or infinity)");
  }
  void non_negative(const char* field, double v) {
    finite(field, v);
    if (v < 0) fail(field, "must be >= 0, got " + num(v));
  }
  void positive(const char* field, double v) {
    finite(field, v);
    if (!(v > 0)) fail(field, "must be > 0, got " + num(v));
  }
  void positive(const char* field, Vec3 v) {
    finite(field, v);
    if (!(v.x > 0 && v.y > 0 && v.z > 0)) fail(field, "must be > 0 on every axis");
  }
  /// hi > lo on every axis, reported on `field` (the hi one).
  void greater(const char* field, Vec3 hi, const char* lo_name, Vec3 lo) {
    for (int a = 0; a < 3; ++a)
      if (!(hi[a] > lo[a]))
        fail(field, std::string("must exceed ") + lo_name + " on every axis (axis " + "xyz"[a] + ": " + num(hi[a]) +
                        " <= " + num(lo[a]) + ")");
  }
  void operator()(const Sphere& s) {
    finite("center_mm", s.center_mm);
    positive("radius_mm", s.radius_mm);
  }
  void operator()(const Ellipsoid& e) {
    finite("center_mm", e.center_mm);
    positive("semi_axes_mm", e.semi_axes_mm);
    finite("rotation_z_deg", e.rotation_z_deg);
  }
  void operator()(const Box& b) {
    finite("min_mm", b.min_mm);
    finite("max_mm", b.max_mm);
    greater("max_mm", b.max_mm, "min_mm", b.min_mm);
  }
  void operator()(const Cylinder& c) {
    finite("center_x_mm", c.center_x_mm);
    finite("center_y_mm", c.center_y_mm);
    positive("radius_mm", c.radius_mm);
    finite("z0_mm", c.z0_mm);
    finite("z1_mm", c.z1_mm);
    if (!(c.z1_mm > c.z0_mm)) fail("z1_mm", "must exceed z0_mm (" + num(c.z1_mm) + " <= " + num(c.z0_mm) + ")");
  }
  std::optional<Problem> first;

 private:
  void fail(const char* field, std::string what) {
    if (!first) first = Problem{field, std::move(what)};
  }
};

std::optional<Problem> find_problem(const Object& o) {
  Checker check;
  std::visit(check, o.shape);
  check.non_negative("mu", o.mu);
  return check.first;
}

}  // namespace

// ---- public shape functions ----------------------------------------------------------------

Aabb bounding_box(const Shape& shape) {
  return std::visit([](const auto& s) { return bounds(s); }, shape);
}

bool contains(const Shape& shape, Vec3 p) {
  return std::visit([&](const auto& s) { return inside(s, p); }, shape);
}

// ---- bounding-volume hierarchy -------------------------------------------------------------

namespace detail {

/// Binary BVH over the padded world boxes of the valid objects.
class ObjectBvh {
 public:
  explicit ObjectBvh(const std::vector<Object>& objects) {
    boxes_.reserve(objects.size());
    for (std::uint32_t i = 0; i < objects.size(); ++i) {
      boxes_.push_back(padded(bounding_box(objects[i].shape)));
      if (!find_problem(objects[i])) order_.push_back(i);
    }
    if (!order_.empty()) build(0, std::uint32_t(order_.size()));
  }

  /// Calls `object(i)` for every object whose box passes `hits_box(const Aabb&)`, testing the
  /// nodes on the way down with the same predicate. Order unspecified.
  /// The arrays as they are (see FlatIndex).
  [[nodiscard]] FlatIndex flatten() const {
    FlatIndex f;
    f.nodes.reserve(nodes_.size());
    for (const Node& n : nodes_) f.nodes.push_back({n.box, n.first, n.count, n.right});
    f.order = order_;
    f.boxes = boxes_;
    return f;
  }

  template <class BoxTest, class ObjectFn>
  void visit(BoxTest&& hits_box, ObjectFn&& object) const {
    if (nodes_.empty()) return;
    std::uint32_t stack[64];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const Node& n = nodes_[stack[--top]];
      if (!hits_box(n.box)) continue;
      if (n.count > 0) {
        for (std::uint32_t k = n.first; k < n.first + n.count; ++k)
          if (hits_box(boxes_[order_[k]])) object(order_[k]);
      } else {
        stack[top++] = n.right;
        stack[top++] = std::uint32_t(&n - nodes_.data()) + 1;
      }
    }
  }

 private:
  static constexpr std::uint32_t kLeafSize = 4;
  struct Node {
    Aabb box;
    std::uint32_t first = 0, count = 0;  ///< leaf: order_[first, first + count)
    std::uint32_t right = 0;             ///< inner (count == 0): children at index + 1 and right
  };

  Vec3 centroid(std::uint32_t i) const { return 0.5 * (boxes_[i].min_mm + boxes_[i].max_mm); }

  /// Median split on the longest axis of the centroids; depth <= log2(n) + 1, well within the
  /// traversal stack.
  std::uint32_t build(std::uint32_t first, std::uint32_t last) {
    const auto self = std::uint32_t(nodes_.size());
    nodes_.emplace_back();
    Aabb box = boxes_[order_[first]];
    Aabb cbox{centroid(order_[first]), centroid(order_[first])};
    for (std::uint32_t k = first; k < last; ++k) {
      box = {min3(box.min_mm, boxes_[order_[k]].min_mm), max3(box.max_mm, boxes_[order_[k]].max_mm)};
      cbox = {min3(cbox.min_mm, centroid(order_[k])), max3(cbox.max_mm, centroid(order_[k]))};
    }
    nodes_[self].box = box;
    const Vec3 ext = cbox.max_mm - cbox.min_mm;
    const int axis = ext.x >= ext.y && ext.x >= ext.z ? 0 : (ext.y >= ext.z ? 1 : 2);
    if (last - first <= kLeafSize || ext[axis] == 0) {
      nodes_[self].first = first;
      nodes_[self].count = last - first;
      return self;
    }
    const std::uint32_t mid = first + (last - first) / 2;
    std::nth_element(order_.begin() + first, order_.begin() + mid, order_.begin() + last,
                     [&](std::uint32_t a, std::uint32_t b) { return centroid(a)[axis] < centroid(b)[axis]; });
    build(first, mid);
    const std::uint32_t right = build(mid, last);
    nodes_[self].right = right;
    return self;
  }

  std::vector<Aabb> boxes_;           ///< per object, padded
  std::vector<std::uint32_t> order_;  ///< valid object indices, permuted into leaves
  std::vector<Node> nodes_;           ///< root at 0
};

struct PhantomAccess {
  static const ObjectBvh& bvh(const Phantom& p) { return *p.bvh_; }
};

}  // namespace detail

Phantom::Phantom() : Phantom(std::vector<Object>{}) {}

Phantom::Phantom(std::vector<Object> objects)
    : objects_(std::move(objects)), bvh_(std::make_shared<const detail::ObjectBvh>(objects_)) {}

FlatIndex flat_index(const Phantom& phantom) { return detail::PhantomAccess::bvh(phantom).flatten(); }

void validate(const Phantom& phantom, const std::string& file) {
  for (std::size_t i = 0; i < phantom.size(); ++i)
    if (auto p = find_problem(phantom.objects()[i]))
      throw InputError(file, "objects[" + std::to_string(i) + "]." + p->field, p->what);
}

namespace {

// ---- ray tracing -------------------------------------------------------------------------

/// Traces rays through one phantom; holds per-thread scratch, so use one per thread.
class Tracer {
 public:
  explicit Tracer(const Phantom& p) : objects_(p.objects()), bvh_(detail::PhantomAccess::bvh(p)) {}

  double integral(Vec3 a, Vec3 b, bool use_index = true) {
    hits_.clear();
    const Vec3 d = b - a;
    const double length = norm(d);
    if (!(length > 0)) return 0;
    const Ray ray{a, (1 / length) * d, length};
    if (use_index) {
      bvh_.visit([&](const Aabb& box) { Interval iv = whole(ray); return clip_box(iv, ray, box.min_mm, box.max_mm); },
                 [&](std::uint32_t i) { add_hit(ray, i); });
    } else {
      for (std::uint32_t i = 0; i < objects_.size(); ++i) add_hit(ray, i);
    }
    return resolve();
  }

 private:
  struct Hit {
    double t0, t1, len, mu;
    std::uint32_t index;
  };
  struct Span {
    double t0, t1;
  };

  void add_hit(const Ray& ray, std::uint32_t i) {
    Interval iv = whole(ray);
    const Object& o = objects_[i];
    if (std::visit([&](const auto& s) { return clip_shape(iv, ray, s); }, o.shape))
      hits_.push_back({iv.t0, iv.t1, iv.len, o.mu, i});
  }

  /// Last object wins: from the last hit object to the first, each adds mu times the part of
  /// its interval no later object covers. covered_ stays sorted and non-overlapping.
  double resolve() {
    if (hits_.size() == 1) return hits_[0].mu * hits_[0].len;
    std::sort(hits_.begin(), hits_.end(), [](const Hit& a, const Hit& b) { return a.index > b.index; });
    covered_.clear();
    double sum = 0;
    for (const Hit& h : hits_) {
      auto first = std::lower_bound(covered_.begin(), covered_.end(), h.t0,
                                    [](const Span& c, double t) { return c.t1 <= t; });
      auto last = first;
      double overlap = 0;
      for (; last != covered_.end() && last->t0 < h.t1; ++last)
        overlap += std::min(h.t1, last->t1) - std::max(h.t0, last->t0);
      const double free = first == last ? h.len : (h.t1 - h.t0) - overlap;
      if (free > 0) sum += h.mu * free;
      Span merged{h.t0, h.t1};
      if (first != last) {
        merged = {std::min(h.t0, first->t0), std::max(h.t1, (last - 1)->t1)};
        first = covered_.erase(first, last);
      }
      covered_.insert(first, merged);
    }
    return sum;
  }

  const std::vector<Object>& objects_;
  const detail::ObjectBvh& bvh_;
  std::vector<Hit> hits_;
  std::vector<Span> covered_;
};

/// mu at points of one region: the objects whose boxes meet the region are gathered once
/// (last first), then each point takes the mu of the first of them that contains it.
class PointSampler {
 public:
  explicit PointSampler(const Phantom& p) : objects_(p.objects()), bvh_(detail::PhantomAccess::bvh(p)) {}

  void gather(const Aabb& region) {
    candidates_.clear();
    bvh_.visit([&](const Aabb& box) { return overlaps(box, region); },
               [&](std::uint32_t i) { candidates_.push_back(i); });
    std::sort(candidates_.begin(), candidates_.end(), std::greater<>());
  }
  [[nodiscard]] bool empty() const { return candidates_.empty(); }
  [[nodiscard]] double mu(Vec3 p) const {
    for (std::uint32_t i : candidates_)
      if (contains(objects_[i].shape, p)) return objects_[i].mu;
    return 0;
  }

 private:
  const std::vector<Object>& objects_;
  const detail::ObjectBvh& bvh_;
  std::vector<std::uint32_t> candidates_;
};

/// Offsets (i + 0.5)/s - 0.5, i = 0..s-1, of the sub-samples of one pixel or voxel.
std::vector<double> sub_offsets(int s) {
  std::vector<double> off(s);
  for (int i = 0; i < s; ++i) off[i] = (i + 0.5) / s - 0.5;
  return off;
}

void check_supersample(int s) {
  if (s < 1) throw InputError("", "supersample", "must be >= 1, got " + std::to_string(s));
}

void check_projection(const Phantom& phantom, const Detector& det, int s) {
  validate(phantom);
  check_supersample(s);
  if (det.cols < 1 || det.rows < 1)
    throw InputError("", "detector.cols/rows", "detector size must be at least 1 x 1, got " +
                                                   std::to_string(det.cols) + " x " + std::to_string(det.rows));
}

void project_row(Tracer& tracer, const Detector& det, const ViewGeometry& view, const std::vector<double>& off,
                 int row, float* out) {
  const double weight = 1.0 / double(off.size() * off.size());
  for (int c = 0; c < det.cols; ++c) {
    double sum = 0;
    for (double dv : off)
      for (double du : off) {
        const Vec3 q = detector_point(det, view, c + du, row + dv);
        if (view.parallel) {
          // Parallel beam: the whole line through the pixel (the detector plane may cut the
          // phantom); far enough both ways to cover any phantom near the origin.
          const Vec3 d = (2 * norm(q) + 1e4) * normalized(view.ray);
          sum += tracer.integral(q - d, q + d);
        } else {
          sum += tracer.integral(view.source, q);
        }
      }
    out[c] = float(sum * weight);
  }
}

}  // namespace

double line_integral(const Phantom& phantom, Vec3 a, Vec3 b) { return Tracer(phantom).integral(a, b); }

double line_integral_brute_force(const Phantom& phantom, Vec3 a, Vec3 b) {
  return Tracer(phantom).integral(a, b, false);
}

double mu_at(const Phantom& phantom, Vec3 p) {
  PointSampler sampler(phantom);
  sampler.gather({p, p});
  return sampler.mu(p);
}

Vec3 detector_point(const Detector& det, const ViewGeometry& view, double col, double row) {
  return view.detector_center + (col - 0.5 * (det.cols - 1)) * view.u + (row - 0.5 * (det.rows - 1)) * view.v;
}

void project_view(const Phantom& phantom, const Detector& det, const ViewGeometry& view, int supersample,
                  float* out) {
  check_projection(phantom, det, supersample);
  const auto off = sub_offsets(supersample);
  tbb::parallel_for(tbb::blocked_range<int>(0, det.rows), [&](const tbb::blocked_range<int>& rows) {
    Tracer tracer(phantom);
    for (int r = rows.begin(); r != rows.end(); ++r) project_row(tracer, det, view, off, r, out + std::size_t(r) * det.cols);
  });
}

void mean_transmission_view(const Phantom& phantom, const Detector& det, const ViewGeometry& view, int supersample,
                            const std::vector<SourcePoint>& sources, float* out) {
  const int s = supersample;
  const double per_ray = 1.0 / (s * s);
  tbb::parallel_for(0, det.rows, [&](int r) {
    for (int c = 0; c < det.cols; ++c) {
      double t = 0;
      for (int j = 0; j < s; ++j)
        for (int i = 0; i < s; ++i) {
          const Vec3 q = detector_point(det, view, c + (i + 0.5) / s - 0.5, r + (j * s + i + 0.5) / (s * s) - 0.5);
          if (view.parallel)
            t += std::exp(-line_integral(phantom, q - 1e3 * view.ray, q + 1e3 * view.ray));
          else
            for (const SourcePoint& src : sources) t += src.weight * std::exp(-line_integral(phantom, src.pos, q));
        }
      out[std::size_t(r) * std::size_t(det.cols) + std::size_t(c)] = float(t * per_ray);
    }
  });
}

std::vector<float> project(const Phantom& phantom, const Geometry& geometry, int supersample) {
  const Detector& det = geometry.detector;
  check_projection(phantom, det, supersample);
  const auto off = sub_offsets(supersample);
  const std::size_t rows = std::size_t(det.rows), cols = std::size_t(det.cols);
  std::vector<float> out(geometry.views.size() * rows * cols);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, geometry.views.size() * rows),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      Tracer tracer(phantom);
                      for (std::size_t vr = range.begin(); vr != range.end(); ++vr)
                        project_row(tracer, det, geometry.views[vr / rows], off, int(vr % rows), out.data() + vr * cols);
                    });
  return out;
}

std::vector<float> voxelize(const Phantom& phantom, const VolumeGrid& grid, int supersample) {
  validate(phantom);
  check_supersample(supersample);
  if (grid.nx < 1 || grid.ny < 1 || grid.nz < 1)
    throw InputError("", "volume.size", "grid must be at least 1 x 1 x 1");
  const auto off = sub_offsets(supersample);
  const double weight = 1.0 / double(off.size() * off.size() * off.size());
  const std::size_t nx = std::size_t(grid.nx), ny = std::size_t(grid.ny);
  std::vector<float> out(grid.voxel_count());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, std::size_t(grid.nz) * ny),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      PointSampler sampler(phantom);
                      for (std::size_t kj = range.begin(); kj != range.end(); ++kj) {
                        const double k = double(kj / ny), j = double(kj % ny);
                        for (std::size_t i = 0; i < nx; ++i) {
                          const Vec3 p0 = grid.voxel_center(double(i) + off.front(), j + off.front(), k + off.front());
                          const Vec3 p1 = grid.voxel_center(double(i) + off.back(), j + off.back(), k + off.back());
                          sampler.gather({min3(p0, p1), max3(p0, p1)});
                          double sum = 0;
                          if (!sampler.empty())
                            for (double dz : off)
                              for (double dy : off)
                                for (double dx : off) sum += sampler.mu(grid.voxel_center(double(i) + dx, j + dy, k + dz));
                          out[kj * nx + i] = float(sum * weight);
                        }
                      }
                    });
  return out;
}

}  // namespace voidscan
