// The one way tests get a real Envoy. The binary is found like meshc finds it (ENVOY_BIN, PATH, the project's
// .envoy/) and must be the pinned 1.40.x, since tests assert on Envoy's own messages and behaviour.
// Under CI=true a missing or wrong Envoy fails the test; elsewhere the test is skipped with the fix in the message.
//
//   test("…", async (t) => { const envoy = requireEnvoy(t); if (!envoy) return; … });
//   describe("…", { skip: envoySkipReason() }, () => { … envoyPath() … });
import type { TestContext } from "node:test";
import {
  ENVOY_INSTALL_HINT,
  ENVOY_PINNED_SERIES,
  findEnvoy,
  isEnvoyMissing,
  isPinnedEnvoyVersion,
} from "../../src/runtime/envoy-binary.js";

export const isCI = !["", "0", "false"].includes((process.env.CI ?? "").toLowerCase());

type Lookup = { path: string; version: string } | { reason: string };
let cached: Lookup | undefined;

function lookup(): Lookup {
  if (cached) return cached;
  const r = findEnvoy();
  if (isEnvoyMissing(r)) cached = { reason: `Envoy ${ENVOY_PINNED_SERIES} not found (tried: ${r.tried.join("; ")}); ${r.hint}` };
  else if (!isPinnedEnvoyVersion(r.version))
    cached = { reason: `${r.path} (via ${r.source}) is Envoy ${r.version ?? "of unknown version"}, tests need ${ENVOY_PINNED_SERIES}.x; ${ENVOY_INSTALL_HINT}` };
  else cached = { path: r.path, version: r.version! };
  return cached;
}

function failUnderCI(reason: string): never {
  throw new Error(`CI=true and this test needs a real Envoy: ${reason}`);
}

/** The Envoy path, or undefined after marking the test skipped (outside CI). Under CI=true a missing Envoy throws. */
export function requireEnvoy(t: TestContext): string | undefined {
  const r = lookup();
  if ("path" in r) return r.path;
  if (isCI) failUnderCI(r.reason);
  t.skip(r.reason);
  return undefined;
}

/** For `describe(name, { skip: envoySkipReason() })`: undefined when Envoy is usable; throws under CI otherwise. */
export function envoySkipReason(): string | undefined {
  const r = lookup();
  if ("path" in r) return undefined;
  if (isCI) failUnderCI(r.reason);
  return r.reason;
}

/** The Envoy path inside a suite already guarded by envoySkipReason(); throws if there is none. */
export function envoyPath(): string {
  const r = lookup();
  if ("path" in r) return r.path;
  throw new Error(r.reason);
}
