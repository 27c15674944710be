#!/usr/bin/env bash
# Load note (not a test): wrk against /collections/aeds/items?bbox=... on loopback.
#   bash benches/wrk_aeds.sh            # builds release, serves tests/fixtures/api, 30 s, 64 connections
# Env: DURATION (30s), CONNECTIONS (64), THREADS (2), AEDS (a JSON seed file; default the fixture).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)"; exit 1; }
DURATION=${DURATION:-30s}; CONNECTIONS=${CONNECTIONS:-64}; THREADS=${THREADS:-2}
AEDS=${AEDS:-tests/fixtures/api/seed.json}
cargo build --release --quiet --bin aedcover
BIN=${CARGO_TARGET_DIR:-target}/release/aedcover
TMP=$(mktemp -d)
OUT="$TMP/stdout"
"$BIN" serve --addr 127.0.0.1:0 --db "$TMP/bench.db" --aeds "$AEDS" \
    --layer areas=tests/fixtures/api/areas.geojson >"$OUT" 2>"$TMP/stderr" &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do grep -q listening "$OUT" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/^listening on //p' "$OUT")
URL="$ADDR/collections/aeds/items?bbox=-1.23,52.75,-1.18,52.79&limit=100"
echo "GET $URL ($(curl -s "$URL" | grep -o '"numberMatched":[0-9]*' || true))"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$URL"
