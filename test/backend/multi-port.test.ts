// Multi-port services reach each port on that port's own instance number (issue 18, section 1). A property test
// over generated services (port names in any order, instance ports given per name, as a single number, or left
// to default; static and DNS instances; with and without a subset): every caller cluster
// `outbound|<port>|<subset>|<service>` carries, for every endpoint (EDS) or its DNS address, the number that
// belongs to that cluster's service port, and every generated mesh compiles with no error. Meshes are built with
// the real DSL and go through validation, lowering, analysis and the Envoy backend; a few fixed cases (the ones
// from the issue) go through the whole pipeline from a mesh.ts file.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { analyze } from "../../src/analysis/index.js";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { defineMesh, dns, grpc, http, http2, tcp, type Instance, type PortSpec } from "../../src/dsl/index.js";
import { lower } from "../../src/frontend/lower.js";
import { validateModel } from "../../src/frontend/validate.js";
import { compileMesh } from "../../src/pipeline.js";
import type { MeshSnapshot } from "../../src/snapshot/types.js";
import { writeMesh } from "../frontend/tmp-mesh.js";

type Proto = "http" | "http2" | "grpc" | "tcp";
const CTOR = { http, http2, grpc, tcp } as const;

interface GenPort {
  name: string;
  protocol: Proto;
  port: number;
  app: number;
}
/** How one instance states its ports. */
type GenInstance = { kind: "default" } | { kind: "single"; port: number; asString: boolean } | { kind: "per-port"; ports: Record<string, number> };
interface GenService {
  ports: GenPort[]; // in declaration order
  dns: boolean;
  instances: GenInstance[]; // one for DNS
  subset: boolean;
}

// Port numbers clear of the sidecar's own defaults (15000 admin, 15001 outbound, 15002+ TCP outbound).
const portNumber = fc.integer({ min: 1024, max: 14_000 });
const portName = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}[a-z0-9]$/);

const genService: fc.Arbitrary<GenService> = fc
  .record({
    names: fc.uniqueArray(portName, { minLength: 1, maxLength: 4 }),
    numbers: fc.uniqueArray(portNumber, { minLength: 8, maxLength: 8 }),
    protocols: fc.array(fc.constantFrom<Proto>("http", "http2", "grpc", "tcp"), { minLength: 4, maxLength: 4 }),
    dns: fc.boolean(),
    subset: fc.boolean(),
    choices: fc.array(fc.record({ kind: fc.constantFrom("default", "single", "per-port"), asString: fc.boolean(), pick: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), numbers: fc.array(fc.integer({ min: 1, max: 65_535 }), { minLength: 4, maxLength: 4 }) }), { minLength: 1, maxLength: 3 }),
  })
  .map(({ names, numbers, protocols, dns: isDns, subset, choices }) => {
    const ports = names.map((name, i) => ({ name, protocol: protocols[i]!, port: numbers[i]!, app: numbers[i + 4]! }));
    const instances = (isDns ? choices.slice(0, 1) : choices).map((c): GenInstance => {
      // A single number only fits a single-port service (MESH0208 otherwise, tested separately).
      if (c.kind === "single" && ports.length === 1) return { kind: "single", port: c.numbers[0]!, asString: c.asString && !isDns };
      if (c.kind === "per-port") {
        const given: Record<string, number> = {};
        ports.forEach((p, i) => c.pick[i] && (given[p.name] = c.numbers[i]!));
        return { kind: "per-port", ports: given };
      }
      return { kind: "default" };
    });
    return { ports, dns: isDns, instances, subset: subset && !isDns };
  });

const address = (i: number) => `10.9.0.${i + 1}`;

function instanceOf(inst: GenInstance, i: number, s: GenService): Instance {
  const labels: Record<string, string> = s.subset && i === 0 ? { version: "v1" } : {};
  switch (inst.kind) {
    case "default":
      return { address: address(i), labels };
    case "single":
      // A string carries no labels: keep the object form for the instance the subset selects.
      return inst.asString && !(s.subset && i === 0) ? `${address(i)}:${inst.port}` : { address: address(i), port: inst.port, labels };
    case "per-port":
      return { address: address(i), ports: inst.ports, labels };
  }
}

function buildSnapshot(s: GenService): { snapshot?: MeshSnapshot; problems: string[] } {
  const model = defineMesh({ name: "prop", trustDomain: "prop.example" }, (mesh) => {
    const ports: Record<string, PortSpec> = {};
    for (const p of s.ports) ports[p.name] = CTOR[p.protocol](p.port, { app: p.app });
    const inst = s.instances[0]!;
    const multi = mesh.service("multi", {
      ports,
      instances: s.dns
        ? inst.kind === "single"
          ? dns("multi.example", inst.port)
          : inst.kind === "per-port"
            ? dns("multi.example", inst.ports)
            : dns("multi.example")
        : s.instances.map((x, i) => instanceOf(x, i, s)),
      subsets: s.subset ? { v1: { version: "v1" } } : {},
    });
    mesh.service("caller", { ports: { web: http(8080, { app: 3000 }) }, instances: [{ address: "10.250.0.1" }], calls: [multi] });
  });
  const invalid = validateModel(model);
  if (invalid.length) return { problems: invalid.map((d) => `${d.code} ${d.message}`) };
  const { ir, diagnostics } = lower(model, process.cwd());
  const errors = [...diagnostics, ...analyze(ir)].filter((d) => d.severity === "error");
  if (errors.length) return { problems: errors.map((d) => `${d.code} ${d.message}`) };
  const t = translateMesh(ir);
  if (t.issues.length) return { problems: t.issues.map((i) => `MESH0901 ${i.resource} ${i.path}: ${i.message}`) };
  return { snapshot: t.snapshot, problems: [] };
}

