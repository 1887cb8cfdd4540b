#!/usr/bin/env python3
"""ASTRA's FDK_CUDA on a voidscan scan, timed, and compared with voidscan's volume of that scan.

usage: astra_fdk.py SCAN.json VOIDSCAN.mha RESULT.tsv

Reads the scan's uint16 TIFF pages (as scan.json lists them), turns them into line integrals
-log(max(I, 1) / white_level) as voidscan does, gives ASTRA the same per-view vectors
('cone_vec': source, detector centre, u, v; the same pixel-centre convention) and the same grid,
runs FDK_CUDA once on a small warm-up problem (CUDA context start-up) and then once on the scan,
timing: `upload` = astra.data3d.create of projections and volume (copies into ASTRA's memory),
`run` = astra.algorithm.run (uploads to the GPU, filter, backprojection), `get` = the volume
back as numpy. Then the Pearson correlation and the least-squares scale of ASTRA's volume against
voidscan's (the MHA written by `voidscan reconstruct`), trying the axis flips too so that a
convention difference shows as such rather than as a failure. Appends one row to RESULT.tsv.
Peer tooling (Python), not part of voidscan; docs/benchmarks.md has the figures.
"""
import json
import os
import sys
import time

import numpy as np
import tifffile
import astra


def read_mha(path):
    header = {}
    with open(path, "rb") as f:
        while True:
            line = f.readline().decode("ascii", "replace").strip()
            key, _, value = line.partition("=")
            header[key.strip()] = value.strip()
            if key.strip() == "ElementDataFile":
                break
        if header.get("ElementType") != "MET_FLOAT" or header["ElementDataFile"] != "LOCAL":
            raise SystemExit(f"{path}: expected a float32 MHA with LOCAL data, got {header}")
        nx, ny, nz = (int(v) for v in header["DimSize"].split())
        data = np.fromfile(f, dtype="<f4", count=nx * ny * nz)
    return data.reshape(nz, ny, nx)


def correlation(a, b):
    """Pearson correlation and least-squares scale s (a ~ s b), float64 sums, slice by slice."""
    n = a.size
    sa = sb = saa = sbb = sab = 0.0
    for k in range(a.shape[0]):
        x = a[k].astype(np.float64).ravel()
        y = b[k].astype(np.float64).ravel()
        sa += x.sum(); sb += y.sum(); saa += x @ x; sbb += y @ y; sab += x @ y
    cov = sab - sa * sb / n
    r = cov / np.sqrt((saa - sa * sa / n) * (sbb - sb * sb / n))
    return r, sab / sbb


def main():
    scan_path, volume_path, tsv = sys.argv[1:4]
    scan = json.load(open(scan_path))
    base = os.path.dirname(os.path.abspath(scan_path))
    cols, rows = scan["detector"]["cols"], scan["detector"]["rows"]
    views = scan["projections"]
    white = float(scan["intensity"]["white_level"])
    grid = scan["volume"]
    nx, ny, nz = grid["size"]
    sx, sy, sz = grid["voxel_mm"]
    cx, cy, cz = grid.get("center_mm", [0.0, 0.0, 0.0])

    t = time.perf_counter()
    proj = np.empty((rows, len(views), cols), np.float32)  # ASTRA's sinogram layout
    files = {}
    for i, v in enumerate(views):
        name = v["file"]
        if name not in files:
            files[name] = tifffile.TiffFile(os.path.join(base, name))
        img = files[name].pages[v.get("page", 0)].asarray()
        proj[:, i, :] = -np.log(np.maximum(img.astype(np.float32), 1.0) / np.float32(white))
    read_s = time.perf_counter() - t

    vectors = np.array([v["source_mm"] + v["detector_center_mm"] + v["u_mm"] + v["v_mm"] for v in views], np.float64)
    proj_geom = astra.create_proj_geom("cone_vec", rows, cols, vectors)
    vol_geom = astra.create_vol_geom(ny, nx, nz, cx - nx * sx / 2, cx + nx * sx / 2, cy - ny * sy / 2,
                                     cy + ny * sy / 2, cz - nz * sz / 2, cz + nz * sz / 2)

    def fdk(pg, vg, data):
        t0 = time.perf_counter()
        pid = astra.data3d.create("-sino", pg, data)
        vid = astra.data3d.create("-vol", vg, 0)
        cfg = astra.astra_dict("FDK_CUDA")
        cfg["ProjectionDataId"], cfg["ReconstructionDataId"] = pid, vid
        aid = astra.algorithm.create(cfg)
        t1 = time.perf_counter()
        astra.algorithm.run(aid)
        t2 = time.perf_counter()
        rec = astra.data3d.get(vid)
        t3 = time.perf_counter()
        astra.algorithm.delete(aid); astra.data3d.delete(pid); astra.data3d.delete(vid)
        return rec, t1 - t0, t2 - t1, t3 - t2

    # warm-up: CUDA context and module loading, on a 64^3 problem from 16 of the views
    small_vg = astra.create_vol_geom(64, 64, 64, cx - nx * sx / 2, cx + nx * sx / 2, cy - ny * sy / 2,
                                     cy + ny * sy / 2, cz - nz * sz / 2, cz + nz * sz / 2)
    step = max(1, len(views) // 16)
    small_pg = astra.create_proj_geom("cone_vec", rows, cols, vectors[::step])
    fdk(small_pg, small_vg, np.ascontiguousarray(proj[:, ::step, :]))

    rec, upload_s, run_s, get_s = fdk(proj_geom, vol_geom, proj)
    del proj
    gups_run = len(views) * nx * ny * nz / run_s / 1e9
    print(f"astra FDK_CUDA {nx}x{ny}x{nz} from {len(views)} views of {cols}x{rows}: read {read_s:.2f} s, "
          f"upload {upload_s:.2f} s, run {run_s:.2f} s ({gups_run:.1f} GUPS), get {get_s:.2f} s", flush=True)

    ours = read_mha(volume_path)
    best = None
    for name, fn in [("none", lambda a: a), ("y", lambda a: a[:, ::-1, :]), ("z", lambda a: a[::-1, :, :]),
                     ("yz", lambda a: a[::-1, ::-1, :]), ("x", lambda a: a[:, :, ::-1])]:
        r, scale = correlation(fn(rec), ours)
        print(f"  flip {name}: correlation {r:.5f}, scale astra/voidscan {scale:.4f}", flush=True)
        if best is None or r > best[1]:
            best = (name, r, scale)
        if r > 0.99:
            break
    new = not os.path.exists(tsv)
    with open(tsv, "a") as f:
        if new:
            f.write("n\tviews\tread_s\tupload_s\trun_s\tget_s\tgups_run\tflip\tcorrelation\tscale\n")
        f.write(f"{nx}\t{len(views)}\t{read_s:.2f}\t{upload_s:.3f}\t{run_s:.3f}\t{get_s:.3f}\t{gups_run:.1f}\t"
                f"{best[0]}\t{best[1]:.5f}\t{best[2]:.4f}\n")


if __name__ == "__main__":
    main()
