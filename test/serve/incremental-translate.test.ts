// `meshc serve` translates only the proxies whose inputs changed (src/serve/incremental-translate.ts). A proxy left
// stale is the worst outcome, so this property test drives one IncrementalTranslator through random sequences of
// edits (addresses, routes, policies, calls, new and removed services, mesh-wide fields, authorization, telemetry,
// CORS, any number or string or list in a service, going back to an earlier mesh, switching to another mesh) over
// the backend golden meshes and a small synthetic one, and after every step compares it with a fresh translateMesh:
// the same issues, the same proxies in the same order, and for every proxy and variant the same versions, names
// and bytes.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { translateMesh, type TranslateResult } from "../../src/backends/envoy/translate.js";
import type { MeshIR, ServiceIR } from "../../src/ir/types.js";
import type { ProxySnapshot } from "../../src/snapshot/types.js";
import { IncrementalTranslator } from "../../src/serve/incremental-translate.js";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { caseNames, loadCase } from "../backend/cases.js";

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

type Json = unknown;
type Path = (string | number)[];

/** Paths of every leaf (or array) in `v` matching `pick`, in a fixed order. */
function paths(v: Json, pick: (x: Json) => boolean, at: Path = [], out: Path[] = []): Path[] {
  if (pick(v)) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, pick, [...at, i], out));
  else if (v !== null && typeof v === "object") for (const k of Object.keys(v).sort()) paths((v as Record<string, Json>)[k], pick, [...at, k], out);
  return out;
}

function update(root: Json, path: Path, f: (old: Json) => Json | undefined): void {
  let o = root as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  const next = f(o[last]);
  if (next === undefined) {
    if (Array.isArray(o)) o.splice(Number(last), 1);
    else delete o[last];
  } else o[last] = next;
}

type Edit = (ir: MeshIR, a: number, b: number) => void;

const svc = (ir: MeshIR, a: number): ServiceIR | undefined => ir.services[a % Math.max(1, ir.services.length)];
const nth = <T>(list: T[], b: number): T | undefined => list[b % Math.max(1, list.length)];

const EDITS: Record<string, Edit> = {
  address(ir, a, b) {
    const s = svc(ir, a);
    if (s?.instances.kind === "static" && s.instances.endpoints.length) nth(s.instances.endpoints, b)!.address = `10.250.${a % 250}.${b % 250}`;
  },
  dropRoute(ir, a, b) {
    const s = svc(ir, a);
    if (s?.routes.length) s.routes.splice(b % s.routes.length, 1);
  },
  reverseRoutes(ir, a) {
    svc(ir, a)?.routes.reverse();
  },
  policyTimeout(ir, a, b) {
    const s = svc(ir, a);
    if (s) s.policy = { ...s.policy, connectTimeoutMs: 100 + (b % 900), timeoutMs: 1000 + b };
  },
  dropCall(ir, a, b) {
    const s = svc(ir, a);
    if (s?.calls.length) s.calls.splice(b % s.calls.length, 1);
  },
  addCall(ir, a, b) {
    const s = svc(ir, a);
    const to = b % 3 === 0 ? "svc-added" : svc(ir, b)?.name;
    if (s && to && to !== s.name && !s.calls.includes(to)) s.calls = [...s.calls, to].sort();
  },
  addService(ir, a) {
    const s = svc(ir, a);
    if (!s || ir.services.some((x) => x.name === "svc-added")) return;
    const copy = structuredClone(s);
    copy.name = "svc-added";
    copy.identity = `${s.identity}-added`;
    ir.services = [...ir.services, copy].sort((x, y) => (x.name < y.name ? -1 : 1));
  },
  removeService(ir, a) {
    if (ir.services.length > 1) ir.services.splice(a % ir.services.length, 1);
  },
  /** A whole field of one service copied from another (routes, policy, telemetry, cors, subsets, …). */
  copyField(ir, a, b) {
    const from = svc(ir, b);
    const to = svc(ir, a);
    if (!from || !to || from === to) return;
    const key = nth(Object.keys(from).filter((k) => k !== "name" && k !== "identity").sort(), a + b) as keyof ServiceIR | undefined;
    if (key) (to as unknown as Record<string, Json>)[key] = structuredClone(from[key]);
  },
  dropField(ir, a, b) {
    const s = svc(ir, a);
    const key = s && nth(Object.keys(s).filter((k) => !["name", "identity", "ports", "instances", "sidecar", "policy", "subsets", "calls", "routes", "proxyless", "mtls"].includes(k)).sort(), b);
    if (s && key) delete (s as unknown as Record<string, Json>)[key];
  },
  number(ir, a, b) {
    const s = svc(ir, a);
    const p = s && nth(paths(s, (x) => typeof x === "number"), b);
    if (p) update(s, p, (x) => (x as number) + 1);
  },
  string(ir, a, b) {
    const s = svc(ir, a);
    const p = s && nth(paths(s, (x) => typeof x === "string").filter((q) => q[0] !== "name"), b);
    if (p) update(s, p, (x) => `${x as string}x`);
  },
  dropElement(ir, a, b) {
    const s = svc(ir, a);
    const p = s && nth(paths(s, (x) => Array.isArray(x) && x.length > 0), b);
    if (p) update(s, p, (x) => (x as Json[]).slice(1));
  },
  meshNumberOrString(ir, _a, b) {
    const rest = { ...ir, services: [] };
    const p = nth(paths(rest, (x) => typeof x === "number" || typeof x === "string"), b);
    if (p) update(ir, p, (x) => (typeof x === "number" ? x + 1 : `${x as string}x`));
  },
  egress(ir, _a, b) {
    ir.egress = b % 3 === 0 ? undefined : b % 3 === 1 ? "registry-only" : "allow-any";
    if (ir.egress === undefined) delete ir.egress;
  },
  authorization(ir, a) {
    if (ir.authorization) delete ir.authorization;
    else {
      const withAuthz = bases.find((m) => m.authorization);
      if (withAuthz) ir.authorization = structuredClone(withAuthz.authorization);
    }
    void a;
  },
  telemetry(ir, a, b) {
    const withTelemetry = bases.flatMap((m) => m.services).find((s) => s.telemetry);
    const s = svc(ir, a);
    if (!s) return;
    if (s.telemetry && b % 2 === 0) delete s.telemetry;
    else if (withTelemetry) s.telemetry = structuredClone(withTelemetry.telemetry);
  },
  cors(ir, a, b) {
    const withCors = bases.flatMap((m) => m.services).find((s) => s.cors);
    const s = svc(ir, a);
    if (!s) return;
    if (s.cors && b % 2 === 0) delete s.cors;
    else if (withCors) s.cors = structuredClone(withCors.cors);
  },
};

type Step = { kind: "edit"; edit: string; a: number; b: number } | { kind: "back"; steps: number } | { kind: "base"; base: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant("edit" as const), edit: fc.constantFrom(...Object.keys(EDITS)), a: fc.nat(1000), b: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("back" as const), steps: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("base" as const), base: fc.nat(bases.length - 1) }) },
);

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
      steps.forEach((s, i) => {
        let ir: MeshIR;
        if (s.kind === "back") ir = structuredClone(history[Math.max(0, history.length - 1 - s.steps)]!);
        else if (s.kind === "base") ir = structuredClone(bases[s.base]!);
        else {
          ir = structuredClone(history[history.length - 1]!);
          EDITS[s.edit]!(ir, s.a, s.b);
        }
        history.push(ir);
        check(ir, `step ${i + 1} (${JSON.stringify(s)})`);
      });
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
