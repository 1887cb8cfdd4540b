#include "detect/flood_fill.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace voidscan::detect {

void connected_to_lateral_faces(const std::uint8_t* mask, int nx, int ny, int nz, std::uint8_t* out) {
  const std::size_t n = std::size_t(nx) * std::size_t(ny) * std::size_t(nz);
  std::fill(out, out + n, std::uint8_t{0});
  if (n == 0) return;
  auto row = [&](int j, int k) { return (std::size_t(k) * std::size_t(ny) + std::size_t(j)) * std::size_t(nx); };
  struct Seed {
    int i, j, k;
  };
  std::vector<Seed> stack;
  // One seed per run of set, unreached voxels in row (j, k) over [a, b].
  auto push_runs = [&](int a, int b, int j, int k) {
    if (j < 0 || j >= ny || k < 0 || k >= nz) return;
    const std::size_t r = row(j, k);
    bool in_run = false;
    for (int i = a; i <= b; ++i) {
      const bool open = mask[r + std::size_t(i)] != 0 && out[r + std::size_t(i)] == 0;
      if (open && !in_run) stack.push_back({i, j, k});
      in_run = open;
    }
  };
  for (int k = 0; k < nz; ++k) {
    push_runs(0, nx - 1, 0, k);
    if (ny > 1) push_runs(0, nx - 1, ny - 1, k);
    for (int j = 1; j + 1 < ny; ++j) {
      push_runs(0, 0, j, k);
      push_runs(nx - 1, nx - 1, j, k);
    }
  }
  while (!stack.empty()) {
    const Seed s = stack.back();
    stack.pop_back();
    const std::size_t r = row(s.j, s.k);
    if (out[r + std::size_t(s.i)]) continue;  // reached since it was pushed
    int a = s.i, b = s.i;
    while (a > 0 && mask[r + std::size_t(a - 1)] && !out[r + std::size_t(a - 1)]) --a;
    while (b + 1 < nx && mask[r + std::size_t(b + 1)] && !out[r + std::size_t(b + 1)]) ++b;
    std::fill(out + r + std::size_t(a), out + r + std::size_t(b) + 1, std::uint8_t{1});
    push_runs(a, b, s.j - 1, s.k);
    push_runs(a, b, s.j + 1, s.k);
    push_runs(a, b, s.j, s.k - 1);
    push_runs(a, b, s.j, s.k + 1);
  }
}

}  // namespace voidscan::detect
