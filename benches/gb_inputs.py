"""Builds the GB-scale coverage inputs of issue 13 from Code-Point Open.

demand.csv: every located GB postcode (weight 1), columns id,easting,northing,weight.
aeds.csv:   100,000 AEDs at every 17th located postcode, moved +37 m east and -23 m north,
            columns id,easting,northing (British National Grid metres).

Usage: python3 benches/gb_inputs.py CODEPOINT_GB_COMPACT.csv OUT_DIR
"""
import csv
import os
import sys


def main(codepoint, out):
    os.makedirs(out, exist_ok=True)
    located = []
    with open(codepoint, newline="") as f:
        for row in csv.DictReader(f):
            e, n = int(row["easting"]), int(row["northing"])
            if e == 0 and n == 0:
                continue  # PQI 90: no position
            located.append((row["postcode"], e, n))
    with open(os.path.join(out, "demand.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "easting", "northing", "weight"])
        for pc, e, n in located:
            w.writerow([pc, e, n, 1])
    with open(os.path.join(out, "aeds.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "easting", "northing"])
        for i, (_, e, n) in enumerate(located[::17][:100_000]):
            w.writerow([f"AED{i:06d}", e + 37, n - 23])
    print(f"{len(located)} demand points, {min(len(located[::17]), 100_000)} AEDs in {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
