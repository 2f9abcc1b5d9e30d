#!/usr/bin/env bash
# Builds the go-control-plane peer of bench/peers.ts (bench/peers/go-control-plane/) into .tmp/peers/gocp-peer.
# Needs Go (1.24+) and the Go module proxy (or a warm module cache). Benchmark-only: nothing in CI or in
# `meshc envoy install` runs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/.tmp/peers/gocp-peer}"
mkdir -p "$(dirname "$out")"
cd "$root/bench/peers/go-control-plane"
go build -trimpath -o "$out" .
echo "built $out"
