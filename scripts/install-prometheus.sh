#!/usr/bin/env bash
# Installs Prometheus for the telemetry end-to-end tests (test/e2e/telemetry.test.ts start a real Prometheus with
# the scrape config `meshc prometheus-config` emits): Debian's `prometheus` package (2.42 on Debian 12/13), from
# apt, which needs root. Run by `npm run envoy:install` after install-envoy.sh, so the README commands and .ci/run get it;
# not by `meshc envoy install`, which users run in their own repositories.
#
# Idempotent: a `prometheus` already on PATH is kept. Not root and not CI: prints how to install it and exits 0
# (the tests that need it then skip with the same hint). Under CI=true anything missing is an error.
set -euo pipefail

ci=false
case "${CI:-}" in "" | 0 | false | FALSE | False) ;; *) ci=true ;; esac

if command -v prometheus >/dev/null 2>&1; then
  echo "prometheus already installed: $(command -v prometheus) ($(prometheus --version 2>&1 | head -n 1))"
  exit 0
fi

hint="install it with: sudo apt-get update && sudo apt-get install -y --no-install-recommends prometheus"
if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  if $ci; then
    echo "install-prometheus: CI=true and Prometheus is missing, but this is not root with apt-get; $hint" >&2
    exit 2
  fi
  echo "install-prometheus: skipped (needs root and apt-get); the telemetry tests will skip. To run them, $hint"
  exit 0
fi

echo "install-prometheus: apt-get install prometheus"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The package's postinst may try to start a service; there is no init system here, so that step is harmless.
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# Do not leave the packaged daemon running on :9090 (the tests start their own on their own ports).
if command -v service >/dev/null 2>&1; then service prometheus stop >/dev/null 2>&1 || true; fi
echo "prometheus installed: $(command -v prometheus) ($(prometheus --version 2>&1 | head -n 1))"
