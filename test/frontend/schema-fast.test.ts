// The fast acceptor of common mesh and service shapes (src/frontend/schema-fast.ts) against zod's schemas: over
// random mutations of services that use every shape it knows (values swapped for edge cases, keys removed, unknown
// and "__proto__" keys added, symbol keys in records), whatever it accepts zod accepts, and validateModel reports
// exactly what the full schema reports (codes, messages, paths, order) with the fast path on and off.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { decodeModel, encodeModel, type DecodeInfo } from "../../src/frontend/model-wire.js";
import { mesh as meshSchema, service as serviceSchema } from "../../src/frontend/schema.js";
import { meshFieldsAccepted, modelAccepted, serviceAccepted, serviceAcceptedFast } from "../../src/frontend/schema-fast.js";
import { validateModel } from "../../src/frontend/validate.js";
import type { MeshModel } from "../../src/dsl/model.js";
import { bundleSyntheticMesh } from "../../bench/synthetic-bundle.js";

type Json = Record<string, unknown>;

// Every key and value form the fast acceptor handles itself, in one service.
const RICH: Json = {
  name: "rich-1",
  identity: "/ns/shop/sa/rich",
  sidecar: { adminPort: 15001, outboundPort: 15002, inboundAddress: "0.0.0.0", tcpOutbound: [{ upstream: { service: "db", port: "sql" }, port: 15100 }] },
  proxyless: { grpc: "go" },
  rateLimit: { tokens: 100, per: "1s", burst: 10 },
  mtls: "permissive",
  nonMesh: false,
  ports: { http: { protocol: "http", port: 8080, app: 3000, mtls: "strict" }, grpc: { protocol: "grpc", port: 9090 } },
  subsets: { v1: { version: "v1" }, "canary.2": { version: "v2", track: "canary" } },
  instances: [
    "10.0.0.1:8080",
    "[::1]:9090",
    { address: "10.0.0.2", port: 8080, labels: { version: "v1" }, locality: { region: "r", zone: "z", subZone: "s" }, weight: 3 },
    { address: "fd00::7", ports: { http: 8080, grpc: 9090 } },
  ],
  calls: [{ service: "other" }, { service: "other", subset: "v1", port: "http" }],
  routes: [
    {
      name: "r.0",
      match: { port: "http", path: { prefix: "/api/" }, headers: { "x-canary": "1", ":authority": "a" }, method: ["GET", "POST"], host: "shop.example" },
      actions: [{ kind: "forward", backends: [{ target: { service: "rich-1", subset: "v1" }, weight: 90 }, { target: { service: "rich-1" }, weight: 10 }] }],
      timeout: "1500ms",
      idleTimeout: "1m",
      retries: { attempts: 3, perTry: "250ms", on: ["5xx", "reset"], statusCodes: [503], grpcCodes: ["unavailable"], backoff: { base: "25ms", max: "1s" }, otherHosts: true, hostSelectionAttempts: 2 },
      requestHeaders: [{ set: { "x-a": "1" }, add: { "x-b": "2" }, remove: ["x-c"] }],
      responseHeaders: [],
    },
    {
      match: [{ path: { exact: "/a" }, method: "PUT" }, { path: { regex: "^/b/[0-9]+$" } }],
      actions: [{ kind: "forward", backends: [{ target: { service: "other", port: "http" }, weight: 100 }] }],
      requestHeaders: [],
      responseHeaders: [{ remove: ["server"] }],
    },
    // Shapes left to zod (per route): a query match, a redirect, a rewrite.
    { match: { query: { q: "1" } }, actions: [{ kind: "redirect", path: "/x" }], requestHeaders: [], responseHeaders: [] },
    { match: {}, actions: [{ kind: "forward", backends: [{ target: { service: "other" }, weight: 100 }] }], rewrite: { prefix: "/" }, requestHeaders: [], responseHeaders: [] },
  ],
  tcpRoutes: [],
  policies: [
    {
      connectTimeout: "250ms",
      idleTimeout: "0s",
      timeout: "2s",
      retries: { attempts: 2, on: ["connect-failure"] },
      circuitBreaker: { maxConnections: 0, maxPending: 100, maxRequests: 1000, maxRetries: 3, retryBudget: { percent: 20, minConcurrency: 1 } },
      outlierDetection: { consecutive5xx: 5, consecutiveGatewayErrors: 2, interval: "10s", baseEjection: "30s", maxEjectionPercent: 50 },
      loadBalancer: "least-request",
      localityFailover: ["zone-a", "zone-b"],
    },
    { loadBalancer: { ringHash: { hashOn: { header: "x-user" } } }, healthCheck: { http: "/healthz" } }, // left to zod
  ],
  subsetPolicies: [{ subset: "v1", connectTimeout: "1s" }],
};

