// Analytic phantoms: exact line integrals, projections and voxelizations of a scene made of
// simple solids (spheres, ellipsoids, boxes, z-cylinders). Tests use them as ground truth for
// reconstruction; the package simulator (dies, micro-bumps, voids: ~10^4 objects) builds on them.
//
// Semantics
//   - Everything is in world millimetres (recon/geometry.hpp frame); mu is in 1/mm.
//   - A Phantom is an ORDERED list of objects. Where objects overlap, the LATER one replaces the
//     earlier ones (painter's order, not additive): a void is a mu = 0 object listed after the
//     underfill it sits in. Outside every object mu = 0.
//   - Solids are closed: a point on the surface is inside, a ray running along a face or an edge
//     of a box (or along a cylinder's wall) sees that face's full length.
//
// Algorithm
//   - Per ray a -> b: every object the ray may hit gives a closed-form parameter interval
//     (unit-sphere quadric in the ellipsoid's own scaled frame, slab method for boxes, circle
//     quadric + z slab for cylinders), clipped to the segment. The intervals are then resolved
//     in list order: visiting objects from last to first, each adds mu times the part of its
//     interval not yet covered by a later object (a sorted list of disjoint covered intervals).
//     Exact up to double rounding (~1e-12 relative for source-to-detector rays).
//   - Acceleration: the Phantom builds, once at construction, a bounding-volume hierarchy (binary,
//     median split on the longest centroid axis, <= 4 objects a leaf) over the objects' world
//     bounding boxes, padded by ~1e-7 relative so culling never drops an object the exact test
//     would hit. Rays, point queries and voxel queries visit only the leaves whose boxes they
//     touch. The result does not depend on the traversal order (hits are resolved by object
//     index), so it is bit-identical to line_integral_brute_force().
//   - project(): one ray from the source to each pixel centre (or s x s sub-pixel points), TBB
//     over views x rows. voxelize(): per voxel, the objects whose boxes overlap it are gathered
//     once, then each of the s^3 sub-points takes the mu of the last object containing it.
//
// Tests: tests/recon/test_phantom.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "recon/geometry.hpp"

namespace voidscan {

struct Sphere {
  Vec3 center_mm;
  double radius_mm = 0;  ///< > 0
};

/// Ellipsoid with semi-axes along its own x, y, z; the own frame is the world frame rotated
/// counter-clockwise about +z by rotation_z_deg (so the first semi-axis lies along
/// (cos t, sin t, 0)).
struct Ellipsoid {
  Vec3 center_mm;
  Vec3 semi_axes_mm;  ///< all > 0
  double rotation_z_deg = 0;
};

/// Axis-aligned box [min, max] on every axis.
struct Box {
  Vec3 min_mm;
  Vec3 max_mm;  ///< > min_mm on every axis
};

/// Circular cylinder with its axis along z: (x - cx)^2 + (y - cy)^2 <= r^2, z0 <= z <= z1.
struct Cylinder {
  double center_x_mm = 0;
  double center_y_mm = 0;
  double radius_mm = 0;  ///< > 0
  double z0_mm = 0;
  double z1_mm = 0;      ///< > z0_mm
};

using Shape = std::variant<Sphere, Ellipsoid, Box, Cylinder>;

struct Object {
  Shape shape;
  double mu = 0;   ///< linear attenuation, 1/mm, >= 0 (0 for voids)
  int label = -1;  ///< free label / defect id, -1 when none
};

/// Axis-aligned bounding box in world mm.
struct Aabb {
  Vec3 min_mm;
  Vec3 max_mm;
};

/// Tight world bounding box of a shape.
[[nodiscard]] Aabb bounding_box(const Shape& shape);
/// Whether `p` lies in the (closed) shape.
[[nodiscard]] bool contains(const Shape& shape, Vec3 p);

namespace detail {
class ObjectBvh;
struct PhantomAccess;
}  // namespace detail

/// An ordered, immutable list of objects plus its acceleration index (built by the constructor,
/// O(n log n); shared between copies). Build the object list first, then the Phantom.
/// Invalid objects (see validate) are left out of the index; call validate() on untrusted input.
class Phantom {
 public:
  Phantom();
  explicit Phantom(std::vector<Object> objects);
  [[nodiscard]] const std::vector<Object>& objects() const noexcept { return objects_; }
  [[nodiscard]] std::size_t size() const noexcept { return objects_.size(); }

