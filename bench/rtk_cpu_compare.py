#!/usr/bin/env python3
"""Peer comparison on the CPU: RTK's FDK (PyPI wheel itk-rtk) against `voidscan reconstruct
--device cpu`, on the same scan files, onto the same grid.

What is measured, per case (grid n^3 from V views of an n x n detector, the benchmark scene of
bench/scene.hpp written by `voidscan_bench --make-scan`):
  voidscan s   the reconstruction time voidscan reports itself (its log's "in X s": reading and
               preprocessing the TIFFs, pipelined with weighting, filtering and backprojection;
               not the volume write). wall s: the whole process.
  RTK s        rtk.FDKConeBeamReconstructionFilter.Update() on line integrals already in memory
               (weighting, ramp filter, backprojection). load s: reading the same TIFFs with ITK
               and taking -log(I / white) in numpy, not counted in RTK s.
  ratio        RTK s / voidscan s (> 1: voidscan is faster).
  corr         Pearson correlation of the two volumes over the cylinder r <= 7 mm, |z| <= 5 mm
               (the phantom plus a margin, inside every view's field of view); scale = the
               least-squares factor RTK = scale x voidscan over the same voxels (1 when the two
               agree in units, 1/mm).

Geometry mapping (checked numerically at start-up against RTK's own GetSourcePosition and
GetProjectionCoordinatesToFixedSystemMatrix, and then by the correlation):
  voidscan: z is the rotation axis, source(t) = Rz(t) (0, -SOD, 0), detector u(t) = Rz(t) (1,0,0),
            v = (0, 0, -1) (TIFF row 0 at the top, +z).
  RTK:      y is the rotation axis, source(g) = (SID sin g, 0, SID cos g), u(g) = (cos g, 0, -sin g),
            v = (0, 1, 0).
  With the rotation (proper, det +1)  X = x, Y = z, Z = -y  the sources agree for g = t, u agrees,
  and v is reversed: the projections go to RTK upside down (rows flipped). The RTK volume is
  laid out as (X, Y, Z) = (x, z, -y), so voidscan[k, j, i] = rtk[ny-1-j, k, i] exactly: no
  resampling.

Usage (from the repository root, after building build-bench/; installs nothing into the repo):
  python3 -m venv /tmp/rtk-venv && /tmp/rtk-venv/bin/pip install itk-rtk numpy
  /tmp/rtk-venv/bin/python bench/rtk_cpu_compare.py [--build build-bench] [--cases 128:180,256:360]
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")  # itk 5.4's __array__ warns under numpy 2


def run(cmd):
    """Runs cmd, returns (wall seconds, stderr text); raises with the output on failure."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return wall, p.stdout + p.stderr


def make_scan(bench, folder, n, views):
    manifest = os.path.join(folder, "scan.json")
    if not os.path.exists(manifest):
        run([bench, "--make-scan", folder, "--size", str(n), "--views", str(views)])
    with open(manifest) as f:
        return manifest, json.load(f)


def circular_parameters(scan):
    """(sod, sdd, angles_deg) of a manifest with per-view vectors, checked to be the plain circular
    geometry the mapping assumes (no detector offset, tilt or axis shift)."""
    sods, sdds, angles = [], [], []
    for p in scan["projections"]:
        s, d = np.array(p["source_mm"]), np.array(p["detector_center_mm"])
        t = math.atan2(s[0], -s[1])
        c, si = math.cos(t), math.sin(t)
        sod = math.hypot(s[0], s[1])
        sdd = float(np.linalg.norm(d - s))
        expect_d = np.array([-si * (sdd - sod), c * (sdd - sod), 0.0])
        du, dv = scan["detector"]["pixel_size_mm"]
        if (abs(s[2]) > 1e-9 or np.abs(d - expect_d).max() > 1e-6
                or np.abs(np.array(p["u_mm"]) - du * np.array([c, si, 0])).max() > 1e-9
                or np.abs(np.array(p["v_mm"]) - np.array([0, 0, -dv])).max() > 1e-9):
            raise ValueError(f"view at {p['angle_deg']} deg is not a plain circular view")
        sods.append(sod), sdds.append(sdd), angles.append(math.degrees(t))
    if max(sods) - min(sods) > 1e-6 or max(sdds) - min(sdds) > 1e-6:
        raise ValueError("source distances vary between views")
    return sods[0], sdds[0], angles