// Values a mutation puts anywhere: near misses of every check above.
const EDGE: unknown[] = [
  undefined, null, true, false, 0, -0, 1, -1, 0.5, 1.5, 99, 100, 100.5, 101, 199, 200, 599, 600, 65535, 65536, 2 ** 32 - 1, 2 ** 32,
  Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, "", " ", "0", "0ms", "0s", "1.5ms", "1.0005s", "250ms", "2m", "-1s", "1d",
  "GET", "get", "5xx", "unavailable", "round-robin", "http", "https", "tcp", "strict", "forward", "redirect", "/", "/a", "a", "A_b", "_a", "a-",
  "svc", "Svc", "x".repeat(64), "10.0.0.1", "fd00::1", "localhost", "web-1.example", "web-1.example:80", "10.0.0.1:0", "10.0.0.1:65536", "::1", "[::1]:80", "a b", "x\n", "x\u0000", ":authority",
  "spiffe://t/ns", "/ns/x", "__proto__", "constructor", [], [1], ["GET"], [""], {}, { exact: "/" }, { prefix: "/", exact: "/" },
  { service: "other" }, { service: 1 }, { kind: "forward", backends: [] }, { grpc: "go" }, { grpc: "c" }, { tokens: 1, per: "1s" },
];

/** Every path (object keys, array indexes) into `v`. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === "object") for (const k of Object.keys(v)) paths((v as Json)[k], [...at, k], out);
  return out;
}

type Mutation = { path: number; op: "set" | "delete" | "add" | "proto" | "symbol"; value: number; key: string };

function mutate(seed: Json, muts: Mutation[]): Json {
  const s = structuredClone(seed);
  for (const m of muts) {
    const all = paths(s);
    const path = all[m.path % all.length]!;
    let parent: unknown = s;
    for (const k of path.slice(0, -1)) parent = (parent as Json)[k as string];
    const last = path[path.length - 1];
    const target = path.length === 0 ? s : (parent as Json)[last as string];
    const value = structuredClone(EDGE[m.value % EDGE.length]);
    if (m.op === "set" && path.length > 0) (parent as Json)[last as string] = value;
    else if (m.op === "delete" && path.length > 0) {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete (parent as Json)[last as string];
    } else if (target !== null && typeof target === "object" && !Array.isArray(target)) {
      if (m.op === "add") (target as Json)[m.key] = value;
      else if (m.op === "proto") Object.defineProperty(target, "__proto__", { value, enumerable: true, writable: true, configurable: true });
      else if (m.op === "symbol") (target as Record<symbol, unknown>)[Symbol(m.key)] = value;
    } else if (Array.isArray(target) && m.op === "add") target.push(value);
  }
  return s;
}

const ADDED_KEYS = ["extra", "port", "ports", "sidecar", "query", "registry", "subset", "v3", "healthCheck", "mirror", "grpc", "fault", "name", "", "_x", "a b", "x:y"];

const mutation = fc.record({
  path: fc.nat(),
  op: fc.constantFrom("set", "set", "set", "delete", "add", "proto", "symbol"),
  value: fc.nat(),
  key: fc.constantFrom(...ADDED_KEYS),
}) as fc.Arbitrary<Mutation>;

const model = (services: unknown[]): MeshModel => ({ name: "fast", trustDomain: "fast.example", services, orphans: [] }) as unknown as MeshModel;
const full = (m: MeshModel) => validateModel(m, undefined, { wellFormed: false }); // the full schema (no fast path)
const fast = (m: MeshModel) => validateModel(m, undefined, { wellFormed: true });

// RICH without the shapes left to zod: every part of it goes through the fast acceptor's own checks.
const PLAIN: Json = { ...RICH, routes: (RICH.routes as unknown[]).slice(0, 2), policies: (RICH.policies as unknown[]).slice(0, 1), subsetPolicies: [] };
// No ports declared: each instance object must name its port (the schema's refinement).
const PORTLESS: Json = { ...PLAIN, ports: {}, instances: ["10.0.0.1:80", { address: "10.0.0.9", port: 80 }, { address: "10.0.0.8", ports: { http: 80 } }], routes: [] };

/** One mutation at a time, at every path: what the fast acceptor takes, zod takes. Returns the counts. */
function exhaustive(seed: Json): { accepted: number; refused: number } {
  let accepted = 0;
  let refused = 0;
  const check = (m: Mutation) => {
    const s = mutate(seed, [m]);
    const zodOk = serviceSchema.safeParse(s).success;
    if (!zodOk) refused++;
    if (!serviceAcceptedFast(s, { zodElements: false })) return;
    accepted++;
    assert.equal(zodOk, true, `${JSON.stringify(m)} (${String(EDGE[m.value])}): fast-accepted, zod refuses: ${JSON.stringify(serviceSchema.safeParse(s).error?.issues)}`);
  };
  const all = paths(seed);
  all.forEach((path, p) => {
    let target: unknown = seed;
    for (const k of path) target = (target as Json)[k as string];
    const isObject = target !== null && typeof target === "object" && !Array.isArray(target);
    check({ path: p, op: "delete", value: 0, key: "" });
    for (let v = 0; v < EDGE.length; v++) {
      check({ path: p, op: "set", value: v, key: "" });
      if (!isObject || v % 6 !== 0) continue;
      for (const key of ADDED_KEYS) check({ path: p, op: "add", value: v, key });
      check({ path: p, op: "proto", value: v, key: "" });
    }
    if (isObject) check({ path: p, op: "symbol", value: 1, key: "s" });
  });
  return { accepted, refused };
}

