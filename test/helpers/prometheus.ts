// The one way tests get a real Prometheus (Debian's `prometheus` package, installed by scripts/install-prometheus.sh
// from `npm run envoy:install`): PROMETHEUS_BIN, else `prometheus` on PATH. Under CI=true a missing Prometheus
// fails the test; elsewhere the test is skipped with the way to install it.
import { spawnSync } from "node:child_process";
import type { TestContext } from "node:test";
import { isCI } from "./envoy.js";

export const PROMETHEUS_INSTALL_HINT =
  "install it with `npm run envoy:install` as root (scripts/install-prometheus.sh: apt-get install prometheus), or set PROMETHEUS_BIN";

let cached: { path: string; version: string } | { reason: string } | undefined;

function lookup() {
  if (cached) return cached;
  const bin = process.env.PROMETHEUS_BIN || "prometheus";
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  const m = /prometheus, version (\S+)/.exec(out);
  if (r.error || r.status !== 0 || !m) cached = { reason: `Prometheus not found (${bin}: ${r.error?.message ?? out.trim().split("\n")[0] ?? "no output"}); ${PROMETHEUS_INSTALL_HINT}` };
  else cached = { path: bin, version: m[1]! };
  return cached;
}

/** The Prometheus binary, or undefined after marking the test skipped (outside CI). Under CI=true it throws. */
export function requirePrometheus(t: TestContext): string | undefined {
  const r = lookup();
  if ("path" in r) return r.path;
  if (isCI) throw new Error(`CI=true and this test needs a real Prometheus: ${r.reason}`);
  t.skip(r.reason);
  return undefined;
}
