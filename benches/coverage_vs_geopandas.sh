#!/usr/bin/env bash
# Issue 13 item 2: the GB-scale `coverage` command and GeoPandas `sjoin_nearest` side by side,
# one after the other in one run, on the same files.
#
# Inputs (benches/gb_inputs.py): every located Code-Point Open GB postcode as a demand point
# (weight 1) and 100,000 AEDs at every 17th one (+37 m east, -23 m north). GeoPandas is
# installed with pip into a venv the first time.
#
# Each tool runs once first as a warm-up (printed, not counted): on a shared virtual machine
# the first run after a pause can be much slower than the next (ours 0.70 against 0.52 s,
# nearly all in the system time for its memory), and that is the host, not the tool. Then
# ROUNDS rounds each run ours and then GeoPandas. Prints every round (both wall times,
# GeoPandas's time after its imports, the ratio), the medians and their ratios, the shares
# covered at 100/200/500 m from each and whether they agree to 3 decimals, and `uptime`
# before and after.
#
# Usage: benches/coverage_vs_geopandas.sh [WORK_DIR]   (default: a new temporary folder)
# Env:   AEDCOVER_OPEN_DATA (default ../shared/data), GEOPANDAS_VENV (default WORK_DIR/venv),
#        ROUNDS (default 3)
set -euo pipefail
# A failed run inside `$(...)` stops the script too, and is never timed as a round.
shopt -s inherit_errexit

repo=$(cd "$(dirname "$0")/.." && pwd)
data=${AEDCOVER_OPEN_DATA:-$repo/../shared/data}
work=${1:-$(mktemp -d)}
venv=${GEOPANDAS_VENV:-$work/venv}
codepoint=$data/codepoint_open/codepoint_open_2025-10_GB_compact.csv
mkdir -p "$work"

[ -f "$work/demand.csv" ] && [ -f "$work/aeds.csv" ] || python3 "$repo/benches/gb_inputs.py" "$codepoint" "$work"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import geopandas' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet geopandas
fi
(cd "$repo" && cargo build --release --quiet --bin aedcover)

cat > "$work/geopandas_run.py" <<'EOF'
import sys, time
import geopandas as gpd
import pandas as pd
work = sys.argv[1]
t0 = time.perf_counter()
d = pd.read_csv(f"{work}/demand.csv")
a = pd.read_csv(f"{work}/aeds.csv")
dg = gpd.GeoDataFrame(d, geometry=gpd.points_from_xy(d.easting, d.northing), crs=27700)
ag = gpd.GeoDataFrame(a[["id"]].rename(columns={"id": "nearest_aed"}),
                      geometry=gpd.points_from_xy(a.easting, a.northing), crs=27700)
j = gpd.sjoin_nearest(dg, ag, how="left", max_distance=500, distance_col="distance_m")
j = j[~j.index.duplicated(keep="first")]
out = pd.DataFrame({"id": j["id"], "weight": j["weight"], "nearest_aed": j["nearest_aed"],
                    "distance_m": j["distance_m"].round(1)})
for r in (100, 200, 500):
    out[f"covered_{r}m"] = (j["distance_m"] <= r).astype(int)
out.to_csv(f"{work}/geopandas_points.csv", index=False)
shares = [100 * out[f"covered_{r}m"].sum() / len(out) for r in (100, 200, 500)]
print(" ".join(f"{s:.3f}" for s in shares))
print(f"{time.perf_counter() - t0:.3f}", file=sys.stderr)
EOF

rounds=${ROUNDS:-3}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a whole number of at least 1, not ${rounds@Q}" >&2; exit 2; }
# Runs our command; prints its wall time in seconds.
ours() {
    local start
    start=$(date +%s.%N)
    "$repo/target/release/aedcover" coverage --aeds "$work/aeds.csv" --demand "$work/demand.csv" \
        --out "$work/ours" 2> "$work/ours.txt" ||
        { echo "aedcover coverage failed:" >&2; cat "$work/ours.txt" >&2; return 1; }
    printf '%.3f\n' "$(echo "$(date +%s.%N) - $start" | bc)"
}
# Runs GeoPandas; prints its wall time and its time after its imports, in seconds.
geopandas() {
    local start
    start=$(date +%s.%N)
    "$venv/bin/python" "$work/geopandas_run.py" "$work" > "$work/geopandas_shares.txt" \
        2> "$work/geopandas_time.txt" ||
        { echo "GeoPandas failed:" >&2; cat "$work/geopandas_time.txt" >&2; return 1; }
    printf '%.3f %s\n' "$(echo "$(date +%s.%N) - $start" | bc)" "$(tail -1 "$work/geopandas_time.txt")"
}
ratio() { printf '%.1f' "$(echo "scale=4; $1 / $2" | bc)"; }

echo "load before: $(uptime)"
warm_ours=$(ours)
warm_gp=$(geopandas)
echo "warm-up (not counted): aedcover $warm_ours s; geopandas ${warm_gp%% *} s"
ours_runs=() gp_runs=() gp_after_runs=()
for round in $(seq "$rounds"); do
    o=$(ours)
    gp=$(geopandas)
    read -r g g_after <<< "$gp"
    ours_runs+=("$o") gp_runs+=("$g") gp_after_runs+=("$g_after")
    echo "round $round: aedcover $o s; geopandas $g s wall, $g_after s after its imports;" \
        "ratio $(ratio "$g" "$o")x"
done
echo "load after:  $(uptime)"
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ours_s=$(median "${ours_runs[@]}")
gp_s=$(median "${gp_runs[@]}")
gp_after_s=$(median "${gp_after_runs[@]}")
# The shares of the last round's outputs.
ours_shares=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(" ".join("%.3f" % (100 * r["demand_covered"] / r["demand_total"]) for r in s["radii"]))
' "$work/ours/summary.json")
gp_shares=$(cat "$work/geopandas_shares.txt")
echo "aedcover coverage: median ${ours_s} s wall of $rounds (shares at 100/200/500 m: $ours_shares)"
echo "geopandas:         median ${gp_s} s wall, ${gp_after_s} s after its imports (shares: $gp_shares)"
# Both walls time the whole process, as a user runs it; the second ratio leaves out
# Python's start and imports.
echo "ratio of medians: $(ratio "$gp_s" "$ours_s")x wall to wall;" \
    "$(ratio "$gp_after_s" "$ours_s")x against GeoPandas after its imports"
if [ "$ours_shares" = "$gp_shares" ]; then
    echo "shares agree to 3 decimals"
else
    echo "shares DIFFER"
    exit 1
fi