/** The number instance `inst` should serve service port `p` on. */
function expectedPort(inst: GenInstance, p: GenPort): number {
  if (inst.kind === "per-port") return inst.ports[p.name] ?? p.port;
  if (inst.kind === "single") return inst.port;
  return p.port;
}

type Json = Record<string, unknown>;
const socket = (lb: Json) => ((lb.endpoint as Json).address as Json).socket_address as Json;

/** address -> port of every endpoint a cluster (EDS assignment or DNS load_assignment) carries. */
function endpointsOf(snapshot: MeshSnapshot, cluster: string): Map<string, number> {
  const caller = snapshot.proxies.get("caller")!;
  const c = caller.resources.cluster.find((r) => r.name === cluster);
  assert.ok(c, `caller has cluster ${cluster}`);
  const decoded = canonicalOf("cluster", c) as Json;
  let cla = decoded.load_assignment as Json | undefined;
  if (!cla) {
    const e = caller.resources.endpoint.find((r) => r.name === cluster);
    assert.ok(e, `caller has endpoints for ${cluster}`);
    cla = canonicalOf("endpoint", e) as Json;
  }
  const out = new Map<string, number>();
  for (const group of (cla.endpoints as Json[] | undefined) ?? []) {
    for (const lb of group.lb_endpoints as Json[]) out.set(socket(lb).address as string, socket(lb).port_value as number);
  }
  return out;
}

describe("multi-port services: each cluster reaches its own port", () => {
  test("property: every cluster's endpoints carry the port of that cluster's service port; every mesh compiles", () => {
    fc.assert(
      fc.property(genService, (s) => {
        const { snapshot, problems } = buildSnapshot(s);
        assert.deepEqual(problems, [], "the generated mesh compiles with no error");
        for (const p of s.ports) {
          for (const subset of s.subset ? ["", "v1"] : [""]) {
            const got = endpointsOf(snapshot!, `outbound|${p.port}|${subset}|multi`);
            if (s.dns) {
              assert.deepEqual([...got], [["multi.example", expectedPort(s.instances[0]!, p)]]);
              continue;
            }
            const want = new Map(
              s.instances.flatMap((inst, i) => (subset === "" || i === 0 ? [[address(i), expectedPort(inst, p)] as const] : [])),
            );
            assert.deepEqual(got, want, `cluster outbound|${p.port}|${subset}|multi`);
          }
        }
      }),
      { numRuns: 150, seed: Number(process.env.FC_SEED ?? 18), verbose: true },
    );
  });

  test("a single number on a multi-port service is reported, never applied to some port", () => {
    const s: GenService = {
      ports: [
        { name: "web", protocol: "http", port: 8080, app: 3000 },
        { name: "admin", protocol: "http", port: 9090, app: 3001 },
      ],
      dns: false,
      instances: [{ kind: "single", port: 8080, asString: true }],
      subset: false,
    };
    assert.deepEqual(buildSnapshot(s).problems.map((p) => p.slice(0, 8)), ["MESH0208"]);
    assert.deepEqual(buildSnapshot({ ...s, dns: true, instances: [{ kind: "single", port: 80, asString: false }] }).problems.map((p) => p.slice(0, 8)), ["MESH0208"]);
  });
});

