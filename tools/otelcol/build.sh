#!/usr/bin/env bash
# Build the OpenTelemetry Collector that the tracing tests export to (an OTLP receiver and a
# file exporter, see main.go) through the Go module proxy, into a cache outside the checkout
# keyed by version. Idempotent: an existing binary is not rebuilt.
#
#   bash tools/otelcol/build.sh          # build if missing, print the binary's path
#   bash tools/otelcol/build.sh --print  # only print the path
#
# Env: SKIFF_CACHE (default $HOME/.cache/skiff), SKIFF_BUILD_NICE (default 10).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Keep in sync with go.mod (every collector module at one release) and test/support/collector.ts.
VERSION="v0.161.0"
bin="${SKIFF_CACHE:-$HOME/.cache/skiff}/otelcol-${VERSION}/otelcol"

if [[ "${1:-}" == "--print" ]]; then
  echo "$bin"
  exit 0
fi

if [[ ! -x "$bin" ]]; then
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false"
  start=$(date +%s)
  mkdir -p "$(dirname "$bin")"
  tmp="$(mktemp -d "$(dirname "$bin")/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "otelcol/build.sh: building the collector ${VERSION} ..." >&2
  (cd "$here" && nice -n "${SKIFF_BUILD_NICE:-10}" go build -trimpath \
    -ldflags "-s -w -X main.version=${VERSION}" -o "$tmp/otelcol" .)
  mv -f "$tmp/otelcol" "$bin" # atomic within one filesystem
  echo "otelcol/build.sh: built in $(( $(date +%s) - start ))s" >&2
fi
echo "$bin"