test("the seeds are valid, and the fast path takes every shape of PLAIN", () => {
  assert.equal(serviceSchema.safeParse(RICH).success, true, JSON.stringify(serviceSchema.safeParse(RICH).error?.issues));
  assert.equal(serviceAccepted(RICH), true);
  assert.equal(serviceAcceptedFast(RICH, { zodElements: false }), false); // its redirect, rewrite, query match, health check, subset policy
  assert.equal(serviceAcceptedFast(RICH), true); // those elements by zod
  assert.equal(serviceAcceptedFast(PLAIN, { zodElements: false }), true);
  assert.equal(serviceAcceptedFast(PORTLESS, { zodElements: false }), true);
  assert.deepEqual(fast(model([RICH, PLAIN])), []);
});

test("one mutation anywhere in PLAIN or PORTLESS: whatever the fast acceptor accepts zod accepts", () => {
  for (const seed of [PLAIN, PORTLESS]) {
    const { accepted, refused } = exhaustive(seed);
    // Both sides of the implication were exercised.
    assert.ok(accepted > 500, `only ${accepted} mutants fast-accepted`);
    assert.ok(refused > 500, `only ${refused} mutants refused`);
  }
});

test("several mutations: validateModel reports the same with the fast path and without", () => {
  fc.assert(
    fc.property(fc.constantFrom(PLAIN, RICH, PORTLESS), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, muts) => {
      const s = mutate(seed, muts);
      const zodOk = serviceSchema.safeParse(s).success;
      if (serviceAcceptedFast(s)) assert.equal(zodOk, true, `fast-accepted, zod refuses: ${JSON.stringify(serviceSchema.safeParse(s).error?.issues)}`);
      assert.equal(serviceAccepted(s), zodOk);
      const m = model([PLAIN, s]);
      const reported = full(m);
      assert.deepEqual(fast(m), reported);
      // loadMesh's way without zod: what it accepts, the full schema finds nothing in.
      if (modelAccepted(m)) assert.deepEqual(reported, [], "modelAccepted, the full schema reports");
    }),
    { numRuns: 1500, seed: 12 },
  );
});
// A mesh with every top-level field the fast acceptor checks itself (the model's orphans are not the schema's).
const MESH: Json = { name: "fast", trustDomain: "fast.example", mtls: "strict", egress: "allow-any", defaults: (PLAIN.policies as unknown[])[0], services: [PLAIN], orphans: [] };

