#!/usr/bin/env bash
# Re-fetches the vendored Leaflet (BSD-2-Clause) from the npm registry with `npm pack`, and
# checks it against the committed files' checksums. The build never runs this: the files
# are committed and embedded with include_str!, so neither the build nor the page needs npm
# or a CDN. To upgrade, change VERSION, run this with --update, and commit the new files.
set -euo pipefail
VERSION=1.9.4
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "leaflet@$VERSION" >/dev/null && tar xzf "leaflet-$VERSION.tgz")
for f in dist/leaflet.js dist/leaflet.css LICENSE; do
  if [[ "${1:-}" == "--update" ]]; then
    cp "$tmp/package/$f" "$here/$(basename "$f")"
  elif ! cmp -s "$tmp/package/$f" "$here/$(basename "$f")"; then
    echo "assets/leaflet/$(basename "$f") differs from leaflet@$VERSION on npm" >&2
    exit 1
  fi
done
echo "assets/leaflet: leaflet@$VERSION ${1:+updated}${1:-matches npm}"
