// Host side of the flat projector scene (sim/flat_scene.hpp): builds the plain arrays from a
// Phantom (its own BVH, flattened by flat_index() of recon/phantom.hpp) and the rays of one
// view from the simulator's parameters. sim::transmission_view (CPU) and the CUDA projector
// take their focal-spot source points from make_view_rays(), so both use the same points.
// Test: tests/sim/test_flat_scene.cpp.
#pragma once
#include <vector>

#include "recon/geometry.hpp"
#include "recon/phantom.hpp"
#include "sim/flat_scene.hpp"

namespace voidscan::sim::flat {

/// Owns the arrays a Scene points into.
struct HostScene {
  std::vector<Object> objects;
  std::vector<double> boxes;  ///< 6 per object
  std::vector<std::uint32_t> order;
  std::vector<Node> nodes;
  /// Pointers into this object's vectors (valid while it lives and is not modified).
  [[nodiscard]] Scene view() const;
};

/// The phantom as flat arrays, objects in list order. Precondition: validate(phantom) passes.
[[nodiscard]] HostScene make_scene(const Phantom& phantom);

/// The rays of one view: detector vectors, s x s sub-pixel points, and the source points: the
/// view's source alone when focal_spot_mm is 0, else a 3 x 3 Gauss-Hermite rule for the
/// Gaussian spot (sigma = FWHM / (2 sqrt(2 ln 2)); nodes 0, +-sqrt(3) sigma, weights 2/3, 1/6,
/// 1/6 per axis) in the plane spanned by the detector's u and v.
[[nodiscard]] ViewRays make_view_rays(const Detector& det, const ViewGeometry& view, int supersample,
                                      double focal_spot_mm);

/// Every pixel of a view through pixel_transmission() on the host, one thread (the reference
/// of the CUDA kernel in the tests). Throws RuntimeFailure when a ray meets more than `cap`
/// objects.
void transmissions_host(const HostScene& scene, const ViewRays& rays, int cap, float* out);

}  // namespace voidscan::sim::flat