describe("the issue's meshes, through the whole pipeline from mesh.ts", () => {
  const compile = async (body: string) => {
    const m = writeMesh({
      "mesh.ts": `import { defineMesh, dns, http, tcp } from "meshc";
export default defineMesh({ name: "i18", trustDomain: "i18.example" }, (mesh) => {
${body}
  mesh.service("caller", { ports: { web: http(8000, { app: 3100 }) }, instances: [{ address: "10.8.0.1" }], calls: [multi] });
});
`,
    });
    try {
      return await compileMesh(m.entry);
    } finally {
      m.remove();
    }
  };
  const ports = (snapshot: MeshSnapshot, cluster: string) => [...endpointsOf(snapshot, cluster)];

  test("static instance, ports declared web then admin: each cluster on its own port", async () => {
    const r = await compile(`  const multi = mesh.service("multi", { ports: { web: http(8080, { app: 3000 }), admin: http(9090, { app: 3001 }) }, instances: [{ address: "10.9.0.1" }] });`);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(ports(r.snapshot!, "outbound|8080||multi"), [["10.9.0.1", 8080]]);
    assert.deepEqual(ports(r.snapshot!, "outbound|9090||multi"), [["10.9.0.1", 9090]]);
  });

  test("the bare service name reaches the first declared HTTP port, not the first by name", async () => {
    const r = await compile(`  const multi = mesh.service("multi", { ports: { web: http(8080, { app: 3000 }), admin: http(9090, { app: 3001 }) }, instances: [{ address: "10.9.0.1" }] });`);
    const rc = r.snapshot!.proxies.get("caller")!.resources.route.find((x) => x.name === "outbound|15001|http")!;
    const vhosts = (canonicalOf("route", rc) as Json).virtual_hosts as Json[];
    const domains = Object.fromEntries(vhosts.map((v) => [v.name, v.domains]));
    assert.deepEqual(domains["multi:8080"], ["multi", "multi.i18", "multi:8080", "multi.i18:8080"]);
    assert.deepEqual(domains["multi:9090"], ["multi:9090", "multi.i18:9090"]);
  });

  test("web http(80) and tls tcp(443) build (the old offset went negative: MESH0901)", async () => {
    const r = await compile(`  const multi = mesh.service("multi", { ports: { web: http(80, { app: 3000 }), tls: tcp(443, { app: 3001 }) }, instances: [{ address: "10.9.0.1" }] });`);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(ports(r.snapshot!, "outbound|80||multi"), [["10.9.0.1", 80]]);
    assert.deepEqual(ports(r.snapshot!, "outbound|443||multi"), [["10.9.0.1", 443]]);
  });

  test("static external endpoints: a bare IPv6 address serves every port, [v6]:port and v4:port one port", async () => {
    const r = await compile(`  const multi = mesh.external("multi", { hosts: ["multi.example"], ports: { api: http(8080) }, resolution: "static", endpoints: ["2001:db8::1", "::ffff:10.0.0.1", "[2001:db8::2]:8443", "10.0.0.3:8444"] });`);
    assert.deepEqual(r.diagnostics, []);
    // "2001:db8::1" used to be read as address "2001:db8:" port 1.
    assert.deepEqual(ports(r.snapshot!, "outbound|8080||multi"), [["2001:db8::1", 8080], ["::ffff:10.0.0.1", 8080], ["2001:db8::2", 8443], ["10.0.0.3", 8444]]);
  });

  test("dns() on two ports: each DNS cluster on its own port, or the numbers given by name", async () => {
    const r = await compile(`  const multi = mesh.service("multi", { ports: { web: http(80, { app: 3000 }), tls: tcp(443, { app: 3001 }) }, instances: dns("googleapis.example") });`);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(ports(r.snapshot!, "outbound|80||multi"), [["googleapis.example", 80]]);
    assert.deepEqual(ports(r.snapshot!, "outbound|443||multi"), [["googleapis.example", 443]]);
    const named = await compile(`  const multi = mesh.service("multi", { ports: { web: http(80, { app: 3000 }), tls: tcp(443, { app: 3001 }) }, instances: dns("googleapis.example", { tls: 8443 }) });`);
    assert.deepEqual(named.diagnostics, []);
    assert.deepEqual(ports(named.snapshot!, "outbound|80||multi"), [["googleapis.example", 80]]);
    assert.deepEqual(ports(named.snapshot!, "outbound|443||multi"), [["googleapis.example", 8443]]);
  });

  test("a wrong port name in an inline instance literal is a type error; a single number on two ports is MESH0208", async () => {
    const typo = await compile(`  const multi = mesh.service("multi", { ports: { web: http(8080, { app: 3000 }), admin: http(9090, { app: 3001 }) }, instances: [{ address: "10.9.0.1", ports: { wbe: 18080 } }] });`);
    assert.deepEqual(typo.diagnostics.map((d) => d.code), ["MESH0001"]);
    assert.equal(typo.snapshot, undefined);
    const dnsTypo = await compile(`  const multi = mesh.service("multi", { ports: { web: http(80, { app: 3000 }) }, instances: dns("a.example", { wbe: 80 }) });`);
    assert.deepEqual(dnsTypo.diagnostics.map((d) => d.code), ["MESH0001"]);
    const runtime = await compile(`  const names: Record<string, number> = { wbe: 18080 };
  const multi = mesh.service("multi", { ports: { web: http(8080, { app: 3000 }), admin: http(9090, { app: 3001 }) }, instances: [{ address: "10.9.0.1", ports: names as never }] });`);
    assert.deepEqual(runtime.diagnostics.map((d) => d.code), ["MESH0108"]);
    assert.ok(runtime.diagnostics[0]!.file?.endsWith("mesh.ts") && runtime.diagnostics[0]!.line! > 0);
    const single = await compile(`  const multi = mesh.service("multi", { ports: { web: http(8080, { app: 3000 }), admin: http(9090, { app: 3001 }) }, instances: ["10.9.0.1:8080"] });`);
    assert.deepEqual(single.diagnostics.map((d) => d.code), ["MESH0208"]);
    assert.equal(single.snapshot, undefined);
  });
});
