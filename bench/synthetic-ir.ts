// A synthetic mesh IR for benchmarks and scale tests: N services (default 1,000), each with 3 instances spread
// over 3 zones, 2 subsets (v1, v2), calling 5 other services, with 4 routes per upstream (so every caller gets 5
// virtual hosts x 4 routes). Deterministic: the same options always give the same IR.
import type { HttpRouteIR, MeshIR, ServiceIR } from "../src/ir/types.js";

export interface SyntheticOptions {
  services?: number;
  instances?: number;
  /** Subsets per service (v1, v2, …); instance i gets version v(i mod subsets + 1). */
  subsets?: number;
  calls?: number;
  routesPerCall?: number;
  /** Locality failover over the three zones (default true). Each instance's sidecar then gets a zone variant of
   * its EDS (3 per service); false gives the variant-free mesh the peers bench serves to both servers. */
  failover?: boolean;
}

const ZONES = ["zone-a", "zone-b", "zone-c"];

export function serviceName(i: number): string {
  return `svc-${String(i).padStart(4, "0")}`;
}

export function syntheticMesh(opts: SyntheticOptions = {}): MeshIR {
  const n = opts.services ?? 1000;
  const instances = opts.instances ?? 3;
  const subsets = opts.subsets ?? 2;
  const calls = Math.min(opts.calls ?? 5, n - 1);
  const routesPerCall = opts.routesPerCall ?? 4;
  const services: ServiceIR[] = [];
  for (let i = 0; i < n; i++) {
    const name = serviceName(i);
    // Spread calls deterministically over the whole mesh (a fixed odd stride), never to itself.
    const called = new Set<string>();
    for (let k = 1; called.size < calls; k++) called.add(serviceName((i + k * 37) % n === i ? (i + k) % n : (i + k * 37) % n));
    services.push({
      name,
      identity: `spiffe://bench.example/service/${name}`,
      proxyless: false,
      mtls: "off",
      ports: [{ name: "http", protocol: "http", port: 8080, appPort: 3000, mtls: "off" }],
      instances: {
        kind: "static",
        endpoints: Array.from({ length: instances }, (_, j) => ({
          address: `10.${(i >> 8) & 255}.${i & 255}.${j + 1}`,
          ports: { http: 8080 },
          locality: { region: "region-1", zone: ZONES[j % ZONES.length]! },
          labels: { version: `v${(j % subsets) + 1}` },
        })),
      },
      subsets: Array.from({ length: subsets }, (_, s) => ({ name: `v${s + 1}`, labels: { version: `v${s + 1}` } })),
      sidecar: { inboundAddress: "0.0.0.0", outboundPort: 15001, adminPort: 15000, tcpOutbound: {} },
      calls: [...called].sort(),
      policy: {
        connectTimeoutMs: 250,
        circuitBreaker: { maxConnections: 1000, maxPendingRequests: 100, maxRequests: 1000, retryBudgetPercent: 20 },
        outlierDetection: { consecutive5xx: 5, intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionPercent: 50 },
        loadBalancer: { kind: "least-request" },
        ...(opts.failover === false ? {} : { localityFailover: ZONES }),
        timeoutMs: 2000,
        retry: { attempts: 2, perTryTimeoutMs: 500, on: ["5xx", "reset", "connect-failure"], statusCodes: [], grpcCodes: [] },
      },
      routes: routes(name, routesPerCall, subsets),
      source: { file: "mesh.ts", line: i + 1, column: 1 },
    });
  }
  return { name: "bench", trustDomain: "bench.example", mtls: { mode: "off", certificates: { leafLifetimeMs: 86_400_000, rotateAtPercent: 50, keyAlgorithm: "ecdsa-p256" } }, services };
}

function routes(target: string, count: number, subsets: number): HttpRouteIR[] {
  const empty = { add: [], set: [], remove: [] };
  const out: HttpRouteIR[] = [];
  for (let r = 0; r < count; r++) {
    const last = r === count - 1;
    out.push({
      name: `${target}-${r}`,
      match: {
        ...(last ? {} : { path: { prefix: `/api/v${r + 1}/` } }),
        headers: r % 2 === 1 ? [{ name: "x-canary", match: { exact: "1" }, invert: false }] : [],
        query: [],
        methods: r === 0 ? ["GET"] : [],
      },
      action:
        r % 2 === 1 || subsets < 2
          ? { kind: "forward", backends: [{ service: target, subset: subsets ? `v${subsets}` : undefined, weight: 100 }].map(stripUndefined) }
          : { kind: "forward", backends: [{ service: target, subset: "v1", weight: 90 }, { service: target, subset: "v2", weight: 10 }], timeoutMs: 1500 },
      requestHeaders: r === 0 ? { add: [], set: [{ name: "x-route", value: `${target}-${r}` }], remove: [] } : empty,
      responseHeaders: empty,
    });
  }
  return out;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