test("one mutation of a mesh's own fields: accepted implies zod accepts, and validateModel reports the same either way", () => {
  assert.equal(meshFieldsAccepted(MESH), true);
  assert.equal(meshSchema.safeParse(MESH).success, true);
  let accepted = 0;
  let refused = 0;
  const all = paths(MESH);
  all.forEach((path, p) => {
    if (path[0] === "services" && path.length > 2) return; // inside a service: the tests above
    const muts: Mutation[] = [{ path: p, op: "delete", value: 0, key: "" }, { path: p, op: "symbol", value: 1, key: "s" }];
    for (let v = 0; v < EDGE.length; v++) {
      muts.push({ path: p, op: "set", value: v, key: "" }, { path: p, op: "proto", value: v, key: "" });
      for (const key of ["telemetry", "certificates", "authorizations", "discovery", "patches", "extra", "mtls", "egress", "defaults"]) muts.push({ path: p, op: "add", value: v, key });
    }
    for (const m of muts) {
      const mesh = mutate(MESH, [m]) as unknown as MeshModel;
      const zodOk = meshSchema.safeParse(mesh).success;
      if (!zodOk) refused++;
      const services = (mesh as unknown as Json).services;
      if (meshFieldsAccepted(mesh) && Array.isArray(services) && services.every((x) => serviceAccepted(x))) {
        accepted++;
        assert.equal(zodOk, true, `${JSON.stringify(m)} (${String(EDGE[m.value])}): fast-accepted, zod refuses: ${JSON.stringify(meshSchema.safeParse(mesh).error?.issues)}`);
      }
      if (modelAccepted(mesh)) assert.equal(zodOk, true, `${JSON.stringify(m)}: modelAccepted, zod refuses`);
      if (m.op === "set" || m.value % 10 === 0) assert.deepEqual(fast(mesh), full(mesh), JSON.stringify(m));
    }
  });
  assert.ok(accepted > 100, `only ${accepted} mutants fast-accepted`);
  assert.ok(refused > 500, `only ${refused} mutants refused`);
});

test("every service of the decoded synthetic mesh is fast-accepted, and validation finds nothing either way", async () => {
  const { bundle } = await bundleSyntheticMesh("test-schema-fast", 30);
  const mod = (await import(pathToFileURL(bundle.file).href)) as { default: unknown };
  const info: DecodeInfo = {};
  const decoded = decodeModel(encodeModel(mod.default), info) as MeshModel;
  assert.equal(info.wellFormed, true);
  assert.equal(decoded.services.length, 30);
  for (const s of decoded.services) assert.equal(serviceAcceptedFast(s, { zodElements: false }), true, (s as { name: string }).name);
  assert.deepEqual(fast(decoded), []);
  assert.deepEqual(full(decoded), []);
  assert.equal(modelAccepted(decoded), true, "loadMesh validates it without zod");
  // One bad value in one service: the same diagnostic from both paths.
  const broken = structuredClone({ ...decoded, services: decoded.services.map((s) => ({ ...s })) }) as MeshModel;
  (broken.services[7] as unknown as { routes: Json[] }).routes[0]!.timeout = "soon";
  const d = fast(broken);
  assert.equal(d.length, 1);
  assert.deepEqual(d, full(broken));
  assert.equal(modelAccepted(broken), false, "a bad value goes to zod");
});

test("schema-fast.ts works without zod loaded: modelAccepted takes the fast shapes, and anything else needs schema.ts", () => {
  // A process that imports schema-fast.ts alone (as loadMesh does until a model needs zod).
  const script = `
    import { modelAccepted, serviceAccepted } from ${JSON.stringify(pathToFileURL(join(process.cwd(), "src/frontend/schema-fast.ts")).href)};
    const svc = ${JSON.stringify(PLAIN)};
    const out = { plain: modelAccepted({ name: "m", trustDomain: "m.example", services: [svc], orphans: [] }) };
    out.rich = modelAccepted({ name: "m", trustDomain: "m.example", services: [${JSON.stringify(RICH)}], orphans: [] });
    try { serviceAccepted(svc); out.zod = "loaded"; } catch { out.zod = "not loaded"; }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  // RICH has shapes left to zod: refused without it (validate.ts then loads zod), never wrongly accepted.
  assert.deepEqual(JSON.parse(r.stdout), { plain: true, rich: false, zod: "not loaded" });
});
