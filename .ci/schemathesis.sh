#!/usr/bin/env bash
# The OpenAPI contract under a fuzzer: starts `aedcover serve` on a loopback port with the
# API test fixtures and an edit token, and runs schemathesis (PyPI, in its own venv) with
# every check, protected routes included (the token is sent; schemathesis also
# tries them without it). Any failure fails CI. Bounded: a fixed number of examples per
# operation (SCHEMATHESIS_EXAMPLES, default 10) and a fixed seed, so the run is repeatable
# and its cost known: about 25 s of fuzzing on 2 cores, plus about a minute to build the
# venv the first time on a machine. What the settings allow is in .ci/schemathesis.toml.
#
#   .ci/schemathesis.sh [path/to/aedcover]     (default target/debug/aedcover)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/aedcover}"
[[ -x "$bin" ]] || cargo build --quiet
tmp="$(mktemp -d)"
server=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# The venv is kept between runs on one machine (a fresh machine pays about a minute once).
version=4.32.5
venv="${XDG_CACHE_HOME:-$HOME/.cache}/aedcover/schemathesis-$version"
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$version"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

token="schemathesis-$(date +%s)-$RANDOM"
echo "$token" >"$tmp/token"
fx=tests/fixtures/api
"$bin" serve --addr 127.0.0.1:0 --db "$tmp/registry.sqlite" --aeds "$fx/seed.json" \
  --layer areas="$fx/areas.geojson" --layer gaps="$fx/gaps.geojson" \
  --layer coverage="$fx/coverage.geojson" --layer sites="$fx/sites.geojson" \
  --token-file "$tmp/token" >"$tmp/stdout" 2>"$tmp/stderr" &
server=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$tmp/stdout" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/stderr"; exit 1; }
  sleep 0.1
done
url="$(sed -n 's/^listening on //p' "$tmp/stdout")"
[[ -n "$url" ]] || { echo "server did not start"; cat "$tmp/stderr"; exit 1; }

config="$PWD/.ci/schemathesis.toml"
cd "$tmp"
"$venv/bin/st" --config-file "$config" run "$url/api" \
  --checks all \
  --header "Authorization: Bearer $token" \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-10}" \
  --seed 14 \
  --workers 2 \
  --request-timeout 10 \
  --generation-database none \
  --no-color
