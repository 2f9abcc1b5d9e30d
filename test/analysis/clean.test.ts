// A realistic mesh produces no diagnostics; output order is stable.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ANALYZERS, analyze } from "../../src/analysis/index.js";
import { listCodes } from "../../src/analysis/codes.js";
import type { MeshIR } from "../../src/ir/types.js";
import { at, backend, endpoint, port, retry, route, service, TRUST_DOMAIN } from "./ir-fixtures.js";

/** The shop from the DSL sketch: web -> catalog (canary), payments (gRPC), ledger (TCP); a proxyless client. */
export function shop(): MeshIR {
  return {
    name: "shop",
    trustDomain: TRUST_DOMAIN,
    mtls: { mode: "off", certificates: { leafLifetimeMs: 86_400_000, rotateAtPercent: 50, keyAlgorithm: "ecdsa-p256" } },
    services: [
      service("catalog", {
        source: at(10, 3),
        ports: [port("web", "http", 8081, 3001)],
        instances: {
          kind: "static",
          endpoints: [endpoint("10.0.2.1", 8081, { version: "v1" }), endpoint("10.0.2.2", 8081, { version: "v2" })],
        },
        subsets: [
          { name: "v1", labels: { version: "v1" } },
          { name: "v2", labels: { version: "v2" } },
        ],
        sidecar: { outboundPort: 15011, adminPort: 15010 },
        policy: { timeoutMs: 3000, retry: retry({ attempts: 2, perTryTimeoutMs: 1000, on: ["connect-failure", "refused-stream"] }) },
        routes: [
          route("catalog-0", { source: at(30, 5), match: { headers: [{ name: "x-canary", match: { exact: "1" }, invert: false }] }, to: [backend("catalog", 100, "v2")] }),
          route("catalog-1", {
            source: at(31, 5),
            match: { path: { prefix: "/api/" }, methods: ["GET", "HEAD"] },
            to: [backend("catalog", 90, "v1"), backend("catalog", 10, "v2")],
            forward: { timeoutMs: 2000, retry: retry({ attempts: 3, perTryTimeoutMs: 500, on: ["5xx", "reset"] }), mirror: { service: "catalog-shadow", percent: 5 } },
          }),
          route("catalog-2", { source: at(35, 5), match: { path: { regex: "/items/(?P<id>[0-9]+)" } }, to: [backend("catalog", 90, "v1"), backend("catalog", 10, "v2")] }),
          route("catalog-3", { source: at(36, 5), match: { path: { prefix: "/" } }, to: [backend("catalog", 100, "v1")] }),
        ],
      }),
      service("catalog-shadow", { source: at(12, 3), ports: [port("web", "http", 8082, 3002)], instances: { kind: "static", endpoints: [endpoint("10.0.3.1", 8082)] }, sidecar: { outboundPort: 15021, adminPort: 15020 } }),
      service("client", {
        source: at(20, 3),
        proxyless: true,
        ports: [port("grpc", "grpc", 9095, 9095)],
        instances: { kind: "static", endpoints: [endpoint("127.0.0.1", 9095)] },
        calls: ["payments"],
        sidecar: { outboundPort: 15001, adminPort: 15000 },
      }),
      service("ledger", {
        source: at(16, 3),
        ports: [port("db", "tcp", 5432, 15432)],
        instances: { kind: "dns", hostname: "ledger.internal", ports: { db: 5432 } },
        sidecar: { outboundPort: 15031, adminPort: 15030 },
        tcpRoute: { backends: [backend("ledger")], connectTimeoutMs: 500, source: at(40, 3) },
      }),
      service("payments", {
        source: at(14, 3),
        ports: [port("api", "grpc", 9090, 19090)],
        instances: {
          kind: "static",
          endpoints: [
            endpoint("10.0.1.7", 9090, {}, { locality: { region: "eu", zone: "eu-1a" } }),
            endpoint("10.0.2.7", 9090, {}, { locality: { region: "eu", zone: "eu-1b" } }),
          ],
        },
        sidecar: { outboundPort: 15041, adminPort: 15040 },
        policy: {
          loadBalancer: { kind: "ring-hash", hashOn: [{ kind: "header", name: "x-user-id" }] },
          localityFailover: ["eu-1a", "eu-1b"],
          // No active health check: the proxyless client below would not run it (MESH0313).
        },
        routes: [
          route("payments-0", { source: at(45, 5), match: { grpc: { service: "shop.Payments", method: "Refund" } }, forward: { retry: retry({ on: [], grpcCodes: ["unavailable"], backoff: { baseMs: 25, maxMs: 250 } }) } }),
          route("payments-1", { source: at(46, 5), match: { grpc: { service: "shop.Payments" } } }),
        ],
      }),
      service("web", {
        source: at(24, 3),
        ports: [port("http", "http", 8080, 3000)],
        instances: { kind: "static", endpoints: [endpoint("127.0.0.1", 8080)] },
        calls: ["catalog", "catalog-shadow", "ledger", "payments"],
        sidecar: { outboundPort: 15051, adminPort: 15050, tcpOutbound: { "ledger:db": 15052 } },
      }),
    ],
  };
}

