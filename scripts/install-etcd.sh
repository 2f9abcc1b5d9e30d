#!/usr/bin/env bash
# Installs etcd for the service-discovery tests (test/e2e/registry-*.test.ts start real etcd servers on 127.0.0.1
# ports of their own): Debian's `etcd-server` package (3.4 on Debian 12), from apt, which needs root. Run by
# `npm run envoy:install` after install-envoy.sh, so the README commands and .ci/run get it; not by
# `meshc envoy install`, which users run in their own repositories.
#
# Idempotent: an `etcd` already on PATH is kept. Not root and not CI: prints how to install it and exits 0 (the
# tests that need it then skip with the same hint). Under CI=true anything missing is an error.
set -euo pipefail

ci=false
case "${CI:-}" in "" | 0 | false | FALSE | False) ;; *) ci=true ;; esac

if command -v etcd >/dev/null 2>&1; then
  echo "etcd already installed: $(command -v etcd) ($(etcd --version 2>&1 | head -n 1))"
  exit 0
fi

hint="install it with: sudo apt-get update && sudo apt-get install -y --no-install-recommends etcd-server"
if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  if $ci; then
    echo "install-etcd: CI=true and etcd is missing, but this is not root with apt-get; $hint" >&2
    exit 2
  fi
  echo "install-etcd: skipped (needs root and apt-get); the registry tests will skip. To run them, $hint"
  exit 0
fi

echo "install-etcd: apt-get install etcd-server"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The package's postinst may try to start a service; there is no init system here, so that step is harmless.
apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
# Do not leave a packaged daemon running on :2379 (the tests start their own on their own ports).
if command -v service >/dev/null 2>&1; then service etcd stop >/dev/null 2>&1 || true; fi
echo "etcd installed: $(command -v etcd) ($(etcd --version 2>&1 | head -n 1))"