 private:
  friend struct detail::PhantomAccess;
  std::vector<Object> objects_;
  std::shared_ptr<const detail::ObjectBvh> bvh_;
};

/// Throws InputError naming `file` and the field ("objects[3].radius_mm") for a non-finite
/// number, a semi-axis or radius <= 0, a box with min >= max, a cylinder with z0 >= z1, or mu < 0.
void validate(const Phantom& phantom, const std::string& file = {});

/// The phantom's acceleration index as plain arrays, for traversers outside this file (the
/// simulator's CUDA projector, sim/flat_scene.hpp). Node 0 is the root; an inner node
/// (count == 0) has children at its own index + 1 and at `right`; a leaf holds
/// order[first, first + count). boxes[i] is object i's padded world box (every object, valid or
/// not; invalid objects are in no leaf). Culling by these boxes with the same slab test as
/// line_integral() never drops an object the exact test would hit.
struct FlatIndex {
  struct Node {
    Aabb box;
    std::uint32_t first = 0, count = 0, right = 0;
  };
  std::vector<Node> nodes;
  std::vector<std::uint32_t> order;
  std::vector<Aabb> boxes;
};
[[nodiscard]] FlatIndex flat_index(const Phantom& phantom);

/// Exact integral of mu along the segment a -> b (mm * 1/mm = dimensionless). Only the segment
/// counts: for a projection integrate source -> pixel, which covers a phantom lying between them.
/// 0 when a == b. Thread-safe. Precondition: validate(phantom) passes.
[[nodiscard]] double line_integral(const Phantom& phantom, Vec3 a, Vec3 b);

/// The same function without the index (tests every object): the reference for the index.
[[nodiscard]] double line_integral_brute_force(const Phantom& phantom, Vec3 a, Vec3 b);

/// mu at point p: that of the last object containing p, 0 outside all. Thread-safe.
[[nodiscard]] double mu_at(const Phantom& phantom, Vec3 p);

/// World position of the detector point at fractional pixel coordinates (col, row):
/// detector_center + (col - (cols-1)/2) u + (row - (rows-1)/2) v. Integers are pixel centres.
[[nodiscard]] Vec3 detector_point(const Detector& det, const ViewGeometry& view, double col, double row);

/// One view: rows x cols line integrals (row-major) into `out` (parallel-beam views: along
/// the whole line through each pixel in the ray direction). supersample s >= 1 averages
/// s x s rays to the points (c + (i + 0.5)/s - 0.5, r + (j + 0.5)/s - 0.5) of each pixel.
/// Validates the phantom; throws InputError for s < 1 or an empty detector. Multithreaded.
void project_view(const Phantom& phantom, const Detector& det, const ViewGeometry& view, int supersample,
                  float* out);

/// A weighted source point (a focal spot is sampled by several; weights sum to 1).
struct SourcePoint {
  Vec3 pos;
  double weight = 1;
};

/// One view of mean transmissions, as a detector integrates over its pixel: per pixel the mean
/// over s x s rays of sum_k w_k exp(-integral of mu from sources[k]), summed in double in this
/// order (the simulator's CUDA projector matches it). Ray (i, j), i, j = 0..s-1, goes to the
/// point (c + (i + 0.5)/s - 0.5, r + (j s + i + 0.5)/s^2 - 0.5): s columns as project_view, but
/// s^2 distinct heights ("n-rooks" rows). A package's layers lie along the rays, so a thin
/// layer's projected thickness is sampled in steps of 1/s^2 pixel, not 1/s: with a square
/// grid of 2 x 2 rays a bond gap centred on a row boundary projected in whole voxels (1.36 um
/// read 1.0, 1.84 read 2.0; docs/accuracy.md).
/// Parallel-beam views ignore `sources` (the whole line through each point, weight 1).
/// Multithreaded; no checks (callers validate).
void mean_transmission_view(const Phantom& phantom, const Detector& det, const ViewGeometry& view, int supersample,
                            const std::vector<SourcePoint>& sources, float* out);

/// All views: views x rows x cols floats (view-major, then row, then column), as project_view.
[[nodiscard]] std::vector<float> project(const Phantom& phantom, const Geometry& geometry, int supersample = 1);

/// mu on `grid` (x fastest): at each voxel centre for s = 1, else the mean over the s^3 points
/// voxel_center(i + (a + 0.5)/s - 0.5, ...) (partial-volume fractions). Validates the phantom;
/// throws InputError for s < 1 or an empty grid. Multithreaded.
[[nodiscard]] std::vector<float> voxelize(const Phantom& phantom, const VolumeGrid& grid, int supersample = 1);

}  // namespace voidscan