def rtk_geometry(rtk, sod, sdd, angles):
    g = rtk.ThreeDCircularProjectionGeometry.New()
    for a in angles:
        g.AddProjection(sod, sdd, a, 0.0, 0.0)
    # Check the mapping X = x, Y = z, Z = -y against RTK's own vectors at a few angles.
    for i in range(0, len(angles), max(1, len(angles) // 7)):
        t = math.radians(angles[i])
        ours_source = np.array([sod * math.sin(t), -sod * math.cos(t), 0.0])
        ours_u = np.array([math.cos(t), math.sin(t), 0.0])
        to_rtk = lambda p: np.array([p[0], p[2], -p[1]])
        src = np.array(g.GetSourcePosition(i))[:3]
        m = np.array(g.GetProjectionCoordinatesToFixedSystemMatrix(i))
        if np.abs(src - to_rtk(ours_source)).max() > 1e-6 or np.abs(m[:3, 0] - to_rtk(ours_u)).max() > 1e-9 \
                or np.abs(m[:3, 1] - np.array([0, 1, 0])).max() > 1e-9:
            raise AssertionError(f"RTK geometry does not follow the assumed mapping at view {i}")
    return g


def load_line_integrals(itk, scan, folder):
    """views x rows x cols float32 -log(I / white), rows flipped for RTK's v = +Y."""
    white = scan["intensity"]["white_level"]
    cache, out = {}, []
    for p in scan["projections"]:
        f = os.path.join(folder, p["file"])
        if f not in cache:
            cache = {f: itk.array_from_image(itk.imread(f))}  # pages x rows x cols
        out.append(cache[f][p["page"]])
    counts = np.stack(out).astype(np.float32)
    li = -np.log(np.maximum(counts, 0.5) / np.float32(white))
    return np.ascontiguousarray(li[:, ::-1, :])


def rtk_fdk(itk, rtk, geometry, line_integrals, du, dv, grid):
    image = itk.Image[itk.F, 3]
    views, rows, cols = line_integrals.shape
    proj = itk.image_from_array(line_integrals)
    proj.SetSpacing([du, dv, 1.0])
    proj.SetOrigin([-(cols - 1) / 2 * du, -(rows - 1) / 2 * dv, 0.0])
    (nx, ny, nz), (sx, sy, sz), (cx, cy, cz) = grid["size"], grid["voxel_mm"], grid.get("center_mm", [0, 0, 0])
    # RTK axes (X, Y, Z) = (x, z, -y): size (nx, nz, ny).
    volume = rtk.ConstantImageSource[image].New()
    volume.SetSize([nx, nz, ny])
    volume.SetSpacing([sx, sz, sy])
    volume.SetOrigin([cx - (nx - 1) / 2 * sx, cz - (nz - 1) / 2 * sz, -cy - (ny - 1) / 2 * sy])
    volume.SetConstant(0.0)
    fdk = rtk.FDKConeBeamReconstructionFilter[image].New()
    fdk.SetInput(0, volume.GetOutput())
    fdk.SetInput(1, proj)
    fdk.SetGeometry(geometry)
    fdk.GetRampFilter().SetTruncationCorrection(0.0)
    fdk.GetRampFilter().SetHannCutFrequency(0.0)  # plain ramp, as voidscan's default ram-lak
    volume.Update()
    t0 = time.perf_counter()
    fdk.Update()
    seconds = time.perf_counter() - t0
    rtk_zyx = itk.array_from_image(fdk.GetOutput())  # [Z, Y, X] = [-y, z, x]
    return seconds, np.ascontiguousarray(rtk_zyx[::-1].transpose(1, 0, 2))  # -> [z, y, x]


def compare(ours, theirs, grid):
    (nx, ny, nz), (sx, sy, sz), (cx, cy, cz) = grid["size"], grid["voxel_mm"], grid.get("center_mm", [0, 0, 0])
    z = cz + (np.arange(nz) - (nz - 1) / 2) * sz
    y = cy + (np.arange(ny) - (ny - 1) / 2) * sy
    x = cx + (np.arange(nx) - (nx - 1) / 2) * sx
    zz, yy, xx = np.meshgrid(z, y, x, indexing="ij")
    keep = (xx**2 + yy**2 <= 7.0**2) & (np.abs(zz) <= 5.0)
    a, b = ours[keep].astype(np.float64), theirs[keep].astype(np.float64)
    return float(np.corrcoef(a, b)[0, 1]), float(a @ b / (a @ a))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build-bench", help="folder holding voidscan and voidscan_bench")
    ap.add_argument("--work", default=None, help="scratch folder (default BUILD/rtk-compare)")
    ap.add_argument("--cases", default="128:180,256:360", help="n:views,... (detector n x n)")
    args = ap.parse_args()
    import itk
    from itk import RTK as rtk

    bench, voidscan = (os.path.abspath(os.path.join(args.build, b)) for b in ("voidscan_bench", "voidscan"))
    work = os.path.abspath(args.work or os.path.join(args.build, "rtk-compare"))
    threads = itk.MultiThreaderBase.GetGlobalDefaultNumberOfThreads()
    print(f"itk-rtk on ITK {itk.Version.GetITKVersion()}, ITK threads {threads}; cores {os.cpu_count()}")
    rows = []
    for case in args.cases.split(","):
        n, views = (int(v) for v in case.split(":"))
        folder = os.path.join(work, f"scan_{n}_{views}")
        manifest, scan = make_scan(bench, folder, n, views)
        out = os.path.join(folder, "voidscan.mha")
        wall, log = run([voidscan, "reconstruct", manifest, "-o", out, "--device", "cpu", "--log-level", "info"])
        m = re.search(r" in ([0-9.]+) s on cpu", log)
        if not m:
            raise RuntimeError(f"no timing in voidscan's log:\n{log}")
        ours_s = float(m.group(1))
        ours = itk.array_from_image(itk.imread(out))  # [z, y, x]

        sod, sdd, angles = circular_parameters(scan)
        geometry = rtk_geometry(rtk, sod, sdd, angles)
        t0 = time.perf_counter()
        li = load_line_integrals(itk, scan, folder)
        load_s = time.perf_counter() - t0
        du, dv = scan["detector"]["pixel_size_mm"]
        rtk_s, theirs = rtk_fdk(itk, rtk, geometry, li, du, dv, scan["volume"])
        corr, scale = compare(ours, theirs, scan["volume"])
        rows.append((f"{n}^3", views, ours_s, wall, rtk_s, load_s, rtk_s / ours_s, corr, scale))
        print(f"  {n}^3/{views}: voidscan {ours_s:.2f} s, RTK {rtk_s:.2f} s, corr {corr:.6f}", flush=True)

    print()
    print("| size | views | voidscan s | voidscan wall s | RTK s | RTK load s | ratio RTK/voidscan | corr | scale |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print("| {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.6f} | {:.4f} |".format(*r))
    bad = [r for r in rows if not r[7] >= 0.99]
    if bad:
        print(f"FAIL: correlation below 0.99 for {', '.join(r[0] for r in bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
