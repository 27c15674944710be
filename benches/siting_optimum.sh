#!/usr/bin/env bash
# Issue 13 item 5: the Leicester siting instance (LE1-LE5 units, weight 1, candidates = the
# units, no existing AEDs, 500 m, k = 20) solved by HiGHS, a real MIP solver, independently
# of aedcover (benches/siting_optimum.py), to set its proven optimum and time beside
# `cargo bench --bench siting_leicester`. highspy, numpy and scipy are installed with pip
# into a venv the first time. Prints HiGHS's value, bound, gap, nodes and time, and `uptime`.
#
# Usage: benches/siting_optimum.sh [--k 20] [--time-limit-s 600] [--lp]
# Env:   AEDCOVER_OPEN_DATA (default ../shared/data), HIGHS_VENV (default a temporary folder)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
export AEDCOVER_OPEN_DATA=${AEDCOVER_OPEN_DATA:-$repo/../shared/data}
venv=${HIGHS_VENV:-$(mktemp -d)/venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import highspy, scipy' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet highspy numpy scipy
fi
"$venv/bin/python" "$repo/benches/siting_optimum.py" "$@"
uptime
