// Random edits of a MeshIR for the property tests that compare a reusing translator with a fresh translation
// (test/serve/incremental-translate.test.ts for `meshc serve`, test/backend/translate-cache.test.ts for `meshc
// build`): one catalogue, so both caches face the same edits (addresses, routes, policies, calls, added and removed
// services, any number, string or list of a service, mesh-wide fields, authorization, telemetry, CORS), plus going
// back to an earlier mesh and switching to another base mesh.
import fc from "fast-check";
import type { MeshIR, ServiceIR } from "../../src/ir/types.js";

type Json = unknown;
type Path = (string | number)[];
type Edit = (ir: MeshIR, a: number, b: number) => void;

/** Paths of every leaf (or array) in `v` matching `pick`, in a fixed order. */
function paths(v: Json, pick: (x: Json) => boolean, at: Path = [], out: Path[] = []): Path[] {
  if (pick(v)) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, pick, [...at, i], out));
  else if (v !== null && typeof v === "object") for (const k of Object.keys(v).sort()) paths((v as Record<string, Json>)[k], pick, [...at, k], out);
  return out;
}

/** Replaces the value at `path` with `f(old)`; `undefined` removes it (from an array, by splicing). */
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

const svc = (ir: MeshIR, a: number): ServiceIR | undefined => ir.services[a % Math.max(1, ir.services.length)];
const nth = <T>(list: T[], b: number): T | undefined => list[b % Math.max(1, list.length)];

/** The edits; `bases` supplies authorization, telemetry and CORS sections to copy in. */
export function irEdits(bases: readonly MeshIR[]): Record<string, Edit> {
  return {
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
    authorization(ir) {
      if (ir.authorization) delete ir.authorization;
      else {
        const withAuthz = bases.find((m) => m.authorization);
        if (withAuthz) ir.authorization = structuredClone(withAuthz.authorization);
      }
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
}

export type Step = { kind: "edit"; edit: string; a: number; b: number } | { kind: "back"; steps: number } | { kind: "base"; base: number };

/** Mostly edits, sometimes a step back in history or a switch to another base mesh. */
export function stepArbitrary(bases: readonly MeshIR[]): fc.Arbitrary<Step> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.record({ kind: fc.constant("edit" as const), edit: fc.constantFrom(...Object.keys(irEdits(bases))), a: fc.nat(1000), b: fc.nat(1000) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("back" as const), steps: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("base" as const), base: fc.nat(bases.length - 1) }) },
  );
}

/** The mesh after `step`, appended to `history` (whose last element is the current mesh); the inputs stay as they were. */
export function applyStep(history: MeshIR[], bases: readonly MeshIR[], step: Step): MeshIR {
  let ir: MeshIR;
  if (step.kind === "back") ir = structuredClone(history[Math.max(0, history.length - 1 - step.steps)]!);
  else if (step.kind === "base") ir = structuredClone(bases[step.base]!);
  else {
    ir = structuredClone(history[history.length - 1]!);
    irEdits(bases)[step.edit]!(ir, step.a, step.b);
  }
  history.push(ir);
  return ir;
}
