// detect/flood_fill: the outside-air fill against ITK's connected components (the labels that
// touch an x or y face), on random masks around the percolation threshold and on shapes whose
// answer is known by construction.
#include "detect/flood_fill.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "detect/itk_ops.hpp"

namespace voidscan::detect {
namespace {

using u8 = std::uint8_t;

/// The reference: face-connected components (ITK), kept where a label reaches an x or y face.
std::vector<u8> reference(const std::vector<u8>& mask, int nx, int ny, int nz) {
  std::vector<std::uint32_t> lab(mask.size());
  itk_ops::connected_components(mask.data(), {nx, ny, nz}, false, lab.data());
  std::set<std::uint32_t> outside;
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i)
        if (i == 0 || j == 0 || i == nx - 1 || j == ny - 1) {
          const std::uint32_t l = lab[(std::size_t(k) * ny + j) * nx + i];
          if (l) outside.insert(l);
        }
  std::vector<u8> out(mask.size());
  for (std::size_t q = 0; q < mask.size(); ++q) out[q] = u8(lab[q] != 0 && outside.count(lab[q]));
  return out;
}

std::vector<u8> fill(const std::vector<u8>& mask, int nx, int ny, int nz) {
  std::vector<u8> out(mask.size(), 7);
  connected_to_lateral_faces(mask.data(), nx, ny, nz, out.data());
  return out;
}

TEST(FloodFill, RandomMasksMatchItkConnectedComponents) {
  // Face-connected site percolation in 3-D sets in near 0.31: below it most clusters are
  // enclosed, above it one spans the box; both and the mixed regime in between.
  std::mt19937 rng(5);
  for (const double p : {0.2, 0.3, 0.35, 0.5, 0.8})
    for (const auto& [nx, ny, nz] : std::vector<std::array<int, 3>>{{41, 33, 17}, {1, 20, 9}, {25, 1, 6}, {30, 28, 1}}) {
      std::bernoulli_distribution set(p);
      std::vector<u8> mask(std::size_t(nx) * ny * nz);
      for (auto& m : mask) m = u8(set(rng));
      const auto want = reference(mask, nx, ny, nz);
      const auto got = fill(mask, nx, ny, nz);
      std::size_t reached = 0, differ = 0;
      for (std::size_t q = 0; q < mask.size(); ++q) reached += want[q], differ += want[q] != got[q];
      EXPECT_EQ(differ, 0u) << "p " << p << ", " << nx << " x " << ny << " x " << nz << ", " << reached << " reached";
    }
}

TEST(FloodFill, EnclosedCavitiesAndVerticalHolesAreNotOutsideAWindingTunnelIs) {
  const int nx = 24, ny = 20, nz = 12;
  auto at = [&](int i, int j, int k) { return (std::size_t(k) * ny + j) * nx + i; };
  std::vector<u8> mask(std::size_t(nx) * ny * nz, 1);  // air everywhere
  // A solid block x 4..19, y 4..15 over all planes, with: a cavity (x 6..8, y 6..8, z 4..6);
  // a vertical hole through every plane (x 16, y 12); and a tunnel from the x = 0 side that
  // enters at (4, 10, 5) and winds: +x to 12, +y to 13, -x to 9, +z to 8, +x to 14.
  for (int k = 0; k < nz; ++k)
    for (int j = 4; j <= 15; ++j)
      for (int i = 4; i <= 19; ++i) mask[at(i, j, k)] = 0;
  std::vector<std::size_t> cavity, hole, tunnel;
  for (int k = 4; k <= 6; ++k)
    for (int j = 6; j <= 8; ++j)
      for (int i = 6; i <= 8; ++i) cavity.push_back(at(i, j, k));
  for (int k = 0; k < nz; ++k) hole.push_back(at(16, 12, k));
  int i = 4, j = 10, k = 5;
  auto dig = [&](int di, int dj, int dk, int steps) {
    for (int s = 0; s < steps; ++s, i += di, j += dj, k += dk) tunnel.push_back(at(i, j, k));
  };
  dig(1, 0, 0, 8), dig(0, 1, 0, 3), dig(-1, 0, 0, 3), dig(0, 0, 1, 3), dig(1, 0, 0, 6);
  tunnel.push_back(at(i, j, k));
  for (auto* set : {&cavity, &hole, &tunnel})
    for (std::size_t q : *set) mask[q] = 1;
  const auto got = fill(mask, nx, ny, nz);
  for (std::size_t q : cavity) EXPECT_EQ(got[q], 0) << "cavity voxel " << q;
  for (std::size_t q : hole) EXPECT_EQ(got[q], 0) << "vertical hole voxel " << q;
  for (std::size_t q : tunnel) EXPECT_EQ(got[q], 1) << "tunnel voxel " << q;
  EXPECT_EQ(got[at(0, 0, 0)], 1);
  EXPECT_EQ(got[at(10, 5, 3)], 0);  // solid
  EXPECT_EQ(got, reference(mask, nx, ny, nz));
}

}  // namespace
}  // namespace voidscan::detect
