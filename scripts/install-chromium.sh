#!/usr/bin/env bash
# Installs Chromium for the admin dashboard's browser test (test/e2e/dashboard.test.ts drives it with playwright-core,
# which brings no browser): Debian's `chromium` package, from apt, which needs root. Run by `npm run envoy:install`
# after install-envoy.sh, so the README commands and .ci/run get it; not by `meshc envoy install`, which users run in
# their own repositories.
#
# Idempotent: a chromium already at $CHROMIUM_BIN, /usr/bin/chromium or on PATH is kept. Not root and not CI: prints
# how to install it and exits 0 (the browser test then skips with the same hint). Under CI=true a missing browser is
# an error.
set -euo pipefail

ci=false
case "${CI:-}" in "" | 0 | false | FALSE | False) ;; *) ci=true ;; esac

for bin in "${CHROMIUM_BIN:-}" /usr/bin/chromium "$(command -v chromium 2>/dev/null || true)"; do
  if [[ -n "$bin" && -x "$bin" ]]; then
    echo "chromium already installed: $bin ($("$bin" --version 2>/dev/null | head -n 1))"
    exit 0
  fi
done

hint="install it with: sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium"
if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  if $ci; then
    echo "install-chromium: CI=true and chromium is missing, but this is not root with apt-get; $hint" >&2
    exit 2
  fi
  echo "install-chromium: skipped (needs root and apt-get); the dashboard browser test will skip. To run it, $hint"
  exit 0
fi

echo "install-chromium: apt-get install chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium installed: $(command -v chromium) ($(chromium --version 2>/dev/null | head -n 1))"
