// R16 (CVE-2026-39350 class): identity strings with ".", "*", "+" and other regex metacharacters. Property tests
// (fast-check): an identity meshc accepts is emitted as an exact principal matcher that no other string matches,
// evaluated on the compiled RBAC filters; no regex matcher appears anywhere in the compiled listener; identities
// carrying characters outside the SPIFFE ID set are refused (MESH0709), never turned into patterns.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { callerIdentityProblem } from "../../src/analysis/analyzers/authz-callers.js";
import { evaluateHcm } from "../../src/authz/evaluate.js";
import type { Canonical } from "../../src/backends/envoy/api/canonical.js";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { MeshIR } from "../../src/ir/types.js";
import { mesh, service } from "../analysis/ir-fixtures.js";

const META = [".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "^", "$", "\\"];
const SEGMENT_CHARS = [..."abcxyzABC0189-_.", ...META];
const segment = fc.array(fc.constantFrom(...SEGMENT_CHARS), { minLength: 1, maxLength: 8 }).map((cs) => cs.join(""));
const identity = fc.tuple(fc.constantFrom("partner.example", "p-1.example", "x.y.z"), fc.array(segment, { minLength: 1, maxLength: 3 })).map(([td, segs]) => `spiffe://${td}/${segs.join("/")}`);

function compiled(id: string): { ir: MeshIR; hcm: Canonical } {
  const ir = mesh(service("api"));
  ir.authorization = {
    services: [{ service: "api", default: "deny", dryRun: false, rules: [{ name: "one", action: "allow", dryRun: false, from: [{ kind: "identity", identity: id }], headers: [], notHeaders: [] }] }],
  };
  const { snapshot, issues } = translateMesh(ir);
  assert.deepEqual(issues, []);
  const l = canonicalOf("listener", snapshot.proxies.get("api")!.resources.listener.find((x) => x.name.startsWith("inbound|"))!);
  const hcm = ((l.filter_chains as Canonical[])[0]!.filters as Canonical[])[0]!.typed_config as Canonical;
  return { ir, hcm };
}

const allowed = (hcm: Canonical, principal: string) => evaluateHcm(hcm, { principal, method: "GET", path: "/", headers: {} }).decision === "allowed";

test("R16: an accepted identity matches only itself (exact matcher, no regex anywhere)", () => {
  fc.assert(
    fc.property(identity, fc.string({ maxLength: 40 }), fc.constantFrom(...META, "a", "/"), (id, other, ch) => {
      fc.pre(callerIdentityProblem(id) === undefined);
      const { hcm } = compiled(id);
      const text = JSON.stringify(hcm);
      assert.ok(!text.includes("regex"), "no regex matcher is ever emitted");
      assert.ok(text.includes(JSON.stringify({ exact: id })), "the identity is an exact matcher");
      assert.ok(allowed(hcm, id));
      // Strings a regex reading of the identity would also accept: every "." replaced, an extra character, a prefix.
      const lookalikes = [id.replace(/\./g, ch), id + ch, id.slice(0, -1), id.toUpperCase(), other, `${id}/x`];
      for (const s of lookalikes) if (s !== id) assert.equal(allowed(hcm, s), false, `${JSON.stringify(s)} must not match ${JSON.stringify(id)}`);
    }),
    { numRuns: 300 },
  );
});

test("R16: identities with regex metacharacters other than . - _ are refused (MESH0709)", () => {
  fc.assert(
    fc.property(identity, (id) => {
      const bad = /[*+?()[\]{}|^$\\]/.test(id);
      if (bad) assert.ok(callerIdentityProblem(id), `${id} must be refused`);
    }),
    { numRuns: 500 },
  );
});

test("R16: a service caller whose own identity holds dots is matched exactly too", () => {
  const ir = mesh(service("api"), { ...service("web"), identity: "spiffe://test.example/ns/a.b/sa/web" });
  ir.authorization = { services: [{ service: "api", default: "deny", dryRun: false, rules: [{ name: "w", action: "allow", dryRun: false, from: [{ kind: "service", service: "web" }], headers: [], notHeaders: [] }] }] };
  const { snapshot } = translateMesh(ir);
  const l = canonicalOf("listener", snapshot.proxies.get("api")!.resources.listener.find((x) => x.name.startsWith("inbound|"))!);
  const hcm = ((l.filter_chains as Canonical[])[0]!.filters as Canonical[])[0]!.typed_config as Canonical;
  assert.ok(allowed(hcm, "spiffe://test.example/ns/a.b/sa/web"));
  assert.equal(allowed(hcm, "spiffe://test.example/ns/aXb/sa/web"), false);
});
