// `meshc serve` translates only the proxies whose inputs changed (src/serve/incremental-translate.ts). A proxy left
// stale is the worst outcome, so this property test drives one IncrementalTranslator through random sequences of
// edits (test/helpers/ir-edits.ts, shared with the build cache's test) over
// the backend golden meshes and a small synthetic one, and after every step compares it with a fresh translateMesh:
// the same issues, the same proxies in the same order, and for every proxy and variant the same versions, names
// and bytes.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { translateMesh, type TranslateResult } from "../../src/backends/envoy/translate.js";
import type { MeshIR } from "../../src/ir/types.js";
import type { ProxySnapshot } from "../../src/snapshot/types.js";
import { IncrementalTranslator } from "../../src/serve/incremental-translate.js";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { caseNames, loadCase } from "../backend/cases.js";
import { applyStep, stepArbitrary } from "../helpers/ir-edits.js";

/**
 * http-routing with a second caller of `catalog`, whose routes send traffic to `legacy` and `reviews`: the second
 * caller takes catalog's virtual host from the translator's cache, and must still depend on legacy and reviews.
 */
function twoCallers(): MeshIR {
  const ir = loadCase("http-routing");
  const web = ir.services.find((s) => s.name === "web")!;
  const web2 = structuredClone(web);
  web2.name = "web2";
  web2.identity = `${web.identity}2`;
  web2.calls = ["catalog"];
  ir.services = [...ir.services, web2];
  return ir;
}

const bases: MeshIR[] = [...caseNames().map(loadCase), twoCallers(), syntheticMesh({ services: 12 }), syntheticMesh({ services: 8, failover: false })];

const step = stepArbitrary(bases);

function sameProxy(a: ProxySnapshot, b: ProxySnapshot, where: string): void {
  assert.deepEqual(a.versions, b.versions, `${where}: versions`);
  assert.equal(a.variant, b.variant, `${where}: variant key`);
  for (const kind of Object.keys(b.resources) as (keyof ProxySnapshot["resources"])[]) {
    const x = a.resources[kind];
    const y = b.resources[kind];
    assert.deepEqual(x.map((r) => r.name), y.map((r) => r.name), `${where}: ${kind} names`);
    x.forEach((r, i) => assert.ok(Buffer.from(r.bytes).equals(Buffer.from(y[i]!.bytes)) && r.hash === y[i]!.hash, `${where}: ${kind} ${r.name} bytes`));
  }
  assert.deepEqual([...(a.variants?.keys() ?? [])], [...(b.variants?.keys() ?? [])], `${where}: variant keys`);
  for (const [k, v] of b.variants ?? []) sameProxy(a.variants!.get(k)!, v, `${where} variant ${k}`);
}

function same(inc: TranslateResult, fresh: TranslateResult, where: string): void {
  assert.deepEqual(inc.issues, fresh.issues, `${where}: issues`);
  assert.deepEqual([...inc.snapshot.proxies.keys()], [...fresh.snapshot.proxies.keys()], `${where}: proxies`);
  for (const [name, p] of fresh.snapshot.proxies) sameProxy(inc.snapshot.proxies.get(name)!, p, `${where}: proxy ${name}`);
}

/** Translates, or the error it threw (an IR no front end produces may make the backend throw; both must agree). */
function attempt(f: () => TranslateResult): TranslateResult | Error {
  try {
    return f();
  } catch (e) {
    return e as Error;
  }
}

test("incremental translation equals a fresh translation after any sequence of edits", { timeout: 600_000 }, () => {
  let reusedSteps = 0;
  let proxiesReused = 0;
  fc.assert(
    fc.property(fc.nat(bases.length - 1), fc.array(step, { minLength: 1, maxLength: 12 }), (first, steps) => {
      const inc = new IncrementalTranslator();
      const history: MeshIR[] = [structuredClone(bases[first]!)];
      const check = (ir: MeshIR, where: string) => {
        const a = attempt(() => inc.translate(structuredClone(ir)));
        const b = attempt(() => translateMesh(structuredClone(ir)));
        if (a instanceof Error || b instanceof Error) {
          assert.equal(a instanceof Error ? a.message : "translated", b instanceof Error ? b.message : "translated", `${where}: both throw or neither`);
          return;
        }
        same(a, b, where);
        if (inc.stats.reused > 0) {
          reusedSteps++;
          proxiesReused += inc.stats.reused;
        }
      };
      check(history[0]!, "start");
      steps.forEach((s, i) => check(applyStep(history, bases, s), `step ${i + 1} (${JSON.stringify(s)})`));
    }),
    { numRuns: Number(process.env.INCREMENTAL_RUNS ?? 150) },
  );
  // The property says little unless reuse actually happened in many steps.
  assert.ok(reusedSteps > 50, `steps that reused proxies: ${reusedSteps}`);
  assert.ok(proxiesReused > 200, `proxies reused: ${proxiesReused}`);
});

test("a one-address edit of a large mesh re-translates only the callers of that service", () => {
  const inc = new IncrementalTranslator();
  const ir = syntheticMesh({ services: 200 });
  inc.translate(structuredClone(ir));
  assert.equal(inc.stats.full, "first");
  const edited = structuredClone(ir);
  const target = edited.services[17]!;
  assert.equal(target.instances.kind, "static");
  if (target.instances.kind === "static") target.instances.endpoints[0]!.address = "10.99.99.99";
  const r = inc.translate(edited);
  const callers = edited.services.filter((s) => s.calls.includes(target.name)).length;
  // The callers (their EDS changes) and the service itself (its own ServiceIR changed).
  assert.equal(inc.stats.translated, callers + 1, JSON.stringify(inc.stats));
  assert.equal(inc.stats.reused, 200 - callers - 1);
  same(r, translateMesh(edited), "one address");
  // A mesh-wide change translates everything again.
  const renamed = structuredClone(edited);
  renamed.trustDomain = "other.example";
  same(inc.translate(renamed), translateMesh(renamed), "trust domain");
  assert.equal(inc.stats.full, "mesh-wide change");
});

test("a proxy that takes a cached virtual host depends on the services its routes send traffic to", () => {
  const ir = twoCallers();
  for (const target of ["legacy", "reviews"]) {
    const inc = new IncrementalTranslator();
    inc.translate(structuredClone(ir));
    const edited = structuredClone(ir);
    const s = edited.services.find((x) => x.name === target)!;
    if (s.instances.kind === "static") s.instances.endpoints[0]!.address = "10.77.77.77";
    const r = inc.translate(edited);
    const fresh = translateMesh(edited);
    assert.notEqual(fresh.snapshot.proxies.get("web2")!.versions.endpoint, translateMesh(ir).snapshot.proxies.get("web2")!.versions.endpoint, `web2 sees ${target}'s endpoints`);
    same(r, fresh, `${target}'s address`);
  }
});
