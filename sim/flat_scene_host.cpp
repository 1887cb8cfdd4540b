// Host side of the flat projector scene: see sim/flat_scene_host.hpp.
#include "sim/flat_scene_host.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <variant>

#include "recon/error.hpp"

namespace voidscan::sim::flat {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

Object flatten(const voidscan::Object& o) {
  Object f;
  f.mu = o.mu;
  std::visit(Overloaded{
                 [&](const Sphere& s) {
                   f.type = kSphere;
                   f.p[0] = s.center_mm.x, f.p[1] = s.center_mm.y, f.p[2] = s.center_mm.z;
                   f.p[3] = 1 / s.radius_mm;
                 },
                 [&](const Ellipsoid& e) {
                   // as UnitFrame in recon/phantom.cpp
                   f.type = kEllipsoid;
                   const double t = e.rotation_z_deg * (std::numbers::pi / 180.0);
                   f.p[0] = e.center_mm.x, f.p[1] = e.center_mm.y, f.p[2] = e.center_mm.z;
                   f.p[3] = std::cos(t), f.p[4] = std::sin(t);
                   f.p[5] = 1 / e.semi_axes_mm.x, f.p[6] = 1 / e.semi_axes_mm.y, f.p[7] = 1 / e.semi_axes_mm.z;
                 },
                 [&](const Box& b) {
                   f.type = kBox;
                   f.p[0] = b.min_mm.x, f.p[1] = b.min_mm.y, f.p[2] = b.min_mm.z;
                   f.p[3] = b.max_mm.x, f.p[4] = b.max_mm.y, f.p[5] = b.max_mm.z;
                 },
                 [&](const Cylinder& c) {
                   f.type = kCylinder;
                   f.p[0] = c.center_x_mm, f.p[1] = c.center_y_mm, f.p[2] = 1 / c.radius_mm;
                   f.p[3] = c.z0_mm, f.p[4] = c.z1_mm;
                 },
             },
             o.shape);
  return f;
}

void put(double* dst, Vec3 v) { dst[0] = v.x, dst[1] = v.y, dst[2] = v.z; }

}  // namespace

Scene HostScene::view() const {
  Scene s;
  s.objects = objects.data();
  s.boxes = boxes.data();
  s.order = order.data();
  s.nodes = nodes.data();
  s.object_count = std::uint32_t(objects.size());
  s.order_count = std::uint32_t(order.size());
  s.node_count = std::uint32_t(nodes.size());
  return s;
}

HostScene make_scene(const Phantom& phantom) {
  HostScene s;
  s.objects.reserve(phantom.size());
  for (const auto& o : phantom.objects()) s.objects.push_back(flatten(o));
  const FlatIndex index = flat_index(phantom);
  s.boxes.reserve(6 * index.boxes.size());
  for (const Aabb& b : index.boxes)
    for (double x : {b.min_mm.x, b.min_mm.y, b.min_mm.z, b.max_mm.x, b.max_mm.y, b.max_mm.z}) s.boxes.push_back(x);
  s.order = index.order;
  s.nodes.reserve(index.nodes.size());
  for (const auto& n : index.nodes) {
    Node f{};
    put(f.lo, n.box.min_mm);
    put(f.hi, n.box.max_mm);
    f.first = n.first, f.count = n.count, f.right = n.right;
    s.nodes.push_back(f);
  }
  return s;
}

ViewRays make_view_rays(const Detector& det, const ViewGeometry& view, int supersample, double focal_spot_mm) {
  ViewRays r{};
  put(r.detector_center, view.detector_center);
  put(r.u, view.u);
  put(r.v, view.v);
  r.cols = det.cols;
  r.rows = det.rows;
  r.supersample = supersample;
  if (focal_spot_mm > 0) {
    const double sigma = focal_spot_mm / (2 * std::sqrt(2 * std::log(2.0)));
    const double node[3] = {-std::sqrt(3.0) * sigma, 0, std::sqrt(3.0) * sigma}, w[3] = {1.0 / 6, 2.0 / 3, 1.0 / 6};
    const Vec3 eu = normalized(view.u), ev = normalized(view.v);
    r.sources = 0;
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) {
        put(r.source[r.sources], view.source + node[a] * eu + node[b] * ev);
        r.weight[r.sources++] = w[a] * w[b];
      }
  } else {
    r.sources = 1;
    put(r.source[0], view.source);
    r.weight[0] = 1.0;
  }
  return r;
}

void transmissions_host(const HostScene& scene, const ViewRays& rays, int cap, float* out) {
  std::vector<Hit> hits(std::size_t(std::max(cap, 1)));
  std::vector<Span> spans(hits.size());
  const Scene s = scene.view();
  for (int r = 0; r < rays.rows; ++r)
    for (int c = 0; c < rays.cols; ++c) {
      int error = 0;
      const double t = pixel_transmission(s, rays, c, r, hits.data(), spans.data(), cap, &error);
      if (error != 0)
        throw RuntimeFailure("flat projector: the ray to pixel (" + std::to_string(c) + ", " + std::to_string(r) + ") " +
                             (error < 0 ? std::string("overflowed the traversal stack")
                                        : "meets " + std::to_string(error) + " objects, more than the limit of " +
                                              std::to_string(cap)));
      out[std::size_t(r) * rays.cols + c] = float(t);
    }
}

}  // namespace voidscan::sim::flat
