#!/usr/bin/env bash
# Load note (not a test): wrk against /collections/aeds/items?bbox=... on loopback.
#   bash benches/wrk_aeds.sh            # builds release, serves tests/fixtures/api, 30 s, 64 connections
# Env: DURATION (30s), CONNECTIONS (64), THREADS (2), AEDS (a JSON seed or registry CSV).
# Default data: the Trafford Council register from the open data (185 real AEDs), turned into
# a temporary JSON seed (never copied into the repo); the hand-made fixture when it is absent.
#
# Measured (2-core VM shared with other builds, load average ~8; wrk on the same machine):
#   Trafford register, 185 AEDs, bbox matching all, limit=100 (~50 KB GeoJSON per response):
#   21,809 requests/s, p50 2.00 ms, p99 20.60 ms, 0 errors (655,663 requests in 30 s).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)"; exit 1; }
DURATION=${DURATION:-30s}; CONNECTIONS=${CONNECTIONS:-64}; THREADS=${THREADS:-2}
cargo build --release --quiet --bin aedcover
BIN=${CARGO_TARGET_DIR:-target}/release/aedcover
TMP=$(mktemp -d)
OPEN_DATA=${AEDCOVER_OPEN_DATA:-../shared/data}
TRAFFORD="$OPEN_DATA/aed_trafford_council/trafford_defibrillators.geojson"
BBOX=-1.23,52.75,-1.18,52.79
if [ -z "${AEDS:-}" ] && [ -f "$TRAFFORD" ]; then
    AEDS="$TMP/trafford.json"
    BBOX=-2.48,53.35,-2.25,53.49
    python3 - "$TRAFFORD" "$AEDS" <<'PY'
import json, sys
src = json.load(open(sys.argv[1]))
aeds = []
for i, f in enumerate(src["features"], 1):
    p, g = f["properties"], f.get("geometry")
    rec = {"id": f"trafford:{i}", "name": p.get("Location") or f"trafford:{i}",
           "address": ", ".join(x for x in (p.get("Address1"), p.get("Address2"), p.get("Address3")) if x),
           "postcode": p.get("Postcode") or "", "source": f"trafford:{i}"}
    if g and g.get("type") == "Point":
        rec["lon"], rec["lat"] = g["coordinates"][:2]
    aeds.append(rec)
json.dump({"aeds": aeds}, open(sys.argv[2], "w"))
PY
fi
AEDS=${AEDS:-tests/fixtures/api/seed.json}
OUT="$TMP/stdout"
"$BIN" serve --addr 127.0.0.1:0 --db "$TMP/bench.db" --aeds "$AEDS" \
    --layer areas=tests/fixtures/api/areas.geojson >"$OUT" 2>"$TMP/stderr" &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do grep -q listening "$OUT" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/^listening on //p' "$OUT")
URL="$ADDR/collections/aeds/items?bbox=$BBOX&limit=100"
echo "GET $URL ($(curl -s "$URL" | grep -o '"numberMatched":[0-9]*' || true))"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$URL"