test("a realistic mesh has no diagnostics", () => {
  assert.deepEqual(analyze(shop()), []);
});

test("analyze() sorts by file, line, column, code and is deterministic", () => {
  const ir = shop();
  const web = ir.services.find((s) => s.name === "web")!;
  web.calls.push("nowhere"); // MESH0103 at web (24:3)
  web.identity = "spiffe://elsewhere/web"; // MESH0501 at web (24:3)
  ir.services.find((s) => s.name === "catalog")!.subsets.push({ name: "v9", labels: { version: "v9" } }); // MESH0104 at 10:3
  ir.services.push(service("orphan", { identity: "bad", sidecar: { outboundPort: 16001, adminPort: 16000 } })); // no source
  const out = analyze(ir);
  assert.deepEqual(
    out.map((d) => [d.code, d.line ?? null]),
    [
      ["MESH0104", 10],
      ["MESH0103", 24],
      ["MESH0501", 24],
      ["MESH0501", null],
    ],
  );
  assert.deepEqual(analyze(ir), out);
});

test("every analysis code belongs to exactly one analyzer, and every analyzer code is registered", () => {
  const owned = ANALYZERS.flatMap((a) => a.codes);
  assert.equal(new Set(owned).size, owned.length, "a code claimed by two analyzers");
  // 00xx front end, 09xx pipeline, 034x `--envoy` (the real Envoy's verdicts, src/cli/envoy-gate.ts) are not analyzers'.
  // MESH0505 MtlsWithoutCa is reported by `meshc serve`/`bootstrap --static` (test/pki/static-bootstrap.test.ts).
  // 10xx are `meshc test`'s (src/testing/, test/testing/).
  // MESH0803/0804 (registry entries, registry outage) are reported by `meshc serve` (test/e2e/registry.test.ts).
  // MESH0242, 0244-0249 and 0360 come from applying mesh.patch() to the generated resources (src/patch/apply.ts).
  const serveTime = new Set(["MESH0505", "MESH0803", "MESH0804", "MESH0242", "MESH0244", "MESH0245", "MESH0246", "MESH0247", "MESH0248", "MESH0249", "MESH0360"]);
  const analysisCodes = listCodes().filter((c) => !/^MESH0[09]|^MESH034|^MESH10/.test(c.code) && !serveTime.has(c.code)).map((c) => c.name).sort();
  assert.deepEqual([...owned].sort(), analysisCodes);
});

test("analyze() resolves source files against baseDir when given", () => {
  const ir = shop();
  ir.services.find((s) => s.name === "web")!.calls.push("nowhere");
  assert.deepEqual(analyze(ir).map((d) => d.file), ["mesh.ts"]);
  assert.deepEqual(analyze(ir, { baseDir: "/srv/mesh" }).map((d) => d.file), ["/srv/mesh/mesh.ts"]);
});
