#!/usr/bin/env bash
# Builds the grpc-go client and backend of the proxyless end-to-end tests (test/grpc-go, a Go module pinning
# google.golang.org/grpc; test/e2e/proxyless-go.test.ts runs it) into .grpc-go/grpcgo (git-ignored). Modules come
# from the Go module proxy (go.sum pins them). Run by `npm run envoy:install`, so the README commands and .ci/run get
# it; not by `meshc envoy install`, which users run in their own repositories.
#
# Idempotent: skips the build when the binary is newer than every file of the module. Without Go: outside CI it
# prints how to install Go and exits 0 (the tests that need the binary then skip with the same hint); under CI=true
# it is an error.
set -euo pipefail

ci=false
case "${CI:-}" in "" | 0 | false | FALSE | False) ;; *) ci=true ;; esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/test/grpc-go"
out="$root/.grpc-go/grpcgo"

go="$(command -v go || true)"
[[ -z "$go" && -x /usr/local/go/bin/go ]] && go=/usr/local/go/bin/go
if [[ -z "$go" ]]; then
  hint="install Go (https://go.dev/doc/install or apt-get install golang) and run: bash scripts/build-grpc-go.sh"
  if $ci; then
    echo "build-grpc-go: CI=true and Go is missing; $hint" >&2
    exit 2
  fi
  echo "build-grpc-go: skipped (no Go); the grpc-go tests will skip. To run them, $hint"
  exit 0
fi

if [[ -x "$out" && -z "$(find "$src" -newer "$out" -type f -print -quit)" ]]; then
  echo "grpcgo already built: $out"
  exit 0
fi
echo "build-grpc-go: go build ($("$go" version)) -> $out"
mkdir -p "$(dirname "$out")"
(cd "$src" && "$go" mod download && "$go" build -mod=readonly -buildvcs=false -o "$out" .)
echo "build-grpc-go: built $out ($(grep -m1 'google.golang.org/grpc ' "$src/go.mod" | sed 's/^[[:space:]]*//'))"
