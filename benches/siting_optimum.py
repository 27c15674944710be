#!/usr/bin/env python3
"""The Leicester siting instance of issue 13, solved by HiGHS, independently of aedcover.

Leicester LE1-LE5: every located Code-Point unit (easting and northing not both 0) is a
demand point of weight 1 and a candidate site; no existing AEDs; a unit is covered by a
site at straight-line distance <= 500 m (British National Grid metres); choose k = 20
sites to cover the most units. Prints HiGHS's value, bound, gap and time, to set beside
`cargo bench --bench siting_leicester`.

Run it with `benches/siting_optimum.sh` (which makes a venv with highspy, numpy and scipy),
or in such a venv: `python benches/siting_optimum.py [codepoint.csv] [--k 20] [--time-limit-s 600]
[--lp]`; `--lp` solves the LP relaxation instead, whose optimum bounds the MIP's.
"""

import argparse
import csv
import os
import sys
import time

import highspy
import numpy as np
from scipy.spatial import cKDTree

DISTRICTS = {"LE1", "LE2", "LE3", "LE4", "LE5"}
DEFAULT_FILE = "codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv"


def leicester_units(path):
    xy = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["postcode"].split(" ")[0] not in DISTRICTS:
                continue
            e, n = float(row["easting"]), float(row["northing"])
            if e == 0.0 and n == 0.0:
                continue
            xy.append((e, n))
    return np.array(xy)


def covering_rows(xy, radius_m):
    """Per demand point, the candidate indices within radius_m, with identical rows merged:
    returns (rows, weights) where weights[r] counts the demand points sharing rows[r]."""
    tree = cKDTree(xy)
    merged = {}
    for near in tree.query_ball_point(xy, r=radius_m):
        key = tuple(sorted(near))
        merged[key] = merged.get(key, 0) + 1
    return list(merged.keys()), list(merged.values())


def solve(rows, weights, n_sites, k, time_limit_s, relax=False):
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", 0.0)
    inf = highspy.kHighsInf
    # Columns 0..n_sites-1: x_j binary (a site at candidate j); then y_r in [0, 1] (row r covered).
    for _ in range(n_sites):
        h.addVar(0.0, 1.0)
    for w in weights:
        h.addVar(0.0, 1.0)
    if not relax:
        h.changeColsIntegrality(
            n_sites, np.arange(n_sites, dtype=np.int32),
            np.full(n_sites, highspy.HighsVarType.kInteger))
    cost = np.concatenate([np.zeros(n_sites), np.array(weights, dtype=float)])
    h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # y_r - sum_{j in row r} x_j <= 0
    for r, near in enumerate(rows):
        idx = np.array([n_sites + r, *near], dtype=np.int32)
        val = np.array([1.0] + [-1.0] * len(near))
        h.addRow(-inf, 0.0, len(idx), idx, val)
    # sum_j x_j <= k
    h.addRow(-inf, float(k), n_sites, np.arange(n_sites, dtype=np.int32), np.ones(n_sites))
    t = time.monotonic()
    h.run()
    elapsed = time.monotonic() - t
    info = h.getInfo()
    return {
        "status": h.modelStatusToString(h.getModelStatus()),
        "value": info.objective_function_value,
        "bound": info.objective_function_value if relax else info.mip_dual_bound,
        "gap_pct": 0.0 if relax else 100.0 * info.mip_gap,
        "nodes": info.mip_node_count,
        "seconds": elapsed,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.path.join(os.environ.get("AEDCOVER_OPEN_DATA", "../shared/data"), DEFAULT_FILE)
    p.add_argument("codepoint", nargs="?", default=default)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--radius-m", type=float, default=500.0)
    p.add_argument("--time-limit-s", type=float, default=600.0)
    p.add_argument("--lp", action="store_true",
                   help="solve the LP relaxation (x in [0, 1]) instead: its optimum bounds the MIP's")
    a = p.parse_args()
    if not os.path.isfile(a.codepoint):
        sys.exit(f"{a.codepoint}: not found (set AEDCOVER_OPEN_DATA)")
    xy = leicester_units(a.codepoint)
    rows, weights = covering_rows(xy, a.radius_m)
    r = solve(rows, weights, len(xy), a.k, a.time_limit_s, relax=a.lp)
    print(
        f"HiGHS {highspy.Highs().version()}{' (LP relaxation)' if a.lp else ''}: "
        f"Leicester LE1-LE5, {len(xy)} units "
        f"({len(rows)} distinct covering rows), k = {a.k}, {a.radius_m:g} m: "
        f"{r['status']}, value {r['value']:.0f}, bound {r['bound']:.2f}, "
        f"gap {r['gap_pct']:.3f} %, {r['nodes']} nodes, {r['seconds']:.1f} s"
    )


if __name__ == "__main__":
    main()
