#!/usr/bin/env bash
# Issue 15 §6 figures: the flood test (2,000 half-open connections held against the served
# binary), printing /health's worst latency while they are held, how long until the server
# has closed them all (header timeout 3 s), and the server's VmRSS before, at the peak and
# after; then the cached restart's start time. Run on a quiet machine for the 100 ms figure;
# the tests themselves only assert loose bounds.
set -euo pipefail
cd "$(dirname "$0")/.."
uptime
cargo test --test integration -- --nocapture --test-threads 1 \
  api_durability::a_flood_of_half_open_connections api_durability::a_restart_on_unchanged_inputs 2>&1 \
  | grep -E '^(flood|restart|NOTE|test )'
